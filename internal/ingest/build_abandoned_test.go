package ingest_test

import (
	"strings"
	"testing"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/pkg/event"
)

// truncJoin is the Transport's truncatedBody: the head of a body over limit
// joined by "\n" to its tail from the first whole line.
func truncJoin(body string, limit int) string {
	if len(body) <= limit {
		return body
	}
	keep := min(64<<10, limit/4)
	t := body[len(body)-min(keep, len(body)):]
	if i := strings.IndexByte(t, '\n'); i >= 0 {
		t = t[i+1:]
	}
	return body[:max(0, limit-len(t)-1)] + "\n" + t
}

// TestBuildAbandonedWithoutErrorStaysAbandoned: a stream (or JSON body)
// the application stopped reading, cut at every byte and truncated at
// every limit, whose text talks about errors (content, tool arguments, an
// "error" key inside a delta), is stored abandoned, not error.
func TestBuildAbandonedWithoutErrorStaysAbandoned(t *testing.T) {
	bodies := []struct{ provider, body string }{
		{"openai", "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"event: error\\ndata: {\\\"error\\\":{\\\"message\\\":\\\"x\\\"}}\"}}]}\n\n" +
			"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"error\",\"error\":{\"message\":\"in a delta\"}}}]}\n\n" +
			"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"type\\\":\\\"error\\\",\\\"message\\\":\\\"m\\\"}\"}}]}}],\"error\":null}\n\n" +
			"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5},\"error\":null}\n\ndata: [DONE]\n\n"},
		{"anthropic", "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"claude-haiku-4-5\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n" +
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"event: error\\n{\\\"type\\\":\\\"error\\\"}\"}}\n\n" +
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"error\\\": \\\"x\\\", \\\"message\\\": \\\"y\\\"}\"}}\n\n" +
			"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":9}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"},
		{"openai", "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r\",\"object\":\"response\",\"status\":\"in_progress\",\"error\":null}}\n\n" +
			"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"i\",\"delta\":\"error: failed\"}\n\n" +
			"event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\",\"object\":\"response\",\"status\":\"completed\",\"error\":null,\"usage\":{\"input_tokens\":3,\"output_tokens\":2,\"total_tokens\":5}}}\n\n"},
		{"gemini", "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":{\"error\":{\"message\":\"x\"}}}}],\"role\":\"model\"}}],\"modelVersion\":\"gemini-2.0-flash\"}\r\n\r\n" +
			"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"error\"}],\"role\":\"model\"},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":2,\"totalTokenCount\":5},\"modelVersion\":\"gemini-2.0-flash\"}\r\n\r\n"},
		{"gemini", "[{\n  \"candidates\": [\n    {\n      \"content\": {\n        \"parts\": [\n          {\n            \"text\": \"{\\\"error\\\": \\\"x\\\"}\"\n          }\n        ],\n        \"role\": \"model\"\n      }\n    }\n  ],\n  \"modelVersion\": \"gemini-2.0-flash\"\n}\n,\r\n{\n  \"candidates\": [{\"content\": {\"parts\": [{\"text\": \"error\"}], \"role\": \"model\"}, \"finishReason\": \"STOP\"}],\n  \"usageMetadata\": {\"promptTokenCount\": 3, \"candidatesTokenCount\": 2, \"totalTokenCount\": 5}\n}\n]"},
		{"wenxin", "data: {\"id\":\"as-1\",\"object\":\"chat.completion\",\"created\":1,\"sentence_id\":0,\"is_end\":false,\"is_truncated\":false,\"result\":\"error_code: 110\",\"need_clear_history\":false,\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n" +
			"data: {\"id\":\"as-1\",\"object\":\"chat.completion\",\"created\":1,\"sentence_id\":1,\"is_end\":true,\"is_truncated\":false,\"result\":\"error\",\"need_clear_history\":false,\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n"},
		{"qwen", "id:1\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"code: Throttling, message: error\",\"role\":\"assistant\"},\"finish_reason\":\"null\"}]},\"usage\":{\"input_tokens\":3,\"output_tokens\":1,\"total_tokens\":4},\"request_id\":\"r\"}\n\n" +
			"id:2\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"error\",\"role\":\"assistant\"},\"finish_reason\":\"stop\"}]},\"usage\":{\"input_tokens\":3,\"output_tokens\":2,\"total_tokens\":5},\"request_id\":\"r\"}\n\n"},
		{"ollama", "{\"model\":\"llama3\",\"created_at\":\"t\",\"message\":{\"role\":\"assistant\",\"content\":\"{\\\"error\\\":\\\"x\\\"}\"},\"done\":false}\n" +
			"{\"model\":\"llama3\",\"created_at\":\"t\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"prompt_eval_count\":3,\"eval_count\":2}\n"},
		{"openai", "{\n  \"id\": \"c\",\n  \"object\": \"chat.completion\",\n  \"choices\": [\n    {\n      \"index\": 0,\n      \"message\": {\n        \"role\": \"assistant\",\n        \"content\": \"{\\\"error\\\": {\\\"message\\\": \\\"x\\\"}}\"\n      },\n      \"finish_reason\": \"stop\"\n    }\n  ],\n  \"usage\": {\"prompt_tokens\": 3, \"completion_tokens\": 2, \"total_tokens\": 5}\n}\n"},
	}
	pricer := newPricer(t, nil)
	bad := 0
	for _, b := range bodies {
		var variants []string
		for i := 0; i <= len(b.body); i++ {
			variants = append(variants, b.body[:i])
			if i >= 8 {
				variants = append(variants, truncJoin(b.body, i))
			}
		}
		for _, body := range variants {
			ev := baseEvent(event.KindResponse)
			ev.Provider, ev.Stream = b.provider, true
			ev.Response.Status, ev.Response.Body = event.StatusAbandoned, body
			if c := ingest.Build(ev, pricer, ingest.BuildOptions{}); c.Status != event.StatusAbandoned {
				if bad++; bad < 10 {
					t.Errorf("%s body %q stored %s/%s %q, want abandoned", b.provider, body, c.Status, c.ErrorType, c.ErrorMessage)
				}
			}
		}
	}
}
