package parse

// openAI reads OpenAI's Chat Completions and Responses APIs.
//
// Counters (https://platform.openai.com/docs/api-reference/chat/object,
// https://platform.openai.com/docs/api-reference/responses/object):
//   - prompt_tokens / input_tokens include the cache reads,
//     prompt_tokens_details.cached_tokens / input_tokens_details.cached_tokens;
//     OpenAI reports no cache writes.
//   - completion_tokens / output_tokens include the reasoning tokens,
//     completion_tokens_details.reasoning_tokens /
//     output_tokens_details.reasoning_tokens.
//
// Streams: Chat Completions chunks carry "usage": null, and with
// stream_options.include_usage one last chunk with "choices": [] carries the
// usage; without it there is no usage at all. The Responses API reports usage
// once, in response.completed (or response.incomplete, response.failed).
type openAI struct{}

func (openAI) name() string      { return "openai" }
func (openAI) aliases() []string { return []string{"chatgpt", "openai_chat", "openai_responses"} }

func (openAI) read(d doc) (reading, bool) {
	if r, ok := readResponses(d); ok {
		return r, true
	}
	return readChat(d, chatSpec{format: "chat", count: chatCounts})
}
