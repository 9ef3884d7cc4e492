package emulator

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// This file reads responses the way a client of each vendor would, written
// from the vendors' formats independently of the emulator's writers.

// observed is what a client read from one response.
type observed struct {
	usage    Usage
	hasUsage bool
	text     string
	model    string
}

// decoder reads a response body of one vendor, streamed or not.
type decoder func(t *testing.T, raw []byte, stream bool) observed

// sseEvent is one server-sent event.
type sseEvent struct {
	id, event, data string
	comments        []string
}

// parseSSE splits an event stream into events (LF or CRLF line ends).
func parseSSE(t *testing.T, raw []byte) []sseEvent {
	t.Helper()
	var out []sseEvent
	text := strings.ReplaceAll(string(raw), "\r\n", "\n")
	if !strings.HasSuffix(text, "\n\n") {
		t.Errorf("stream does not end with a blank line: %q", tail(text))
	}
	for block := range strings.SplitSeq(text, "\n\n") {
		if strings.TrimSpace(block) == "" {
			continue
		}
		var ev sseEvent
		for line := range strings.SplitSeq(block, "\n") {
			if c, ok := strings.CutPrefix(line, ":"); ok {
				ev.comments = append(ev.comments, c)
				continue
			}
			name, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch name {
			case "id":
				ev.id = value
			case "event":
				ev.event = value
			case "data":
				ev.data = value
			default:
				t.Errorf("unknown SSE field in line %q", line)
			}
		}
		out = append(out, ev)
	}
	return out
}

func tail(s string) string {
	if len(s) > 80 {
		return s[len(s)-80:]
	}
	return s
}

func unmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("json.Decode(%.200s) error: %v", data, err)
	}
}

// checkTotal checks a vendor's total against its prompt and completion.
func checkTotal(t *testing.T, total *int64, u Usage) {
	t.Helper()
	if total == nil {
		t.Errorf("total_tokens missing")
	} else if *total != u.Total() {
		t.Errorf("total_tokens = %d, want %d", *total, u.Total())
	}
}

func val(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// --- OpenAI chat completions and compatible APIs ---

type wireChatUsage struct {
	PromptTokens          *int64 `json:"prompt_tokens"`
	CompletionTokens      *int64 `json:"completion_tokens"`
	TotalTokens           *int64 `json:"total_tokens"`
	CachedTokens          *int64 `json:"cached_tokens"`
	PromptCacheHitTokens  *int64 `json:"prompt_cache_hit_tokens"`
	PromptCacheMissTokens *int64 `json:"prompt_cache_miss_tokens"`
	PromptTokensDetails   *struct {
		CachedTokens *int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens *int64 `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

type wireChat struct {
	Model   string         `json:"model"`
	Object  string         `json:"object"`
	Usage   *wireChatUsage `json:"usage"`
	Choices []struct {
		Message *struct {
			Content string `json:"content"`
		} `json:"message"`
		Delta *struct {
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason *string        `json:"finish_reason"`
		Usage        *wireChatUsage `json:"usage"`
	} `json:"choices"`
}

// chatUsageReader reads one vendor's spelling of the usage object.
type chatUsageReader func(t *testing.T, w *wireChatUsage) Usage

func chatBase(t *testing.T, w *wireChatUsage) Usage {
	t.Helper()
	if w.PromptTokens == nil || w.CompletionTokens == nil {
		t.Errorf("prompt_tokens or completion_tokens missing")
	}
	u := Usage{Prompt: val(w.PromptTokens), Completion: val(w.CompletionTokens)}
	checkTotal(t, w.TotalTokens, u)
	return u
}

// readOpenAIUsage: both details objects always present.
func readOpenAIUsage(t *testing.T, w *wireChatUsage) Usage {
	t.Helper()
	u := chatBase(t, w)
	if w.PromptTokensDetails == nil || w.CompletionTokensDetails == nil {
		t.Fatalf("usage details missing")
	}
	u.Cached, u.Reasoning = val(w.PromptTokensDetails.CachedTokens), val(w.CompletionTokensDetails.ReasoningTokens)
	return u
}

// readSparseUsage: a details object only when its count is not zero.
func readSparseUsage(t *testing.T, w *wireChatUsage) Usage {
	t.Helper()
	u := chatBase(t, w)
	if d := w.PromptTokensDetails; d != nil {
		if u.Cached = val(d.CachedTokens); u.Cached == 0 {
			t.Errorf("prompt_tokens_details sent with cached_tokens 0")
		}
	}
	if d := w.CompletionTokensDetails; d != nil {
		if u.Reasoning = val(d.ReasoningTokens); u.Reasoning == 0 {
			t.Errorf("completion_tokens_details sent with reasoning_tokens 0")
		}
	}
	return u
}

// readDeepSeekUsage: cache hits and misses, which add up to the prompt.
func readDeepSeekUsage(t *testing.T, w *wireChatUsage) Usage {
	t.Helper()
	u := chatBase(t, w)
	if w.PromptCacheHitTokens == nil || w.PromptCacheMissTokens == nil {
		t.Fatalf("prompt_cache_hit_tokens or prompt_cache_miss_tokens missing")
	}
	u.Cached = *w.PromptCacheHitTokens
	if got := *w.PromptCacheHitTokens + *w.PromptCacheMissTokens; got != u.Prompt {
		t.Errorf("hit + miss = %d, want prompt_tokens %d", got, u.Prompt)
	}
	if d := w.CompletionTokensDetails; d != nil {
		u.Reasoning = val(d.ReasoningTokens)
	}
	return u
}

// readMoonshotUsage: cached_tokens at the top level.
func readMoonshotUsage(t *testing.T, w *wireChatUsage) Usage {
	t.Helper()
	u := chatBase(t, w)
	if w.PromptTokensDetails != nil || w.CompletionTokensDetails != nil {
		t.Errorf("Kimi usage has details objects")
	}
	u.Cached = val(w.CachedTokens)
	return u
}

// readZhipuUsage: cached tokens in prompt_tokens_details only.
func readZhipuUsage(t *testing.T, w *wireChatUsage) Usage {
	t.Helper()
	u := chatBase(t, w)
	if w.CompletionTokensDetails != nil {
		t.Errorf("GLM usage has completion_tokens_details")
	}
	if d := w.PromptTokensDetails; d != nil {
		u.Cached = val(d.CachedTokens)
	}
	return u
}

func readChat(read chatUsageReader) decoder {
	return func(t *testing.T, raw []byte, stream bool) observed {
		t.Helper()
		var o observed
		take := func(w *wireChatUsage) {
			if w != nil {
				o.usage, o.hasUsage = read(t, w), true
			}
		}
		if !stream {
			var c wireChat
			unmarshal(t, raw, &c)
			if c.Object != "chat.completion" && c.Object != "" {
				t.Errorf("object = %q, want chat.completion", c.Object)
			}
			if len(c.Choices) != 1 || c.Choices[0].Message == nil {
				t.Fatalf("choices = %+v, want one message", c.Choices)
			}
			o.text, o.model = c.Choices[0].Message.Content, c.Model
			take(c.Usage)
			return o
		}
		events := parseSSE(t, raw)
		if n := len(events); n == 0 || events[n-1].data != "[DONE]" {
			t.Fatalf("stream does not end with data: [DONE]")
		}
		finished := false
		for _, ev := range events[:len(events)-1] {
			var c wireChat
			unmarshal(t, []byte(ev.data), &c)
			if c.Model != "" {
				o.model = c.Model
			}
			take(c.Usage)
			for _, ch := range c.Choices {
				if ch.Delta != nil {
					o.text += ch.Delta.Content
				}
				if ch.FinishReason != nil {
					finished = true
				}
				take(ch.Usage)
			}
		}
		if !finished {
			t.Errorf("no chunk has a finish_reason")
		}
		return o
	}
}

// --- OpenAI Responses API ---

type wireResponse struct {
	Model  string `json:"model"`
	Status string `json:"status"`
	Output []struct {
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	} `json:"output"`
	Usage *struct {
		InputTokens        *int64 `json:"input_tokens"`
		InputTokensDetails struct {
			CachedTokens *int64 `json:"cached_tokens"`
		} `json:"input_tokens_details"`
		OutputTokens        *int64 `json:"output_tokens"`
		OutputTokensDetails struct {
			ReasoningTokens *int64 `json:"reasoning_tokens"`
		} `json:"output_tokens_details"`
		TotalTokens *int64 `json:"total_tokens"`
	} `json:"usage"`
}

func (r wireResponse) observe(t *testing.T) observed {
	t.Helper()
	o := observed{model: r.Model}
	for _, item := range r.Output {
		for _, c := range item.Content {
			o.text += c.Text
		}
	}
	if u := r.Usage; u != nil {
		o.hasUsage = true
		o.usage = Usage{
			Prompt: val(u.InputTokens), Completion: val(u.OutputTokens),
			Cached: val(u.InputTokensDetails.CachedTokens), Reasoning: val(u.OutputTokensDetails.ReasoningTokens),
		}
		checkTotal(t, u.TotalTokens, o.usage)
	}
	return o
}

func readResponses(t *testing.T, raw []byte, stream bool) observed {
	t.Helper()
	if !stream {
		var r wireResponse
		unmarshal(t, raw, &r)
		return r.observe(t)
	}
	var o observed
	var text string
	seq := -1
	events := parseSSE(t, raw)
	for _, ev := range events {
		var e struct {
			Type     string        `json:"type"`
			Sequence int           `json:"sequence_number"`
			Delta    string        `json:"delta"`
			Response *wireResponse `json:"response"`
		}
		unmarshal(t, []byte(ev.data), &e)
		if e.Type != ev.event {
			t.Errorf("event %q has type %q", ev.event, e.Type)
		}
		if e.Sequence != seq+1 {
			t.Errorf("event %q has sequence_number %d, want %d", ev.event, e.Sequence, seq+1)
		}
		seq = e.Sequence
		switch e.Type {
		case "response.output_text.delta":
			text += e.Delta
		case "response.completed":
			o = e.Response.observe(t)
		}
	}
	if len(events) == 0 || events[len(events)-1].event != "response.completed" {
		t.Fatalf("stream does not end with response.completed")
	}
	if text != o.text {
		t.Errorf("deltas = %q, completed output = %q", text, o.text)
	}
	return o
}

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
