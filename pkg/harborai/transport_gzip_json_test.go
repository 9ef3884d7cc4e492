package harborai_test

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// TestGzipJSONDecodedThenClosed: the caller asks for gzip itself
// (Accept-Encoding), decodes the JSON reply with json.Decoder over
// gzip.Reader and closes the body without reading to EOF, as SDKs do. The
// reply is chunked (no Content-Length), as vendors' gzip replies are:
// written with its gzip trailer a moment later, or at once but larger than
// net/http's buffer. Each call is whole: a success, with its usage.
func TestGzipJSONDecodedThenClosed(t *testing.T) {
	usage := `"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}`
	t.Run("trailer later", func(t *testing.T) {
		answer := `{"id":"x","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"` +
			strings.Repeat("ok ", 2000) + `"},"finish_reason":"stop"}],` + usage
		checkGzipJSON(t, answer, 50*time.Millisecond, 1)
	})
	t.Run("written at once", func(t *testing.T) {
		rng := rand.New(rand.NewSource(1))
		var sb strings.Builder
		for range 3000 {
			fmt.Fprintf(&sb, "%x ", rng.Int63())
		}
		answer := `{"id":"x","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"` +
			sb.String() + `"},"finish_reason":"stop"}],` + usage
		checkGzipJSON(t, answer, 0, 10)
	})
}

// checkGzipJSON makes n calls to a server answering answer gzipped (its
// gzip trailer after delay), each decoded as JSON and closed, and checks
// each is stored as a success with its usage.
func checkGzipJSON(t *testing.T, answer string, delay time.Duration, n int) {
	p := startPipeline(t)
	pub := connect(t, p.natsURL)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		_, _ = io.WriteString(zw, answer)
		if delay > 0 {
			_ = zw.Flush()
			w.(http.Flusher).Flush()
			time.Sleep(delay)
		}
		_ = zw.Close()
	}))
	t.Cleanup(srv.Close)
	client := pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, harborai.WithBaseURL("openai", srv.URL+"/v1"))
	for i := range n {
		req := tagCase(newPost(t, srv.URL+"/v1/chat/completions", plainChat), fmt.Sprint("gzip", i), harborai.CallInfo{})
		resp, zr := doGzip(t, client, req)
		var v map[string]any
		if err := json.NewDecoder(zr).Decode(&v); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	stored := storedByCase(t, p, n, 5*time.Second)
	bad := 0
	for i := range n {
		calls := stored[fmt.Sprint("gzip", i)]
		if len(calls) != 1 {
			t.Fatalf("call %d stored %d times", i, len(calls))
		}
		if c := calls[0]; c.Status != event.StatusSuccess || c.Usage == nil || c.Usage.UsageMissing || *c.Usage.PromptTokens != 11 {
			bad++
			if bad == 1 {
				t.Log(describe(c))
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d calls whose JSON the application read whole stored abandoned or without usage", bad, n)
	}
}
