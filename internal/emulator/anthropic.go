package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
)

// This file is the Anthropic Messages API (POST {base}/v1/messages). Its
// input_tokens exclude cache reads and writes, which come as
// cache_read_input_tokens and cache_creation_input_tokens; output_tokens
// include thinking, which is not reported apart. A stream is named SSE
// events: message_start carries the input counts (and output_tokens 1),
// message_delta the final output_tokens.

type anthropicRequest struct {
	Model    string          `json:"model"`
	Stream   bool            `json:"stream"`
	Messages json.RawMessage `json:"messages"`
	System   json.RawMessage `json:"system"`
}

type anthropicMessage struct {
	ID           string           `json:"id"`
	Type         string           `json:"type"`
	Role         string           `json:"role"`
	Model        string           `json:"model"`
	Content      []anthropicBlock `json:"content"`
	StopReason   *string          `json:"stop_reason"`
	StopSequence *string          `json:"stop_sequence"`
	Usage        *anthropicUsage  `json:"usage,omitempty"`
}

type anthropicBlock struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type anthropicUsage struct {
	InputTokens              int64  `json:"input_tokens"`
	CacheCreationInputTokens int64  `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64  `json:"cache_read_input_tokens"`
	OutputTokens             int64  `json:"output_tokens"`
	ServiceTier              string `json:"service_tier,omitempty"`
}

func anthropic() *vendor {
	return &vendor{
		name:     "anthropic",
		base:     "/anthropic",
		routes:   []string{"POST /anthropic/v1/messages"},
		idHeader: "Request-Id",
		endpoint: func(base, _ string, _ bool) string { return base + "/v1/messages" },
		decode:   decodeAnthropic,
		reply:    anthropicReply,
		stream:   anthropicStream,
		failure:  anthropicFailure,
		streamFailure: func(s *stream, body any) {
			s.start("text/event-stream; charset=utf-8")
			s.event("error", body)
		},
	}
}

func decodeAnthropic(_ *http.Request, body []byte) (*call, error) {
	var req anthropicRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, err
	}
	if req.Model == "" {
		return nil, errors.New("model: Field required")
	}
	return &call{model: req.Model, stream: req.Stream, inputBytes: len(req.Messages) + len(req.System)}, nil
}

func anthropicInput(u Usage) anthropicUsage {
	return anthropicUsage{
		InputTokens:              u.Prompt - u.Cached - u.CacheWrite,
		CacheCreationInputTokens: u.CacheWrite,
		CacheReadInputTokens:     u.Cached,
		ServiceTier:              "standard",
	}
}

func anthropicReply(c *call) any {
	stop := "end_turn"
	out := anthropicMessage{
		ID: randomID("msg_01", 22), Type: "message", Role: "assistant", Model: c.model,
		Content: []anthropicBlock{{Type: "text", Text: c.text()}}, StopReason: &stop,
	}
	if !c.omitUsage {
		u := anthropicInput(c.usage)
		u.OutputTokens = c.usage.Completion
		out.Usage = &u
	}
	return out
}

func anthropicStream(s *stream, c *call) {
	s.start("text/event-stream; charset=utf-8")
	start := anthropicMessage{
		ID: randomID("msg_01", 22), Type: "message", Role: "assistant", Model: c.model,
		Content: []anthropicBlock{},
	}
	if !c.omitUsage {
		u := anthropicInput(c.usage)
		u.OutputTokens = min(1, c.usage.Completion)
		start.Usage = &u
	}
	s.event("message_start", map[string]any{"type": "message_start", "message": start})
	s.event("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": anthropicBlock{Type: "text"}})
	s.event("ping", map[string]any{"type": "ping"})
	for i, p := range c.pieces {
		if !s.step(i) {
			return
		}
		s.event("content_block_delta", map[string]any{
			"type": "content_block_delta", "index": 0,
			"delta": map[string]any{"type": "text_delta", "text": p},
		})
	}
	if !s.step(len(c.pieces)) {
		return
	}
	s.event("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	delta := map[string]any{
		"type":  "message_delta",
		"delta": map[string]any{"stop_reason": "end_turn", "stop_sequence": nil},
	}
	if !c.omitUsage {
		delta["usage"] = map[string]any{"output_tokens": c.usage.Completion}
	}
	s.event("message_delta", delta)
	s.event("message_stop", map[string]any{"type": "message_stop"})
	s.flush()
}

// anthropicFailure: http200 is the overloaded error Anthropic sends inside
// a stream that has already started.
func anthropicFailure(k errKind) any {
	typ, msg := "api_error", "Internal server error"
	switch k {
	case errRateLimit:
		typ, msg = "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"
	case errInvalid:
		typ, msg = "invalid_request_error", "messages: Field required"
	case errHTTP200:
		typ, msg = "overloaded_error", "Overloaded"
	}
	return map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": msg}, "request_id": randomID("req_011", 21)}
}
