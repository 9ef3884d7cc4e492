package parse

// wenxin reads Baidu Qianfan (Wenxin, ERNIE) in both of its APIs.
//
// Qianfan v1, /rpc/2.0/ai_custom/v1/wenxinworkshop/chat/...
// (https://cloud.baidu.com/doc/WENXINWORKSHOP/s/jlil56u11): the answer is in
// "result", usage has prompt_tokens, completion_tokens and total_tokens only.
// Errors come with HTTP 200 as {"error_code": 110, "error_msg": "..."}
// (https://cloud.baidu.com/doc/WENXINWORKSHOP/s/tlmyncueh); vendorError
// catches them. Streams (chunks with sentence_id and is_end) carry the usage
// in every chunk: prompt_tokens and total_tokens are the call's so far, but
// completion_tokens may count only the chunk's sentence (the documented
// example sends 67 then 24 with totals 72 then 96), so a stream chunk's
// completion is total_tokens - prompt_tokens, complete in the chunk with
// "is_end": true.
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
	if o.hasAny("sentence_id", "is_end") {
		r.count = qianfanV1StreamCounts
	}
	return r.withUsage(o.object("usage")), true
}

// qianfanV1StreamCounts reads the usage of a v1 stream chunk: completion is
// total - prompt, the reported completion_tokens when either is missing or
// they contradict each other.
func qianfanV1StreamCounts(u object) counts {
	c := chatCounts(u)
	if c.prompt != nil && c.total != nil && *c.total >= *c.prompt {
		c.completion = ptr(*c.total - *c.prompt)
	}
	return c
}
