package emulator

import (
	"encoding/json"
	"net/http"
)

// This file is Baidu Qianfan's v1 ERNIE API
// (POST {base}/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/{endpoint}). The
// reply text is "result"; usage has prompt_tokens, completion_tokens and
// total_tokens only (no cache or reasoning counts). Every error is an
// error_code/error_msg object with HTTP 200. A stream is data: lines with
// sentence_id and is_end; each carries usage, with completion_tokens 0
// until the last (is_end: true), which has the full counts. The v2 API
// (wenxin) is OpenAI-compatible and lives in dialects.go.

type qianfanRequest struct {
	Stream   bool            `json:"stream"`
	Messages json.RawMessage `json:"messages"`
	System   json.RawMessage `json:"system"`
}

type qianfanReply struct {
	ID               string        `json:"id"`
	Object           string        `json:"object"`
	Created          int64         `json:"created"`
	SentenceID       *int          `json:"sentence_id,omitempty"`
	IsEnd            *bool         `json:"is_end,omitempty"`
	IsTruncated      bool          `json:"is_truncated"`
	Result           string        `json:"result"`
	NeedClearHistory bool          `json:"need_clear_history"`
	FinishReason     string        `json:"finish_reason"`
	Usage            *qianfanUsage `json:"usage,omitempty"`
}

type qianfanUsage struct {
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
}

func qianfanV1() *vendor {
	const path = "/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/"
	return &vendor{
		name:     "wenxin_v1",
		base:     "/wenxin_v1",
		routes:   []string{"POST /wenxin_v1" + path + "{endpoint}"},
		idHeader: "X-Bce-Request-Id",
		endpoint: func(base, model string, _ bool) string { return base + path + model },
		decode:   decodeQianfan,
		reply:    func(c *call) any { return qianfanChunk(c, randomID("as-", 10), c.text(), -1, true) },
		stream:   qianfanStream,
		failure:  qianfanFailure,
		status:   func(errKind) int { return http.StatusOK },
	}
}

func decodeQianfan(r *http.Request, body []byte) (*call, error) {
	var req qianfanRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, err
	}
	return &call{model: r.PathValue("endpoint"), stream: req.Stream, inputBytes: len(req.Messages) + len(req.System)}, nil
}

// qianfanChunk is the reply (sentence < 0) or stream chunk number sentence.
func qianfanChunk(c *call, id, text string, sentence int, last bool) qianfanReply {
	out := qianfanReply{
		ID: id, Object: "chat.completion", Created: c.created.Unix(), Result: text, FinishReason: "normal",
	}
	if sentence >= 0 {
		out.SentenceID, out.IsEnd = &sentence, &last
	}
	if !c.omitUsage {
		u := qianfanUsage{PromptTokens: c.usage.Prompt, TotalTokens: c.usage.Prompt}
		if last {
			u.CompletionTokens, u.TotalTokens = c.usage.Completion, c.usage.Total()
		}
		out.Usage = &u
	}
	return out
}

func qianfanStream(s *stream, c *call) {
	s.start("text/event-stream;charset=utf-8")
	id := randomID("as-", 10)
	for i, p := range c.pieces {
		if !s.step(i) {
			return
		}
		s.data(qianfanChunk(c, id, p, i, i == len(c.pieces)-1))
	}
	if s.step(len(c.pieces)) {
		s.flush()
	}
}

// qianfanFailure: rate limits are error 18 (QPS), server errors 336000 and
// invalid requests 336003; http200 is the server error, as Qianfan v1 sends
// every error with HTTP 200.
func qianfanFailure(k errKind) any {
	code, msg := 336000, "Internal error"
	switch k {
	case errRateLimit:
		code, msg = 18, "Open api qps request limit reached"
	case errInvalid:
		code, msg = 336003, "Invalid params: messages"
	}
	return map[string]any{"error_code": code, "error_msg": msg}
}
