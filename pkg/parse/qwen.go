package parse

// qwen reads Alibaba Cloud Model Studio (DashScope, Tongyi Qianwen) in its
// native API and its OpenAI-compatible mode.
//
// Native, /api/v1/services/aigc/text-generation/generation
// (https://help.aliyun.com/zh/model-studio/use-qwen-by-calling-api): usage has
// input_tokens, output_tokens, total_tokens; input_tokens includes
// prompt_tokens_details.cached_tokens (cache reads) and
// prompt_tokens_details.cache_creation_input_tokens (explicit cache writes);
// output_tokens includes output_tokens_details.reasoning_tokens. Streams
// (X-DashScope-SSE: enable) send "data:" events, with ":HTTP_STATUS/200"
// comment lines, whose usage is a running total in every event. Errors are
// bare {"code": "...", "message": "...", "request_id": "..."} objects, in a
// stream as "event:error".
//
// Compatible mode, /compatible-mode/v1 (https://help.aliyun.com/zh/model-studio/compatibility-of-openai-with-dashscope):
// Chat Completions with OpenAI's counters, plus the cache write in
// prompt_tokens_details.cache_creation_input_tokens; streams report usage
// once, in a last chunk with "choices": [] when stream_options.include_usage
// is set. The Responses API is read as OpenAI's.
type qwen struct{}

func (qwen) name() string { return "qwen" }
func (qwen) aliases() []string {
	return []string{"dashscope", "tongyi", "qianwen", "tongyi_qianwen", "aliyun", "alibaba", "bailian", "model_studio"}
}

func (qwen) read(d doc) (reading, bool) {
	if r, ok := readResponses(d); ok {
		return r, true
	}
	if r, ok := readDashScope(d); ok {
		return r, true
	}
	return readChat(d, chatSpec{format: "compatible", count: qwenChatCounts})
}

// readDashScope recognises a native DashScope response: "output" is an
// object (the Responses API's is an array) beside usage and request_id.
func readDashScope(d doc) (reading, bool) {
	o := d.obj
	_, native := o.object("output")
	if !native {
		u, ok := o.object("usage")
		native = ok && o.has("request_id") && !o.has("choices") && u.hasAny("input_tokens", "output_tokens")
	}
	if !native {
		return reading{}, false
	}
	r := reading{format: "native", count: dashScopeCounts}
	return r.withUsage(o.object("usage")), true
}

func dashScopeCounts(u object) counts {
	return counts{
		prompt:     u.count("input_tokens"),
		completion: u.count("output_tokens"),
		total:      u.count("total_tokens"),
		cached:     first(u.path("prompt_tokens_details", "cached_tokens"), u.path("input_tokens_details", "cached_tokens")),
		reasoning:  u.path("output_tokens_details", "reasoning_tokens"),
		cacheWrite: u.path("prompt_tokens_details", "cache_creation_input_tokens"),
	}
}

func qwenChatCounts(u object) counts {
	c := chatCounts(u)
	c.cacheWrite = u.path("prompt_tokens_details", "cache_creation_input_tokens")
	return c
}
