package parse

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
type compatible struct{}

func (compatible) name() string { return "openai_compatible" }
func (compatible) aliases() []string {
	return []string{"compatible", "openai_compat", "oai_compatible", "openai_like"}
}

func (compatible) read(d doc) (reading, bool) {
	if r, ok := readResponses(d); ok {
		return r, true
	}
	return readChat(d, chatSpec{format: "chat", count: compatibleCounts, choiceUsage: true})
}

func compatibleCounts(u object) counts {
	c := chatCounts(u)
	c.cached = first(c.cached, u.count("prompt_cache_hit_tokens"), u.count("cached_tokens"))
	c.cacheWrite = first(
		u.path("prompt_tokens_details", "cache_creation_input_tokens"),
		u.path("prompt_tokens_details", "cache_write_tokens"),
	)
	return c
}
