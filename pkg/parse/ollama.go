package parse

import "encoding/json"

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
type ollama struct{}

func (ollama) name() string      { return "ollama" }
func (ollama) aliases() []string { return nil }

func (ollama) read(d doc) (reading, bool) {
	if r, ok := readOllama(d); ok {
		return r, true
	}
	return readChat(d, chatSpec{format: "chat", count: chatCounts})
}

// ollamaCounters are the native API's counter fields.
func ollamaCounters() []string { return []string{"prompt_eval_count", "eval_count"} }

// readOllama recognises a native response line; its usage is an object of the
// counter fields as sent.
func readOllama(d doc) (reading, bool) {
	o := d.obj
	if o.has("choices") || o.has("object") || !o.hasAny("done", "created_at", "prompt_eval_count", "eval_count") {
		return reading{}, false
	}
	r := reading{format: "native", model: o.str("model"), count: ollamaCounts}
	fields := make(map[string]json.RawMessage)
	for _, k := range ollamaCounters() {
		if v, ok := o.lookup(k); ok && !isNull(v) {
			fields[k] = v
		}
	}
	if len(fields) == 0 {
		return r, true
	}
	raw, err := json.Marshal(fields)
	if err != nil {
		return r, true
	}
	return r.withUsage(object{raw: raw, fields: fields}, true), true
}

func ollamaCounts(u object) counts {
	return counts{
		prompt:     u.countOrZero("prompt_eval_count"),
		completion: u.countOrZero("eval_count"),
	}
}
