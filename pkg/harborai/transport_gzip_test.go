package harborai_test

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/harborai"
)

// TestGzipStreamClosedAtDone: a gzip-compressed SSE stream the caller asked
// for (Accept-Encoding: gzip, stream_options.include_usage: true), read
// through gzip.Reader up to "data: [DONE]" and closed there, as SSE clients
// do. The server compresses on the fly, flushing each event; the gzip
// trailer follows [DONE]. The call is a success, with the usage the
// application received.
func TestGzipStreamClosedAtDone(t *testing.T) {
	p := startPipeline(t)
	pub := connect(t, p.natsURL)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		send := func(s string) {
			_, _ = io.WriteString(zw, s)
			_ = zw.Flush()
			w.(http.Flusher).Flush()
		}
		for i := range 3 {
			send(fmt.Sprintf("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t%d\"}}],\"usage\":null}\n\n", i))
		}
		send(`data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}` + "\n\n")
		send("data: [DONE]\n\n")
		time.Sleep(100 * time.Millisecond) // the connection stays open a moment
		_ = zw.Close()
	}))
	t.Cleanup(srv.Close)
	client := pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, harborai.WithBaseURL("openai", srv.URL+"/v1"))
	req := tagCase(newPost(t, srv.URL+"/v1/chat/completions",
		`{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`), "gz-stream", harborai.CallInfo{})
	resp, zr := doGzip(t, client, req)
	sc := bufio.NewScanner(zr)
	sawUsage := false
	for sc.Scan() {
		if sc.Text() == "data: [DONE]" {
			break
		}
		if strings.Contains(sc.Text(), `"prompt_tokens":11`) {
			sawUsage = true
		}
	}
	resp.Body.Close()
	if !sawUsage {
		t.Fatal("the application did not see the usage chunk")
	}
	calls := storedByCase(t, p, 1, 5*time.Second)["gz-stream"]
	if len(calls) != 1 {
		t.Fatalf("stored %d calls", len(calls))
	}
	c := calls[0]
	t.Log(describe(c))
	if c.Usage == nil || c.Usage.PromptTokens == nil || *c.Usage.PromptTokens != 11 || c.Usage.CompletionTokens == nil || *c.Usage.CompletionTokens != 7 {
		t.Errorf("usage the application received (11 prompt, 7 completion) not stored")
	}
	if c.Status != "success" {
		t.Errorf("status %q: the application read the stream to its [DONE]", c.Status)
	}
}

// doGzip makes req asking for gzip itself (Accept-Encoding), as an
// application that decodes the reply does, and returns the response with a
// reader of its decoded body.
func doGzip(t *testing.T, client *http.Client, req *http.Request) (*http.Response, *gzip.Reader) {
	t.Helper()
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		resp.Body.Close()
		t.Fatal(err)
	}
	return resp, zr
}
