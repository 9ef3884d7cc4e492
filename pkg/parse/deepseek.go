package parse

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
type deepSeek struct{}

func (deepSeek) name() string      { return "deepseek" }
func (deepSeek) aliases() []string { return nil }

func (deepSeek) read(d doc) (reading, bool) {
	if r, ok := readMessages(d); ok {
		return r, true
	}
	return readChat(d, chatSpec{format: "chat", count: deepSeekCounts})
}

func deepSeekCounts(u object) counts {
	c := chatCounts(u)
	c.cached = first(u.count("prompt_cache_hit_tokens"), c.cached)
	return c
}
