package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
)

// This file is the OpenAI Responses API (POST {base}/responses): usage as
// input_tokens (cached included, in input_tokens_details.cached_tokens) and
// output_tokens (reasoning included, in output_tokens_details), streamed as
// named events ending with response.completed, which carries the usage.

type responsesRequest struct {
	Model        string          `json:"model"`
	Stream       bool            `json:"stream"`
	Input        json.RawMessage `json:"input"`
	Instructions json.RawMessage `json:"instructions"`
}

type response struct {
	ID                string         `json:"id"`
	Object            string         `json:"object"`
	CreatedAt         int64          `json:"created_at"`
	Status            string         `json:"status"`
	Error             any            `json:"error"`
	IncompleteDetails any            `json:"incomplete_details"`
	Model             string         `json:"model"`
	Output            []responseItem `json:"output"`
	ParallelToolCalls bool           `json:"parallel_tool_calls"`
	Store             bool           `json:"store"`
	Text              any            `json:"text"`
	ToolChoice        string         `json:"tool_choice"`
	Tools             []any          `json:"tools"`
	Truncation        string         `json:"truncation"`
	Usage             any            `json:"usage"`
	Metadata          map[string]any `json:"metadata"`
}

type responseItem struct {
	Type    string         `json:"type"`
	ID      string         `json:"id"`
	Status  string         `json:"status"`
	Role    string         `json:"role"`
	Content []responsePart `json:"content"`
}

type responsePart struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	Annotations []any  `json:"annotations"`
}

type responsesUsage struct {
	InputTokens         int64 `json:"input_tokens"`
	InputTokensDetails  any   `json:"input_tokens_details"`
	OutputTokens        int64 `json:"output_tokens"`
	OutputTokensDetails any   `json:"output_tokens_details"`
	TotalTokens         int64 `json:"total_tokens"`
}

func openAIResponses() *vendor {
	return &vendor{
		name:     "openai_responses",
		base:     "/openai/v1",
		routes:   []string{"POST /openai/v1/responses"},
		idHeader: "X-Request-Id",
		endpoint: func(base, _ string, _ bool) string { return base + "/responses" },
		decode:   decodeResponses,
		reply:    func(c *call) any { return newResponse(c, randomID("resp_", 48), randomID("msg_", 48), "completed") },
		stream:   streamResponses,
		failure:  openAIFailure,
		streamFailure: func(s *stream, body any) {
			s.start("text/event-stream; charset=utf-8")
			m, _ := body.(map[string]any)
			e, _ := m["error"].(map[string]any)
			code := e["code"]
			if code == nil {
				code = e["type"]
			}
			s.event("error", map[string]any{"type": "error", "code": code, "message": e["message"], "param": nil, "sequence_number": 0})
		},
	}
}

func decodeResponses(_ *http.Request, body []byte) (*call, error) {
	var req responsesRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, err
	}
	if req.Model == "" {
		return nil, errors.New("model is required")
	}
	return &call{model: req.Model, stream: req.Stream, inputBytes: len(req.Input) + len(req.Instructions)}, nil
}

// newResponse is the response object with status; a completed one has its
// output and usage.
func newResponse(c *call, id, msgID, status string) response {
	out := response{
		ID: id, Object: "response", CreatedAt: c.created.Unix(), Status: status, Model: c.model,
		Output: []responseItem{}, ParallelToolCalls: true, Store: true,
		Text: map[string]any{"format": map[string]string{"type": "text"}}, ToolChoice: "auto",
		Tools: []any{}, Truncation: "disabled", Metadata: map[string]any{},
	}
	if status != "completed" {
		return out
	}
	out.Output = []responseItem{{
		Type: "message", ID: msgID, Status: "completed", Role: "assistant",
		Content: []responsePart{{Type: "output_text", Text: c.text(), Annotations: []any{}}},
	}}
	if !c.omitUsage {
		u := c.usage
		out.Usage = responsesUsage{
			InputTokens: u.Prompt, InputTokensDetails: map[string]int64{"cached_tokens": u.Cached},
			OutputTokens: u.Completion, OutputTokensDetails: map[string]int64{"reasoning_tokens": u.Reasoning},
			TotalTokens: u.Total(),
		}
	}
	return out
}

func streamResponses(s *stream, c *call) {
	s.start("text/event-stream; charset=utf-8")
	id, msgID := randomID("resp_", 48), randomID("msg_", 48)
	seq := 0
	emit := func(typ string, fields map[string]any) {
		fields["type"], fields["sequence_number"] = typ, seq
		seq++
		s.event(typ, fields)
	}
	item := func(status string, text string) responseItem {
		it := responseItem{Type: "message", ID: msgID, Status: status, Role: "assistant", Content: []responsePart{}}
		if status == "completed" {
			it.Content = []responsePart{{Type: "output_text", Text: text, Annotations: []any{}}}
		}
		return it
	}
	part := func(text string) responsePart {
		return responsePart{Type: "output_text", Text: text, Annotations: []any{}}
	}
	at := map[string]any{"item_id": msgID, "output_index": 0, "content_index": 0}
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range at {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}

	emit("response.created", map[string]any{"response": newResponse(c, id, msgID, "in_progress")})
	emit("response.in_progress", map[string]any{"response": newResponse(c, id, msgID, "in_progress")})
	emit("response.output_item.added", map[string]any{"output_index": 0, "item": item("in_progress", "")})
	emit("response.content_part.added", with(map[string]any{"part": part("")}))
	for i, p := range c.pieces {
		if !s.step(i) {
			return
		}
		emit("response.output_text.delta", with(map[string]any{"delta": p, "logprobs": []any{}}))
	}
	if !s.step(len(c.pieces)) {
		return
	}
	text := c.text()
	emit("response.output_text.done", with(map[string]any{"text": text, "logprobs": []any{}}))
	emit("response.content_part.done", with(map[string]any{"part": part(text)}))
	emit("response.output_item.done", map[string]any{"output_index": 0, "item": item("completed", text)})
	emit("response.completed", map[string]any{"response": newResponse(c, id, msgID, "completed")})
	s.flush()
}
