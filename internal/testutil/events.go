// Package testutil holds what several packages' tests share: deterministic
// events and a running ingestor.
package testutil

import (
	"fmt"
	"time"

	"github.com/harborai/ingest/pkg/event"
)

// CallEvents returns the request and response events of n deterministic
// calls (fixed ids, times and OpenAI-shaped bodies with known usage):
// prompt = 100 + i%500, completion = 20 + i%300.
func CallEvents(n int) []*event.Event {
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	out := make([]*event.Event, 0, 2*n)
	for i := range n {
		p, c := 100+i%500, 20+i%300
		t := start.Add(time.Duration(i) * time.Millisecond)
		h := event.Event{SchemaVersion: 1, CallID: fmt.Sprintf("call-%06d", i),
			HBTraceID: fmt.Sprintf("hb_%013d_%08x", t.UnixMilli(), i), TraceID: fmt.Sprintf("%032x", i+1), SpanID: fmt.Sprintf("%016x", i+1),
			Provider: "openai", Model: "gpt-4o-mini", StartedAt: t, Stream: i%3 == 0}
		h.Tags.Environment = "test"
		req, resp := h, h
		req.Kind, req.EventID = event.KindRequest, fmt.Sprintf("req-%06d", i)
		req.Request = &event.Request{Method: "POST", Body: `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"你好"}]}`}
		first := t.Add(80 * time.Millisecond)
		resp.Kind, resp.EventID = event.KindResponse, fmt.Sprintf("resp-%06d", i)
		resp.Response = &event.Response{Status: event.StatusSuccess, HTTPStatus: 200, FinishedAt: t.Add(900 * time.Millisecond), FirstByteAt: &first,
			Body: fmt.Sprintf(`{"id":"chatcmpl-%d","object":"chat.completion","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"好的"},"finish_reason":"stop"}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}`, i, p, c, p+c)}
		if i%2 == 0 {
			out = append(out, &resp, &req)
		} else {
			out = append(out, &req, &resp)
		}
	}
	return out
}
