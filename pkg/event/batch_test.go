package event_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/klauspost/compress/s2"

	"github.com/harborai/ingest/pkg/event"
)

func TestBatchLines(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{`{"a":1}`, []string{`{"a":1}`}},
		{"{\"a\":1}\n{\"b\":2}", []string{`{"a":1}`, `{"b":2}`}},
		{"{\"a\":1}\n\n  \r\n{\"b\":2}\n", []string{`{"a":1}`, `{"b":2}`}},
		{"\n\n", nil},
		{"not json\n{", []string{"not json", "{"}},
	}
	for _, tt := range tests {
		var got []string
		for l := range event.BatchLines([]byte(tt.in)) {
			got = append(got, string(l))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("BatchLines(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Stopping early stops.
	for range event.BatchLines([]byte("a\nb\nc")) {
		break
	}
}

func TestBatchCount(t *testing.T) {
	tests := []struct {
		v    []string
		want int
	}{
		{nil, 1}, {[]string{"7"}, 7}, {[]string{"0"}, 1}, {[]string{"-3"}, 1}, {[]string{"x"}, 1}, {[]string{"12", "3"}, 12},
	}
	for _, tt := range tests {
		if got := event.BatchCount(tt.v); got != tt.want {
			t.Errorf("BatchCount(%q) = %d, want %d", tt.v, got, tt.want)
		}
	}
}

// TestEncodedEventIsOneLine: an encoded event never holds a line feed, so
// events can be framed one per line whatever their bodies hold.
func TestEncodedEventIsOneLine(t *testing.T) {
	e := newEvent(event.KindCall)
	e.Request.Body = "line one\nline two\r\n\u2028end"
	b, err := event.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	for l := range event.BatchLines(event.AppendBatchLine(event.AppendBatchLine(nil, b), b)) {
		lines = append(lines, l)
	}
	if len(lines) != 2 || string(lines[0]) != string(b) {
		t.Fatalf("two encoded events framed as %d lines", len(lines))
	}
	back, err := event.Decode(lines[1], 0)
	if err != nil || back.Request.Body != e.Request.Body {
		t.Fatalf("Decode(line) = %v, %v", back, err)
	}
}

// TestMessageEvents: a batch message yields its lines, decompressed when
// it says it is compressed; any other message its payload whole, even
// empty, so that the ingestor can quarantine it.
func TestMessageEvents(t *testing.T) {
	batch := map[string][]string{event.HeaderBatchCount: {"2"}}
	s2batch := map[string][]string{event.HeaderBatchCount: {"2"}, event.HeaderEncoding: {event.EncodingS2}}
	two := "{\"a\":1}\n{\"b\":2}"
	tests := []struct {
		h    map[string][]string
		data string
		want []string
	}{
		{batch, two, []string{`{"a":1}`, `{"b":2}`}},
		{s2batch, string(s2.Encode(nil, []byte(two))), []string{`{"a":1}`, `{"b":2}`}},
		// A Snappy block reads as S2 (docs/events.md says so).
		{s2batch, string(s2.EncodeSnappy(nil, []byte(two))), []string{`{"a":1}`, `{"b":2}`}},
		{nil, two, []string{two}},
		{map[string][]string{"Nats-Msg-Id": {"x"}}, "", []string{""}},
		{batch, "", nil},
		// A single-event message is never compressed: the header is ignored.
		{map[string][]string{event.HeaderEncoding: {event.EncodingS2}}, two, []string{two}},
	}
	var r event.MessageReader
	for _, tt := range tests {
		events, err := r.Events(tt.h, []byte(tt.data))
		if err != nil {
			t.Errorf("Events(%v, %q) = %v", tt.h, tt.data, err)
			continue
		}
		var got []string
		for e := range events {
			got = append(got, string(e))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Events(%v, %q) = %q, want %q", tt.h, tt.data, got, tt.want)
		}
		copies, err := event.MessageEvents(tt.h, []byte(tt.data))
		if err != nil || len(copies) != len(tt.want) {
			t.Errorf("MessageEvents(%v, %q) = %d events, %v; want %d", tt.h, tt.data, len(copies), err, len(tt.want))
		}
	}
}

// TestMessageEventsBadEncoding: a compressed batch that cannot be read is
// refused with reason bad_encoding (the ingestor quarantines it whole),
// without allocating what a forged length claims.
func TestMessageEventsBadEncoding(t *testing.T) {
	h := func(enc string) map[string][]string {
		return map[string][]string{event.HeaderBatchCount: {"2"}, event.HeaderEncoding: {enc}}
	}
	good := s2.Encode(nil, []byte("{\"a\":1}\n{\"b\":2}"))
	huge := binary.AppendUvarint(nil, event.MaxBatchSize+1)
	tests := []struct {
		name string
		h    map[string][]string
		data []byte
	}{
		{"unknown encoding", h("gzip"), good},
		{"not s2", h(event.EncodingS2), []byte("{\"a\":1}")},
		{"truncated", h(event.EncodingS2), good[:len(good)-3]},
		{"claims more than MaxBatchSize", h(event.EncodingS2), append(huge, good[1:]...)},
	}
	for _, tt := range tests {
		var r event.MessageReader
		_, err := r.Events(tt.h, tt.data)
		if got := event.RejectReason(err); got != event.ReasonBadEncoding {
			t.Errorf("%s: Events() = %v, want reason %s", tt.name, err, event.ReasonBadEncoding)
		}
	}
}

// TestCompressBatch: a compressible batch is compressed and reads back the
// same; an incompressible one is left as it is.
func TestCompressBatch(t *testing.T) {
	var payload []byte
	for i := range 50 {
		payload = event.AppendBatchLine(payload, fmt.Appendf(nil, `{"event_id":"e%d","body":"the same words again and again"}`, i))
	}
	z, ok := event.CompressBatch([]byte("keep"), payload)
	if !ok || len(z) >= len(payload) || string(z[:4]) != "keep" {
		t.Fatalf("CompressBatch(%d bytes) = %d bytes, %v; want smaller, appended", len(payload), len(z), ok)
	}
	back, err := s2.Decode(nil, z[4:])
	if err != nil || !bytes.Equal(back, payload) {
		t.Fatalf("decompressed batch differs: %v", err)
	}
	noise := make([]byte, 4096)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(noise)
	if out, ok := event.CompressBatch(nil, noise); ok || len(out) != 0 {
		t.Errorf("CompressBatch(incompressible) = %d bytes, %v; want not compressed", len(out), ok)
	}
}

// FuzzMessageEvents: a batch payload compressed and read back yields the
// lines of the plain payload; any bytes labelled as compressed are either
// read (within MaxBatchSize) or refused with reason bad_encoding, never a
// panic. Run with
//
//	go test -run='^$' -fuzz=FuzzMessageEvents -fuzztime=1m ./pkg/event
func FuzzMessageEvents(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n{\"b\":2}"))
	f.Add([]byte("\n\n  \r\n"))
	f.Add(s2.Encode(nil, []byte("{\"a\":1}\n{\"b\":2}")))
	f.Fuzz(func(t *testing.T, data []byte) {
		s2batch := map[string][]string{event.HeaderBatchCount: {"2"}, event.HeaderEncoding: {event.EncodingS2}}
		var r event.MessageReader
		events, err := r.Events(s2batch, s2.Encode(nil, data))
		if err != nil {
			t.Fatalf("Events(s2.Encode(%q)) = %v", data, err)
		}
		if got, want := slices.Collect(events), slices.Collect(event.BatchLines(data)); !slices.EqualFunc(got, want, bytes.Equal) {
			t.Fatalf("Events(s2.Encode(%q)) = %q, want %q", data, got, want)
		}
		events, err = r.Events(s2batch, data)
		if err != nil {
			if reason := event.RejectReason(err); reason != event.ReasonBadEncoding {
				t.Fatalf("Events(%q) = %v, want reason %s", data, err, event.ReasonBadEncoding)
			}
			return
		}
		n := 0
		for line := range events {
			n += len(line) + 1
		}
		if n > event.MaxBatchSize+1 {
			t.Fatalf("Events(%q) read %d bytes, more than MaxBatchSize", data, n)
		}
	})
}

// newlineBlock returns an S2 (Snappy-compatible) block that decompresses to
// n line feeds: one literal, then copies of it, so that a batch of tens of
// megabytes takes a few megabytes to build.
func newlineBlock(n int) []byte {
	b := binary.AppendUvarint(nil, uint64(n))
	b = append(b, 0x00, '\n') // a literal of one byte
	for left := n - 1; left > 0; left -= 64 {
		l := min(left, 64)
		b = append(b, byte(l-1)<<2|0x02, 1, 0) // copy l bytes from offset 1
	}
	return b
}

// TestMessageEventsSizeLimit: a compressed batch is read up to MaxBatchSize
// bytes once decompressed, and refused with reason bad_encoding past it, so
// a small message never makes the ingestor hold more.
func TestMessageEventsSizeLimit(t *testing.T) {
	h := map[string][]string{event.HeaderBatchCount: {"1"}, event.HeaderEncoding: {event.EncodingS2}}
	var r event.MessageReader
	events, err := r.Events(h, newlineBlock(event.MaxBatchSize))
	if err != nil {
		t.Fatalf("Events(%d bytes decompressed) = %v, want read", event.MaxBatchSize, err)
	}
	if got := slices.Collect(events); len(got) != 0 {
		t.Errorf("Events(only line feeds) = %d events, want none", len(got))
	}
	_, err = r.Events(h, newlineBlock(event.MaxBatchSize+1))
	if got := event.RejectReason(err); got != event.ReasonBadEncoding {
		t.Errorf("Events(%d bytes decompressed) = %v, want reason %s", event.MaxBatchSize+1, err, event.ReasonBadEncoding)
	}
}
