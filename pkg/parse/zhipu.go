package parse

// zhipu reads Zhipu AI (GLM): Chat Completions at /api/paas/v4
// (https://docs.bigmodel.cn/api-reference/模型-api/对话补全) and its
// Anthropic-compatible Messages endpoint. Counters as OpenAI's: prompt_tokens
// includes prompt_tokens_details.cached_tokens, completion_tokens includes
// completion_tokens_details.reasoning_tokens when sent; no cache writes.
//
// Streams: the usage comes once, in the last chunk (the one with a
// finish_reason), without any stream option.
type zhipu struct{}

func (zhipu) name() string { return "zhipu" }
func (zhipu) aliases() []string {
	return []string{"zhipuai", "glm", "bigmodel", "chatglm", "z_ai", "zai"}
}

func (zhipu) read(d doc) (reading, bool) {
	if r, ok := readMessages(d); ok {
		return r, true
	}
	return readChat(d, chatSpec{format: "chat", count: chatCounts})
}
