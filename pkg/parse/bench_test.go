package parse

import (
	"fmt"
	"strings"
	"testing"
)

// benchOpenAIChat is a realistic OpenAI chat completion (~1.5 KB): mixed
// English and Chinese content, and the usage object with both details
// objects, as gpt-4o sends it.
const benchOpenAIChat = `{
  "id": "chatcmpl-BtW3xQ9kLmN2pR7sT4vU8wY1zA5bC",
  "object": "chat.completion",
  "created": 1752051200,
  "model": "gpt-4o-2024-08-06",
  "choices": [
    {
      "index": 0,
      "message": {
        "role": "assistant",
        "content": "Sure! Here is a short summary of the quarterly report.\n\n**English:** Revenue grew 12% year over year, driven by the cloud segment; operating margin improved to 23%, and the company raised its full-year guidance.\n\n**中文：** 本季度营收同比增长12%，主要由云业务带动；营业利润率提升至23%，公司上调了全年业绩指引。管理层表示，将继续加大在人工智能基础设施方面的投入，同时控制运营成本。\n\nLet me know if you would like a more detailed breakdown by region (按地区细分) or by product line.",
        "refusal": null,
        "annotations": []
      },
      "logprobs": null,
      "finish_reason": "stop"
    }
  ],
  "usage": {
    "prompt_tokens": 1117,
    "completion_tokens": 146,
    "total_tokens": 1263,
    "prompt_tokens_details": {
      "cached_tokens": 1024,
      "audio_tokens": 0
    },
    "completion_tokens_details": {
      "reasoning_tokens": 0,
      "audio_tokens": 0,
      "accepted_prediction_tokens": 0,
      "rejected_prediction_tokens": 0
    }
  },
  "service_tier": "default",
  "system_fingerprint": "fp_a7d06e42a7"
}`

// benchAnthropicMessage is an Anthropic Messages response with prompt
// caching.
const benchAnthropicMessage = `{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[{"type":"text","text":"Here is the translation you asked for. 这是您要求的翻译：\"数据管道在凌晨三点失败，因为上游服务返回了格式错误的响应。\" The pipeline failed at 3 a.m. because the upstream service returned a malformed response. I kept the technical terms in English where they are commonly used that way."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":2095,"cache_creation_input_tokens":1024,"cache_read_input_tokens":4096,"cache_creation":{"ephemeral_5m_input_tokens":1024,"ephemeral_1h_input_tokens":0},"output_tokens":503,"service_tier":"standard"}}`

// benchPieces are the content deltas of the benchmark streams.
var benchPieces = []string{
	"Sure", "!", " Here", " is", " the", " summary", ":", " 本季度", "营收", "同比",
	"增长", "12%", "，", " driven", " by", " cloud", "。", " Margin", " rose", " to 23%.",
}

// benchOpenAIStream is an OpenAI Chat Completions stream with
// stream_options.include_usage: a role chunk, one chunk per piece, a finish
// chunk, the usage chunk and [DONE].
func benchOpenAIStream() string {
	const head = `{"id":"chatcmpl-BtW3xQ9kLmN2pR7sT4vU8wY1zA5bC","object":"chat.completion.chunk","created":1752051200,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_a7d06e42a7","choices":[`
	var b strings.Builder
	chunk := func(choices, usage string) {
		fmt.Fprintf(&b, "data: %s%s],\"usage\":%s}\n\n", head, choices, usage)
	}
	chunk(`{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}`, "null")
	for _, p := range benchPieces {
		chunk(`{"index":0,"delta":{"content":"`+p+`"},"logprobs":null,"finish_reason":null}`, "null")
	}
	chunk(`{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}`, "null")
	chunk(``, `{"prompt_tokens":1117,"completion_tokens":22,"total_tokens":1139,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`)
	b.WriteString("data: [DONE]\n\n")
	return b.String()
}

// benchAnthropicStream is an Anthropic Messages stream: message_start, a
// text block of one delta per piece, message_delta with the cumulative usage
// and message_stop.
func benchAnthropicStream() string {
	var b strings.Builder
	event := func(name, data string) {
		fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", name, data)
	}
	event("message_start", `{"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":2048,"output_tokens":2,"service_tier":"standard"}}}`)
	event("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	event("ping", `{"type": "ping"}`)
	for _, p := range benchPieces {
		event("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"`+p+`"}}`)
	}
	event("content_block_stop", `{"type":"content_block_stop","index":0}`)
	event("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":2048,"output_tokens":89}}`)
	event("message_stop", `{"type":"message_stop"}`)
	return b.String()
}

// BenchmarkParse measures Parse ("new") beside the implementation it
// replaced ("old", parseReference in reference_test.go) on typical bodies, in
// the same run so that a noisy machine affects both alike. Run with
//
//	go test -run='^$' -bench=BenchmarkParse -benchmem -count=5 ./pkg/parse
func BenchmarkParse(b *testing.B) {
	cases := []struct {
		name, provider, body string
	}{
		{"openai_chat", "openai", benchOpenAIChat},
		{"anthropic_message", "anthropic", benchAnthropicMessage},
		{"openai_stream", "openai", benchOpenAIStream()},
		{"anthropic_stream", "anthropic", benchAnthropicStream()},
	}
	impls := []struct {
		name  string
		parse func(string, []byte) Usage
	}{
		{"old", parseReference},
		{"new", Parse},
	}
	for _, c := range cases {
		body := []byte(c.body)
		if u := Parse(c.provider, body); u.UsageMissing {
			b.Fatalf("%s: no usage found in the benchmark body", c.name)
		}
		for _, impl := range impls {
			b.Run(c.name+"/"+impl.name, func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					impl.parse(c.provider, body)
				}
			})
		}
	}
}
