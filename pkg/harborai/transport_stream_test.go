package harborai_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/harborai"
)

// TestTransportPassesChunksOn checks each chunk of a stream reaches the
// application before the vendor sends the next: a vendor that sends a
// chunk only once the application has read the one before never finishes
// its stream through a Transport that holds bytes back. The application
// reads as SDKs do, 32 KiB at a time; the stream goes through the plain
// body and through the one that hides the usage chunk.
func TestTransportPassesChunksOn(t *testing.T) {
	checkLeaks(t)
	srv := startBroker(t)
	pub := connect(t, srv.ClientURL())

	tests := []struct {
		name      string
		opts      []harborai.TransportOption
		wantUsage bool // the Transport asks for usage, and hides its chunk
	}{
		{"plain", []harborai.TransportOption{harborai.WithIncludeUsage(false)}, false},
		{"usage chunk hidden", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const chunks = 6
			received := make(chan int, chunks) // the application has read chunk i
			vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if got := strings.Contains(string(body), `"include_usage":true`); got != tt.wantUsage {
					t.Errorf("request asks for usage: %v, want %v", got, tt.wantUsage)
				}
				w.Header().Set("Content-Type", "text/event-stream")
				w.WriteHeader(http.StatusOK)
				for i := range chunks {
					fmt.Fprintf(w, "data: %s\n\n", chunk(i))
					w.(http.Flusher).Flush()
					select {
					case got := <-received:
						if got != i {
							t.Errorf("the application read chunk %d, want %d", got, i)
						}
					case <-time.After(5 * time.Second):
						t.Errorf("chunk %d did not reach the application within 5s: held back", i)
						return
					}
				}
				if tt.wantUsage {
					fmt.Fprint(w, `data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":6,"total_tokens":10}}`+"\n\n")
				}
				fmt.Fprint(w, "data: [DONE]\n\n")
			}))
			t.Cleanup(vendor.Close)
			client := pub.HTTPClient(&http.Client{Transport: baseTransport(t)},
				append(tt.opts, harborai.WithBaseURL("openai", vendor.URL+"/v1"))...)

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, vendor.URL+"/v1/chat/completions",
				strings.NewReader(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true}`))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("Do() = %v", err)
			}
			defer resp.Body.Close()
			var got strings.Builder
			next := 0
			buf := make([]byte, 32<<10)
			for {
				n, err := resp.Body.Read(buf)
				got.Write(buf[:n])
				for next < chunks && strings.Contains(got.String(), "data: "+chunk(next)+"\n") {
					received <- next
					next++
				}
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("Read() = %v after %q", err, got.String())
				}
			}
			if next != chunks || !strings.HasSuffix(got.String(), "data: [DONE]\n\n") {
				t.Errorf("read %d chunks of %d, ending %q", next, chunks, got.String()[max(0, got.Len()-40):])
			}
		})
	}
}

// chunk is the i-th chunk of TestTransportPassesChunksOn's stream.
func chunk(i int) string {
	return fmt.Sprintf(`{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"part %d"}}]}`, i)
}
