package event

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// BenchmarkEncode compares Encode's encoder with encoding/json on a
// response event with a 1.5 KB body:
//
//	go test -run '^$' -bench BenchmarkEncode -benchmem ./pkg/event
func BenchmarkEncode(b *testing.B) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	e := &Event{SchemaVersion: 1, Kind: KindResponse, EventID: NewID(), CallID: NewID(), HBTraceID: "hb_1795680000000_3fa9c2e1",
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "53995c3f42cd8ad8", Provider: "openai", Model: "gpt-4o-mini",
		StartedAt: now, Tags: Tags{Environment: "production", Service: "support-bot", Metadata: map[string]string{"tenant": "acme"}},
		Response: &Response{Status: StatusSuccess, HTTPStatus: 200, FinishedAt: now.Add(time.Second),
			Body: `{"id":"chatcmpl-1","choices":[{"message":{"content":"` + strings.Repeat("你好, hello <world> ", 75) + `"}}],"usage":{"prompt_tokens":40,"completion_tokens":12}}`}}
	b.Run("goccy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := marshal(e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
