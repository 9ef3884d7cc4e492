package parse

// azure reads Azure OpenAI: the Chat Completions and Responses formats with
// OpenAI's counters (https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference):
// prompt_tokens includes prompt_tokens_details.cached_tokens, completion_tokens
// includes completion_tokens_details.reasoning_tokens, no cache writes.
//
// Streams: the first chunk has "choices": [] and only prompt_filter_results,
// an empty id and model: it is not the usage chunk. With
// stream_options.include_usage the usage comes once, in a later chunk that
// also has "choices": [].
type azure struct{}

func (azure) name() string { return "azure" }
func (azure) aliases() []string {
	return []string{"azure_openai", "azureopenai", "azure_ai", "azure_ai_foundry"}
}

func (azure) read(d doc) (reading, bool) {
	if r, ok := readResponses(d); ok {
		return r, true
	}
	return readChat(d, chatSpec{format: "chat", count: chatCounts})
}
