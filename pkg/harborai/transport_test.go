package harborai_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
	"github.com/harborai/ingest/pkg/record"
)

// secret is planted in every credential the tests send; no published event
// nor stored call may contain it.
const secret = "SECRET-7f3a9c"

// wantUsage is what every call asks the emulator to report.
var wantUsage = emulator.Usage{Prompt: 40, Completion: 12, Cached: 8, Reasoning: 3}

// Counters a vendor has no wire field for (emulator doc.go): they stay
// folded into their parent count and are not reported.
var (
	noCachedField    = map[string]bool{"wenxin_v1": true}
	noReasoningField = map[string]bool{"wenxin_v1": true, "moonshot": true, "zhipu": true, "anthropic": true}
	// The transport adds include_usage to these streams (and hides the
	// extra chunk from the caller).
	injectsUsage = map[string]bool{"openai": true, "azure": true, "deepseek": true, "doubao": true, "wenxin": true, "qwen": true, "moonshot": true, "zhipu": true}
	// ...of which the emulator answers with the extra usage-only chunk.
	usageChunk = map[string]bool{"openai": true, "azure": true, "deepseek": true, "doubao": true, "wenxin": true, "qwen": true}
)

// usageChunkRE matches the usage-only chunk include_usage adds.
var usageChunkRE = regexp.MustCompile(`(?m)^data: \{[^\n]*"choices":\[\],"usage":\{[^\n]*\n\n`)

// TestTransportVendors calls every emulator vendor, streamed and not,
// through the Transport, with the ingestor behind it, and checks each call
// is stored once with its provider, model, tokens, status and ids, that the
// application read the vendor's bytes unchanged, and that no credential was
// published.
func TestTransportVendors(t *testing.T) {
	checkLeaks(t)
	p := startPipeline(t)
	emu := startEmulator(t)
	published := subscribe(t, p.natsURL)
	pub := connect(t, p.natsURL)
	tp := &tap{base: baseTransport(t)}
	var ids idsOf
	client := pub.HTTPClient(&http.Client{Transport: tp}, append(emulatorBases(emu), harborai.WithOnCall(ids.hook))...)

	var cases []vendorCall
	for _, v := range emulator.Vendors() {
		for _, stream := range []bool{false, true} {
			cases = append(cases, vendorCall{vendor: v, model: models[v], stream: stream})
		}
	}
	names := map[string]vendorCall{}
	for _, c := range cases {
		name := c.vendor
		if c.stream {
			name += "/stream"
		}
		names[name] = c
		t.Run("call/"+name, func(t *testing.T) {
			req := c.request(t, context.Background(), emu, "test "+name)
			req.Header.Set("X-Test-Case", name)
			req.Header.Set(emulator.HeaderUsage, wantUsage.String())
			req.Header.Set("Authorization", "Bearer sk-"+secret)
			req.Header.Set("api-key", secret)
			req.Header.Set("x-api-key", secret)
			req.Header.Set("x-goog-api-key", secret)
			q := req.URL.Query()
			q.Set("key", secret)
			req.URL.RawQuery = q.Encode()
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("Do() = %v", err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("response %d, read error %v: %s", resp.StatusCode, err, got)
			}
			raw := tp.body(name)
			want := raw
			if c.stream && injectsUsage[c.vendor] {
				want = usageChunkRE.ReplaceAllString(raw, "")
				if usageChunk[c.vendor] && want == raw {
					t.Errorf("the vendor's stream has no usage-only chunk; the test expects one:\n%s", raw)
				}
			}
			if string(got) != want {
				t.Errorf("the application read\n%q\nwant the vendor's bytes\n%q", got, want)
			}
		})
	}

	calls := p.waitCalls(t, len(cases))
	if len(calls) != len(cases) {
		t.Fatalf("stored %d calls, want %d", len(calls), len(cases))
	}
	byID := map[string]record.Call{}
	for _, c := range calls {
		if _, dup := byID[c.CallID]; dup {
			t.Fatalf("call %s stored twice", c.CallID)
		}
		byID[c.CallID] = c
	}
	for name, vc := range names {
		t.Run("stored/"+name, func(t *testing.T) {
			want, ok := ids.get(name)
			if !ok {
				t.Fatal("the Transport did not report the call")
			}
			c, ok := byID[want[0]]
			if !ok {
				t.Fatalf("call %s not stored", want[0])
			}
			if got := [4]string{c.CallID, c.HBTraceID, c.TraceID, c.SpanID}; got != want {
				t.Errorf("stored ids = %v, want the Transport's %v", got, want)
			}
			if c.Provider != providerOf(vc.vendor) || c.Model != vc.model || c.Stream != vc.stream || c.Status != event.StatusSuccess {
				t.Errorf("stored provider, model, stream, status = %s, %s, %v, %s, want %s, %s, %v, success",
					c.Provider, c.Model, c.Stream, c.Status, providerOf(vc.vendor), vc.model, vc.stream)
			}
			if c.TTFTMS == nil || c.LatencyMS == nil || *c.TTFTMS > *c.LatencyMS {
				t.Errorf("ttft, latency = %v, %v, want both, ttft <= latency", c.TTFTMS, c.LatencyMS)
			}
			checkUsage(t, vc.vendor, c)
		})
	}

	t.Run("no secrets", func(t *testing.T) {
		msgs := published()
		if len(msgs) < 2*len(cases) {
			t.Fatalf("saw %d published events, want at least %d", len(msgs), 2*len(cases))
		}
		for _, m := range msgs {
			if strings.Contains(string(m), secret) {
				t.Errorf("published event contains a secret: %s", m)
			}
			ev, err := event.Decode(m, 0)
			if err != nil {
				t.Fatalf("event.Decode() = %v", err)
			}
			if r := ev.Request; r != nil {
				for h := range r.Headers {
					switch strings.ToLower(h) {
					case "authorization", "api-key", "x-api-key", "x-goog-api-key":
						t.Errorf("published request has header %s", h)
					}
				}
			}
		}
		stored, _ := json.Marshal(p.calls(t))
		if strings.Contains(string(stored), secret) {
			t.Errorf("a stored call contains a secret")
		}
	})
	t.Run("raw body recorded", func(t *testing.T) {
		for name := range names {
			want, _ := ids.get(name)
			c := byID[want[0]]
			if c.ResponseBody == nil || *c.ResponseBody != tp.body(name) {
				t.Errorf("%s: stored response body differs from the vendor's bytes", name)
			}
		}
	})
}

func checkUsage(t *testing.T, vendor string, c record.Call) {
	t.Helper()
	u := c.Usage
	if u == nil || u.UsageMissing {
		t.Fatalf("usage missing: %+v", u)
	}
	eq := func(name string, got *int64, want int64, reported bool) {
		switch {
		case !reported && got != nil:
			t.Errorf("%s = %d, want not reported", name, *got)
		case reported && (got == nil || *got != want):
			t.Errorf("%s = %v, want %d", name, deref(got), want)
		}
	}
	eq("prompt_tokens", u.PromptTokens, wantUsage.Prompt, true)
	eq("completion_tokens", u.CompletionTokens, wantUsage.Completion, true)
	eq("total_tokens", u.TotalTokens, wantUsage.Total(), true)
	eq("cached_tokens", u.CachedTokens, wantUsage.Cached, !noCachedField[vendor])
	eq("reasoning_tokens", u.ReasoningTokens, wantUsage.Reasoning, !noReasoningField[vendor])
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestTransportOutcomes checks the status each way a call can end is
// stored with.
func TestTransportOutcomes(t *testing.T) {
	checkLeaks(t)
	p := startPipeline(t)
	emu := startEmulator(t)
	pub := connect(t, p.natsURL)
	var ids idsOf
	vendor := startErrorVendor(t)
	opts := append(emulatorBases(emu), harborai.WithBaseURL("openai", vendor.URL+"/v1"), harborai.WithOnCall(ids.hook))
	client := pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, opts...)

	tests := []struct {
		name    string
		vendor  string
		stream  bool
		headers map[string]string
		// answer, when set, is the status a local vendor answers with
		// instead of the emulator's.
		answer int
		// read consumes the response; cancel cancels the request's context.
		read       func(t *testing.T, resp *http.Response, cancel context.CancelFunc)
		wantErr    bool
		status     string
		errType    string
		httpStatus int
		usage      bool // the stored call has usage
	}{
		{
			name: "closed early", vendor: "openai", stream: true,
			headers: map[string]string{emulator.HeaderChunks: "50", emulator.HeaderChunkDelay: "2ms"},
			read: func(t *testing.T, resp *http.Response, _ context.CancelFunc) {
				buf := make([]byte, 64)
				if _, err := io.ReadFull(resp.Body, buf); err != nil {
					t.Fatalf("read = %v", err)
				}
			},
			status: event.StatusAbandoned, httpStatus: 200,
		},
		{
			name: "closed after [DONE], before EOF", vendor: "deepseek", stream: true,
			read: func(t *testing.T, resp *http.Response, _ context.CancelFunc) {
				var got strings.Builder
				buf := make([]byte, 1)
				for !strings.HasSuffix(got.String(), "data: [DONE]\n") {
					if _, err := resp.Body.Read(buf); err != nil {
						t.Fatalf("read = %v", err)
					}
					got.Write(buf)
				}
			},
			status: event.StatusSuccess, httpStatus: 200, usage: true,
		},
		{
			name: "decoded without reading EOF", vendor: "anthropic",
			read: func(t *testing.T, resp *http.Response, _ context.CancelFunc) {
				var v map[string]any
				if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
					t.Fatalf("Decode() = %v", err)
				}
			},
			status: event.StatusSuccess, httpStatus: 200, usage: true,
		},
		{
			name: "connection reset before the response", vendor: "openai",
			headers: map[string]string{emulator.HeaderFail: "reset_early"},
			wantErr: true, status: event.StatusError, errType: "transport",
		},
		{
			name: "connection reset mid-stream", vendor: "anthropic", stream: true,
			headers: map[string]string{emulator.HeaderFail: "reset"},
			read: func(t *testing.T, resp *http.Response, _ context.CancelFunc) {
				if _, err := io.ReadAll(resp.Body); err == nil {
					t.Fatal("ReadAll() = nil, want the reset")
				}
			},
			status: event.StatusError, errType: "transport", httpStatus: 200,
		},
		{
			name: "cancelled mid-stream", vendor: "anthropic", stream: true,
			headers: map[string]string{emulator.HeaderChunks: "50", emulator.HeaderChunkDelay: "5ms"},
			read:    readCancelled,
			status:  event.StatusAbandoned, httpStatus: 200,
		},
		{
			name: "cancelled mid-stream, usage chunk hidden", vendor: "openai", stream: true,
			headers: map[string]string{emulator.HeaderChunks: "50", emulator.HeaderChunkDelay: "5ms"},
			read:    readCancelled,
			status:  event.StatusAbandoned, httpStatus: 200,
		},
		{
			name: "bad request", vendor: "openai",
			headers: map[string]string{emulator.HeaderError: "invalid_request"},
			read:    readAll,
			status:  event.StatusError, errType: "http_400", httpStatus: 400,
		},
		{
			name: "unauthorized", answer: http.StatusUnauthorized,
			read:   readAll,
			status: event.StatusError, errType: "http_401", httpStatus: 401,
		},
		{
			name: "server error", vendor: "anthropic", stream: true,
			headers: map[string]string{emulator.HeaderError: "server"},
			read:    readAll,
			status:  event.StatusError, errType: "http_500", httpStatus: 500,
		},
		{
			name: "unavailable", answer: http.StatusServiceUnavailable,
			read:   readAll,
			status: event.StatusError, errType: "http_503", httpStatus: 503,
		},
		{
			name: "rate limited", vendor: "zhipu",
			headers: map[string]string{emulator.HeaderError: "rate_limit"},
			read:    func(t *testing.T, resp *http.Response, _ context.CancelFunc) { _, _ = io.ReadAll(resp.Body) },
			status:  event.StatusError, errType: "http_429", httpStatus: 429,
		},
		{
			name: "vendor error in a 200 stream", vendor: "gemini", stream: true,
			headers: map[string]string{emulator.HeaderError: "http200"},
			read:    func(t *testing.T, resp *http.Response, _ context.CancelFunc) { _, _ = io.ReadAll(resp.Body) },
			status:  event.StatusError, errType: "vendor_error", httpStatus: 200,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			vc := vendorCall{vendor: tt.vendor, model: models[tt.vendor], stream: tt.stream}
			var req *http.Request
			if tt.answer != 0 {
				req = vendor.request(t, ctx, tt.answer)
			} else {
				req = vc.request(t, ctx, emu, tt.name)
			}
			req.Header.Set("X-Test-Case", tt.name)
			req.Header.Set(emulator.HeaderUsage, wantUsage.String())
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Do() error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				tt.read(t, resp, cancel)
				resp.Body.Close()
			}
			want, ok := ids.get(tt.name)
			if !ok {
				t.Fatal("the Transport did not report the call")
			}
			var c record.Call
			waitFor(t, 30*time.Second, "the call's response", func() (bool, string) {
				for _, s := range p.calls(t) {
					if s.CallID == want[0] && s.HasResponse() {
						c = s
						return true, ""
					}
				}
				return false, "not stored"
			})
			httpStatus := 0
			if c.HTTPStatus != nil {
				httpStatus = *c.HTTPStatus
			}
			if c.Status != tt.status || c.ErrorType != tt.errType || httpStatus != tt.httpStatus {
				t.Errorf("stored status, error type, HTTP status = %s, %q, %d, want %s, %q, %d", c.Status, c.ErrorType, httpStatus, tt.status, tt.errType, tt.httpStatus)
			}
			hasUsage := c.Usage != nil && !c.Usage.UsageMissing
			if tt.usage && !hasUsage {
				t.Errorf("stored usage = %+v, want the call's usage", c.Usage)
			}
			if tt.status == event.StatusError && (tt.errType == "transport" || strings.HasPrefix(tt.errType, "http_")) && hasUsage {
				t.Errorf("stored usage = %+v, want none for a failed call", c.Usage)
			}
		})
	}
}

func readAll(_ *testing.T, resp *http.Response, _ context.CancelFunc) { _, _ = io.ReadAll(resp.Body) }

// readCancelled reads a stream's first bytes, cancels the request's context
// and reads on until the read fails.
func readCancelled(t *testing.T, resp *http.Response, cancel context.CancelFunc) {
	buf := make([]byte, 32<<10)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatalf("first Read() = %v", err)
	}
	cancel()
	if _, err := io.Copy(io.Discard, resp.Body); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read() after cancel = %v, want %v", err, context.Canceled)
	}
}

// errorVendor is an OpenAI-compatible vendor that answers every chat
// completion with the HTTP error status its request names.
type errorVendor struct{ *httptest.Server }

// headerAnswer names the status errorVendor answers with.
const headerAnswer = "X-Test-Answer"

func startErrorVendor(t *testing.T) errorVendor {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		status, err := strconv.Atoi(r.Header.Get(headerAnswer))
		if err != nil {
			status = http.StatusTeapot
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"error":{"message":"answered %d","type":"test_error","code":"%d"}}`, status, status)
	}))
	t.Cleanup(srv.Close)
	return errorVendor{srv}
}

// request is a chat completion that v answers with status.
func (v errorVendor) request(t *testing.T, ctx context.Context, status int) *http.Request {
	t.Helper()
	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.URL+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(headerAnswer, strconv.Itoa(status))
	return req
}

// TestTransportPassThrough checks requests that are not LLM calls reach the
// base transport as they are and publish nothing.
func TestTransportPassThrough(t *testing.T) {
	checkLeaks(t)
	srv := startBroker(t)
	pub := connect(t, srv.ClientURL())
	var seen []*http.Request
	base := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		seen = append(seen, req)
		return nil, errors.New("stop here")
	})
	tr := harborai.NewTransport(pub, base)
	for _, tt := range []struct{ name, method, url string }{
		{"other host", "POST", "https://example.com/v1/chat/completions"},
		{"vendor, not a call", "GET", "https://api.openai.com/v1/models"},
		{"vendor upload", "POST", "https://api.openai.com/v1/files"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, tt.url, strings.NewReader("x"))
			seen = nil
			resp, err := tr.RoundTrip(req)
			if resp != nil {
				resp.Body.Close()
			}
			if err == nil || err.Error() != "stop here" {
				t.Fatalf("RoundTrip() = %v, want the base's error", err)
			}
			if len(seen) != 1 || seen[0] != req {
				t.Errorf("base got %v, want the request itself", seen)
			}
		})
	}
	if st := pub.Stats(); st.Attempted != 0 {
		t.Errorf("Stats() = %+v, want nothing published", st)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// TestTransportBodyLimit checks a body over WithMaxBodyBytes reaches the
// application whole, while its event keeps the head and the last lines
// (where a stream's usage is) within the limit, and says "truncated".
func TestTransportBodyLimit(t *testing.T) {
	checkLeaks(t)
	p := startPipeline(t)
	emu := startEmulator(t)
	published := subscribe(t, p.natsURL)
	pub := connect(t, p.natsURL)
	const limit = 4096
	var ids idsOf
	client := pub.HTTPClient(&http.Client{Transport: baseTransport(t)},
		append(emulatorBases(emu), harborai.WithMaxBodyBytes(limit), harborai.WithOnCall(ids.hook))...)

	vc := vendorCall{vendor: "anthropic", model: models["anthropic"], stream: true}
	req := vc.request(t, context.Background(), emu, strings.Repeat("long prompt ", 1000))
	req.Header.Set("X-Test-Case", "long")
	req.Header.Set(emulator.HeaderUsage, wantUsage.String())
	req.Header.Set(emulator.HeaderChunks, "300")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("Do() = %v", err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || len(got) < 8*limit || !strings.Contains(string(got), "message_stop") {
		t.Fatalf("read %d bytes, error %v: want the whole stream", len(got), err)
	}
	want, _ := ids.get("long")
	c := p.waitCalls(t, 1)[0]
	if c.CallID != want[0] || c.Status != event.StatusSuccess {
		t.Fatalf("stored call %s status %s, want %s success", c.CallID, c.Status, want[0])
	}
	checkUsage(t, vc.vendor, c)
	for _, m := range published() {
		ev, err := event.Decode(m, 0)
		if err != nil {
			t.Fatal(err)
		}
		if r := ev.Request; r != nil && (r.BodyOmitted != "truncated" || len(r.Body) != limit) {
			t.Errorf("request event body %d bytes, omitted %q, want %d, truncated", len(r.Body), r.BodyOmitted, limit)
		}
		if r := ev.Response; r != nil && (r.BodyOmitted != "truncated" || len(r.Body) > limit || !strings.HasPrefix(string(got), r.Body[:limit/2])) {
			t.Errorf("response event body %d bytes, omitted %q, want at most %d, truncated, starting as the stream", len(r.Body), r.BodyOmitted, limit)
		}
	}
}

// TestTransportRequestWrites checks a recorded call goes out in as many
// writes to the connection as the same call through a plain client (one,
// for a small body): the stream request the Transport rewrites to ask for
// usage must still be a body net/http knows is in memory, or net/http
// flushes its headers apart from it, which costs the vendor a round of
// reading.
func TestTransportRequestWrites(t *testing.T) {
	checkLeaks(t)
	srv := startBroker(t)
	emu := startEmulator(t)
	pub := connect(t, srv.ClientURL())
	writes := func(client *http.Client, counter *countingDialer, stream bool) int64 {
		t.Helper()
		vc := vendorCall{vendor: "openai", model: models["openai"], stream: stream}
		// The first call dials; count the second, on the kept-alive connection.
		for i := range 2 {
			before := counter.writes.Load()
			resp, err := client.Do(vc.request(t, context.Background(), emu, "writes"))
			if err != nil {
				t.Fatalf("Do() = %v", err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if i == 1 {
				return counter.writes.Load() - before
			}
		}
		return 0
	}
	for _, stream := range []bool{false, true} {
		plainDialer, recDialer := &countingDialer{}, &countingDialer{}
		plain := &http.Client{Transport: plainDialer.transport(t)}
		recorded := pub.HTTPClient(&http.Client{Transport: recDialer.transport(t)}, emulatorBases(emu)...)
		want := writes(plain, plainDialer, stream)
		if got := writes(recorded, recDialer, stream); got != want {
			t.Errorf("stream=%v: recorded call written in %d writes, want %d as without the Transport", stream, got, want)
		}
	}
}

// countingDialer counts the writes to the connections it dials.
type countingDialer struct{ writes atomic.Int64 }

func (d *countingDialer) transport(t *testing.T) *http.Transport {
	tr := baseTransport(t)
	var nd net.Dialer
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := nd.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c, writes: &d.writes}, nil
	}
	return tr
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}
