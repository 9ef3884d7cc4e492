package harborai

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/harborai/ingest/pkg/event"
)

// FuzzWithIncludeUsage: when withIncludeUsage rewrites a body, the result
// differs from it only by what it adds (and a "null" stream_options it
// replaces), stays valid JSON when the body was, and asks for usage.
func FuzzWithIncludeUsage(f *testing.F) {
	for _, s := range []string{
		`{"model":"m","stream":true}`, "{\n \"stream\": true\n}\n", `{}`, ` { } `,
		`{"stream":true,"stream_options":{}}`, `{"stream":true,"stream_options":{"x":1}}`,
		`{"stream":true,"stream_options":null}`, `{"stream_options":{"include_usage":false}}`,
		`{"messages":[{"content":"}{\"]"}],"stream":true}`, `{"stream_options":1}`, `[1]`,
		`{"stream":true,"stream_options":{},"stream_options":{"include_usage":true}}`,
		`{"stream":true,"stream_options":{"include\u005fusage":false}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fields, members := inspectBody(body)
		got, ok := withIncludeUsage(body, fields, members)
		if !ok {
			return
		}
		p := 0
		for p < len(body) && body[p] == got[p] {
			p++
		}
		s := 0
		for s < len(body)-p && body[len(body)-1-s] == got[len(got)-1-s] {
			s++
		}
		if removed := body[p : len(body)-s]; removed != "" && removed != "null" {
			t.Fatalf("withIncludeUsage(%q) = %q: it drops or changes %q", body, got, removed)
		}
		if !json.Valid([]byte(body)) {
			return
		}
		// The caller's own choice, as a JSON decoder reads the body
		// (duplicate keys: the last; escapes in keys decoded), is never
		// overridden.
		var asked struct {
			StreamOptions map[string]json.RawMessage `json:"stream_options"`
		}
		if json.Unmarshal([]byte(body), &asked) == nil {
			if _, said := asked.StreamOptions["include_usage"]; said {
				t.Fatalf("withIncludeUsage(%q) = %q: the caller said include_usage already", body, got)
			}
		}
		var v struct {
			StreamOptions struct {
				IncludeUsage bool `json:"include_usage"`
			} `json:"stream_options"`
		}
		if err := json.Unmarshal([]byte(got), &v); err != nil || !v.StreamOptions.IncludeUsage {
			t.Fatalf("withIncludeUsage(%q) = %q: %v, include_usage %v, want valid JSON asking for usage", body, got, err, v.StreamOptions.IncludeUsage)
		}
	})
}

// FuzzHidingBody: whatever the stream, however the vendor's bytes come and
// however the application reads them, the application reads what the usage
// filter makes of the whole stream at once, and the event keeps the stream
// as sent (its head and tail, over the limit).
func FuzzHidingBody(f *testing.F) {
	for _, tt := range usageFilterCases() {
		f.Add(tt.in, uint8(1), uint8(1), false)
		f.Add(tt.in, uint8(17), uint8(7), true)
	}
	f.Fuzz(func(t *testing.T, in string, piece, read uint8, small bool) {
		want := filterWhole(in)
		if ref := filterLines(in); want != ref && len(in) < maxHeldLine {
			t.Fatalf("the filter makes %q of %q, line by line it is %q", want, in, ref)
		}
		limit := DefaultMaxBodyBytes
		if small {
			limit = 100
		}
		p := &Publisher{opts: defaultOptions(), queue: make(chan queued, 1), wake: make(chan struct{}, 1)}
		rec := newRecording(p, context.Background(), time.Now(), "", true)
		p.initHeader(rec.header(), context.Background(), CallInfo{Provider: "openai"})
		resp := &http.Response{
			StatusCode: http.StatusOK, ContentLength: -1, Header: http.Header{},
			Body: io.NopCloser(iotest.HalfReader(&pieces{s: in, n: int(piece) + 1})),
		}
		resp = wrapBody(resp, rec, limit, new(usageFilter)) //nolint:bodyclose // read to its end below
		got, err := io.ReadAll(&onlyReader{resp.Body, int(read) + 1})
		if err != nil || string(got) != want {
			t.Fatalf("read %q in pieces of %d with buffers of %d = %q, %v, want %q", in, piece+1, read+1, got, err, want)
		}
		ev := (<-p.queue).complete()
		wantBody, omitted := in, ""
		if len(in) > limit {
			over := in[limit:]
			tail := over[len(over)-min(tailKeep(limit), len(over)):]
			if i := strings.IndexByte(tail, '\n'); i >= 0 {
				tail = tail[i+1:]
			}
			wantBody, omitted = in[:max(0, limit-len(tail)-1)]+"\n"+tail, "truncated"
		}
		if r := ev.Response; r == nil || r.Body != wantBody || r.BodyOmitted != omitted || r.Status != event.StatusSuccess {
			t.Errorf("event response = %+v, want body %q, omitted %q, success", r, wantBody, omitted)
		}
	})
}

// filterLines is what the usage filter is to make of a stream: its lines,
// each ending at LF, CRLF or a lone CR (SSE's line endings), all passed on
// but the usage chunk's data line and the blank line after it.
func filterLines(in string) string {
	var out strings.Builder
	dropBlank := false
	for in != "" {
		n := len(in)
		if i := strings.IndexAny(in, "\r\n"); i >= 0 {
			n = i + 1
			if in[i] == '\r' && i+1 < len(in) && in[i+1] == '\n' {
				n++
			}
		}
		line := in[:n]
		in = in[n:]
		blank := strings.Trim(line, "\r\n") == ""
		switch {
		case dropBlank && blank:
			dropBlank = false
		case usageOnly([]byte(line)):
			dropBlank = true
		default:
			dropBlank = false
			out.WriteString(line)
		}
	}
	return out.String()
}

// filterWhole is what the usage filter passes on of a whole stream.
func filterWhole(in string) string {
	f := &usageFilter{}
	f.write([]byte(in))
	f.flush()
	var out strings.Builder
	buf := make([]byte, 512)
	for n := f.drain(buf); n > 0; n = f.drain(buf) {
		out.Write(buf[:n])
	}
	return out.String()
}
