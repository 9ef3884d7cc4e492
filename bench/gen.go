package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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

// text returns about n bytes of prose for call seed: words drawn with
// Zipf's law (as words occur in natural language) from a vocabulary of
// common English words, two-character Chinese words and made-up words, so
// that no two calls carry the same text and a batch of calls compresses
// about as much as real traffic does (repeated words and JSON keys, no
// repeated passages). No character needs escaping in JSON.
func text(seed, n int) string {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	zipf := rand.NewZipf(rng, 1.07, 2, uint64(len(vocabulary)-1))
	var b strings.Builder
	b.Grow(n + 16)
	for k := 0; b.Len() < n; k++ {
		w := vocabulary[zipf.Uint64()]
		if k > 0 && w[0] < utf8.RuneSelf {
			b.WriteByte(' ')
		}
		b.WriteString(w)
		if k%13 == 12 {
			b.WriteString(". ")
			k = -1
		}
	}
	return b.String()
}

// vocabulary is text's words, most frequent first.
var vocabulary = func() []string {
	common := strings.Fields("the of and to a in is it you that for on your was with be as this are order book " +
		"we can have not at by from or an will please our which has shipped days return price delivery " +
		"page volume author edition store account payment refund")
	han := []rune("的一是在不了有人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经")
	// Made-up words from syllables, and two-character Chinese words, from
	// a fixed seed: the same vocabulary in every run.
	rng := rand.New(rand.NewPCG(1, 2))
	syllables := strings.Fields("ka lo mi ne ta ri so ve du pa shi ron tel mar ex ing al con pre tion ber gan sto vi")
	words := slices.Clone(common)
	for len(words) < 4000 {
		if rng.IntN(4) == 0 {
			words = append(words, string([]rune{han[rng.IntN(len(han))], han[rng.IntN(len(han))]}))
			continue
		}
		var w strings.Builder
		for range 1 + rng.IntN(3) {
			w.WriteString(syllables[rng.IntN(len(syllables))])
		}
		words = append(words, w.String())
	}
	return words
}()

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
