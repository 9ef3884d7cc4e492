package ingestor_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/harborai/ingest/internal/broker"
	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/pkg/event"
)

// TestBatchMessages: a batch message's events are stored one by one; a bad
// line is quarantined alone without costing its neighbours; a line repeated
// in the message is stored once; a message whose every line is bad is
// quarantined line by line; a compressed batch (Harborai-Encoding: s2) is
// read like a plain one, and one that cannot be decompressed is
// quarantined whole; and every message leaves JetStream (acked), none left
// pending.
func TestBatchMessages(t *testing.T) {
	cfg := ingestor.DefaultConfig()
	cfg.MaxEventBytes = 64 << 10
	r := startIngestor(t, cfg, nil)
	js, err := jetstream.New(r.conn(t))
	if err != nil {
		t.Fatal(err)
	}
	call := func(id string, promptTokens int) []byte {
		body, _, _ := openAIBody(promptTokens)
		return callEvent(t, id, body)
	}
	// publishAs publishes lines as one batch message, its payload made by
	// encode and labelled with encoding enc.
	publishAs := func(enc string, encode func([]byte) []byte, lines ...[]byte) {
		t.Helper()
		var payload []byte
		for _, l := range lines {
			payload = event.AppendBatchLine(payload, l)
		}
		m := &nats.Msg{Subject: event.SubjectBatch, Data: encode(payload), Header: nats.Header{
			event.HeaderMsgID:      {event.NewID()},
			event.HeaderBatchCount: {strconv.Itoa(len(lines))},
		}}
		if enc != "" {
			m.Header.Set(event.HeaderEncoding, enc)
		}
		if _, err := js.PublishMsg(context.Background(), m); err != nil {
			t.Fatalf("publish batch: %v", err)
		}
	}
	publish := func(lines ...[]byte) { publishAs("", func(p []byte) []byte { return p }, lines...) }
	compressed := func(p []byte) []byte { return s2.Encode(nil, p) }
	oversize := call("big", 1)
	oversize = []byte(strings.Replace(string(oversize), `"{}"`, `"`+strings.Repeat("x", 70<<10)+`"`, 1))
	a, b, c := call("call-a", 1), call("call-b", 2), call("call-c", 3)
	publish(a, []byte(`{"schema_version":1, "kind":`), b, []byte("   "), oversize, c, b)
	publish([]byte(`{"schema_version":99,"kind":"call"}`), []byte(`not json`))
	publishAs(event.EncodingS2, compressed, call("call-d", 4), []byte(`not json`), call("call-e", 5))
	publishAs(event.EncodingS2, func(p []byte) []byte { return p }, call("unreadable-1", 1), call("unreadable-2", 2)) // not S2
	publishAs("zstd", compressed, call("unreadable-3", 1), call("unreadable-4", 2))

	waitFor(t, 30*time.Second, "the five good calls stored", func() (bool, string) {
		return len(r.calls(t)) == 5, fmt.Sprintf("%d calls", len(r.calls(t)))
	})
	for _, c := range r.calls(t) {
		if c.Usage == nil || c.Usage.PromptTokens == nil {
			t.Errorf("call %s stored without usage", c.CallID)
		}
	}
	cons, err := js.Consumer(context.Background(), broker.DefaultStreamConfig().Stream, broker.DefaultStreamConfig().Consumer)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "every message acknowledged", func() (bool, string) {
		info, err := cons.Info(context.Background())
		if err != nil {
			return false, err.Error()
		}
		return info.NumAckPending == 0 && info.NumPending == 0 && info.NumRedelivered == 0,
			fmt.Sprintf("pending %d, ack pending %d, redelivered %d", info.NumPending, info.NumAckPending, info.NumRedelivered)
	})

	fams := r.scrape(t)
	for reason, want := range map[string]float64{
		event.ReasonInvalidJSON: 3, event.ReasonOversize: 1, event.ReasonUnknownSchema: 1, event.ReasonBadEncoding: 2,
	} {
		if got := counter(fams, "harborai_events_rejected_total", "reason", reason); got != want {
			t.Errorf("harborai_events_rejected_total{reason=%q} = %v, want %v", reason, got, want)
		}
	}
	if got := counter(fams, "harborai_events_received_total", "kind", "call"); got != 6 {
		t.Errorf("harborai_events_received_total{kind=call} = %v, want 6 (b twice)", got)
	}
	if n := r.quarantined(t); n != 7 {
		t.Errorf("quarantine holds %d lines, want 7 (one per bad line, one per unreadable message)", n)
	}
}
