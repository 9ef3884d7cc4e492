package harborai_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/harborai/ingest/internal/broker"
	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/natstest"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
	"github.com/harborai/ingest/pkg/record"
)

// checkLeaks fails the test if it leaves goroutines behind. Call it first:
// its check runs after every other cleanup.
func checkLeaks(t *testing.T) {
	t.Helper()
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
}

// pipeline is an ingestor running in the test's process (embedded NATS on
// a free port, the spool as the store).
type pipeline struct {
	*testutil.Ingestor
	natsURL string
}

func startPipeline(t *testing.T) *pipeline {
	t.Helper()
	cfg := ingestor.DefaultConfig()
	cfg.FlushInterval = 20 * time.Millisecond
	in := testutil.StartIngestor(t, cfg, nil)
	return &pipeline{Ingestor: in, natsURL: in.NATSURL}
}

// calls reads the stored calls the way harborctl does.
func (p *pipeline) calls(t *testing.T) []record.Call {
	t.Helper()
	return testutil.Calls(t, p.Store(t))
}

// waitCalls polls until n calls are stored with their response.
func (p *pipeline) waitCalls(t *testing.T, n int) []record.Call {
	t.Helper()
	var calls []record.Call
	waitFor(t, 30*time.Second, fmt.Sprintf("%d complete calls", n), func() (bool, string) {
		calls = p.calls(t)
		complete := 0
		for i := range calls {
			if calls[i].HasRequest() && calls[i].HasResponse() {
				complete++
			}
		}
		return complete >= n, fmt.Sprintf("%d calls, %d complete", len(calls), complete)
	})
	return calls
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	testutil.WaitFor(t, timeout, what, cond)
}

// startBroker starts NATS with the events stream, for tests that need a
// broker but not the ingestor.
func startBroker(t testing.TB) *natstest.Server {
	t.Helper()
	srv := natstest.Start(t)
	nc := srv.Conn(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New() = %v", err)
	}
	if _, err := broker.EnsureStream(context.Background(), js, broker.DefaultStreamConfig()); err != nil {
		t.Fatalf("EnsureStream() = %v", err)
	}
	return srv
}

// connect returns a publisher closed at cleanup.
func connect(t testing.TB, url string, opts ...harborai.Option) *harborai.Publisher {
	t.Helper()
	pub, err := harborai.Connect(url, opts...)
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = pub.Close(ctx)
	})
	return pub
}

// startEmulator starts the vendor emulator, closed at cleanup.
func startEmulator(t testing.TB) *emulator.Server {
	t.Helper()
	emu, err := emulator.Start(emulator.Options{})
	if err != nil {
		t.Fatalf("emulator.Start() = %v", err)
	}
	t.Cleanup(emu.Close)
	return emu
}

// baseTransport is a fresh http.Transport whose idle connections are
// closed at cleanup.
func baseTransport(t testing.TB) *http.Transport {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// emulatorBases configures the Transport for every emulator vendor.
func emulatorBases(emu *emulator.Server) []harborai.TransportOption {
	var opts []harborai.TransportOption
	for _, v := range emulator.Vendors() {
		opts = append(opts, harborai.WithBaseURL(providerOf(v), emu.BaseURL(v)))
	}
	return opts
}

// providerOf is the provider a call to an emulator vendor is recorded as.
func providerOf(vendor string) string {
	switch vendor {
	case "openai_responses":
		return "openai"
	case "wenxin_v1":
		return "wenxin"
	case "qwen_native":
		return "qwen"
	}
	return vendor
}

// vendorCall is one chat call to an emulator vendor.
type vendorCall struct {
	vendor, model string
	stream        bool
	askUsage      bool // the body says stream_options.include_usage: true (OpenAI shape)
}

// models are the models (Azure: deployment; Qianfan v1: endpoint) called.
var models = map[string]string{
	"openai": "gpt-4o-mini", "azure": "gpt-4o-deploy", "deepseek": "deepseek-chat",
	"doubao": "doubao-1-5-pro-32k-250115", "wenxin": "ernie-4.5-turbo-32k", "wenxin_v1": "completions_pro",
	"qwen": "qwen-plus", "qwen_native": "qwen-plus", "moonshot": "kimi-k2-0905-preview",
	"zhipu": "glm-4-plus", "openai_responses": "gpt-4o-mini", "anthropic": "claude-haiku-4-5-20251001",
	"gemini": "gemini-2.0-flash",
}

// request builds the call's HTTP request in the vendor's own shape.
func (c vendorCall) request(t testing.TB, ctx context.Context, emu *emulator.Server, prompt string) *http.Request {
	t.Helper()
	msgs := []map[string]string{{"role": "user", "content": prompt}}
	var body map[string]any
	switch c.vendor {
	case "openai_responses":
		body = map[string]any{"model": c.model, "input": prompt, "stream": c.stream}
	case "anthropic":
		body = map[string]any{"model": c.model, "max_tokens": 256, "messages": msgs, "stream": c.stream}
	case "gemini":
		body = map[string]any{"contents": []map[string]any{{"role": "user", "parts": []map[string]string{{"text": prompt}}}}}
	case "wenxin_v1":
		body = map[string]any{"messages": msgs, "stream": c.stream}
	case "azure":
		body = map[string]any{"messages": msgs, "stream": c.stream}
	case "qwen_native":
		body = map[string]any{"model": c.model, "input": map[string]any{"messages": msgs}, "parameters": map[string]any{"result_format": "message", "incremental_output": true}}
	default:
		body = map[string]any{"model": c.model, "messages": msgs, "stream": c.stream}
		if c.askUsage {
			body["stream_options"] = map[string]any{"include_usage": true}
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, emu.Endpoint(c.vendor, c.model, c.stream), bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.vendor == "qwen_native" && c.stream {
		req.Header.Set("X-DashScope-SSE", "enable")
	}
	return req
}

// tap is a base transport that keeps a copy of every response body as the
// vendor sent it: what the application would read without the Transport.
type tap struct {
	base http.RoundTripper
	mu   sync.Mutex
	raw  map[string]*bytes.Buffer // by the X-Test-Case request header
}

func (tp *tap) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := tp.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	buf := new(bytes.Buffer)
	tp.mu.Lock()
	if tp.raw == nil {
		tp.raw = map[string]*bytes.Buffer{}
	}
	tp.raw[req.Header.Get("X-Test-Case")] = buf
	tp.mu.Unlock()
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(resp.Body, buf), resp.Body}
	return resp, nil
}

func (tp *tap) body(name string) string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if b := tp.raw[name]; b != nil {
		return b.String()
	}
	return ""
}

// idsOf records the ids the Transport assigned, by X-Test-Case.
type idsOf struct {
	mu  sync.Mutex
	ids map[string][4]string // call id, hb_trace_id, trace id, span id
}

func (r *idsOf) hook(req *http.Request, c *harborai.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids == nil {
		r.ids = map[string][4]string{}
	}
	r.ids[req.Header.Get("X-Test-Case")] = [4]string{c.ID(), c.HBTraceID(), c.TraceID(), c.SpanID()}
}

func (r *idsOf) get(name string) ([4]string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids, ok := r.ids[name]
	return ids, ok
}

// subscribe collects every event published to NATS, raw; a batch message's
// events one by one.
func subscribe(t *testing.T, url string) func() [][]byte {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("nats.Connect() = %v", err)
	}
	t.Cleanup(nc.Close)
	var mu sync.Mutex
	var msgs [][]byte
	if _, err := nc.Subscribe("harborai.events.>", func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		lines, err := event.MessageEvents(m.Header, m.Data)
		if err != nil {
			t.Errorf("message on %s: %v", m.Subject, err)
			return
		}
		msgs = append(msgs, lines...)
		if want := event.BatchCount(m.Header[event.HeaderBatchCount]); len(lines) != want {
			t.Errorf("batch message holds %d events, its header says %d", len(lines), want)
		}
	}); err != nil {
		t.Fatalf("Subscribe() = %v", err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatalf("Flush() = %v", err)
	}
	return func() [][]byte {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(msgs)
	}
}

// median of ds, which it sorts.
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}
