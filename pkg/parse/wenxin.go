package parse

// wenxin reads Baidu Qianfan (Wenxin, ERNIE) in both of its APIs.
//
// Qianfan v1, /rpc/2.0/ai_custom/v1/wenxinworkshop/chat/...
// (https://cloud.baidu.com/doc/WENXINWORKSHOP/s/jlil56u11): the answer is in
// "result", usage has prompt_tokens, completion_tokens and total_tokens only.
// Errors come with HTTP 200 as {"error_code": 110, "error_msg": "..."}
// (https://cloud.baidu.com/doc/WENXINWORKSHOP/s/tlmyncueh); vendorError
// catches them. Streams carry the usage in every chunk, prompt counted from
// the first chunk and completion as a running total, complete in the chunk
// with "is_end": true.
//
// Qianfan v2, /v2/chat/completions (https://cloud.baidu.com/doc/qianfan-api/s/3m7of64lb):
// Chat Completions with OpenAI's counters (prompt_tokens includes
// prompt_tokens_details.cached_tokens, completion_tokens includes
// completion_tokens_details.reasoning_tokens), errors as {"error": {...}}.
// No cache writes in either.
type wenxin struct{}

func (wenxin) name() string { return "wenxin" }
func (wenxin) aliases() []string {
	return []string{"qianfan", "ernie", "baidu", "wenxinworkshop", "ernie_bot", "yiyan", "baidu_qianfan"}
}

func (wenxin) read(d doc) (reading, bool) {
	if r, ok := readQianfanV1(d); ok {
		return r, true
	}
	return readChat(d, chatSpec{format: "qianfan_v2", count: chatCounts})
}

// readQianfanV1 recognises a Qianfan v1 response or stream chunk: no
// "choices", and v1's own members.
func readQianfanV1(d doc) (reading, bool) {
	o := d.obj
	if o.has("choices") {
		return reading{}, false
	}
	if !o.hasAny("result", "is_end", "sentence_id", "need_clear_history", "error_code", "ban_round") {
		return reading{}, false
	}
	r := reading{format: "qianfan_v1", count: chatCounts}
	return r.withUsage(o.object("usage")), true
}
