package emulator

import "testing"

// Clients of the OpenAI chat completions API, the vendors that copy it, and
// the Responses API.

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
