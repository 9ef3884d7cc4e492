package harborai_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestKnownLengthPipeHonoursTheContext: a request body without GetBody but
// with a known length (a pipe, a body a proxy forwards) is read before the
// call is sent; a writer that stalls does not hold the call past the
// request's context, which ends it as it ends the base's.
func TestKnownLengthPipeHonoursTheContext(t *testing.T) {
	pub, _ := httpPub(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":{"message":"Incorrect API key provided"}}`)
		w.(http.Flusher).Flush()
		_, _ = io.Copy(io.Discard, r.Body) // full duplex: until the writer is done
	}))
	t.Cleanup(srv.Close)
	plainAndRecorded(t, pub, srv.URL, func() *http.Transport { return &http.Transport{} }, func(t *testing.T, name string, rt http.RoundTripper) {
		pr, pw := io.Pipe()
		t.Cleanup(func() { _ = pw.CloseWithError(errors.New("test over")) })
		go func() { _, _ = io.WriteString(pw, `{"model":"gpt-4o-mini",`) }() // the rest comes later
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/chat/completions", pr)
		req.ContentLength = 1000 // known length, no GetBody
		var (
			resp *http.Response
			err  error
		)
		start := time.Now()
		if !within(2*time.Second, func() { resp, err = rt.RoundTrip(req) }) { //nolint:bodyclose
			t.Fatalf("%s: RoundTrip still blocked after 2s (context deadline 300ms)", name)
		}
		if err == nil {
			resp.Body.Close()
		}
		t.Logf("%s: %v after %v", name, err, time.Since(start))
	})
}

// TestRespRequestOfTheBase: a base that reports in resp.Request the request
// that produced the response (its final URL, after a redirect it followed
// or a retry) keeps it; only the copy the Transport sent is replaced by the
// application's request.
func TestRespRequestOfTheBase(t *testing.T) {
	pub, _ := httpPub(t)
	base := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		final := req.Clone(req.Context())
		final.URL.Path = "/v1/chat/completions/final"
		return &http.Response{StatusCode: 200, ContentLength: int64(len(httpAnswer)), Header: http.Header{},
			Body: io.NopCloser(strings.NewReader(httpAnswer)), Request: final}, nil
	})
	plainAndRecordedRT(t, pub, base, func(t *testing.T, name string, rt http.RoundTripper) {
		req, _ := http.NewRequest(http.MethodPost, "https://api.openai.com/v1/chat/completions", io.NopCloser(strings.NewReader(httpChat)))
		req.ContentLength = int64(len(httpChat)) // read by the Transport: a copy is sent
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got := resp.Request.URL.Path; got != "/v1/chat/completions/final" {
			t.Errorf("%s: resp.Request.URL.Path = %q, want the base's %q", name, got, "/v1/chat/completions/final")
		}
	})
}

type countingPipe struct {
	*io.PipeReader
	closes atomic.Int32
}

func (c *countingPipe) Close() error { c.closes.Add(1); return c.PipeReader.Close() }

// TestStalledBodyClosedOnce: a known-length body without GetBody
// whose writer stalls, the context ending: the body is closed once (the
// AfterFunc's Close, then readBody's own on the error).
func TestStalledBodyClosedOnce(t *testing.T) {
	srv := startBroker(t)
	pub := connect(t, srv.ClientURL())
	plainAndRecordedRT(t, pub, http.DefaultTransport, func(t *testing.T, name string, rt http.RoundTripper) {
		pr, pw := io.Pipe()
		defer pw.Close()
		body := &countingPipe{PipeReader: pr}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://api.openai.com/v1/chat/completions", body)
		req.ContentLength = 100
		go func() { _, _ = pw.Write([]byte(`{"model":`)) }()
		resp, err := rt.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		time.Sleep(200 * time.Millisecond)
		t.Logf("%s: err=%v closes=%d", name, err, body.closes.Load())
		if n := body.closes.Load(); n != 1 {
			t.Errorf("%s: request body closed %d times", name, n)
		}
	})
}
