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

// TestGzipJSONWrittenAtOnceDecodedThenClosed: as
// TestGzipJSONDecodedThenClosed, but the server writes the whole gzip body
// at once: chunked, since it is larger than net/http's buffer. The caller
// decodes the JSON and closes, as SDKs do.
func TestGzipJSONWrittenAtOnceDecodedThenClosed(t *testing.T) {
	p := startPipeline(t)
	pub := connect(t, p.natsURL)
	rng := rand.New(rand.NewSource(1))
	var sb strings.Builder
	for range 3000 {
		fmt.Fprintf(&sb, "%x ", rng.Int63())
	}
	answer := `{"id":"x","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"` +
		sb.String() + `"},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		_, _ = io.WriteString(zw, answer)
		_ = zw.Close()
	}))
	t.Cleanup(srv.Close)
	client := pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, harborai.WithBaseURL("openai", srv.URL+"/v1"))
	const n = 10
	for i := range n {
		req := tagCase(newPost(t, srv.URL+"/v1/chat/completions", plainChat), fmt.Sprint("gzip", i), harborai.CallInfo{})
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			t.Logf("Content-Length %d, TransferEncoding %v", resp.ContentLength, resp.TransferEncoding)
		}
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.NewDecoder(zr).Decode(&v); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	stored := storedByCase(t, p, n, 5*time.Second)
	bad := 0
	for i := range n {
		for _, c := range stored[fmt.Sprint("gzip", i)] {
			if c.Status != event.StatusSuccess || c.Usage == nil || c.Usage.UsageMissing {
				bad++
				if bad == 1 {
					t.Log(describe(c))
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d calls whose JSON the application read whole stored abandoned / without usage", bad, n)
	}
}
