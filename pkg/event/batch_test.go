package event_test

import (
	"slices"
	"testing"

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

// TestMessageEvents: a batch message yields its lines; any other message
// its payload whole, even empty, so that the ingestor can quarantine it.
func TestMessageEvents(t *testing.T) {
	batch := map[string][]string{event.HeaderBatchCount: {"2"}}
	tests := []struct {
		h    map[string][]string
		data string
		want []string
	}{
		{batch, "{\"a\":1}\n{\"b\":2}", []string{`{"a":1}`, `{"b":2}`}},
		{nil, "{\"a\":1}\n{\"b\":2}", []string{"{\"a\":1}\n{\"b\":2}"}},
		{map[string][]string{"Nats-Msg-Id": {"x"}}, "", []string{""}},
		{batch, "", nil},
	}
	for _, tt := range tests {
		var got []string
		for e := range event.MessageEvents(tt.h, []byte(tt.data)) {
			got = append(got, string(e))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("MessageEvents(%v, %q) = %q, want %q", tt.h, tt.data, got, tt.want)
		}
	}
}
