package harborai_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// sentBodies is a base transport that keeps the body of each request it
// gets, reading and closing it as net/http does, and answers a short
// stream.
type sentBodies struct {
	mu     sync.Mutex
	bodies []string
}

func (s *sentBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.bodies = append(s.bodies, string(b))
	s.mu.Unlock()
	return &http.Response{
		StatusCode: http.StatusOK, ContentLength: -1, Request: req,
		Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body:   io.NopCloser(strings.NewReader("data: [DONE]\n\n")),
	}, nil
}

func (s *sentBodies) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bodies[len(s.bodies)-1]
}

// TestTransportIncludeUsageRequests checks which requests the Transport
// rewrites to ask for usage: only a body that itself says "stream": true
// (OpenAI-compatible servers refuse stream_options otherwise), not when the
// caller asked for the response compressed (the usage chunk could not be
// hidden), and for Azure only from the api-version that accepts it.
func TestTransportIncludeUsageRequests(t *testing.T) {
	checkLeaks(t)
	srv := startBroker(t)
	pub := connect(t, srv.ClientURL())
	base := new(sentBodies)
	tr := harborai.NewTransport(pub, base)
	const (
		openai    = "https://api.openai.com/v1/chat/completions"
		dashscope = "https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions"
		azure     = "https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions"
		stream    = `{"model":"m","stream":true}`
	)
	tests := []struct {
		name    string
		url     string
		body    string
		header  http.Header
		rewrite bool
	}{
		{"stream", openai, stream, nil, true},
		{"no stream", openai, `{"model":"m"}`, nil, false},
		{"SSE header, stream false", dashscope, `{"model":"qwen-plus","stream":false}`, http.Header{"X-Dashscope-Sse": {"enable"}}, false},
		{"SSE header, no stream member", dashscope, `{"model":"qwen-plus"}`, http.Header{"X-Dashscope-Sse": {"enable"}}, false},
		{"SSE header, stream true", dashscope, `{"model":"qwen-plus","stream":true}`, http.Header{"X-Dashscope-Sse": {"enable"}}, true},
		{"caller asks for gzip", openai, stream, http.Header{"Accept-Encoding": {"gzip"}}, false},
		{"caller asks for identity", openai, stream, http.Header{"Accept-Encoding": {"identity"}}, true},
		{"azure 2024-09-01-preview", azure + "?api-version=2024-09-01-preview", stream, nil, true},
		{"azure 2024-10-21", azure + "?api-version=2024-10-21", stream, nil, true},
		{"azure 2025-04-01-preview", azure + "?x=1&api-version=2025-04-01-preview", stream, nil, true},
		{"azure 2024-08-01-preview", azure + "?api-version=2024-08-01-preview", stream, nil, false},
		{"azure 2024-06-01", azure + "?api-version=2024-06-01", stream, nil, false},
		{"azure without api-version", azure, stream, nil, false},
		{"azure api-version preview", azure + "?api-version=preview", stream, nil, false},
		{"azure v1 API", "https://res.openai.azure.com/openai/v1/chat/completions", stream, nil, true},
		{"azure v1 API, api-version preview", "https://res.openai.azure.com/openai/v1/chat/completions?api-version=preview", stream, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, tt.url, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header[k] = v
			}
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatalf("RoundTrip() = %v", err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			got := base.last()
			if rewritten := got != tt.body; rewritten != tt.rewrite {
				t.Errorf("RoundTrip(%s) sent %s, want include_usage added: %v", tt.body, got, tt.rewrite)
			}
			if tt.rewrite && !strings.Contains(got, `"stream_options":{"include_usage":true}`) {
				t.Errorf("RoundTrip(%s) sent %s, want include_usage added", tt.body, got)
			}
		})
	}
}

// closeCount is a request body that counts its Close calls.
type closeCount struct {
	io.Reader
	n *int
}

func (c closeCount) Close() error { *c.n++; return nil }

// TestTransportClosesRequestBody: as the RoundTripper contract asks, the
// request's body is closed, including when the Transport sends a rewritten
// body in its place and read the original through GetBody.
func TestTransportClosesRequestBody(t *testing.T) {
	checkLeaks(t)
	srv := startBroker(t)
	pub := connect(t, srv.ClientURL())
	const body = `{"model":"m","stream":true}`
	for _, tt := range []struct {
		name         string
		includeUsage bool
		getBody      bool
	}{
		{"rewritten, GetBody", true, true},
		{"rewritten, no GetBody", true, false},
		{"as sent, GetBody", false, true},
		{"as sent, no GetBody", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr := harborai.NewTransport(pub, new(sentBodies), harborai.WithIncludeUsage(tt.includeUsage))
			closed := 0
			req, err := http.NewRequest(http.MethodPost, "https://api.openai.com/v1/chat/completions", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Body, req.ContentLength = closeCount{strings.NewReader(body), &closed}, int64(len(body))
			if tt.getBody {
				req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
			}
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatalf("RoundTrip() = %v", err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if closed == 0 {
				t.Error("the request's body was never closed")
			}
		})
	}
}

// failingBody fails the first Read.
type failingBody struct{ err error }

func (b failingBody) Read([]byte) (int, error) { return 0, b.err }
func (failingBody) Close() error               { return nil }

// TestTransportRequestBodyError: a request body that cannot be read fails
// the call with the reader's own error, as the base transport would, and
// the call is recorded as a transport error rather than not at all. A body
// of known length is read before the call (the base is not called); one of
// unknown length is read as the base sends it.
func TestTransportRequestBodyError(t *testing.T) {
	for _, known := range []bool{true, false} {
		t.Run(map[bool]string{true: "known length", false: "unknown length"}[known], func(t *testing.T) {
			testRequestBodyError(t, known)
		})
	}
}

func testRequestBodyError(t *testing.T, known bool) {
	checkLeaks(t)
	srv := startBroker(t)
	published := subscribe(t, srv.ClientURL())
	pub := connect(t, srv.ClientURL())
	errRead := errors.New("read the request body: disk on fire")
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if known {
			t.Error("the base transport was called")
			return nil, errors.New("unreachable")
		}
		_, err := io.ReadAll(r.Body) // as net/http sends it
		_ = r.Body.Close()
		return nil, err
	})
	tr := harborai.NewTransport(pub, base)
	req, err := http.NewRequest(http.MethodPost, "https://api.openai.com/v1/chat/completions", failingBody{errRead})
	if err != nil {
		t.Fatal(err)
	}
	if known {
		req.ContentLength = 64
	}
	resp, err := tr.RoundTrip(req)
	if resp != nil {
		_ = resp.Body.Close()
	}
	if !errors.Is(err, errRead) {
		t.Errorf("RoundTrip() = %v, want %v", err, errRead)
	}
	var evs []*event.Event
	waitFor(t, 10*time.Second, "the call's two events", func() (bool, string) {
		evs = evs[:0]
		for _, m := range published() {
			ev, err := event.Decode(m, 0)
			if err != nil {
				t.Fatal(err)
			}
			evs = append(evs, ev)
		}
		return len(evs) >= 2, ""
	})
	for _, ev := range evs {
		if r := ev.Request; r != nil && r.BodyOmitted != "incomplete" {
			t.Errorf("request event body omitted %q, want incomplete", r.BodyOmitted)
		}
		if r := ev.Response; r != nil && (r.Status != event.StatusError || r.ErrorType != "transport") {
			t.Errorf("response event status %s, error type %s, want error, transport", r.Status, r.ErrorType)
		}
	}
	if st := pub.Stats(); st.Attempted != 2 {
		t.Errorf("Stats() = %+v, want 2 events attempted", st)
	}
}

// TestTransportErrorMessageRedacted: a transport error whose message
// repeats the request's URL, key and all (as *url.Error does), is
// published without the key.
func TestTransportErrorMessageRedacted(t *testing.T) {
	checkLeaks(t)
	srv := startBroker(t)
	published := subscribe(t, srv.ClientURL())
	pub := connect(t, srv.ClientURL())
	const u = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent?key=" + secret
	errBoom := errors.New("boom")
	base := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return nil, &url.Error{Op: "Post", URL: req.URL.String(), Err: errBoom}
	})
	tr := harborai.NewTransport(pub, base)
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(`{"contents":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.RoundTrip(req)
	if resp != nil {
		_ = resp.Body.Close()
	}
	if !errors.Is(err, errBoom) {
		t.Fatalf("RoundTrip() = %v, want %v", err, errBoom)
	}
	var got *event.Response
	waitFor(t, 10*time.Second, "the call's two events", func() (bool, string) {
		msgs := published()
		for _, m := range msgs {
			if strings.Contains(string(m), secret) {
				t.Fatalf("published event holds the key: %s", m)
			}
			ev, err := event.Decode(m, 0)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Response != nil {
				got = ev.Response
			}
		}
		return len(msgs) >= 2 && got != nil, fmt.Sprintf("%d events", len(msgs))
	})
	if got.Status != event.StatusError || !strings.Contains(got.ErrorMessage, "boom") {
		t.Errorf("response event status %s, error message %q, want error, the transport's message", got.Status, got.ErrorMessage)
	}
}

// TestTransportRequestBodyCopiedAsSent: a request body of unknown length
// without GetBody (a pipe) is recorded as the base transport sends it: the
// request event carries the whole body once it is sent, and the call is
// stored as any other. A body the server answers before it ends is recorded
// "incomplete", and the call ends all the same.
func TestTransportRequestBodyCopiedAsSent(t *testing.T) {
	checkLeaks(t)
	pub, published := httpPub(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Case") == "early" {
			_ = http.NewResponseController(w).EnableFullDuplex()
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"message":"Incorrect API key provided"}}`)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, httpAnswer)
	}))
	t.Cleanup(srv.Close)
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	client := &http.Client{Transport: harborai.NewTransport(pub, base, harborai.WithBaseURL("openai", srv.URL+"/v1"))}

	call := func(c string, write func(*io.PipeWriter)) {
		pr, pw := io.Pipe()
		go write(pw)
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Case", c)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: Do() = %v", c, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	call("whole", func(pw *io.PipeWriter) {
		_, _ = io.WriteString(pw, httpChat[:10])
		time.Sleep(10 * time.Millisecond)
		_, _ = io.WriteString(pw, httpChat[10:])
		_ = pw.Close()
	})
	release := make(chan struct{})
	call("early", func(pw *io.PipeWriter) {
		_, _ = io.WriteString(pw, httpChat[:10])
		<-release // the rest only after the answer
		_ = pw.CloseWithError(errors.New("no more"))
	})
	close(release)

	var evs []*event.Event
	waitFor(t, 10*time.Second, "the two calls' four events", func() (bool, string) {
		evs = decoded(t, published)
		return len(evs) >= 4, fmt.Sprintf("%d events", len(evs))
	})
	byCall := map[string]map[event.Kind]*event.Event{}
	for _, ev := range evs {
		if byCall[ev.CallID] == nil {
			byCall[ev.CallID] = map[event.Kind]*event.Event{}
		}
		byCall[ev.CallID][ev.Kind] = ev
	}
	var whole, early int
	for id, c := range byCall {
		req, resp := c[event.KindRequest], c[event.KindResponse]
		if req == nil || resp == nil {
			t.Fatalf("call %s: request %v, response %v", id, req != nil, resp != nil)
		}
		switch resp.Response.HTTPStatus {
		case http.StatusOK:
			whole++
			if req.Request.Body != httpChat || req.Request.BodyOmitted != "" {
				t.Errorf("whole body: request event body %q (omitted %q), want %q", req.Request.Body, req.Request.BodyOmitted, httpChat)
			}
			if resp.Response.Status != event.StatusSuccess || resp.Response.Body != httpAnswer {
				t.Errorf("whole body: response %s, body %q", resp.Response.Status, resp.Response.Body)
			}
		case http.StatusUnauthorized:
			early++
			if req.Request.Body != "" || req.Request.BodyOmitted != "incomplete" {
				t.Errorf("early answer: request event body %q (omitted %q), want none (incomplete)", req.Request.Body, req.Request.BodyOmitted)
			}
			if resp.Response.Status != event.StatusError || resp.Response.ErrorType != "http_401" {
				t.Errorf("early answer: response %s %s", resp.Response.Status, resp.Response.ErrorType)
			}
		}
	}
	if whole != 1 || early != 1 {
		t.Errorf("calls by status: %d whole, %d early; want 1 and 1", whole, early)
	}
}
