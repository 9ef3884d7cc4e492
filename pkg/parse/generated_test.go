package parse

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestParseMatchesReferenceGenerated holds Parse to parseReference on bodies
// built from the vendors' own keys and values: random nesting, duplicate
// keys, nulls, escapes, white space, odd numbers, the shapes of error objects
// and streams, now and then cut short or corrupted. Random byte mutation
// (the fuzz targets) seldom builds such structure; this does, repeatably.
func TestParseMatchesReferenceGenerated(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 3000
	}
	g := generator{rand.New(rand.NewPCG(1, 2))}
	for range n {
		p, b := g.body()
		body := []byte(b)
		assertSameUsage(t, p, body, "Parse", Parse(p, body), "parseReference", parseReference(p, body))
	}
}

// generator builds random vendor-like bodies.
type generator struct{ r *rand.Rand }

// genKeys are member names: those the readers look for, and a few others
// (escaped, non-ASCII, an Exception for Bedrock).
var genKeys = []string{
	"usage", "choices", "object", "model", "type", "message", "error", "error_code", "error_msg",
	"code", "msg", "Message", "status", "response", "request_id", "result", "is_end", "output",
	"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details", "cached_tokens",
	"completion_tokens_details", "reasoning_tokens", "prompt_cache_hit_tokens",
	"cache_creation_input_tokens", "cache_write_tokens", "input_tokens", "output_tokens",
	"input_tokens_details", "output_tokens_details", "cache_read_input_tokens", "cache_creation",
	"ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens", "usageMetadata", "candidates",
	"modelVersion", "promptTokenCount", "candidatesTokenCount", "totalTokenCount",
	"thoughtsTokenCount", "cachedContentTokenCount", "done", "created_at", "prompt_eval_count",
	"eval_count", "metadata", "inputTokens", "outputTokens", "totalTokens", "stopReason",
	"throttlingException", "chunk", "bytes", "delta", "index", "x", "ü", `us\u0061ge`, `pr\u006fmpt_tokens`,
}

// genStrings are string values (JSON text, between the quotes).
var genStrings = []string{
	"chat.completion", "chat.completion.chunk", "response", "message", "message_start",
	"message_delta", "message_stop", "error", "response.completed", "response.failed",
	"response.output_text.delta", "failed", "gpt-4o", "模型", `succ\u0065ss`, "success", "0", "200",
	"", "12", `\u0031\u0032`, "\xff", "Exception", `a\"b`, "eyJ0eXBlIjoibWVzc2FnZSIsInVzYWdlIjp7ImlucHV0X3Rva2VucyI6MX19",
}

// genNumbers are number texts, some of them not counts. Text that is not
// JSON comes from doc's damage.
var genNumbers = []string{"0", "1", "7", "42", "1000", "-1", "1.5", "1e3", "-0", "12.0", "1E+2",
	"9223372036854775807", "9223372036854775808"}

// ws returns JSON white space, usually none.
func (g generator) ws() string {
	if g.r.IntN(4) > 0 {
		return ""
	}
	return []string{" ", "\n  ", "\t", "\r\n"}[g.r.IntN(4)]
}

// value returns a random JSON value nested at most depth levels.
func (g generator) value(depth int) string {
	switch k := g.r.IntN(10); {
	case k < 3 && depth > 0:
		return g.object(depth - 1)
	case k < 4 && depth > 0:
		return g.array(depth - 1)
	case k < 6:
		return `"` + genStrings[g.r.IntN(len(genStrings))] + `"`
	case k < 9:
		return genNumbers[g.r.IntN(len(genNumbers))]
	}
	return []string{"true", "false", "null"}[g.r.IntN(3)]
}

// object returns a random object of random members.
func (g generator) object(depth int) string {
	var b strings.Builder
	b.WriteString("{" + g.ws())
	for i := range g.r.IntN(7) {
		if i > 0 {
			b.WriteString("," + g.ws())
		}
		b.WriteString(`"` + genKeys[g.r.IntN(len(genKeys))] + `"` + g.ws() + ":" + g.ws() + g.value(depth) + g.ws())
	}
	b.WriteString("}")
	return b.String()
}

// array returns a random array.
func (g generator) array(depth int) string {
	parts := make([]string, g.r.IntN(4))
	for i := range parts {
		parts[i] = g.ws() + g.value(depth) + g.ws()
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// count returns a token count's value: mostly a small integer, sometimes
// null, a digit string or something that is not a count.
func (g generator) count() string {
	switch g.r.IntN(12) {
	case 0:
		return "null"
	case 1:
		return `"` + strconv.Itoa(g.r.IntN(100)) + `"`
	case 2:
		return genNumbers[g.r.IntN(len(genNumbers))]
	}
	return strconv.Itoa(g.r.IntN(3000))
}

// pick returns one of vs.
func (g generator) pick(vs ...string) string { return vs[g.r.IntN(len(vs))] }

// obj returns an object of the members given as key, value pairs (values
// are JSON text): each kept most of the time, sometimes repeated with
// another value, in a shuffled order, with now and then a random member.
func (g generator) obj(kv ...string) string {
	var members []string
	for i := 0; i+1 < len(kv); i += 2 {
		if g.r.IntN(8) == 0 {
			continue
		}
		members = append(members, `"`+kv[i]+`"`+g.ws()+":"+g.ws()+kv[i+1])
		if g.r.IntN(10) == 0 {
			members = append(members, `"`+kv[i]+`":`+g.pick("null", g.count(), g.value(1)))
		}
	}
	if g.r.IntN(4) == 0 {
		members = append(members, `"`+genKeys[g.r.IntN(len(genKeys))]+`":`+g.value(2))
	}
	g.r.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	return "{" + g.ws() + strings.Join(members, ","+g.ws()) + g.ws() + "}"
}

// Usage families: which vendor format a usage object follows.
const (
	familyChat = iota
	familyMessages
	familyResponses
	familyGemini
	familyConverse
	families
)

// usage returns a usage object, of family three times in four, else of
// another family.
func (g generator) usage(family int) string {
	if g.r.IntN(4) == 0 {
		family = g.r.IntN(families)
	}
	switch family {
	case familyChat:
		return g.obj("prompt_tokens", g.count(), "completion_tokens", g.count(), "total_tokens", g.count(),
			"prompt_tokens_details", g.obj("cached_tokens", g.count(), "cache_creation_input_tokens", g.count()),
			"completion_tokens_details", g.obj("reasoning_tokens", g.count()),
			"prompt_cache_hit_tokens", g.count(), "cached_tokens", g.count())
	case familyMessages:
		return g.obj("input_tokens", g.count(), "output_tokens", g.count(), "cache_read_input_tokens", g.count(),
			"cache_creation_input_tokens", g.count(),
			"cache_creation", g.obj("ephemeral_5m_input_tokens", g.count(), "ephemeral_1h_input_tokens", g.count()))
	case familyResponses:
		return g.obj("input_tokens", g.count(), "output_tokens", g.count(), "total_tokens", g.count(),
			"input_tokens_details", g.obj("cached_tokens", g.count()),
			"output_tokens_details", g.obj("reasoning_tokens", g.count()))
	case familyGemini:
		return g.obj("promptTokenCount", g.count(), "candidatesTokenCount", g.count(), "totalTokenCount", g.count(),
			"thoughtsTokenCount", g.count(), "cachedContentTokenCount", g.count())
	}
	return g.obj("inputTokens", g.count(), "outputTokens", g.count(), "totalTokens", g.count(),
		"cacheReadInputTokens", g.count())
}

// A scenario is one vendor format: the providers that read it, and its
// documents.
type scenario struct {
	providers []string
	doc       func(g generator) string
}

// scenarios are the vendor formats bodies are built in.
var scenarios = []scenario{
	{[]string{"openai", "azure", "deepseek", "doubao", "wenxin", "moonshot", "zhipu", "openai_compatible", "qwen", "mistral", "gemini", "ollama"},
		func(g generator) string {
			return g.obj("object", `"`+g.pick("chat.completion", "chat.completion.chunk")+`"`, "model", g.model(),
				"choices", g.pick("[]", "null", "["+g.obj("index", "0", "usage", g.usage(familyChat))+"]"),
				"usage", g.pick("null", g.usage(familyChat), g.usage(familyChat)))
		}},
	{[]string{"anthropic", "bedrock", "deepseek", "moonshot", "zhipu"},
		func(g generator) string {
			if g.r.IntN(2) == 0 {
				return g.obj("type", `"message_start"`, "message", g.obj("model", g.model(), "usage", g.usage(familyMessages)))
			}
			return g.obj("type", `"`+g.pick("message_delta", "message_delta", "message", "ping")+`"`,
				"usage", g.usage(familyMessages), "model", g.model())
		}},
	{[]string{"openai", "azure", "doubao", "qwen", "openai_compatible"},
		func(g generator) string {
			return g.obj("type", `"`+g.pick("response.completed", "response.failed", "response.output_text.delta")+`"`,
				"response", g.obj("object", `"response"`, "model", g.model(), "status", `"failed"`,
					"usage", g.usage(familyResponses), "error", g.value(1)))
		}},
	{[]string{"gemini"},
		func(g generator) string {
			return g.obj("candidates", "[]", "usageMetadata", g.usage(familyGemini), "modelVersion", g.model())
		}},
	{[]string{"qwen"},
		func(g generator) string {
			return g.obj("output", g.pick("{}", "[]"), "usage", g.usage(familyResponses), "request_id", `"r"`,
				"choices", g.pick("null", "[]"))
		}},
	{[]string{"wenxin"},
		func(g generator) string {
			return g.obj("result", `"x"`, "is_end", "true", "usage", g.usage(familyChat),
				"error_code", g.pick("0", "110", `"0"`))
		}},
	{[]string{"ollama"},
		func(g generator) string {
			return g.obj("done", "true", "model", g.model(), "prompt_eval_count", g.count(), "eval_count", g.count(),
				"created_at", `"t"`)
		}},
	{[]string{"bedrock"},
		func(g generator) string {
			return g.obj("metadata", g.obj("usage", g.usage(familyConverse)), "stopReason", `"end_turn"`,
				"usage", g.usage(familyConverse))
		}},
}

// model returns a model value, now and then one that needs decoding.
func (g generator) model() string {
	return `"` + g.pick("gpt-4o", "claude-sonnet-4", "gemini-2.5-pro", `gpt\u002d4o`, "模型", "\xff") + `"`
}

// errorDoc returns one of the shapes of a vendor error, or something close.
func (g generator) errorDoc() string {
	return g.obj("error", g.pick(g.obj("message", `"m"`, "code", g.pick("0", `"200"`, "401")), `"boom"`, "true", "null", "{}"),
		"code", g.pick(`"Throttling"`, "0"), "message", `"rate"`, "throttlingException", g.obj("message", `"slow"`))
}

// doc returns a top-level object: mostly the scenario's, sometimes an error
// or random; now and then damaged.
func (g generator) doc(sc scenario) string {
	var d string
	switch k := g.r.IntN(10); {
	case k < 7:
		d = sc.doc(g)
	case k < 8:
		d = g.errorDoc()
	default:
		d = g.object(4)
	}
	switch g.r.IntN(20) {
	case 0:
		return d[:g.r.IntN(len(d)+1)]
	case 1:
		i := g.r.IntN(len(d) + 1)
		return d[:i] + string([]byte{byte(g.r.IntN(256))}) + d[i:]
	}
	return d
}

// body returns a provider and a response body in one of the scenarios: one
// document, an SSE stream, NDJSON or a JSON array of documents, sometimes
// after a BOM or cut short. The provider is one that reads the scenario,
// or any.
func (g generator) body() (provider, body string) {
	sc := scenarios[g.r.IntN(len(scenarios))]
	provider = sc.providers[g.r.IntN(len(sc.providers))]
	if g.r.IntN(5) == 0 {
		all := append(Providers(), "mistral")
		provider = all[g.r.IntN(len(all))]
	}
	var b strings.Builder
	if g.r.IntN(20) == 0 {
		b.WriteString(bom)
	}
	events := []string{"", "", "message_start", "message_delta", "error", "ping", "response.completed"}
	switch g.r.IntN(4) {
	case 0:
		b.WriteString(g.ws() + g.doc(sc) + g.ws())
	case 1:
		for range 1 + g.r.IntN(5) {
			if e := events[g.r.IntN(len(events))]; e != "" {
				b.WriteString("event: " + e + "\n")
			}
			b.WriteString("data: " + g.doc(sc) + "\n\n")
		}
		if g.r.IntN(2) == 0 {
			b.WriteString("data: [DONE]\n\n")
		}
	case 2:
		for range 1 + g.r.IntN(4) {
			b.WriteString(g.doc(sc) + "\n")
		}
	case 3:
		docs := make([]string, 1+g.r.IntN(3))
		for i := range docs {
			docs[i] = g.doc(sc)
		}
		b.WriteString("[" + strings.Join(docs, ","+g.ws()) + "]")
	}
	body = b.String()
	if g.r.IntN(20) == 0 {
		body = body[:g.r.IntN(len(body)+1)]
	}
	return provider, body
}
