package harborai_test

// The Transport against net/http's contract: cases that behaved as
// net/http does before the fixes of 27 Nov too (transport_http_test.go has
// those that did not). Run with
//
//	go test -race -count=1 -run 'TestTransportHTTP' ./pkg/harborai

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// httpServer answers chat calls: by X-Case, a stream, a 429, a JSON body.
func httpServer(t *testing.T, h2 bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Got-Body", fmt.Sprint(len(b)))
		w.Header().Set("X-Got-TE", strings.Join(r.TransferEncoding, ","))
		w.Header().Set("X-Got-CL", fmt.Sprint(r.ContentLength))
		switch r.Header.Get("X-Case") {
		case "stream":
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Trailer", "X-Stream-Cost")
			for i := range 5 {
				fmt.Fprintf(w, "data: {\"i\":%d}\n\n", i)
				w.(http.Flusher).Flush()
			}
			_, _ = io.WriteString(w, "data: [DONE]\n\n")
			w.Header().Set("X-Stream-Cost", "42")
		case "429":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"error":{"message":"slow down"}}`)
		case "slow-headers":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case "slow-body":
			_, _ = io.WriteString(w, "data: {}\n\n")
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, httpAnswer)
		}
	}))
	srv.EnableHTTP2 = h2
	if h2 {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

func httpTransport(t *testing.T, pub *harborai.Publisher, srv *httptest.Server, opts ...harborai.TransportOption) (*harborai.Transport, *http.Transport) {
	t.Helper()
	base := srv.Client().Transport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	return harborai.NewTransport(pub, base, append(opts, harborai.WithBaseURL("openai", srv.URL+"/v1"))...), base
}

func httpReq(t *testing.T, ctx context.Context, srv *httptest.Server, c string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/chat/completions", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Case", c)
	return req
}

// waitResponses waits for n response events and returns them.
func waitResponses(t *testing.T, published func() [][]byte, n int) []*event.Response {
	t.Helper()
	var out []*event.Response
	waitFor(t, 10*time.Second, fmt.Sprintf("%d response events", n), func() (bool, string) {
		out = out[:0]
		for _, ev := range decoded(t, published) {
			if ev.Response != nil {
				out = append(out, ev.Response)
			}
		}
		return len(out) >= n, fmt.Sprintf("%d", len(out))
	})
	return out
}

// HTTP/2 over TLS: a stream's bytes and trailers, a 429 read ahead, and
// JSON, as over HTTP/1.1.
func TestTransportHTTPHTTP2(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("h2=%v", h2), func(t *testing.T) {
			pub, published := httpPub(t)
			srv := httpServer(t, h2)
			tr, _ := httpTransport(t, pub, srv)
			client := &http.Client{Transport: tr}
			req := httpReq(t, context.Background(), srv, "stream", strings.NewReader(`{"model":"m","stream":true}`))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{false: 1, true: 2}[h2]; resp.ProtoMajor != want {
				t.Errorf("HTTP/%d, want %d", resp.ProtoMajor, want)
			}
			if resp.Trailer == nil {
				t.Errorf("no announced trailer before the body")
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || !strings.HasSuffix(string(b), "data: [DONE]\n\n") || strings.Contains(string(b), "usage") {
				t.Errorf("read %q, %v", b, err)
			}
			if got := resp.Trailer.Get("X-Stream-Cost"); got != "42" {
				t.Errorf("trailer %q, want 42", got)
			}
			resp, err = client.Do(httpReq(t, context.Background(), srv, "429", strings.NewReader(httpChat)))
			if err != nil {
				t.Fatal(err)
			}
			b, err = io.ReadAll(resp.Body)
			if err != nil || !strings.Contains(string(b), "slow down") {
				t.Errorf("429 body %q, %v", b, err)
			}
			if err := resp.Body.Close(); err != nil {
				t.Errorf("Close() = %v", err)
			}
			for _, r := range waitResponses(t, published, 2) {
				if r.HTTPStatus == 200 && r.Status != event.StatusSuccess || r.HTTPStatus == 429 && r.ErrorType != "http_429" {
					t.Errorf("response event %d %s %s", r.HTTPStatus, r.Status, r.ErrorType)
				}
			}
		})
	}
}

// 101 Switching Protocols: the body net/http returns is writable; the
// Transport hands it over as it is.
func TestTransportHTTPUpgrade(t *testing.T) {
	pub, _ := httpPub(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		_ = brw.Flush()
		line, _ := brw.ReadString('\n')
		_, _ = brw.WriteString("echo " + line)
		_ = brw.Flush()
	}))
	t.Cleanup(srv.Close)
	tr, _ := httpTransport(t, pub, srv)
	req := httpReq(t, context.Background(), srv, "", strings.NewReader(httpChat))
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "echo")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rwc, ok := resp.Body.(io.ReadWriteCloser)
	if resp.StatusCode != 101 || !ok {
		t.Fatalf("status %d, body %T: want 101 and a writable body", resp.StatusCode, resp.Body)
	}
	_, _ = io.WriteString(rwc, "ping\n")
	line, err := bufio.NewReader(rwc).ReadString('\n')
	if line != "echo ping\n" {
		t.Errorf("read %q, %v", line, err)
	}
}

// 1xx informational responses (103 Early Hints) reach the caller's
// httptrace and the final response is returned.
func TestTransportHTTPInformational(t *testing.T) {
	pub, _ := httpPub(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		w.Header().Set("Link", "</a>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		_, _ = io.WriteString(w, httpAnswer)
	}))
	t.Cleanup(srv.Close)
	tr, _ := httpTransport(t, pub, srv)
	var got1xx atomic.Int32
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		Got1xxResponse: func(code int, _ textproto.MIMEHeader) error { got1xx.Store(int32(code)); return nil },
	})
	resp, err := tr.RoundTrip(httpReq(t, ctx, srv, "", strings.NewReader(httpChat)))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || got1xx.Load() != 103 {
		t.Errorf("status %d, 1xx %d", resp.StatusCode, got1xx.Load())
	}
}

// 307/308 with a body: http.Client re-sends it through GetBody, each hop
// recorded; without GetBody the redirect is returned, as without the
// Transport.
func TestTransportHTTPRedirect(t *testing.T) {
	for _, code := range []int{307, 308} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			pub, published := httpPub(t)
			var bodies []string
			var mu sync.Mutex
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				bodies = append(bodies, string(b))
				mu.Unlock()
				if r.URL.Path == "/v1/chat/completions" {
					http.Redirect(w, r, "/v2/chat/completions", code)
					return
				}
				_, _ = io.WriteString(w, httpAnswer)
			}))
			t.Cleanup(srv.Close)
			base := &http.Transport{}
			t.Cleanup(base.CloseIdleConnections)
			client := &http.Client{Transport: harborai.NewTransport(pub, base,
				harborai.WithBaseURL("openai", srv.URL+"/v1"), harborai.WithBaseURL("openai", srv.URL+"/v2"))}
			resp, err := client.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(httpChat))
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || len(bodies) != 2 || bodies[1] != httpChat {
				t.Errorf("status %d, bodies %q", resp.StatusCode, bodies)
			}
			rs := waitResponses(t, published, 2)
			if len(rs) != 2 {
				t.Error("two hops, two calls")
			}
			for _, r := range rs {
				t.Logf("hop recorded: HTTP %d, status %s, body %q", r.HTTPStatus, r.Status, r.Body)
			}
			// No GetBody: the redirect is the answer.
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", io.MultiReader(strings.NewReader(httpChat)))
			resp, err = client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != code {
				t.Errorf("no GetBody: status %d, want the %d as net/http gives", resp.StatusCode, code)
			}
		})
	}
}

// Content-Encoding: net/http's transparent gzip, the caller asking for
// gzip itself, and gzip the server sends unasked with compression off.
func TestTransportHTTPContentEncoding(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = io.WriteString(zw, httpAnswer)
	_ = zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip") // always, asked or not
		_, _ = w.Write(gz.Bytes())
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name        string
		disable     bool
		askGzip     bool
		wantDecoded bool
	}{
		{"transparent", false, false, true},
		{"caller asks gzip", false, true, false},
		{"unasked, compression off", true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pub, published := httpPub(t)
			base := &http.Transport{DisableCompression: tc.disable}
			t.Cleanup(base.CloseIdleConnections)
			tr := harborai.NewTransport(pub, base, harborai.WithBaseURL("openai", srv.URL+"/v1"))
			req := httpReq(t, context.Background(), srv, "", strings.NewReader(httpChat))
			if tc.askGzip {
				req.Header.Set("Accept-Encoding", "gzip")
			}
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if got := string(b) == httpAnswer; got != tc.wantDecoded {
				t.Errorf("read decoded=%v, want %v (Uncompressed %v)", got, tc.wantDecoded, resp.Uncompressed)
			}
			if r := waitResponses(t, published, 1)[0]; r.Body != httpAnswer || r.Status != event.StatusSuccess {
				t.Errorf("event body %q status %s, want the JSON decoded", r.Body, r.Status)
			}
		})
	}
}

// The request is not modified: headers, URL, body, lengths, GetBody, in
// each of the Transport's paths (GetBody, no GetBody, over the limit, the
// include_usage rewrite with a Content-Length header).
func TestTransportHTTPRequestNotMutated(t *testing.T) {
	pub, _ := httpPub(t)
	srv := httpServer(t, false)
	big := `{"model":"m","stream":true,"x":"` + strings.Repeat("a", 4096) + `"}`
	for _, tc := range []struct {
		name    string
		body    func() io.Reader
		stream  bool
		limit   int
		setCLHd bool
	}{
		{"GetBody", func() io.Reader { return strings.NewReader(httpChat) }, false, 1 << 20, false},
		{"no GetBody", func() io.Reader { return io.MultiReader(strings.NewReader(httpChat)) }, false, 1 << 20, false},
		{"over the limit, no GetBody", func() io.Reader { return io.MultiReader(strings.NewReader(big)) }, true, 1024, false},
		{"rewritten, Content-Length header", func() io.Reader { return strings.NewReader(`{"model":"m","stream":true}`) }, true, 1 << 20, true},
		{"rewritten, no GetBody", func() io.Reader { return io.MultiReader(strings.NewReader(`{"model":"m","stream":true}`)) }, true, 1 << 20, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, _ := httpTransport(t, pub, srv, harborai.WithMaxBodyBytes(tc.limit))
			c := ""
			if tc.stream {
				c = "stream"
			}
			req := httpReq(t, context.Background(), srv, c, tc.body())
			req.Header.Set("Authorization", "Bearer "+secret)
			req.Header.Add("X-Multi", "a")
			req.Header.Add("X-Multi", "b")
			if tc.setCLHd {
				req.Header.Set("Content-Length", fmt.Sprint(req.ContentLength))
			}
			hdr := req.Header.Clone()
			u, body, cl, hasGetBody, host := req.URL.String(), req.Body, req.ContentLength, req.GetBody != nil, req.Host
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !maps.EqualFunc(hdr, req.Header, func(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }) {
				t.Errorf("headers changed: %v -> %v", hdr, req.Header)
			}
			if req.URL.String() != u || req.Body != body || req.ContentLength != cl || (req.GetBody != nil) != hasGetBody || req.Host != host {
				t.Errorf("request changed")
			}
			if resp.Request != req {
				t.Errorf("resp.Request is not the caller's request")
			}
			if tc.stream && strings.Contains(string(b), "usage") {
				t.Errorf("usage chunk shown")
			}
			if tc.name == "over the limit, no GetBody" && resp.Header.Get("X-Got-Body") != fmt.Sprint(len(big)) {
				t.Errorf("server got %s bytes, want %d", resp.Header.Get("X-Got-Body"), len(big))
			}
		})
	}
}

// A chunked request body (ContentLength -1, no GetBody) goes out chunked
// with every byte; http.NoBody goes out as no body.
func TestTransportHTTPChunkedAndNoBody(t *testing.T) {
	pub, _ := httpPub(t)
	srv := httpServer(t, false)
	tr, _ := httpTransport(t, pub, srv)
	req := httpReq(t, context.Background(), srv, "", io.MultiReader(strings.NewReader(httpChat)))
	if req.ContentLength != 0 || req.GetBody != nil {
		t.Fatal("setup")
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Got-TE") != "chunked" || resp.Header.Get("X-Got-Body") != fmt.Sprint(len(httpChat)) {
		t.Errorf("server got TE %q, %s bytes", resp.Header.Get("X-Got-TE"), resp.Header.Get("X-Got-Body"))
	}
	req = httpReq(t, context.Background(), srv, "", http.NoBody)
	resp, err = tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Got-CL") != "0" || resp.Header.Get("X-Got-Body") != "0" {
		t.Errorf("NoBody: server got CL %s, %s bytes", resp.Header.Get("X-Got-CL"), resp.Header.Get("X-Got-Body"))
	}
}

// Cancellation before the headers (context, Request.Cancel) and during
// the body; Close while another goroutine reads; Read after Close; Close
// returning the base body's error; CloseIdleConnections passed on.
func TestTransportHTTPCancelAndClose(t *testing.T) {
	pub, published := httpPub(t)
	srv := httpServer(t, false)
	tr, _ := httpTransport(t, pub, srv)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	// failing is RoundTrip of a call expected to fail before its response.
	failing := func(req *http.Request) error {
		resp, err := tr.RoundTrip(req)
		if resp != nil {
			resp.Body.Close()
		}
		return err
	}
	err := failing(httpReq(t, ctx, srv, "slow-headers", strings.NewReader(httpChat)))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("before headers: %v after %v", err, time.Since(start))
	}

	req := httpReq(t, context.Background(), srv, "slow-headers", strings.NewReader(httpChat))
	cancelCh := make(chan struct{})
	req.Cancel = cancelCh //nolint:staticcheck // the deprecated way, still honoured
	time.AfterFunc(200*time.Millisecond, func() { close(cancelCh) })
	start = time.Now()
	if err := failing(req); err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("Request.Cancel: %v after %v", err, time.Since(start))
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	resp, err := tr.RoundTrip(httpReq(t, ctx2, srv, "slow-body", strings.NewReader(`{"model":"m","stream":true}`))) //nolint:bodyclose // closed below
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	_, _ = resp.Body.Read(buf)
	time.AfterFunc(100*time.Millisecond, cancel2)
	start = time.Now()
	_, err = io.ReadAll(resp.Body)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
		t.Errorf("during body: %v after %v", err, time.Since(start))
	}
	resp.Body.Close()

	// Close while another goroutine reads, then Read after Close.
	for _, c := range []string{"slow-body", "429"} {
		ctx3, cancel3 := context.WithTimeout(context.Background(), 10*time.Second)
		resp, err = tr.RoundTrip(httpReq(t, ctx3, srv, c, strings.NewReader(httpChat))) //nolint:bodyclose // closed below
		if err != nil {
			t.Fatal(err)
		}
		if c == "429" {
			_, _ = io.ReadAll(resp.Body) // the read-ahead body
		} else {
			_, _ = resp.Body.Read(buf)
		}
		done := make(chan error, 1)
		go func() { _, err := io.ReadAll(resp.Body); done <- err }()
		time.Sleep(50 * time.Millisecond)
		_ = resp.Body.Close()
		select {
		case err := <-done:
			if c != "429" && err == nil {
				t.Errorf("%s: blocked Read after Close = nil error", c)
			}
		case <-time.After(3 * time.Second):
			t.Errorf("%s: Read blocked after Close", c)
		}
		if n, err := resp.Body.Read(buf); n != 0 || err == nil {
			t.Errorf("%s: Read after Close = %d, %v", c, n, err)
		}
		cancel3()
	}

	// Close returns the base body's error (2xx).
	errClose := errors.New("base close failed")
	tr2 := harborai.NewTransport(pub, roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, ContentLength: -1, Header: http.Header{}, Request: req,
			Body: readCloser{strings.NewReader(httpAnswer), closerFunc(func() error { return errClose })}}, nil
	}))
	resp, err = tr2.RoundTrip(httpReq(t, context.Background(), srv, "", strings.NewReader(httpChat))) //nolint:bodyclose // closed below
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(resp.Body)
	if err := resp.Body.Close(); !errors.Is(err, errClose) {
		t.Errorf("Close() = %v, want the base's", err)
	}

	// CloseIdleConnections reaches the base.
	var closed atomic.Int32
	tr3 := harborai.NewTransport(pub, idleCloser{&closed})
	(&http.Client{Transport: tr3}).CloseIdleConnections()
	if closed.Load() != 1 {
		t.Error("CloseIdleConnections not passed on")
	}
	_ = published
}

type readCloser struct {
	io.Reader
	io.Closer
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

type idleCloser struct{ n *atomic.Int32 }

func (idleCloser) RoundTrip(*http.Request) (*http.Response, error) { return nil, errors.New("no") }
func (c idleCloser) CloseIdleConnections()                         { c.n.Add(1) }

// Many goroutines, streams, JSON and 429s at once, over one Transport.
func TestTransportHTTPConcurrent(t *testing.T) {
	pub, published := httpPub(t)
	srv := httpServer(t, false)
	tr, _ := httpTransport(t, pub, srv)
	client := &http.Client{Transport: tr}
	cases := []string{"", "stream", "429"}
	var wg sync.WaitGroup
	const n = 24
	for i := range n {
		wg.Go(func() {
			c := cases[i%len(cases)]
			body := httpChat
			if c == "stream" {
				body = `{"model":"m","stream":true}`
			}
			req := httpReq(t, context.Background(), srv, c, strings.NewReader(body))
			req.Header.Set("X-I", fmt.Sprint(i))
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || len(b) == 0 {
				t.Errorf("%d: %q %v", i, b, err)
			}
		})
	}
	wg.Wait()
	if got := len(waitResponses(t, published, n)); got != n {
		t.Errorf("%d response events, want %d", got, n)
	}
}

// An error body read ahead leaves its connection reusable (HTTP/1.1, the
// length known or chunked), as reading it to EOF does without the Transport.
func TestTransportHTTPErrorBodyConnReused(t *testing.T) {
	pub, _ := httpPub(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		if r.Header.Get("X-Case") == "chunked" {
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"error":`)
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, `{"message":"slow down"}}`)
			return
		}
		w.Header().Set("Content-Length", "33")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error":{"message":"slow down"}}`)
	}))
	t.Cleanup(srv.Close)
	tr, _ := httpTransport(t, pub, srv)
	for _, c := range []string{"length", "chunked"} {
		var reused []bool
		for range 3 {
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
				GotConn: func(i httptrace.GotConnInfo) { reused = append(reused, i.Reused) },
			})
			resp, err := tr.RoundTrip(httpReq(t, ctx, srv, c, strings.NewReader(httpChat)))
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond) // the application does not read it
			resp.Body.Close()
		}
		if !reused[1] || !reused[2] {
			t.Errorf("%s: connections reused %v", c, reused)
		}
	}
}
