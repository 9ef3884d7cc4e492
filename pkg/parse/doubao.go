package parse

// doubao reads Volcengine Ark (Doubao): Chat Completions
// (https://www.volcengine.com/docs/82379/1494384) and the Responses API
// (https://www.volcengine.com/docs/82379/1569618), with OpenAI's counters:
// prompt_tokens includes prompt_tokens_details.cached_tokens (context cache
// hits), completion_tokens includes completion_tokens_details.reasoning_tokens
// (deep-thinking models); no cache writes are reported.
//
// Streams: with stream_options.include_usage the usage comes once, in a last
// chunk with "choices": []; other chunks carry none.
type doubao struct{}

func (doubao) name() string { return "doubao" }
func (doubao) aliases() []string {
	return []string{"ark", "volcengine", "volcengine_ark", "volcano", "volces", "bytedance"}
}

func (doubao) read(d doc) (reading, bool) {
	if r, ok := readResponses(d); ok {
		return r, true
	}
	return readChat(d, chatSpec{format: "chat", count: chatCounts})
}
