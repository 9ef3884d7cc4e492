package parse_test

import (
	"fmt"

	"github.com/harborai/ingest/pkg/parse"
)

func ExampleParse() {
	// An Anthropic stream: message_start, then message_delta overwriting its
	// usage field by field. input_tokens excludes the cache read.
	body := []byte(`event: message_start
data: {"type":"message_start","message":{"model":"claude-sonnet-4-20250514","usage":{"input_tokens":472,"cache_read_input_tokens":2048,"output_tokens":2}}}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":89}}

event: message_stop
data: {"type":"message_stop"}
`)
	u := parse.Parse("claude", body)
	fmt.Println(u.Provider, u.Method)
	fmt.Println(*u.PromptTokens, *u.CompletionTokens, *u.TotalTokens, *u.CachedTokens, u.Consistency)
	// Output:
	// anthropic anthropic.messages.stream
	// 2520 89 2609 2048 consistent
}

func ExampleCanonicalProvider() {
	for _, name := range []string{"ark", "qianfan", "kimi", "Azure-OpenAI", "mistral"} {
		canonical, known := parse.CanonicalProvider(name)
		fmt.Println(name, canonical, known)
	}
	// Output:
	// ark doubao true
	// qianfan wenxin true
	// kimi moonshot true
	// Azure-OpenAI azure true
	// mistral mistral false
}
