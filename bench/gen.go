package bench

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/harborai/ingest/pkg/event"
)

// Gen makes deterministic calls: call i of a run always has the same ids,
// vendor, bodies and usage. Bodies are realistic in shape and size: a chat
// request of about 650 bytes and a response of about 850 (1.5 KB a call),
// OpenAI-shaped JSON, OpenAI SSE streams, DeepSeek and Anthropic shapes,
// and 5% vendor errors (HTTP 429).
type Gen struct {
	Run string // prefix of the call and event ids, unique per run
}

// profile is one kind of call the generator makes.
type profile struct {
	provider, model, served string
	stream                  bool
	errored                 bool
}

// profileOf cycles through the mix: 10 of 20 OpenAI (a third of them
// streamed), 5 DeepSeek, 4 Anthropic, 1 error.
func profileOf(i int) profile {
	switch k := i % 20; {
	case k == 7:
		return profile{provider: "openai", model: "gpt-4o-mini", served: "gpt-4o-mini-2024-07-18", errored: true}
	case k < 10:
		return profile{provider: "openai", model: "gpt-4o-mini", served: "gpt-4o-mini-2024-07-18", stream: k%3 == 0}
	case k < 15:
		return profile{provider: "deepseek", model: "deepseek-chat", served: "deepseek-chat"}
	default:
		return profile{provider: "anthropic", model: "claude-3-5-sonnet", served: "claude-3-5-sonnet-20241022"}
	}
}

// CallID is call i's id.
func (g Gen) CallID(i int) string { return fmt.Sprintf("%s-%08d", g.Run, i) }

// Index returns i from a call id of this run.
func (g Gen) Index(callID string) (int, bool) {
	rest, ok := strings.CutPrefix(callID, g.Run+"-")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(rest)
	return i, err == nil
}

// Usage returns call i's prompt and completion tokens.
func Usage(i int) (prompt, completion int) { return 120 + i%900, 40 + i%400 }

// Call returns call i, started at started, as its request and response
// events.
func (g Gen) Call(i int, started time.Time) (req, resp *event.Event) {
	h := g.header(i, started)
	p := profileOf(i)
	rq, rs := h, h
	rq.Kind, rq.EventID, rq.Request = event.KindRequest, fmt.Sprintf("%s-q-%08d", g.Run, i), g.request(i, p)
	rs.Kind, rs.EventID, rs.Response = event.KindResponse, fmt.Sprintf("%s-r-%08d", g.Run, i), g.response(i, p, started)
	return &rq, &rs
}

// CallEvent returns call i as one call event (request and response
// together).
func (g Gen) CallEvent(i int, started time.Time) *event.Event {
	ev := g.header(i, started)
	p := profileOf(i)
	ev.Kind, ev.EventID = event.KindCall, fmt.Sprintf("%s-c-%08d", g.Run, i)
	ev.Request, ev.Response = g.request(i, p), g.response(i, p, started)
	return &ev
}

func (g Gen) header(i int, started time.Time) event.Event {
	p := profileOf(i)
	started = started.UTC()
	h := event.Event{
		SchemaVersion: event.SchemaVersion,
		CallID:        g.CallID(i),
		HBTraceID:     fmt.Sprintf("hb_%013d_%08x", started.UnixMilli(), uint32(i*2654435761)),
		TraceID:       fmt.Sprintf("%016x%016x", hash(g.Run), uint64(i)+1),
		SpanID:        fmt.Sprintf("%016x", uint64(i)+1),
		Provider:      p.provider,
		Model:         p.model,
		Endpoint:      endpoint(p.provider),
		Stream:        p.stream,
		StartedAt:     started,
	}
	h.Tags.Environment = "bench"
	h.Tags.Service = "bench-app"
	return h
}

func endpoint(provider string) string {
	switch provider {
	case "anthropic":
		return "https://api.anthropic.com/v1/messages"
	case "deepseek":
		return "https://api.deepseek.com/chat/completions"
	default:
		return "https://api.openai.com/v1/chat/completions"
	}
}

func (g Gen) request(i int, p profile) *event.Request {
	sys := "You are a helpful assistant for an online bookshop. Answer briefly and cite the order number when there is one."
	user := text(i, 420)
	var body string
	if p.provider == "anthropic" {
		body = fmt.Sprintf(`{"model":"%s","max_tokens":1024,"system":"%s","messages":[{"role":"user","content":"%s"}],"temperature":0.3}`, p.served, sys, user)
	} else {
		body = fmt.Sprintf(`{"model":"%s","messages":[{"role":"system","content":"%s"},{"role":"user","content":"%s"}],"temperature":0.3,"max_tokens":1024,"stream":%t}`, p.model, sys, user, p.stream)
	}
	return &event.Request{Method: "POST", URL: endpoint(p.provider), Body: body}
}

func (g Gen) response(i int, p profile, started time.Time) *event.Response {
	pt, ct := Usage(i)
	finished := started.Add(time.Duration(400+i%2000) * time.Millisecond)
	first := started.Add(time.Duration(120+i%300) * time.Millisecond)
	r := &event.Response{Status: event.StatusSuccess, HTTPStatus: 200, FinishedAt: finished.UTC(), FirstByteAt: &first}
	answer := text(i*7+3, 560)
	switch {
	case p.errored:
		r.Status, r.HTTPStatus, r.ErrorType, r.FirstByteAt = event.StatusError, 429, "rate_limit", nil
		r.Body = `{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-bench on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms. Visit https://platform.openai.com/account/rate-limits to learn more.","type":"requests","param":null,"code":"rate_limit_exceeded"}}`
		r.ErrorMessage = "Rate limit reached for gpt-4o-mini"
	case p.stream:
		r.Body = sse(i, p.served, answer, pt, ct)
	case p.provider == "anthropic":
		r.Body = fmt.Sprintf(`{"id":"msg_%016x","type":"message","role":"assistant","model":"%s","content":[{"type":"text","text":"%s"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":%d,"cache_creation_input_tokens":0,"cache_read_input_tokens":%d,"output_tokens":%d}}`,
			i, p.served, answer, pt-pt/4, pt/4, ct)
	case p.provider == "deepseek":
		r.Body = fmt.Sprintf(`{"id":"%08x-bench","object":"chat.completion","created":%d,"model":"%s","choices":[{"index":0,"message":{"role":"assistant","content":"%s"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d,"prompt_tokens_details":{"cached_tokens":%d},"prompt_cache_hit_tokens":%d,"prompt_cache_miss_tokens":%d},"system_fingerprint":"fp_bench"}`,
			i, started.Unix(), p.served, answer, pt, ct, pt+ct, pt/2, pt/2, pt-pt/2)
	default:
		r.Body = fmt.Sprintf(`{"id":"chatcmpl-%d","object":"chat.completion","created":%d,"model":"%s","choices":[{"index":0,"message":{"role":"assistant","content":"%s","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d,"prompt_tokens_details":{"cached_tokens":%d,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0}},"system_fingerprint":"fp_bench"}`,
			i, started.Unix(), p.served, answer, pt, ct, pt+ct, pt/8)
	}
	return r
}

// sse is an OpenAI chat stream of answer in chunks, the last one carrying
// the usage (stream_options.include_usage).
func sse(i int, model, answer string, pt, ct int) string {
	var b strings.Builder
	parts := splitRunes(answer, 4)
	for _, part := range parts {
		fmt.Fprintf(&b, "data: {\"id\":\"chatcmpl-%d\",\"object\":\"chat.completion.chunk\",\"model\":\"%s\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]}\n\n", i, model, part)
	}
	fmt.Fprintf(&b, "data: {\"id\":\"chatcmpl-%d\",\"object\":\"chat.completion.chunk\",\"model\":\"%s\",\"choices\":[],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d}}\n\ndata: [DONE]\n\n", i, model, pt, ct, pt+ct)
	return b.String()
}

// corpus is the text bodies are cut from: English and Chinese, without
// characters that need escaping in JSON.
var corpus = []rune("Order 48213 shipped on Tuesday and should arrive within three business days. " +
	"您好，您的订单已经发货，预计三个工作日内送达，请注意查收。 " +
	"The second volume of the series is back in stock; the first printing sold out in a week. " +
	"如果需要开具发票，请在订单详情页面填写抬头和税号，我们会在发货后二十四小时内寄出。 " +
	"Returns are accepted within thirty days when the book is in its original condition. " +
	"本店支持七天无理由退货，退货运费由买家承担，质量问题除外。 " +
	"A gift card can be combined with a discount code, but only one discount code per order. " +
	"会员积分可以抵扣现金，每一百积分抵扣一元，不可与其他优惠同时使用。 ")

// text returns about n bytes of corpus text starting at an offset that
// depends on seed.
func text(seed, n int) string {
	var b strings.Builder
	for k := (seed * 37) % len(corpus); b.Len() < n; k = (k + 1) % len(corpus) {
		b.WriteRune(corpus[k])
	}
	return b.String()
}

func splitRunes(s string, n int) []string {
	r := []rune(s)
	out := make([]string, 0, n)
	for k := range n {
		out = append(out, string(r[k*len(r)/n:(k+1)*len(r)/n]))
	}
	return out
}

// hash is FNV-1a of s, for ids that differ between runs.
func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h | 1
}
