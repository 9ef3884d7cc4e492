package parse

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
type moonshot struct{}

func (moonshot) name() string      { return "moonshot" }
func (moonshot) aliases() []string { return []string{"kimi", "moonshotai", "moonshot_ai"} }

func (moonshot) read(d doc) (reading, bool) {
	if r, ok := readMessages(d); ok {
		return r, true
	}
	return readChat(d, chatSpec{format: "chat", count: moonshotCounts, choiceUsage: true})
}

func moonshotCounts(u object) counts {
	c := chatCounts(u)
	c.cached = first(u.count("cached_tokens"), c.cached)
	return c
}
