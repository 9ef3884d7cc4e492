package event

import (
	"encoding/json"

	gojson "github.com/goccy/go-json"
	"strings"
	"testing"
	"time"
)

// chatBody is a 1.5 KB Chat Completions response as a vendor sends it:
// JSON (quotes to escape) around mixed English and Chinese text.
var chatBody = `{"id":"chatcmpl-AbC123","object":"chat.completion","created":1795680000,"model":"gpt-4o-mini-2024-07-18",` +
	`"choices":[{"index":0,"message":{"role":"assistant","content":"` +
	strings.Repeat(`Here is the summary you asked for: the order #4521 shipped on Monday; 您的订单已于周一发货。 `, 12) +
	`","refusal":null},"logprobs":null,"finish_reason":"stop"}],` +
	`"usage":{"prompt_tokens":412,"completion_tokens":318,"total_tokens":730,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},` +
	`"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},` +
	`"service_tier":"default","system_fingerprint":"fp_0ba0d124f1"}`

// BenchmarkEncode compares Encode's encoder with encoding/json on a
// response event with chatBody:
//
//	go test -run '^$' -bench BenchmarkEncode -benchmem ./pkg/event
func BenchmarkEncode(b *testing.B) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	e := &Event{SchemaVersion: 1, Kind: KindResponse, EventID: NewID(), CallID: NewID(), HBTraceID: "hb_1795680000000_3fa9c2e1",
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "53995c3f42cd8ad8", Provider: "openai", Model: "gpt-4o-mini",
		StartedAt: now, Tags: Tags{Environment: "production", Service: "support-bot", Metadata: map[string]string{"tenant": "acme"}},
		Response: &Response{Status: StatusSuccess, HTTPStatus: 200, FinishedAt: now.Add(time.Second),
			Body: chatBody}}
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = AppendEncode(buf[:0], e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Encode(e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("goccy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := gojson.Marshal(e); err != nil {
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
