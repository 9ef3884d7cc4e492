package parse

// anthropic reads Anthropic's Messages API (https://docs.anthropic.com/en/api/messages),
// and the OpenAI SDK compatibility endpoint's Chat Completions, read as
// reported.
//
// Counters (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching):
//   - input_tokens EXCLUDES cache_read_input_tokens and
//     cache_creation_input_tokens, so prompt_tokens = input_tokens +
//     cache_read_input_tokens + cache_creation_input_tokens.
//   - cached = cache_read_input_tokens; cache write =
//     cache_creation_input_tokens (its TTL split in cache_creation is the same
//     quantity, taken once).
//   - output_tokens includes extended thinking, which is not reported apart:
//     reasoning_tokens stays null. No total: it is derived.
//
// Streams (https://docs.anthropic.com/en/docs/build-with-claude/streaming):
// message_start carries the first usage (output_tokens is 1 or so), then each
// message_delta's usage overwrites it field by field. Errors arrive as
// "event: error" with {"type": "error", "error": {...}}.
type anthropic struct{}

func (anthropic) name() string      { return "anthropic" }
func (anthropic) aliases() []string { return []string{"claude", "anthropic_messages"} }

func (anthropic) read(d doc) (reading, bool) {
	if r, ok := readMessages(d); ok {
		return r, true
	}
	return readChat(d, chatSpec{format: "chat", count: chatCounts})
}
