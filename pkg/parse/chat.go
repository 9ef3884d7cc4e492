package parse

import "strings"

// chatSpec describes one vendor's Chat Completions responses.
type chatSpec struct {
	// format names the format in Usage.Method ("chat" unless the vendor has
	// more than one chat API, e.g. Qianfan v2).
	format string
	// count turns the vendor's usage object into counters.
	count func(object) counts
	// choiceUsage: the usage may sit in choices[i].usage instead of at the
	// top level (Kimi's streams).
	choiceUsage bool
}

// readChat reads the Chat Completions format shared by OpenAI and most
// vendors (https://platform.openai.com/docs/api-reference/chat/object): a
// chat.completion object, or a chat.completion.chunk stream whose chunks
// carry "usage": null, no usage, or the usage.
func readChat(d doc, spec chatSpec) (reading, bool) {
	o := d.obj
	u, hasUsage := o.object("usage")
	if hasUsage && !isChatUsage(u) {
		hasUsage = false
	}
	recognised := hasUsage || o.has("choices") || strings.HasPrefix(o.str("object"), "chat.completion")
	if !recognised {
		return reading{}, false
	}
	if !hasUsage && spec.choiceUsage {
		u, hasUsage = choiceUsage(o)
	}
	r := reading{format: spec.format, model: o.str("model"), count: spec.count}
	return r.withUsage(u, hasUsage), true
}

// isChatUsage reports whether u has a Chat Completions counter.
func isChatUsage(u object) bool {
	return u.hasAny("prompt_tokens", "completion_tokens", "total_tokens")
}

// choiceUsage returns the first usage object found in choices[i].usage.
func choiceUsage(o object) (object, bool) {
	for _, c := range o.array("choices") {
		choice, ok := decodeObject(c)
		if !ok {
			continue
		}
		if u, ok := choice.object("usage"); ok && isChatUsage(u) {
			return u, true
		}
	}
	return object{}, false
}

// chatCounts reads the OpenAI Chat Completions usage object: prompt_tokens
// includes prompt_tokens_details.cached_tokens (cache reads), completion_tokens
// includes completion_tokens_details.reasoning_tokens; no cache writes are
// reported.
func chatCounts(u object) counts {
	return counts{
		prompt:     u.count("prompt_tokens"),
		completion: u.count("completion_tokens"),
		total:      u.count("total_tokens"),
		cached:     u.path("prompt_tokens_details", "cached_tokens"),
		reasoning:  u.path("completion_tokens_details", "reasoning_tokens"),
	}
}
