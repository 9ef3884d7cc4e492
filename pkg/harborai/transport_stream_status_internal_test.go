package harborai

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
)

// streamStatus wraps a 200 stream whose body is in, lets read consume it
// as the caller, closes it, and returns the status its event got.
func streamStatus(t *testing.T, in string, hide bool, read func(io.Reader)) string {
	t.Helper()
	p := queuePublisher()
	var f *usageFilter
	if hide {
		f = new(usageFilter)
	}
	resp := &http.Response{StatusCode: http.StatusOK, ContentLength: -1, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(in))}
	resp = wrap(p, resp, DefaultMaxBodyBytes, f)
	read(resp.Body)
	_ = resp.Body.Close()
	return queuedResponse(t, p).Response.Status
}

// untilDone reads lines until one ends with [DONE], as openai-go's stream
// decoder does before the caller closes the body.
func untilDone(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() && !strings.HasSuffix(sc.Text(), "[DONE]") {
	}
}

// TestStreamClosedAtDoneWithoutSpace: a stream that writes "data:[DONE]"
// (SSE allows no space after the colon), read to it and then closed as SDKs
// do, is a whole call, not an abandoned one, even when its last chunk's
// finish_reason is one no marker names.
func TestStreamClosedAtDoneWithoutSpace(t *testing.T) {
	for _, done := range []string{"data: [DONE]", "data:[DONE]"} {
		for _, hide := range []bool{false, true} {
			in := `data:{"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"tool_calls"}],"usage":null}` + "\n\n" +
				`data:{"id":"c","object":"chat.completion.chunk","model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}` + "\n\n" +
				done + "\n\n"
			if got := streamStatus(t, in, hide, untilDone); got != event.StatusSuccess {
				t.Errorf("%q, filter %v: read to [DONE] and closed: status %q, want %q", done, hide, got, event.StatusSuccess)
			}
		}
	}
}

// TestStreamClosedEarlyThroughFilter: a caller that reads the first bytes
// of a stream and closes it abandoned the call, also when the usage filter
// has read the rest of the stream, its end included, ahead of the caller.
func TestStreamClosedEarlyThroughFilter(t *testing.T) {
	// Shorter than the filter's first read (512 bytes): it reads the end.
	in := `data: {"choices":[{"index":0,"delta":{"content":"hello"},"finish_reason":null}],"usage":null}` + "\n\n" +
		`data: {"choices":[{"index":0,"delta":{"content":" world"},"finish_reason":null}],"usage":null}` + "\n\n" +
		`data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":null}` + "\n\n" +
		`data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":3,"total_tokens":6}}` + "\n\n" +
		"data: [DONE]\n\n"
	if len(in) >= 512 {
		t.Fatalf("the stream is %d bytes", len(in))
	}
	first64 := func(r io.Reader) {
		if _, err := io.ReadFull(r, make([]byte, 64)); err != nil {
			t.Fatal(err)
		}
	}
	for _, hide := range []bool{false, true} {
		if got := streamStatus(t, in, hide, first64); got != event.StatusAbandoned {
			t.Errorf("filter %v: 64 bytes read, then closed: status %q, want %q", hide, got, event.StatusAbandoned)
		}
		if got := streamStatus(t, in, hide, untilDone); got != event.StatusSuccess {
			t.Errorf("filter %v: read to [DONE], then closed: status %q, want %q", hide, got, event.StatusSuccess)
		}
		// The caller stops at the last chunk with a finish_reason and never
		// sees [DONE], the usage chunk still unread: a marker it was given
		// ("finish_reason":"length") makes the call whole, as without the
		// filter.
		toFinish := func(r io.Reader) {
			sc := bufio.NewScanner(r)
			for sc.Scan() && !strings.Contains(sc.Text(), `"finish_reason":"length"`) {
			}
		}
		if got := streamStatus(t, in, hide, toFinish); got != event.StatusSuccess {
			t.Errorf("filter %v: read to the finish_reason, then closed: status %q, want %q", hide, got, event.StatusSuccess)
		}
	}
}

// TestIdentityEncodingInAnyCase: "Identity" is no coding (codings are
// case-insensitive): the stream is filtered and kept as any other.
func TestIdentityEncodingInAnyCase(t *testing.T) {
	in := `data: {"choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}` + "\n\n" +
		`data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}` + "\n\n" + "data: [DONE]\n\n"
	for _, enc := range []string{"identity", "Identity", " IDENTITY "} {
		p := queuePublisher()
		resp := &http.Response{StatusCode: http.StatusOK, ContentLength: -1, Header: http.Header{"Content-Encoding": {enc}}, Body: io.NopCloser(strings.NewReader(in))}
		resp = wrap(p, resp, DefaultMaxBodyBytes, new(usageFilter))
		got, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if strings.Contains(string(got), `"choices":[]`) {
			t.Errorf("%q: the usage chunk reached the application", enc)
		}
		if ev := queuedResponse(t, p); ev.Response.Body != in {
			t.Errorf("%q: event body %q (omitted %q), want the stream", enc, ev.Response.Body, ev.Response.BodyOmitted)
		}
	}
}

// TestFilterKeepsWhatItGave: the filter's record of the last bytes given to
// the caller is the end of everything given, whatever the sizes of the
// reads.
func TestFilterKeepsWhatItGave(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var f usageFilter
		var all []byte
		for range rng.IntN(40) {
			p := make([]byte, rng.IntN(700))
			for i := range p {
				p[i] = byte('a' + rng.IntN(26))
			}
			f.gave(p)
			all = append(all, p...)
			want := all[max(0, len(all)-markerWindow):]
			if got := f.lastGiven(); !bytes.Equal(got, want) {
				t.Fatalf("after %d bytes given: last %d bytes kept differ from the %d given last", len(all), len(got), len(want))
			}
		}
	}
}

// TestFilterPassesLinesEndingInCR: a stream whose lines end with a lone CR
// (SSE allows it) reaches the application event by event through the usage
// filter, not at the stream's end.
func TestFilterPassesLinesEndingInCR(t *testing.T) {
	for _, eol := range []string{"\n", "\r\n", "\r"} {
		pr, pw := io.Pipe()
		p := queuePublisher()
		resp := &http.Response{StatusCode: http.StatusOK, ContentLength: -1, Header: http.Header{}, Body: pr}
		resp = wrap(p, resp, DefaultMaxBodyBytes, new(usageFilter)) //nolint:bodyclose // the test closes it
		first := `data: {"choices":[{"index":0,"delta":{"content":"first"}}],"usage":null}` + eol + eol
		go func() { _, _ = io.WriteString(pw, first) }() // then nothing, until the test closes the pipe
		got := make(chan string, 1)
		go func() {
			buf := make([]byte, 4096)
			n, _ := resp.Body.Read(buf)
			got <- string(buf[:n])
		}()
		select {
		case s := <-got:
			if !strings.HasPrefix(first, s) || s == "" {
				t.Errorf("%q: the first read gave %q, want the start of %q", eol, s, first)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%q: the first event, sent whole, has not reached the application in 5 s: held until the stream's end", eol)
		}
		_ = pw.Close()
		_ = resp.Body.Close()
	}
}

// TestKnownLengthReadWholeThroughFilter: a reply of known length to a
// stream request (a server that does not stream answers with one JSON
// document) that the application decodes whole and closes without reading
// EOF is a whole call through the usage filter too; closed before its end,
// it is abandoned.
func TestKnownLengthReadWholeThroughFilter(t *testing.T) {
	doc := `{"id":"c","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`
	decodeJSON := func(r io.Reader) {
		var v map[string]any
		if err := json.NewDecoder(r).Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name, in string
		read     func(io.Reader)
		known    bool
		want     string
	}{
		{"json decoded, known length", doc, decodeJSON, true, event.StatusSuccess},
		// A stream request's reply of unknown length, closed without EOF:
		// no marker tells it whole (as without the filter).
		{"json decoded, unknown length", doc, decodeJSON, false, event.StatusAbandoned},
		{"json, 10 bytes read", doc, func(r io.Reader) { _, _ = io.ReadFull(r, make([]byte, 10)) }, true, event.StatusAbandoned},
	} {
		for _, hide := range []bool{false, true} {
			p := queuePublisher()
			var f *usageFilter
			if hide {
				f = new(usageFilter)
			}
			length := int64(-1)
			if tt.known {
				length = int64(len(tt.in))
			}
			resp := &http.Response{StatusCode: http.StatusOK, ContentLength: length, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tt.in))}
			resp = wrap(p, resp, DefaultMaxBodyBytes, f)
			tt.read(resp.Body)
			_ = resp.Body.Close()
			if got := queuedResponse(t, p).Response.Status; got != tt.want {
				t.Errorf("%s, filter %v: status %q, want %q", tt.name, hide, got, tt.want)
			}
		}
	}
}

// TestJSONReplyToAStreamRequest: through the Transport, which asks a
// stream request for its usage and so filters the reply, a server that
// answers with one JSON document (net/http sets its length) decoded whole
// and closed is a whole call.
func TestJSONReplyToAStreamRequest(t *testing.T) {
	const reply = `{"id":"c","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, reply)
	}))
	defer srv.Close()
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	p := queuePublisher()
	tr := NewTransport(p, base, WithBaseURL("openai", srv.URL))
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", strings.NewReader(`{"model":"m","messages":[],"stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if got := queuedResponse(t, p).Response.Status; got != event.StatusSuccess {
		t.Errorf("the %d-byte reply decoded whole, then closed: status %q, want %q", len(reply), got, event.StatusSuccess)
	}
}
