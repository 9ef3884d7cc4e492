package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// This file is Alibaba DashScope's native text generation API
// (POST {base}/services/aigc/text-generation/generation). usage has
// input_tokens (cached included, in prompt_tokens_details.cached_tokens when
// not zero) and output_tokens (reasoning included, in
// output_tokens_details.reasoning_tokens when not zero). The reply is
// output.text, or output.choices with parameters.result_format "message".
// With the header X-DashScope-SSE: enable it streams id:/event:result/
// :HTTP_STATUS/200/data: records with running usage totals, each holding
// the text so far unless parameters.incremental_output is true. The
// compatible mode (qwen) is OpenAI-compatible and lives in dialects.go.

type dashscopeRequest struct {
	Model      string          `json:"model"`
	Input      json.RawMessage `json:"input"`
	Parameters struct {
		ResultFormat      string `json:"result_format"`
		IncrementalOutput bool   `json:"incremental_output"`
	} `json:"parameters"`
}

type dashscopeReply struct {
	Output    dashscopeOutput `json:"output"`
	Usage     *dashscopeUsage `json:"usage,omitempty"`
	RequestID string          `json:"request_id"`
}

type dashscopeOutput struct {
	Text         *string           `json:"text,omitempty"`
	FinishReason string            `json:"finish_reason,omitempty"`
	Choices      []dashscopeChoice `json:"choices,omitempty"`
}

type dashscopeChoice struct {
	FinishReason string      `json:"finish_reason"`
	Message      chatMessage `json:"message"`
}

type dashscopeUsage struct {
	InputTokens         int64            `json:"input_tokens"`
	OutputTokens        int64            `json:"output_tokens"`
	TotalTokens         int64            `json:"total_tokens"`
	PromptTokensDetails map[string]int64 `json:"prompt_tokens_details,omitempty"`
	OutputTokensDetails map[string]int64 `json:"output_tokens_details,omitempty"`
}

func dashscope() *vendor {
	const path = "/services/aigc/text-generation/generation"
	return &vendor{
		name:     "qwen_native",
		base:     "/qwen/api/v1",
		routes:   []string{"POST /qwen/api/v1" + path},
		idHeader: "X-Dashscope-Request-Id",
		endpoint: func(base, _ string, _ bool) string { return base + path },
		decode:   decodeDashScope,
		reply:    func(c *call) any { return dashscopeChunk(c, randomUUID(), c.text(), len(c.pieces), true) },
		stream:   dashscopeStream,
		failure:  dashscopeFailure,
		streamFailure: func(s *stream, body any) {
			s.start("text/event-stream;charset=UTF-8")
			s.write("id:1\nevent:error\n:HTTP_STATUS/500\ndata:" + mustJSON(body) + "\n\n")
		},
	}
}

func decodeDashScope(r *http.Request, body []byte) (*call, error) {
	var req dashscopeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, err
	}
	if req.Model == "" {
		return nil, errors.New("model is required")
	}
	return &call{
		model:       req.Model,
		stream:      strings.EqualFold(r.Header.Get("X-DashScope-SSE"), "enable"),
		inputBytes:  len(req.Input),
		textResult:  req.Parameters.ResultFormat != "message",
		incremental: req.Parameters.IncrementalOutput,
	}, nil
}

// dashscopeChunk is the reply, or the stream record after step k, holding
// text; the last one has finish reason "stop" and the full usage.
func dashscopeChunk(c *call, requestID, text string, k int, last bool) dashscopeReply {
	finish := "null"
	if last {
		finish = "stop"
	}
	out := dashscopeReply{RequestID: requestID}
	if c.textResult {
		out.Output = dashscopeOutput{Text: &text, FinishReason: finish}
	} else {
		out.Output = dashscopeOutput{Choices: []dashscopeChoice{{
			FinishReason: finish, Message: chatMessage{Role: "assistant", Content: &text},
		}}}
	}
	if !c.omitUsage {
		u, n := c.usage, len(c.pieces)
		done := dashscopeUsage{InputTokens: u.Prompt, OutputTokens: progress(u.Completion, k, n)}
		done.TotalTokens = done.InputTokens + done.OutputTokens
		if u.Cached > 0 {
			done.PromptTokensDetails = map[string]int64{"cached_tokens": u.Cached}
		}
		if r := progress(u.Reasoning, k, n); r > 0 {
			done.OutputTokensDetails = map[string]int64{"reasoning_tokens": r}
		}
		out.Usage = &done
	}
	return out
}

func dashscopeStream(s *stream, c *call) {
	s.start("text/event-stream;charset=UTF-8")
	requestID := randomUUID()
	var sofar strings.Builder
	for i, p := range c.pieces {
		if !s.step(i) {
			return
		}
		sofar.WriteString(p)
		text := sofar.String()
		if c.incremental {
			text = p
		}
		chunk := dashscopeChunk(c, requestID, text, i+1, i == len(c.pieces)-1)
		s.write(fmt.Sprintf("id:%d\nevent:result\n:HTTP_STATUS/200\ndata:%s\n\n", i+1, mustJSON(chunk)))
	}
	if s.step(len(c.pieces)) {
		s.flush()
	}
}

func dashscopeFailure(k errKind) any {
	code, msg := "InternalError", "An internal error has occurred, please try again later or contact service support."
	switch k {
	case errRateLimit:
		code, msg = "Throttling.RateQuota", "Requests rate limit exceeded, please try again later."
	case errInvalid:
		code, msg = "InvalidParameter", "Input should be a valid dictionary: input"
	}
	return map[string]any{"request_id": randomUUID(), "code": code, "message": msg}
}
