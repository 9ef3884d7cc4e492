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
