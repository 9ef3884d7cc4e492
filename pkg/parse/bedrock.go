package parse

import "encoding/base64"

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
type bedrock struct{}

func (bedrock) name() string { return "bedrock" }
func (bedrock) aliases() []string {
	return []string{"aws_bedrock", "amazon_bedrock", "bedrock_anthropic", "bedrock_converse"}
}

func (bedrock) read(d doc) (reading, bool) {
	if inner, ok := invokeChunk(d); ok {
		d = inner
	}
	if r, ok := readMessages(d); ok {
		return r, true
	}
	return readConverse(d)
}

// invokeChunk decodes an InvokeModelWithResponseStream payload chunk,
// {"chunk": {"bytes": base64}} or {"bytes": base64}, into the event it carries.
func invokeChunk(d doc) (doc, bool) {
	o := d.obj
	if c, ok := o.object("chunk"); ok {
		o = c
	}
	b64 := o.str("bytes")
	if b64 == "" {
		return doc{}, false
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return doc{}, false
	}
	inner, ok := decodeObject(raw)
	if !ok {
		return doc{}, false
	}
	return doc{event: d.event, obj: inner, ok: true}, true
}

// readConverse recognises a Converse response ({"output", "stopReason",
// "usage", "metrics"}) or a ConverseStream metadata event ({"metadata":
// {"usage", "metrics"}}, possibly without its wrapper).
func readConverse(d doc) (reading, bool) {
	o := d.obj
	if m, ok := o.object("metadata"); ok && m.has("usage") {
		o = m
	}
	u, ok := o.object("usage")
	if !ok || !u.hasAny("inputTokens", "outputTokens", "totalTokens") {
		if o.has("stopReason") || o.has("output") {
			return reading{format: "converse", count: converseCounts}, true
		}
		return reading{}, false
	}
	r := reading{format: "converse", count: converseCounts}
	return r.withUsage(u, true), true
}

func converseCounts(u object) counts {
	read := u.count("cacheReadInputTokens")
	write := u.count("cacheWriteInputTokens")
	var prompt *int64
	if in := u.count("inputTokens"); in != nil {
		prompt = sum(in, orZero(read), orZero(write))
	}
	return counts{
		prompt:     prompt,
		completion: u.count("outputTokens"),
		total:      u.count("totalTokens"),
		cached:     read,
		cacheWrite: write,
	}
}
