package harborai_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"github.com/openai/openai-go"
	"github.com/openai/openai-go/option"

	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
	"github.com/harborai/ingest/pkg/record"
)

// TestTransportSDKRetry: the official OpenAI SDK retries a 500, and drops
// the response it retries without reading or closing its body. Both
// attempts are stored: the first as the error it was, the second as the
// success the application got; over HTTP/1.1 and HTTP/2 (the vendors'
// HTTPS).
func TestTransportSDKRetry(t *testing.T) {
	checkLeaks(t)
	emu := startEmulator(t)
	pipe := startPipeline(t)
	pub := connect(t, pipe.natsURL)
	target, err := url.Parse(emu.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("http2=%v", h2), func(t *testing.T) {
			// The vendor fails the first call with a 500, then answers.
			var calls atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					r.Header.Set(emulator.HeaderError, "server")
				}
				if got := r.ProtoMajor == 2; got != h2 {
					t.Errorf("request over HTTP/%d", r.ProtoMajor)
				}
				proxy.ServeHTTP(w, r)
			}))
			srv.EnableHTTP2 = h2
			if h2 {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			t.Cleanup(srv.Close)
			base := srv.URL + emu.BaseURL("openai")[len(emu.URL()):]
			client := pub.HTTPClient(srv.Client(), harborai.WithBaseURL("openai", base))
			t.Cleanup(client.CloseIdleConnections)
			oai := openai.NewClient(option.WithBaseURL(base), option.WithHTTPClient(client),
				option.WithAPIKey("sk-test"), option.WithMaxRetries(2))
			before := len(pipe.calls(t))
			prompt := fmt.Sprintf("Say hello (http2=%v).", h2)
			completion, err := oai.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
				Model:    openai.ChatModelGPT4oMini,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
			})
			if err != nil {
				t.Fatalf("Chat.Completions.New() = %v", err)
			}
			if got := calls.Load(); got != 2 {
				t.Fatalf("the vendor got %d calls, want 2 (the SDK retries the 500 once)", got)
			}
			if completion.Usage.TotalTokens == 0 {
				t.Fatal("the SDK got no usage")
			}
			var stored []record.Call
			for _, c := range pipe.waitCalls(t, before+2) {
				if c.RequestBody != nil && strings.Contains(*c.RequestBody, prompt) {
					stored = append(stored, c)
				}
			}
			statuses := map[string]int{}
			for _, c := range stored {
				statuses[c.Status+"/"+c.ErrorType]++
				if c.Status == event.StatusSuccess && (c.Usage == nil || c.Usage.TotalTokens == nil || *c.Usage.TotalTokens != completion.Usage.TotalTokens) {
					t.Errorf("success stored with usage %+v, want total %d as the SDK got", c.Usage, completion.Usage.TotalTokens)
				}
				if c.Status == event.StatusError && (c.ResponseBody == nil || !strings.Contains(*c.ResponseBody, "error")) {
					t.Errorf("error stored with body %v, want the vendor's error object", c.ResponseBody)
				}
			}
			if len(stored) != 2 || statuses["error/http_500"] != 1 || statuses["success/"] != 1 {
				t.Fatalf("stored %d calls, statuses %v; want one error/http_500 (the retried attempt) and one success", len(stored), statuses)
			}
		})
	}
}

// TestTransportClientTimeout: http.Client's Timeout, waiting for the
// headers or mid-body, is stored as a timeout. The client fails calls
// through a transport it does not know with "request canceled" errors, which
// were stored as transport errors.
func TestTransportClientTimeout(t *testing.T) {
	checkLeaks(t)
	pipe := startPipeline(t)
	pub := connect(t, pipe.natsURL)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("body") != "" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"chatcmpl-1",`))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	client := pub.HTTPClient(&http.Client{Timeout: 300 * time.Millisecond}, harborai.WithBaseURL("openai", srv.URL+"/v1"))
	t.Cleanup(client.CloseIdleConnections)
	const rounds = 4
	for i := range rounds {
		for _, q := range []string{"", "?body=1"} {
			resp, err := client.Post(srv.URL+"/v1/chat/completions"+q, "application/json",
				strings.NewReader(fmt.Sprintf(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"%d%s"}]}`, i, q)))
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if err == nil {
				t.Fatalf("call %d%s: no error, want the client's timeout", i, q)
			}
		}
	}
	stored := pipe.waitCalls(t, 2*rounds)
	for _, c := range stored {
		if c.Status != event.StatusError || c.ErrorType != "timeout" {
			t.Errorf("call %s stored as %s/%s (%q), want error/timeout", c.CallID, c.Status, c.ErrorType, c.ErrorMessage)
		}
	}
}

// TestTransportCompressedResponse: an application that asks for a
// compressed body itself (Accept-Encoding set) gets the vendor's bytes as
// they are; the call is stored with the body decoded, so its usage and
// cost are there. A coding the client cannot decode is stored without a
// body, as before.
func TestTransportCompressedResponse(t *testing.T) {
	checkLeaks(t)
	pipe := startPipeline(t)
	pub := connect(t, pipe.natsURL)
	const answer = `{"id":"chatcmpl-z","object":"chat.completion","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"好的"},"finish_reason":"stop"}],"usage":{"prompt_tokens":31,"completion_tokens":7,"total_tokens":38}}`
	encode := map[string]func() []byte{
		"gzip": func() []byte {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			_, _ = zw.Write([]byte(answer))
			_ = zw.Close()
			return b.Bytes()
		},
		"deflate": func() []byte {
			var b bytes.Buffer
			zw := zlib.NewWriter(&b)
			_, _ = zw.Write([]byte(answer))
			_ = zw.Close()
			return b.Bytes()
		},
		"br": func() []byte {
			var b bytes.Buffer
			zw := brotli.NewWriter(&b)
			_, _ = zw.Write([]byte(answer))
			_ = zw.Close()
			return b.Bytes()
		},
		"zstd": func() []byte {
			zw, _ := zstd.NewWriter(nil)
			defer zw.Close()
			return zw.EncodeAll([]byte(answer), nil)
		},
		"compress": func() []byte { return []byte("\x1f\x9dnot decoded here") },
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		enc := r.Header.Get("Accept-Encoding")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", enc)
		_, _ = w.Write(encode[enc]())
	}))
	t.Cleanup(srv.Close)
	client := pub.HTTPClient(nil, harborai.WithBaseURL("openai", srv.URL+"/v1"))
	t.Cleanup(client.CloseIdleConnections)
	encodings := []string{"gzip", "deflate", "br", "zstd", "compress"}
	for _, enc := range encodings {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions",
			strings.NewReader(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"`+enc+`"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept-Encoding", enc)
		req.Header.Set("X-Test-Case", enc)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, encode[enc]()) {
			t.Fatalf("%s: the application read %q, %v; want the vendor's compressed bytes", enc, got, err)
		}
	}
	byBody := map[string]record.Call{}
	for _, c := range pipe.waitCalls(t, len(encodings)) {
		byBody[strings.Split(strings.Split(*c.RequestBody, `"content":"`)[1], `"`)[0]] = c
	}
	for _, enc := range encodings[:4] {
		c := byBody[enc]
		if c.Status != event.StatusSuccess || c.ResponseBody == nil || *c.ResponseBody != answer ||
			c.Usage == nil || c.Usage.PromptTokens == nil || *c.Usage.PromptTokens != 31 || c.Cost == nil || c.Cost.TotalCost == nil {
			t.Errorf("%s: stored %s, body %v, usage %+v, cost %+v; want success with the decoded body, its usage and a cost", enc, c.Status, c.ResponseBody, c.Usage, c.Cost)
		}
	}
	if c := byBody["compress"]; c.Status != event.StatusSuccess || c.ResponseBody != nil {
		t.Errorf("compress: stored %s with body %v, want success without a body", c.Status, c.ResponseBody)
	}
}

// TestTransportErrorBodyReadAtOnce: the application reads an error body
// read at its headers as it would the vendor's: the same bytes, the same
// error when the body was cut, an error after Close; the call is stored
// with the cut body left out.
func TestTransportErrorBodyReadAtOnce(t *testing.T) {
	checkLeaks(t)
	pipe := startPipeline(t)
	pub := connect(t, pipe.natsURL)
	const half = `{"error":{"message":"overloaded","type":"server_error"` // the body is cut here
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "200")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(half))
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	read := func(client *http.Client) (string, error, error) {
		resp, err := client.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"gpt-4o-mini"}`))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		_, afterClose := resp.Body.Read(make([]byte, 1))
		return string(b), err, afterClose
	}
	plain := &http.Client{}
	recorded := pub.HTTPClient(nil, harborai.WithBaseURL("openai", srv.URL+"/v1"))
	t.Cleanup(plain.CloseIdleConnections)
	t.Cleanup(recorded.CloseIdleConnections)
	pb, perr, pclosed := read(plain)
	rb, rerr, rclosed := read(recorded)
	if rb != pb || !errors.Is(rerr, io.ErrUnexpectedEOF) || !errors.Is(perr, io.ErrUnexpectedEOF) || rclosed == nil || pclosed == nil {
		t.Errorf("recorded read %q, %v, then %v after Close; plain read %q, %v, then %v; want alike", rb, rerr, rclosed, pb, perr, pclosed)
	}
	c := pipe.waitCalls(t, 1)[0]
	if c.Status != event.StatusError || c.HTTPStatus == nil || *c.HTTPStatus != 503 || c.ResponseBody != nil {
		t.Errorf("stored %s/%s, HTTP %v, body %v; want an error with status 503 and the cut body left out", c.Status, c.ErrorType, c.HTTPStatus, c.ResponseBody)
	}
}

// TestTransportErrorBodyReadAhead: an error body is read ahead on a
// goroutine of its own: the application gets the response at its headers,
// and the body's first bytes as they come, as without the Transport, even
// when the rest of the body is slow; once the body is here the call is
// stored whole, though the application dropped the response unread. The
// same with and without a Content-Length (chunked, as servers send JSON
// they do not measure first). A Close racing a Read is safe.
func TestTransportErrorBodyReadAhead(t *testing.T) {
	checkLeaks(t)
	pipe := startPipeline(t)
	pub := connect(t, pipe.natsURL)
	const errBody = `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`
	for _, sized := range []bool{true, false} {
		t.Run(map[bool]string{true: "content-length", false: "chunked"}[sized], func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if sized {
					w.Header().Set("Content-Length", strconv.Itoa(len(errBody)))
				}
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = w.Write([]byte(errBody[:9]))
				w.(http.Flusher).Flush()
				<-release
				_, _ = w.Write([]byte(errBody[9:]))
			}))
			t.Cleanup(srv.Close)
			client := pub.HTTPClient(nil, harborai.WithBaseURL("openai", srv.URL+"/v1"))
			t.Cleanup(client.CloseIdleConnections)
			tag := t.Name()
			post := func(prompt string) *http.Response {
				resp, err := client.Post(srv.URL+"/v1/chat/completions", "application/json",
					strings.NewReader(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"`+tag+` `+prompt+`"}]}`))
				if err != nil {
					t.Fatal(err)
				}
				if want := map[bool]int64{true: int64(len(errBody)), false: -1}[sized]; resp.ContentLength != want {
					t.Fatalf("ContentLength %d, want %d", resp.ContentLength, want)
				}
				return resp
			}
			// The server holds the body's end until released: the response
			// and the bytes sent must come before.
			dropped := post("dropped") //nolint:bodyclose // dropped unclosed on purpose, as an SDK that retries
			if dropped.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("status %d, want 429", dropped.StatusCode)
			}
			dropped = nil            // as an SDK that retries drops it
			reader := post("reader") //nolint:bodyclose // closed by the defer below
			defer reader.Body.Close()
			first := make(chan string, 1)
			go func() {
				buf := make([]byte, 64)
				n, _ := reader.Body.Read(buf)
				first <- string(buf[:n])
			}()
			select {
			case got := <-first:
				if got != errBody[:9] {
					t.Fatalf("first Read = %q, want the %q sent", got, errBody[:9])
				}
			case <-time.After(10 * time.Second):
				close(release)
				t.Fatalf("the first Read waits for the whole body; want the %q sent", errBody[:9])
			}
			racing := post("racing") //nolint:bodyclose // closed below, racing a Read
			read := make(chan error, 1)
			go func() {
				_, err := io.ReadAll(racing.Body)
				read <- err
			}()
			racing.Body.Close()
			close(release)
			if err := <-read; err == nil {
				t.Log("the Read finished before the Close") // either order is right; the race detector watches
			}
			if rest, err := io.ReadAll(reader.Body); err != nil || errBody[:9]+string(rest) != errBody {
				t.Errorf("read %q, %v; want the error object", errBody[:9]+string(rest), err)
			}
			var mine []record.Call
			waitFor(t, 30*time.Second, "the 3 calls ended", func() (bool, string) {
				mine = mine[:0]
				for _, c := range pipe.calls(t) {
					if c.HasResponse() && strings.Contains(*c.RequestBody, tag) {
						mine = append(mine, c)
					}
				}
				return len(mine) == 3, fmt.Sprintf("%d ended", len(mine))
			})
			for _, c := range mine {
				if c.Status != event.StatusError || c.ErrorType != "http_429" {
					t.Errorf("stored %s/%s, want error/http_429", c.Status, c.ErrorType)
				}
				if !strings.Contains(*c.RequestBody, "racing") && (c.ResponseBody == nil || *c.ResponseBody != errBody) {
					t.Errorf("%s stored with body %v, want the whole error object", *c.RequestBody, c.ResponseBody)
				}
			}
		})
	}
}
