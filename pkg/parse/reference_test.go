// This file is a frozen copy of package parse's implementation as of commit
// df9a14c, before the hand-written scanner (scan.go) replaced the map
// decoding: the reference FuzzParseMatchesReference holds Parse to. It is the
// old non-test files verbatim, concatenated, except that every package-level
// identifier is prefixed with "ref" (Parse is parseReference); Usage, its
// Consistency constants and the decoder variables unmarshal and valid
// (json.go) are shared, so that FuzzParseMatchesStdlib can swap the decoder
// under both. Do not edit it to follow changes of the implementation: its
// point is to be the old behaviour. It can go once the new code has earned
// trust. Fixes of vendor semantics (not of the scanner) are mirrored here,
// each marked "fix mirrored from", so that the two still read JSON alike.

package parse

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ---- adapter.go ----

// An adapter reads one vendor's responses. Each vendor has its own file
// stating, in one place, what its counters include and how its streams
// report usage; the adapters are listed in adapters.
type refAdapter interface {
	// name is the vendor's canonical provider name.
	name() string
	// aliases are the other names callers use for the vendor, normalised
	// (see normalise).
	aliases() []string
	// read recognises one document of a response (the whole body, or one
	// stream event). ok is false when the document is in none of the
	// vendor's formats.
	read(d refDoc) (r refReading, ok bool)
}

// reading is what one document says.
type refReading struct {
	// format names the API format the document was recognised as, e.g.
	// "chat", "responses", "messages"; it becomes part of Usage.Method.
	format string
	// model is the model the vendor says served the call, "" if not said.
	model string
	// usage is the vendor's usage object as sent; hasUsage is false when the
	// document carries none (e.g. "usage": null in a chat chunk).
	usage    refObject
	hasUsage bool
	// overlay says usage updates the previous usage of the same format field
	// by field instead of replacing it (Anthropic's message_delta).
	overlay bool
	// count turns a usage object of this format into counters.
	count func(refObject) refCounts
}

// counts are the counters of one usage object; nil is not reported.
type refCounts struct {
	prompt, completion, total     *int64
	cached, reasoning, cacheWrite *int64
}

func (c refCounts) empty() bool {
	return c.prompt == nil && c.completion == nil && c.total == nil &&
		c.cached == nil && c.reasoning == nil && c.cacheWrite == nil
}

// withUsage returns r carrying usage object u when the document has one.
func (r refReading) withUsage(u refObject, ok bool) refReading {
	r.usage, r.hasUsage = u, ok
	return r
}

// ---- anthropic.go ----

// anthropic reads Anthropic's Messages API (https://docs.anthropic.com/en/api/messages),
// and the OpenAI SDK compatibility endpoint's Chat Completions, read as
// reported.
//
// Counters (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching):
//   - input_tokens EXCLUDES cache_read_input_tokens and
//     cache_creation_input_tokens, so prompt_tokens = input_tokens +
//     cache_read_input_tokens + cache_creation_input_tokens.
//   - cached = cache_read_input_tokens; cache write =
//     cache_creation_input_tokens (its TTL split in cache_creation is the same
//     quantity, taken once).
//   - output_tokens includes extended thinking, which is not reported apart:
//     reasoning_tokens stays null. No total: it is derived.
//
// Streams (https://docs.anthropic.com/en/docs/build-with-claude/streaming):
// message_start carries the first usage (output_tokens is 1 or so), then each
// message_delta's usage overwrites it field by field. Errors arrive as
// "event: error" with {"type": "error", "error": {...}}.
type refAnthropic struct{}

func (refAnthropic) name() string      { return "anthropic" }
func (refAnthropic) aliases() []string { return []string{"claude", "anthropic_messages"} }

func (refAnthropic) read(d refDoc) (refReading, bool) {
	if r, ok := refReadMessages(d); ok {
		return r, true
	}
	return refReadChat(d, refChatSpec{format: "chat", count: refChatCounts})
}

// ---- azure.go ----

// azure reads Azure OpenAI: the Chat Completions and Responses formats with
// OpenAI's counters (https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference):
// prompt_tokens includes prompt_tokens_details.cached_tokens, completion_tokens
// includes completion_tokens_details.reasoning_tokens, no cache writes.
//
// Streams: the first chunk has "choices": [] and only prompt_filter_results,
// an empty id and model: it is not the usage chunk. With
// stream_options.include_usage the usage comes once, in a later chunk that
// also has "choices": [].
type refAzure struct{}

func (refAzure) name() string { return "azure" }
func (refAzure) aliases() []string {
	return []string{"azure_openai", "azureopenai", "azure_ai", "azure_ai_foundry"}
}

func (refAzure) read(d refDoc) (refReading, bool) {
	if r, ok := refReadResponses(d); ok {
		return r, true
	}
	return refReadChat(d, refChatSpec{format: "chat", count: refChatCounts})
}

// ---- bedrock.go ----

// bedrock reads Amazon Bedrock: InvokeModel with Anthropic models, whose body
// is the Anthropic Messages format (see anthropic), and the Converse API
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html).
//
// Converse counters (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_TokenUsage.html):
// like Anthropic's, inputTokens EXCLUDES cacheReadInputTokens and
// cacheWriteInputTokens, so prompt_tokens is their sum; cached =
// cacheReadInputTokens, cache write = cacheWriteInputTokens; outputTokens
// includes any reasoning, not reported apart; totalTokens is the vendor's
// total. ConverseStream reports the usage once, in its metadata event, read
// here when the captured events are given as JSON lines.
//
// InvokeModelWithResponseStream carries each Anthropic stream event base64
// encoded in {"chunk": {"bytes": "..."}}; decoded, it is read as Anthropic's
// (message_start, then message_delta overwriting field by field).
//
// Errors are bare {"message": "..."} bodies; vendorError catches them.
type refBedrock struct{}

func (refBedrock) name() string { return "bedrock" }
func (refBedrock) aliases() []string {
	return []string{"aws_bedrock", "amazon_bedrock", "bedrock_anthropic", "bedrock_converse"}
}

func (refBedrock) read(d refDoc) (refReading, bool) {
	if inner, ok := refInvokeChunk(d); ok {
		d = inner
	}
	if r, ok := refReadMessages(d); ok {
		return r, true
	}
	return refReadConverse(d)
}

// invokeChunk decodes an InvokeModelWithResponseStream payload chunk,
// {"chunk": {"bytes": base64}} or {"bytes": base64}, into the event it carries.
func refInvokeChunk(d refDoc) (refDoc, bool) {
	o := d.obj
	if c, ok := o.object("chunk"); ok {
		o = c
	}
	b64 := o.str("bytes")
	if b64 == "" {
		return refDoc{}, false
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return refDoc{}, false
	}
	inner, ok := refDecodeObject(raw)
	if !ok {
		return refDoc{}, false
	}
	return refDoc{event: d.event, obj: inner, ok: true}, true
}

// readConverse recognises a Converse response ({"output", "stopReason",
// "usage", "metrics"}) or a ConverseStream metadata event ({"metadata":
// {"usage", "metrics"}}, possibly without its wrapper).
func refReadConverse(d refDoc) (refReading, bool) {
	o := d.obj
	if m, ok := o.object("metadata"); ok && m.has("usage") {
		o = m
	}
	u, ok := o.object("usage")
	if !ok || !u.hasAny("inputTokens", "outputTokens", "totalTokens") {
		if o.has("stopReason") || o.has("output") {
			return refReading{format: "converse", count: refConverseCounts}, true
		}
		return refReading{}, false
	}
	r := refReading{format: "converse", count: refConverseCounts}
	return r.withUsage(u, true), true
}

func refConverseCounts(u refObject) refCounts {
	read := u.count("cacheReadInputTokens")
	write := u.count("cacheWriteInputTokens")
	var prompt *int64
	if in := u.count("inputTokens"); in != nil {
		prompt = refSum(in, refOrZero(read), refOrZero(write))
	}
	return refCounts{
		prompt:     prompt,
		completion: u.count("outputTokens"),
		total:      u.count("totalTokens"),
		cached:     read,
		cacheWrite: write,
	}
}

// ---- body.go ----

// doc is one JSON document of a response: the whole body, one element of a
// JSON array stream, or one event of an SSE or NDJSON stream.
type refDoc struct {
	// event is the SSE event name, "" when there is none.
	event string
	// obj is the decoded document; ok is false when the event's data was not
	// a JSON object (text is then the data as sent).
	obj  refObject
	ok   bool
	text string
}

// bom is the UTF-8 byte order mark some Windows tools put before a body.
const refBom = "\xef\xbb\xbf"

// split cuts a response body into its documents. stream reports whether the
// body was a stream (SSE, NDJSON or a JSON array of chunks) rather than one
// JSON object.
func refSplit(body []byte) (docs []refDoc, stream bool) {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, []byte(refBom)))
	if len(b) == 0 {
		return nil, false
	}
	if valid(b) {
		return refJsonDocs(b, ""), b[0] == '['
	}
	if b[0] == '[' {
		return refJsonDocs(b, ""), true // a JSON array cut short, e.g. an interrupted Gemini stream
	}
	if refIsSSE(b) {
		return refSseDocs(b), true
	}
	return refNdjsonDocs(b), true
}

// jsonDocs returns the documents in one JSON value: the value itself when it
// is an object, or the objects among its elements when it is an array (read
// element by element, so an array cut short still yields its complete
// elements).
func refJsonDocs(b []byte, event string) []refDoc {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	if b[0] != '[' {
		if o, ok := refDecodeObject(b); ok {
			return []refDoc{{event: event, obj: o, ok: true}}
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	var docs []refDoc
	for dec.More() {
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			break
		}
		if o, ok := refDecodeObject(raw); ok {
			docs = append(docs, refDoc{event: event, obj: o, ok: true})
		}
	}
	return docs
}

// ndjsonDocs returns the documents of newline-delimited JSON (Ollama),
// skipping lines that are not JSON.
func refNdjsonDocs(b []byte) []refDoc {
	var docs []refDoc
	for _, line := range refLines(b) {
		docs = append(docs, refJsonDocs(line, "")...)
	}
	return docs
}

// lines splits b at "\n", "\r\n" and "\r".
func refLines(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			out = append(out, b)
			break
		}
		out = append(out, b[:i])
		if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
			i++
		}
		b = b[i+1:]
	}
	return out
}

// ---- chat.go ----

// chatSpec describes one vendor's Chat Completions responses.
type refChatSpec struct {
	// format names the format in Usage.Method ("chat" unless the vendor has
	// more than one chat API, e.g. Qianfan v2).
	format string
	// count turns the vendor's usage object into counters.
	count func(refObject) refCounts
	// choiceUsage: the usage may sit in choices[i].usage instead of at the
	// top level (Kimi's streams).
	choiceUsage bool
}

// readChat reads the Chat Completions format shared by OpenAI and most
// vendors (https://platform.openai.com/docs/api-reference/chat/object): a
// chat.completion object, or a chat.completion.chunk stream whose chunks
// carry "usage": null, no usage, or the usage.
func refReadChat(d refDoc, spec refChatSpec) (refReading, bool) {
	o := d.obj
	u, hasUsage := o.object("usage")
	if hasUsage && !refIsChatUsage(u) {
		hasUsage = false
	}
	recognised := hasUsage || o.has("choices") || strings.HasPrefix(o.str("object"), "chat.completion")
	if !recognised {
		return refReading{}, false
	}
	if !hasUsage && spec.choiceUsage {
		u, hasUsage = refChoiceUsage(o)
	}
	r := refReading{format: spec.format, model: o.str("model"), count: spec.count}
	return r.withUsage(u, hasUsage), true
}

// isChatUsage reports whether u has a Chat Completions counter.
func refIsChatUsage(u refObject) bool {
	return u.hasAny("prompt_tokens", "completion_tokens", "total_tokens")
}

// choiceUsage returns the first usage object found in choices[i].usage.
func refChoiceUsage(o refObject) (refObject, bool) {
	for _, c := range o.array("choices") {
		choice, ok := refDecodeObject(c)
		if !ok {
			continue
		}
		if u, ok := choice.object("usage"); ok && refIsChatUsage(u) {
			return u, true
		}
	}
	return refObject{}, false
}

// chatCounts reads the OpenAI Chat Completions usage object: prompt_tokens
// includes prompt_tokens_details.cached_tokens (cache reads), completion_tokens
// includes completion_tokens_details.reasoning_tokens; no cache writes are
// reported.
func refChatCounts(u refObject) refCounts {
	return refCounts{
		prompt:     u.count("prompt_tokens"),
		completion: u.count("completion_tokens"),
		total:      u.count("total_tokens"),
		cached:     u.path("prompt_tokens_details", "cached_tokens"),
		reasoning:  u.path("completion_tokens_details", "reasoning_tokens"),
	}
}

// ---- check.go ----

// Confidence levels of a parsed usage.
const (
	refConfidenceExact    = 1.0 // read from a known vendor's format as reported
	refConfidenceGuessed  = 0.8 // an unknown provider read as OpenAI-compatible
	refConfidenceMismatch = 0.5 // factor applied when the vendor's total disagrees
)

// settle fills u's counters from c and checks them (SPEC §4.4): the vendor's
// total is kept even when it disagrees with prompt + completion, and the
// disagreement is flagged; a total the vendor did not report is derived only
// when both parts are known.
func refSettle(u *Usage, c refCounts, confidence float64) {
	u.PromptTokens, u.CompletionTokens, u.TotalTokens = c.prompt, c.completion, c.total
	u.CachedTokens, u.ReasoningTokens, u.CacheWriteTokens = c.cached, c.reasoning, c.cacheWrite
	u.Confidence = confidence
	u.Consistency = Unchecked
	if c.prompt == nil || c.completion == nil {
		return
	}
	want := refSum(c.prompt, c.completion)
	switch {
	case c.total == nil:
		u.TotalTokens, u.TotalDerived = want, want != nil
		if want != nil {
			u.Consistency = Consistent
		}
	case want != nil && *want == *c.total:
		u.Consistency = Consistent
	default:
		u.Consistency = TotalMismatch
		u.Confidence = confidence * refConfidenceMismatch
	}
}

// ---- combine.go ----

// tally combines the readings of a response's documents, in order. Streams
// report usage once at the end or as running totals, so the last usage wins
// and nothing is ever summed; a reading marked overlay (Anthropic's
// message_delta) instead updates the previous usage field by field.
type refTally struct {
	found  bool
	format string
	model  string
	count  func(refObject) refCounts
	merged map[string]json.RawMessage
	raws   []json.RawMessage
}

func (t *refTally) add(r refReading) {
	if r.model != "" {
		t.model = r.model
	}
	if !r.hasUsage || r.count(r.usage).empty() {
		return
	}
	if r.overlay && t.found && t.format == r.format {
		for k, v := range r.usage.fields {
			if !refIsNull(v) { // an unreported field does not erase a reported one
				t.merged[k] = v
			}
		}
		t.raws = append(t.raws, r.usage.raw)
		return
	}
	t.found, t.format, t.count = true, r.format, r.count
	t.merged = make(map[string]json.RawMessage, len(r.usage.fields))
	for k, v := range r.usage.fields {
		t.merged[k] = v
	}
	t.raws = []json.RawMessage{r.usage.raw}
}

// counts returns the counters of the winning usage.
func (t *refTally) counts() refCounts {
	return t.count(refObject{fields: t.merged})
}

// raw returns the usage object(s) the counters came from, untouched: the one
// object, or a JSON array of the objects an overlay combined.
func (t *refTally) raw() json.RawMessage {
	if len(t.raws) == 1 {
		return t.raws[0]
	}
	out := []byte{'['}
	for i, r := range t.raws {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, r...)
	}
	return append(out, ']')
}

// ---- compatible.go ----

// compatible reads OpenAI-compatible APIs of vendors without an adapter, and
// bodies of unknown providers (at a lower confidence). It reads only what is
// OpenAI-shaped: Chat Completions usage (prompt_tokens, completion_tokens,
// total_tokens), also inside choices[i].usage, and Responses API usage; any
// other shape is usage_missing.
//
// Counters as OpenAI's: prompt_tokens includes the cache reads, sent as
// prompt_tokens_details.cached_tokens or, by DeepSeek- and Kimi-style servers,
// prompt_cache_hit_tokens or cached_tokens (one quantity, taken once);
// completion_tokens includes completion_tokens_details.reasoning_tokens. A
// cache write is read only when named one
// (prompt_tokens_details.cache_creation_input_tokens or cache_write_tokens).
type refCompatible struct{}

func (refCompatible) name() string { return "openai_compatible" }
func (refCompatible) aliases() []string {
	return []string{"compatible", "openai_compat", "oai_compatible", "openai_like"}
}

func (refCompatible) read(d refDoc) (refReading, bool) {
	if r, ok := refReadResponses(d); ok {
		return r, true
	}
	return refReadChat(d, refChatSpec{format: "chat", count: refCompatibleCounts, choiceUsage: true})
}

func refCompatibleCounts(u refObject) refCounts {
	c := refChatCounts(u)
	c.cached = refFirst(c.cached, u.count("prompt_cache_hit_tokens"), u.count("cached_tokens"))
	c.cacheWrite = refFirst(
		u.path("prompt_tokens_details", "cache_creation_input_tokens"),
		u.path("prompt_tokens_details", "cache_write_tokens"),
	)
	return c
}

// ---- count.go ----

// countOf reads a token count from raw JSON: a JSON number written as an
// integer, or a string of digits from a misbehaving proxy. It parses the text
// itself, never through float64, so values above 2^53 survive exactly.
// Anything else (negative, written with a fraction or exponent, boolean,
// object, beyond int64) is not a count and gives nil.
func refCountOf(raw json.RawMessage) *int64 {
	b := bytes.TrimSpace(raw)
	if len(b) >= 2 && b[0] == '"' {
		var s string
		if unmarshal(b, &s) != nil {
			return nil
		}
		b = []byte(s)
	}
	if !refAllDigits(b) {
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

// allDigits reports whether b is a non-empty run of ASCII digits.
func refAllDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// first returns the first reported count: one quantity sent under several
// spellings is taken once.
func refFirst(cs ...*int64) *int64 {
	for _, c := range cs {
		if c != nil {
			return c
		}
	}
	return nil
}

// sum adds counts; it is nil when any of them is nil or the sum overflows.
func refSum(cs ...*int64) *int64 {
	var total int64
	for _, c := range cs {
		if c == nil || *c > math.MaxInt64-total {
			return nil
		}
		total += *c
	}
	return &total
}

// orZero treats a count that was not reported as 0, for the parts of a sum
// that a vendor omits when they are zero.
func refOrZero(c *int64) *int64 {
	if c == nil {
		return refPtr(0)
	}
	return c
}

func refPtr(n int64) *int64 { return &n }

// ---- deepseek.go ----

// deepSeek reads DeepSeek's Chat Completions
// (https://api-docs.deepseek.com/api/create-chat-completion) and its
// Anthropic-compatible Messages endpoint (https://api-docs.deepseek.com/guides/anthropic_api).
//
// Counters (https://api-docs.deepseek.com/guides/kv_cache):
//   - prompt_tokens = prompt_cache_hit_tokens + prompt_cache_miss_tokens.
//   - cached = prompt_cache_hit_tokens, also sent as
//     prompt_tokens_details.cached_tokens: one quantity, taken once.
//   - a cache miss is NOT a cache write: DeepSeek reports no cache writes.
//   - completion_tokens includes completion_tokens_details.reasoning_tokens
//     (deepseek-reasoner).
//
// Streams: "usage": null in every chunk but the last, which carries the
// usage when stream_options.include_usage is set; ": keep-alive" comments may
// come between chunks.
type refDeepSeek struct{}

func (refDeepSeek) name() string      { return "deepseek" }
func (refDeepSeek) aliases() []string { return nil }

func (refDeepSeek) read(d refDoc) (refReading, bool) {
	if r, ok := refReadMessages(d); ok {
		return r, true
	}
	return refReadChat(d, refChatSpec{format: "chat", count: refDeepSeekCounts})
}

func refDeepSeekCounts(u refObject) refCounts {
	c := refChatCounts(u)
	c.cached = refFirst(u.count("prompt_cache_hit_tokens"), c.cached)
	return c
}

// ---- doubao.go ----

// doubao reads Volcengine Ark (Doubao): Chat Completions
// (https://www.volcengine.com/docs/82379/1494384) and the Responses API
// (https://www.volcengine.com/docs/82379/1569618), with OpenAI's counters:
// prompt_tokens includes prompt_tokens_details.cached_tokens (context cache
// hits), completion_tokens includes completion_tokens_details.reasoning_tokens
// (deep-thinking models); no cache writes are reported.
//
// Streams: with stream_options.include_usage the usage comes once, in a last
// chunk with "choices": []; other chunks carry none.
type refDoubao struct{}

func (refDoubao) name() string { return "doubao" }
func (refDoubao) aliases() []string {
	return []string{"ark", "volcengine", "volcengine_ark", "volcano", "volces", "bytedance"}
}

func (refDoubao) read(d refDoc) (refReading, bool) {
	if r, ok := refReadResponses(d); ok {
		return r, true
	}
	return refReadChat(d, refChatSpec{format: "chat", count: refChatCounts})
}

// ---- gemini.go ----

// gemini reads Google Gemini (Gemini API and Vertex AI): generateContent, its
// streams, and the OpenAI-compatible endpoint's Chat Completions, read as
// reported.
//
// Counters (https://ai.google.dev/api/generate-content#UsageMetadata):
//   - usageMetadata is proto3 JSON: a zero-valued field is omitted, so within
//     a usageMetadata an absent count is 0.
//   - promptTokenCount includes cachedContentTokenCount (cache reads); tool-use
//     prompt tokens (toolUsePromptTokenCount) are input billed on top, so
//     prompt_tokens = promptTokenCount + toolUsePromptTokenCount.
//   - candidatesTokenCount EXCLUDES thoughtsTokenCount, so completion_tokens =
//     candidatesTokenCount + thoughtsTokenCount, reasoning = thoughtsTokenCount.
//   - totalTokenCount is the sum of all four. No cache writes are reported.
//
// Streams: streamGenerateContent?alt=sse sends "data:" events, without alt a
// JSON array of chunks; every chunk carries usageMetadata as running totals
// (early ones with the prompt count only), complete in the last.
type refGemini struct{}

func (refGemini) name() string { return "gemini" }
func (refGemini) aliases() []string {
	return []string{"google", "google_ai", "googleai", "google_gemini", "vertex", "vertex_ai", "vertexai", "palm"}
}

func (refGemini) read(d refDoc) (refReading, bool) {
	if r, ok := refReadGenerateContent(d); ok {
		return r, true
	}
	return refReadChat(d, refChatSpec{format: "chat", count: refChatCounts})
}

// readGenerateContent recognises a GenerateContentResponse.
func refReadGenerateContent(d refDoc) (refReading, bool) {
	o := d.obj
	if !o.hasAny("usageMetadata", "candidates", "promptFeedback", "modelVersion") {
		return refReading{}, false
	}
	r := refReading{format: "generate_content", model: o.str("modelVersion"), count: refGeminiCounts}
	return r.withUsage(o.object("usageMetadata")), true
}

func refGeminiCounts(u refObject) refCounts {
	thoughts := u.countOrZero("thoughtsTokenCount")
	return refCounts{
		prompt:     refSum(u.countOrZero("promptTokenCount"), u.countOrZero("toolUsePromptTokenCount")),
		completion: refSum(u.countOrZero("candidatesTokenCount"), thoughts),
		total:      u.count("totalTokenCount"),
		cached:     u.countOrZero("cachedContentTokenCount"),
		reasoning:  thoughts,
	}
}

// ---- messages.go ----

// readMessages reads the Anthropic Messages format
// (https://docs.anthropic.com/en/api/messages), also served by Amazon Bedrock's
// InvokeModel and by the Anthropic-compatible endpoints of DeepSeek, Moonshot
// and Zhipu. A stream (https://docs.anthropic.com/en/docs/build-with-claude/streaming)
// reports usage in message_start, then each message_delta's usage overwrites
// it field by field (its counts are cumulative, and may include the input
// fields again).
func refReadMessages(d refDoc) (refReading, bool) {
	o := d.obj
	typ := o.str("type")
	if typ == "" {
		typ = d.event
	}
	r := refReading{format: "messages", count: refMessagesCounts}
	switch typ {
	case "message":
		r.model = o.str("model")
		return r.withUsage(o.object("usage")), true
	case "message_start":
		m, _ := o.object("message")
		r.model = m.str("model")
		return r.withUsage(m.object("usage")), true
	case "message_delta":
		r.overlay = true
		return r.withUsage(o.object("usage")), true
	case "message_stop", "content_block_start", "content_block_delta", "content_block_stop", "ping":
		return r, true
	}
	return refReading{}, false
}

// messagesCounts reads the Anthropic usage object. input_tokens EXCLUDES
// cache_read_input_tokens and cache_creation_input_tokens, so the prompt is
// their sum; output_tokens includes thinking, which is not reported
// separately. The cache write appears as cache_creation_input_tokens and
// again, split by TTL, in cache_creation: it is taken once. No total.
func refMessagesCounts(u refObject) refCounts {
	read := u.count("cache_read_input_tokens")
	write := u.count("cache_creation_input_tokens")
	if write == nil {
		if cc, ok := u.object("cache_creation"); ok {
			write = refSum(cc.countOrZero("ephemeral_5m_input_tokens"), cc.countOrZero("ephemeral_1h_input_tokens"))
		}
	}
	var prompt *int64
	if in := u.count("input_tokens"); in != nil {
		prompt = refSum(in, refOrZero(read), refOrZero(write))
	}
	return refCounts{
		prompt:     prompt,
		completion: u.count("output_tokens"),
		cached:     read,
		cacheWrite: write,
	}
}

// ---- moonshot.go ----

// moonshot reads Moonshot AI (Kimi): Chat Completions
// (https://platform.moonshot.cn/docs/api/chat) and its Anthropic-compatible
// Messages endpoint.
//
// Counters: prompt_tokens includes the cache reads, sent as usage.cached_tokens
// (context caching) or prompt_tokens_details.cached_tokens: one quantity,
// taken once. completion_tokens includes completion_tokens_details.
// reasoning_tokens when sent. No cache writes.
//
// Streams: the usage comes once, in the last chunk, inside choices[0].usage
// (https://platform.moonshot.cn/docs/guide/utilize-the-streaming-output-feature-of-kimi-api);
// a top-level usage, as with stream_options.include_usage, is read too.
type refMoonshot struct{}

func (refMoonshot) name() string      { return "moonshot" }
func (refMoonshot) aliases() []string { return []string{"kimi", "moonshotai", "moonshot_ai"} }

func (refMoonshot) read(d refDoc) (refReading, bool) {
	if r, ok := refReadMessages(d); ok {
		return r, true
	}
	return refReadChat(d, refChatSpec{format: "chat", count: refMoonshotCounts, choiceUsage: true})
}

func refMoonshotCounts(u refObject) refCounts {
	c := refChatCounts(u)
	c.cached = refFirst(u.count("cached_tokens"), c.cached)
	return c
}

// ---- object.go ----

// object is one decoded JSON object whose members are left undecoded, with
// the exact bytes it was decoded from.
type refObject struct {
	raw    json.RawMessage
	fields map[string]json.RawMessage
}

// decodeObject decodes raw as a JSON object; ok is false for anything else.
func refDecodeObject(raw []byte) (refObject, bool) {
	var m map[string]json.RawMessage
	if unmarshal(raw, &m) != nil || m == nil {
		return refObject{}, false
	}
	return refObject{raw: raw, fields: m}, true
}

// has reports whether key is present and not null.
func (o refObject) has(key string) bool {
	v, ok := o.fields[key]
	return ok && !refIsNull(v)
}

// object returns the member key when it is a JSON object.
func (o refObject) object(key string) (refObject, bool) {
	v, ok := o.fields[key]
	if !ok {
		return refObject{}, false
	}
	return refDecodeObject(v)
}

// str returns the member key when it is a JSON string, else "".
func (o refObject) str(key string) string {
	v, ok := o.fields[key]
	if !ok || len(v) == 0 || v[0] != '"' {
		return ""
	}
	var s string
	if unmarshal(v, &s) != nil {
		return ""
	}
	return s
}

// array returns the member key when it is a JSON array, else nil.
func (o refObject) array(key string) []json.RawMessage {
	v, ok := o.fields[key]
	if !ok {
		return nil
	}
	var a []json.RawMessage
	if unmarshal(v, &a) != nil {
		return nil
	}
	return a
}

// count returns the member key as a token count (see countOf); nil when it
// is absent, null or not a count.
func (o refObject) count(key string) *int64 {
	v, ok := o.fields[key]
	if !ok {
		return nil
	}
	return refCountOf(v)
}

// countOrZero is count for vendors that omit zero-valued fields (proto3
// JSON): absent or null is 0, a present value that is not a count is nil.
func (o refObject) countOrZero(key string) *int64 {
	if !o.has(key) {
		return refPtr(0)
	}
	return o.count(key)
}

// path returns the count at a nested path, e.g. path("prompt_tokens_details",
// "cached_tokens").
func (o refObject) path(keys ...string) *int64 {
	cur := o
	for i, k := range keys {
		if i == len(keys)-1 {
			return cur.count(k)
		}
		next, ok := cur.object(k)
		if !ok {
			return nil
		}
		cur = next
	}
	return nil
}

// hasAny reports whether any of keys is present and not null.
func (o refObject) hasAny(keys ...string) bool {
	for _, k := range keys {
		if o.has(k) {
			return true
		}
	}
	return false
}

func refIsNull(v json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// ---- ollama.go ----

// ollama reads Ollama's native API, /api/chat and /api/generate
// (https://github.com/ollama/ollama/blob/main/docs/api.md), and its
// OpenAI-compatible /v1 endpoint's Chat Completions, read as reported.
//
// Counters: prompt_eval_count is the prompt tokens evaluated, eval_count the
// tokens generated (thinking included); there is no usage object, no total,
// no cache or reasoning counters. Both fields are omitted when zero (a prompt
// served from the KV cache has no prompt_eval_count), so in the final
// "done": true line one present count makes the other 0.
//
// Streams are NDJSON: the counts come once, in the last line, "done": true.
// Errors are {"error": "text"}.
type refOllama struct{}

func (refOllama) name() string      { return "ollama" }
func (refOllama) aliases() []string { return nil }

func (refOllama) read(d refDoc) (refReading, bool) {
	if r, ok := refReadOllama(d); ok {
		return r, true
	}
	return refReadChat(d, refChatSpec{format: "chat", count: refChatCounts})
}

// ollamaCounters are the native API's counter fields.
func refOllamaCounters() []string { return []string{"prompt_eval_count", "eval_count"} }

// readOllama recognises a native response line; its usage is an object of the
// counter fields as sent.
func refReadOllama(d refDoc) (refReading, bool) {
	o := d.obj
	if o.has("choices") || o.has("object") || !o.hasAny("done", "created_at", "prompt_eval_count", "eval_count") {
		return refReading{}, false
	}
	r := refReading{format: "native", model: o.str("model"), count: refOllamaCounts}
	fields := make(map[string]json.RawMessage)
	for _, k := range refOllamaCounters() {
		if o.has(k) {
			fields[k] = o.fields[k]
		}
	}
	if len(fields) == 0 {
		return r, true
	}
	raw, err := json.Marshal(fields)
	if err != nil {
		return r, true
	}
	return r.withUsage(refObject{raw: raw, fields: fields}, true), true
}

func refOllamaCounts(u refObject) refCounts {
	return refCounts{
		prompt:     u.countOrZero("prompt_eval_count"),
		completion: u.countOrZero("eval_count"),
	}
}

// ---- openai.go ----

// openAI reads OpenAI's Chat Completions and Responses APIs.
//
// Counters (https://platform.openai.com/docs/api-reference/chat/object,
// https://platform.openai.com/docs/api-reference/responses/object):
//   - prompt_tokens / input_tokens include the cache reads,
//     prompt_tokens_details.cached_tokens / input_tokens_details.cached_tokens;
//     OpenAI reports no cache writes.
//   - completion_tokens / output_tokens include the reasoning tokens,
//     completion_tokens_details.reasoning_tokens /
//     output_tokens_details.reasoning_tokens.
//
// Streams: Chat Completions chunks carry "usage": null, and with
// stream_options.include_usage one last chunk with "choices": [] carries the
// usage; without it there is no usage at all. The Responses API reports usage
// once, in response.completed (or response.incomplete, response.failed).
type refOpenAI struct{}

func (refOpenAI) name() string      { return "openai" }
func (refOpenAI) aliases() []string { return []string{"chatgpt", "openai_chat", "openai_responses"} }

func (refOpenAI) read(d refDoc) (refReading, bool) {
	if r, ok := refReadResponses(d); ok {
		return r, true
	}
	return refReadChat(d, refChatSpec{format: "chat", count: refChatCounts})
}

// ---- parse.go ----

// Parse returns the token usage in body, a response of provider's API: a JSON
// document, or the raw text of a stream (SSE or NDJSON). provider may be a
// canonical name or an alias (see CanonicalProvider). An unknown provider's
// body is read as OpenAI-compatible, with a lower confidence. Parse never
// fails: what it cannot find it reports as missing, and it never invents a
// number.
func parseReference(provider string, body []byte) Usage {
	a, known := refLookup(provider)
	name, confidence := "", refConfidenceExact
	if known {
		name = a.name()
	} else {
		a, confidence = refCompatible{}, refConfidenceGuessed
		name, _ = refCanonicalProvider(provider)
	}
	u := Usage{Provider: name, Consistency: Unchecked}

	docs, stream := refSplit(body)
	var t refTally
	for _, d := range docs {
		if msg, ok := refVendorError(d); ok {
			if !u.IsError {
				u.ErrorMessage = msg
			}
			u.IsError = true
		}
		if !d.ok {
			continue
		}
		if r, ok := a.read(d); ok {
			t.add(r)
		}
	}
	u.Model = t.model
	if !t.found {
		u.UsageMissing = true
		return u
	}
	u.Raw = t.raw()
	u.Method = a.name() + "." + t.format
	if stream {
		u.Method += ".stream"
	}
	refSettle(&u, t.counts(), confidence)
	return u
}

// ---- provider.go ----

// adapters is the registry: every supported vendor, in one explicit list.
func refAdapters() []refAdapter {
	return []refAdapter{
		refOpenAI{},
		refAzure{},
		refDeepSeek{},
		refDoubao{},
		refWenxin{},
		refAnthropic{},
		refGemini{},
		refQwen{},
		refMoonshot{},
		refZhipu{},
		refOllama{},
		refBedrock{},
		refCompatible{},
	}
}

// CanonicalProvider maps a provider name or alias (any case; "-", " " and
// "_" alike) to its canonical name, e.g. "ark" and "volcengine" to "doubao",
// "qianfan" to "wenxin", "kimi" to "moonshot". known is false for a name no
// adapter claims; canonical is then the name lower-cased and trimmed.
func refCanonicalProvider(name string) (canonical string, known bool) {
	if a, ok := refLookup(name); ok {
		return a.name(), true
	}
	return strings.ToLower(strings.TrimSpace(name)), false
}

// lookup finds the adapter for a provider name or alias.
func refLookup(name string) (refAdapter, bool) {
	n := refNormalise(name)
	for _, a := range refAdapters() {
		if a.name() == n || slices.Contains(a.aliases(), n) {
			return a, true
		}
	}
	return nil, false
}

// normalise lower-cases and trims a provider name and writes "-" and " " as
// "_", so "Azure OpenAI", "azure-openai" and "azure_openai" are one name.
func refNormalise(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	return strings.NewReplacer("-", "_", " ", "_").Replace(n)
}

// ---- qwen.go ----

// qwen reads Alibaba Cloud Model Studio (DashScope, Tongyi Qianwen) in its
// native API and its OpenAI-compatible mode.
//
// Native, /api/v1/services/aigc/text-generation/generation
// (https://help.aliyun.com/zh/model-studio/use-qwen-by-calling-api): usage has
// input_tokens, output_tokens, total_tokens; input_tokens includes
// prompt_tokens_details.cached_tokens (cache reads) and
// prompt_tokens_details.cache_creation_input_tokens (explicit cache writes);
// output_tokens includes output_tokens_details.reasoning_tokens. Streams
// (X-DashScope-SSE: enable) send "data:" events, with ":HTTP_STATUS/200"
// comment lines, whose usage is a running total in every event. Errors are
// bare {"code": "...", "message": "...", "request_id": "..."} objects, in a
// stream as "event:error".
//
// Compatible mode, /compatible-mode/v1 (https://help.aliyun.com/zh/model-studio/compatibility-of-openai-with-dashscope):
// Chat Completions with OpenAI's counters, plus the cache write in
// prompt_tokens_details.cache_creation_input_tokens; streams report usage
// once, in a last chunk with "choices": [] when stream_options.include_usage
// is set. The Responses API is read as OpenAI's.
type refQwen struct{}

func (refQwen) name() string { return "qwen" }
func (refQwen) aliases() []string {
	return []string{"dashscope", "tongyi", "qianwen", "tongyi_qianwen", "aliyun", "alibaba", "bailian", "model_studio"}
}

func (refQwen) read(d refDoc) (refReading, bool) {
	if r, ok := refReadResponses(d); ok {
		return r, true
	}
	if r, ok := refReadDashScope(d); ok {
		return r, true
	}
	return refReadChat(d, refChatSpec{format: "compatible", count: refQwenChatCounts})
}

// readDashScope recognises a native DashScope response: "output" is an
// object (the Responses API's is an array) beside usage and request_id.
func refReadDashScope(d refDoc) (refReading, bool) {
	o := d.obj
	_, native := o.object("output")
	if !native {
		u, ok := o.object("usage")
		native = ok && o.has("request_id") && !o.has("choices") && u.hasAny("input_tokens", "output_tokens")
	}
	if !native {
		return refReading{}, false
	}
	r := refReading{format: "native", count: refDashScopeCounts}
	return r.withUsage(o.object("usage")), true
}

func refDashScopeCounts(u refObject) refCounts {
	return refCounts{
		prompt:     u.count("input_tokens"),
		completion: u.count("output_tokens"),
		total:      u.count("total_tokens"),
		cached:     refFirst(u.path("prompt_tokens_details", "cached_tokens"), u.path("input_tokens_details", "cached_tokens")),
		reasoning:  u.path("output_tokens_details", "reasoning_tokens"),
		cacheWrite: u.path("prompt_tokens_details", "cache_creation_input_tokens"),
	}
}

func refQwenChatCounts(u refObject) refCounts {
	c := refChatCounts(u)
	c.cacheWrite = u.path("prompt_tokens_details", "cache_creation_input_tokens")
	return c
}

// ---- responses.go ----

// readResponses reads the OpenAI Responses API format
// (https://platform.openai.com/docs/api-reference/responses/object), also
// served by Azure OpenAI, Volcengine Ark and DashScope: a response object, or
// a stream of typed events of which response.completed (or
// response.incomplete, response.failed) carries the response with its usage.
func refReadResponses(d refDoc) (refReading, bool) {
	o := d.obj
	resp := o
	if typ := o.str("type"); strings.HasPrefix(typ, "response.") {
		inner, ok := o.object("response")
		if !ok {
			return refReading{format: "responses", count: refResponsesCounts}, true // e.g. response.output_text.delta
		}
		resp = inner
	} else if o.str("object") != "response" {
		return refReading{}, false
	}
	r := refReading{format: "responses", model: resp.str("model"), count: refResponsesCounts}
	return r.withUsage(resp.object("usage")), true
}

// responsesCounts reads the Responses API usage object: input_tokens includes
// input_tokens_details.cached_tokens, output_tokens includes
// output_tokens_details.reasoning_tokens.
func refResponsesCounts(u refObject) refCounts {
	return refCounts{
		prompt:     u.count("input_tokens"),
		completion: u.count("output_tokens"),
		total:      u.count("total_tokens"),
		cached:     u.path("input_tokens_details", "cached_tokens"),
		reasoning:  u.path("output_tokens_details", "reasoning_tokens"),
	}
}

// ---- sse.go ----

// isSSE reports whether b looks like a server-sent event stream: some line
// starts with a data: or event: field.
func refIsSSE(b []byte) bool {
	for _, line := range refLines(b) {
		line = bytes.TrimLeft(line, " \t")
		if bytes.HasPrefix(line, []byte("data:")) || bytes.HasPrefix(line, []byte("event:")) {
			return true
		}
	}
	return false
}

// sseDocs returns the documents of an SSE stream, following the WHATWG
// event-stream format: "field: value" lines, ":" comments (DeepSeek's
// keep-alives, DashScope's ":HTTP_STATUS/200"), a blank line ends an event,
// several data lines join with "\n". It is lenient where real captures are
// sloppy: events not separated by blank lines, an event cut off at the end,
// a bare JSON line between events, and the "[DONE]" sentinel.
func refSseDocs(b []byte) []refDoc {
	var (
		docs  []refDoc
		event string
		data  [][]byte
	)
	dispatch := func() {
		if len(data) > 0 {
			docs = append(docs, refSseEvent(event, data)...)
		}
		event, data = "", nil
	}
	for _, line := range refLines(b) {
		if len(bytes.TrimSpace(line)) == 0 {
			dispatch()
			continue
		}
		if line[0] == ':' {
			continue
		}
		trimmed := bytes.TrimLeft(line, " \t")
		if trimmed[0] == '{' || trimmed[0] == '[' {
			dispatch()
			docs = append(docs, refJsonDocs(trimmed, "")...)
			continue
		}
		field, value, _ := bytes.Cut(trimmed, []byte{':'})
		value = bytes.TrimPrefix(value, []byte{' '})
		switch string(field) {
		case "event":
			if len(data) > 0 { // a new event began without a blank line
				dispatch()
			}
			event = string(bytes.TrimSpace(value))
		case "data":
			data = append(data, value)
		}
	}
	dispatch()
	return docs
}

// sseEvent returns the documents of one event's data lines: the joined data
// when it is JSON, else each data line that is JSON on its own (events written
// without blank lines between them). Non-JSON data yields a text-only
// document, which matters for "event: error".
func refSseEvent(event string, data [][]byte) []refDoc {
	joined := bytes.TrimSpace(bytes.Join(data, []byte{'\n'}))
	if string(joined) == "[DONE]" || len(joined) == 0 {
		return nil
	}
	if docs := refJsonDocs(joined, event); len(docs) > 0 {
		return docs
	}
	var docs []refDoc
	if len(data) > 1 {
		for _, d := range data {
			docs = append(docs, refJsonDocs(d, event)...)
		}
	}
	if len(docs) == 0 {
		docs = append(docs, refDoc{event: event, text: string(joined)})
	}
	return docs
}

// ---- vendorerror.go ----

// maxErrorMessage bounds ErrorMessage; vendors' messages are short, but a
// proxy's text error event can be a whole HTML page.
const refMaxErrorMessage = 1024

// vendorError reports whether d is a vendor error object, and its message.
// The shapes, all sent by some vendor with HTTP 200 or inside a stream:
//
//   - an SSE event named "error" (OpenAI, Anthropic, DashScope), whatever its data;
//   - {"error": {...}} or {"error": "text"}: OpenAI and every OpenAI-compatible
//     vendor, Gemini, Qianfan v2, Ollama; {"type": "error", ...}: Anthropic,
//     the Responses API's error event;
//   - a Responses API object or event whose response failed;
//   - {"error_code": 110, "error_msg": "..."}: Qianfan v1, with HTTP 200;
//   - a bare {"code": "...", "message": "...", "request_id": "..."}: DashScope
//     native; {"message": "..."}: Bedrock;
//   - an AWS event-stream exception, {"throttlingException": {...}}: Bedrock.
func refVendorError(d refDoc) (string, bool) {
	if !d.ok {
		if d.event == "error" {
			return refClip(d.text), true
		}
		return "", false
	}
	o := d.obj
	if msg, ok := refErrorMember(o); ok {
		return msg, true
	}
	if d.event == "error" || o.str("type") == "error" {
		return refClip(refFirstString(o, "message", "msg")), true
	}
	if r, ok := o.object("response"); ok {
		if msg, ok := refErrorMember(r); ok {
			return msg, true
		}
	}
	if o.str("type") == "response.failed" || o.str("status") == "failed" && o.str("object") == "response" {
		return "", true
	}
	if code := o.fields["error_code"]; code != nil && !refSuccessCode(code) {
		return refClip(refFirstString(o, "error_msg", "message")), true
	}
	if msg, ok := refBareError(o); ok {
		return msg, true
	}
	if msg, ok := refStreamException(o); ok {
		return msg, true
	}
	return "", false
}

// streamException recognises an AWS event-stream exception event (Bedrock),
// {"throttlingException": {"message": "..."}}: one member named *Exception.
func refStreamException(o refObject) (string, bool) {
	if len(o.fields) != 1 {
		return "", false
	}
	for k := range o.fields {
		e, ok := o.object(k)
		if !ok || !strings.HasSuffix(k, "Exception") {
			return "", false
		}
		return refClip(refFirstString(e, "message", "Message")), true
	}
	return "", false
}

// errorMember reads an "error" member that is an error: a non-empty object
// or string, or true. "error": null, {}, "" and a success placeholder are not
// errors.
func refErrorMember(o refObject) (string, bool) {
	v, ok := o.fields["error"]
	if !ok || len(v) == 0 {
		return "", false
	}
	switch v[0] {
	case '{':
		e, ok := refDecodeObject(v)
		if !ok || len(e.fields) == 0 {
			return "", false
		}
		msg := refFirstString(e, "message", "msg", "error_msg", "Message")
		if code, ok := e.fields["code"]; ok && refSuccessCode(code) && refSuccessWord(msg) {
			return "", false // a gateway's {"code": 0, "message": "success"} placeholder
		}
		return refClip(msg), true
	case '"':
		s := o.str("error")
		return refClip(s), s != ""
	case 't':
		return "", string(v) == "true"
	}
	return "", false
}

// bareErrorKey reports whether k is a member a bare error object may have.
func refBareErrorKey(k string) bool {
	switch k {
	case "code", "message", "msg", "Message", "__type", "type", "request_id", "requestId",
		"status", "status_code", "statusCode", "param", "details":
		return true
	}
	return false
}

// bareError recognises an error object that is only a code and a message
// (DashScope native, Bedrock), whose code, if any, is not a success code.
func refBareError(o refObject) (string, bool) {
	msg := refFirstString(o, "message", "msg", "Message")
	if msg == "" {
		return "", false
	}
	for k := range o.fields {
		if !refBareErrorKey(k) {
			return "", false
		}
	}
	if code, ok := o.fields["code"]; ok && refSuccessCode(code) {
		return "", false
	}
	return refClip(msg), true
}

// successCode reports whether a code member means success (or nothing).
func refSuccessCode(code json.RawMessage) bool {
	var s string
	if unmarshal(code, &s) != nil {
		s = string(code)
	}
	return refSuccessWord(s)
}

// successWord reports whether a code or message says success (or nothing).
func refSuccessWord(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "200", "null", "ok", "success", "false":
		return true
	}
	return false
}

func refFirstString(o refObject, keys ...string) string {
	for _, k := range keys {
		if s := o.str(k); s != "" {
			return s
		}
	}
	return ""
}

// clip bounds a message to maxErrorMessage bytes on a rune boundary.
func refClip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= refMaxErrorMessage {
		return s
	}
	cut := refMaxErrorMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// ---- wenxin.go ----

// wenxin reads Baidu Qianfan (Wenxin, ERNIE) in both of its APIs.
//
// Qianfan v1, /rpc/2.0/ai_custom/v1/wenxinworkshop/chat/...
// (https://cloud.baidu.com/doc/WENXINWORKSHOP/s/jlil56u11): the answer is in
// "result", usage has prompt_tokens, completion_tokens and total_tokens only.
// Errors come with HTTP 200 as {"error_code": 110, "error_msg": "..."}
// (https://cloud.baidu.com/doc/WENXINWORKSHOP/s/tlmyncueh); vendorError
// catches them. Streams carry the usage in every chunk, prompt counted from
// the first chunk and completion as a running total, complete in the chunk
// with "is_end": true.
//
// Qianfan v2, /v2/chat/completions (https://cloud.baidu.com/doc/qianfan-api/s/3m7of64lb):
// Chat Completions with OpenAI's counters (prompt_tokens includes
// prompt_tokens_details.cached_tokens, completion_tokens includes
// completion_tokens_details.reasoning_tokens), errors as {"error": {...}}.
// No cache writes in either.
type refWenxin struct{}

func (refWenxin) name() string { return "wenxin" }
func (refWenxin) aliases() []string {
	return []string{"qianfan", "ernie", "baidu", "wenxinworkshop", "ernie_bot", "yiyan", "baidu_qianfan"}
}

func (refWenxin) read(d refDoc) (refReading, bool) {
	if r, ok := refReadQianfanV1(d); ok {
		return r, true
	}
	return refReadChat(d, refChatSpec{format: "qianfan_v2", count: refChatCounts})
}

// readQianfanV1 recognises a Qianfan v1 response or stream chunk: no
// "choices", and v1's own members.
func refReadQianfanV1(d refDoc) (refReading, bool) {
	o := d.obj
	if o.has("choices") {
		return refReading{}, false
	}
	if !o.hasAny("result", "is_end", "sentence_id", "need_clear_history", "error_code", "ban_round") {
		return refReading{}, false
	}
	r := refReading{format: "qianfan_v1", count: refChatCounts}
	if o.hasAny("sentence_id", "is_end") { // fix mirrored from wenxin.go: a stream chunk's completion is total - prompt
		r.count = refQianfanV1StreamCounts
	}
	return r.withUsage(o.object("usage")), true
}

func refQianfanV1StreamCounts(u refObject) refCounts {
	c := refChatCounts(u)
	if c.prompt != nil && c.total != nil && *c.total >= *c.prompt {
		c.completion = refPtr(*c.total - *c.prompt)
	}
	return c
}

// ---- zhipu.go ----

// zhipu reads Zhipu AI (GLM): Chat Completions at /api/paas/v4
// (https://docs.bigmodel.cn/api-reference/模型-api/对话补全) and its
// Anthropic-compatible Messages endpoint. Counters as OpenAI's: prompt_tokens
// includes prompt_tokens_details.cached_tokens, completion_tokens includes
// completion_tokens_details.reasoning_tokens when sent; no cache writes.
//
// Streams: the usage comes once, in the last chunk (the one with a
// finish_reason), without any stream option.
type refZhipu struct{}

func (refZhipu) name() string { return "zhipu" }
func (refZhipu) aliases() []string {
	return []string{"zhipuai", "glm", "bigmodel", "chatglm", "z_ai", "zai"}
}

func (refZhipu) read(d refDoc) (refReading, bool) {
	if r, ok := refReadMessages(d); ok {
		return r, true
	}
	return refReadChat(d, refChatSpec{format: "chat", count: refChatCounts})
}
