package emulator

import (
	"encoding/json"
	"strings"
	"testing"
)

// Clients of the vendors with their own formats.

// --- Anthropic Messages ---

type wireAnthropicUsage struct {
	InputTokens              *int64 `json:"input_tokens"`
	CacheCreationInputTokens *int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     *int64 `json:"cache_read_input_tokens"`
	OutputTokens             *int64 `json:"output_tokens"`
}

// merge overwrites u's fields with those w reports, as a client must do
// with message_delta.
func (u *wireAnthropicUsage) merge(w *wireAnthropicUsage) {
	for _, f := range []struct{ dst, src **int64 }{
		{&u.InputTokens, &w.InputTokens}, {&u.CacheCreationInputTokens, &w.CacheCreationInputTokens},
		{&u.CacheReadInputTokens, &w.CacheReadInputTokens}, {&u.OutputTokens, &w.OutputTokens},
	} {
		if *f.src != nil {
			*f.dst = *f.src
		}
	}
}

func (u *wireAnthropicUsage) usage() Usage {
	cw, cr := val(u.CacheCreationInputTokens), val(u.CacheReadInputTokens)
	return Usage{Prompt: val(u.InputTokens) + cw + cr, Completion: val(u.OutputTokens), Cached: cr, CacheWrite: cw}
}

type wireAnthropicMessage struct {
	Type    string `json:"type"`
	Model   string `json:"model"`
	Content []struct {
		Text string `json:"text"`
	} `json:"content"`
	Usage *wireAnthropicUsage `json:"usage"`
}

func readAnthropic(t *testing.T, raw []byte, stream bool) observed {
	t.Helper()
	if !stream {
		var m wireAnthropicMessage
		unmarshal(t, raw, &m)
		o := observed{model: m.Model}
		for _, c := range m.Content {
			o.text += c.Text
		}
		if m.Usage != nil {
			o.usage, o.hasUsage = m.Usage.usage(), true
		}
		return o
	}
	var o observed
	var usage *wireAnthropicUsage
	var names []string
	for _, ev := range parseSSE(t, raw) {
		var e struct {
			Type    string               `json:"type"`
			Message wireAnthropicMessage `json:"message"`
			Delta   struct {
				Text string `json:"text"`
			} `json:"delta"`
			Usage *wireAnthropicUsage `json:"usage"`
		}
		unmarshal(t, []byte(ev.data), &e)
		if e.Type != ev.event {
			t.Errorf("event %q has type %q", ev.event, e.Type)
		}
		names = append(names, ev.event)
		switch e.Type {
		case "message_start":
			o.model, usage = e.Message.Model, e.Message.Usage
		case "content_block_delta":
			o.text += e.Delta.Text
		case "message_delta":
			if e.Usage != nil {
				if usage == nil {
					usage = &wireAnthropicUsage{}
				}
				usage.merge(e.Usage)
			}
		}
	}
	want := []string{"message_start", "content_block_start", "ping"}
	if len(names) < 6 || strings.Join(names[:3], ",") != strings.Join(want, ",") ||
		strings.Join(names[len(names)-3:], ",") != "content_block_stop,message_delta,message_stop" {
		t.Errorf("events = %v, want message_start, content_block_start, ping, deltas, content_block_stop, message_delta, message_stop", names)
	}
	if usage != nil {
		o.usage, o.hasUsage = usage.usage(), true
	}
	return o
}

// --- Gemini ---

type wireGemini struct {
	Candidates []struct {
		Content struct {
			Parts []struct {
				Text string `json:"text"`
			} `json:"parts"`
		} `json:"content"`
		FinishReason string `json:"finishReason"`
	} `json:"candidates"`
	UsageMetadata json.RawMessage `json:"usageMetadata"`
	ModelVersion  string          `json:"modelVersion"`
}

// geminiUsage reads usageMetadata, checking that zero counts are left out.
func readGeminiUsage(t *testing.T, raw json.RawMessage) Usage {
	t.Helper()
	var m map[string]json.RawMessage
	unmarshal(t, raw, &m)
	count := func(key string) int64 {
		v, ok := m[key]
		if !ok {
			return 0
		}
		var n int64
		unmarshal(t, v, &n)
		if n == 0 {
			t.Errorf("usageMetadata.%s = 0 is sent; Gemini leaves zero counts out", key)
		}
		return n
	}
	candidates, thoughts := count("candidatesTokenCount"), count("thoughtsTokenCount")
	u := Usage{
		Prompt: count("promptTokenCount"), Completion: candidates + thoughts,
		Cached: count("cachedContentTokenCount"), Reasoning: thoughts,
	}
	if total := count("totalTokenCount"); total != u.Total() {
		t.Errorf("totalTokenCount = %d, want %d", total, u.Total())
	}
	return u
}

func (g wireGemini) text() string {
	var s string
	for _, c := range g.Candidates {
		for _, p := range c.Content.Parts {
			s += p.Text
		}
	}
	return s
}

func readGemini(t *testing.T, raw []byte, stream bool) observed {
	t.Helper()
	var chunks []wireGemini
	if !stream {
		var g wireGemini
		unmarshal(t, raw, &g)
		chunks = append(chunks, g)
	} else {
		for _, ev := range parseSSE(t, raw) {
			var g wireGemini
			unmarshal(t, []byte(ev.data), &g)
			chunks = append(chunks, g)
		}
	}
	return observeGemini(t, chunks)
}

func observeGemini(t *testing.T, chunks []wireGemini) observed {
	t.Helper()
	var o observed
	for i, g := range chunks {
		o.text += g.text()
		o.model = g.ModelVersion
		if g.UsageMetadata != nil {
			o.usage, o.hasUsage = readGeminiUsage(t, g.UsageMetadata), true
		} else if o.hasUsage {
			t.Errorf("chunk %d has no usageMetadata after one that had", i)
		}
	}
	if n := len(chunks); n == 0 || len(chunks[n-1].Candidates) == 0 || chunks[n-1].Candidates[0].FinishReason != "STOP" {
		t.Errorf("last chunk has no finishReason STOP")
	}
	return o
}

// --- Qianfan v1 ---

type wireQianfan struct {
	Result     string `json:"result"`
	IsEnd      *bool  `json:"is_end"`
	SentenceID *int   `json:"sentence_id"`
	Usage      *struct {
		PromptTokens     *int64 `json:"prompt_tokens"`
		CompletionTokens *int64 `json:"completion_tokens"`
		TotalTokens      *int64 `json:"total_tokens"`
	} `json:"usage"`
}

func (q wireQianfan) observeUsage(t *testing.T, o *observed) {
	t.Helper()
	if q.Usage != nil {
		o.usage = Usage{Prompt: val(q.Usage.PromptTokens), Completion: val(q.Usage.CompletionTokens)}
		o.hasUsage = true
		checkTotal(t, q.Usage.TotalTokens, o.usage)
	}
}

func readQianfan(t *testing.T, raw []byte, stream bool) observed {
	t.Helper()
	var o observed
	if !stream {
		var q wireQianfan
		unmarshal(t, raw, &q)
		o.text = q.Result
		q.observeUsage(t, &o)
		return o
	}
	events := parseSSE(t, raw)
	for i, ev := range events {
		var q wireQianfan
		unmarshal(t, []byte(ev.data), &q)
		if q.IsEnd == nil || q.SentenceID == nil || *q.SentenceID != i {
			t.Fatalf("chunk %d: is_end = %v, sentence_id = %v, want both, sentence_id %d", i, q.IsEnd, q.SentenceID, i)
		}
		if last := i == len(events)-1; *q.IsEnd != last {
			t.Errorf("chunk %d: is_end = %v, want %v", i, *q.IsEnd, last)
		}
		o.text += q.Result
		q.observeUsage(t, &o)
	}
	return o
}

// --- DashScope native ---

type wireDashScope struct {
	Output struct {
		Text    *string `json:"text"`
		Choices []struct {
			FinishReason string `json:"finish_reason"`
			Message      struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	} `json:"output"`
	Usage *struct {
		InputTokens         *int64 `json:"input_tokens"`
		OutputTokens        *int64 `json:"output_tokens"`
		TotalTokens         *int64 `json:"total_tokens"`
		PromptTokensDetails *struct {
			CachedTokens *int64 `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
		OutputTokensDetails *struct {
			ReasoningTokens *int64 `json:"reasoning_tokens"`
		} `json:"output_tokens_details"`
	} `json:"usage"`
	RequestID string `json:"request_id"`
}

func (d wireDashScope) text() string {
	if d.Output.Text != nil {
		return *d.Output.Text
	}
	var s string
	for _, c := range d.Output.Choices {
		s += c.Message.Content
	}
	return s
}

func (d wireDashScope) observeUsage(t *testing.T, o *observed) {
	t.Helper()
	u := d.Usage
	if u == nil {
		return
	}
	o.hasUsage = true
	o.usage = Usage{Prompt: val(u.InputTokens), Completion: val(u.OutputTokens)}
	if u.PromptTokensDetails != nil {
		o.usage.Cached = val(u.PromptTokensDetails.CachedTokens)
	}
	if u.OutputTokensDetails != nil {
		o.usage.Reasoning = val(u.OutputTokensDetails.ReasoningTokens)
	}
	checkTotal(t, u.TotalTokens, o.usage)
}

// readDashScope reads a reply; a stream is read as incremental output.
func readDashScope(t *testing.T, raw []byte, stream bool) observed {
	t.Helper()
	var o observed
	if !stream {
		var d wireDashScope
		unmarshal(t, raw, &d)
		if d.RequestID == "" {
			t.Errorf("request_id missing")
		}
		o.text = d.text()
		d.observeUsage(t, &o)
		return o
	}
	for i, ev := range parseSSE(t, raw) {
		if ev.event != "result" || ev.id == "" || len(ev.comments) != 1 || ev.comments[0] != "HTTP_STATUS/200" {
			t.Errorf("record %d: id %q, event %q, comments %q; want id, event result, :HTTP_STATUS/200", i, ev.id, ev.event, ev.comments)
		}
		var d wireDashScope
		unmarshal(t, []byte(ev.data), &d)
		o.text += d.text()
		d.observeUsage(t, &o)
	}
	return o
}
