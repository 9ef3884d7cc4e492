package emulator

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStartRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"negative_latency", Options{Latency: -time.Second}, "Latency"},
		{"chunk_delay_too_long", Options{ChunkDelay: time.Hour}, "ChunkDelay"},
		{"negative_chunks", Options{Chunks: -1}, "Chunks"},
		{"negative_completion", Options{Completion: -1}, "Completion"},
		{"negative_shutdown_timeout", Options{ShutdownTimeout: -1}, "ShutdownTimeout"},
		{"usage_cached_above_prompt", Options{Usage: &Usage{Prompt: 1, Cached: 2}}, "Usage"},
		{"bad_address", Options{Addr: "256.0.0.1:bad"}, "listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Start(tt.opts)
			if err == nil {
				s.Close()
				t.Fatalf("Start(%+v) = nil error, want one naming %s", tt.opts, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start(%+v) = %v, want it to name %s", tt.opts, err, tt.want)
			}
		})
	}
}

func TestStartReportsEveryBadOption(t *testing.T) {
	_, err := Start(Options{Latency: -1, Chunks: -1})
	if err == nil || !strings.Contains(err.Error(), "Latency") || !strings.Contains(err.Error(), "Chunks") {
		t.Errorf("Start = %v, want both Latency and Chunks named", err)
	}
}

func TestURLs(t *testing.T) {
	s := startServer(t, Options{})
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || strings.HasSuffix(s.URL(), "/") {
		t.Fatalf("URL() = %q, want http://127.0.0.1:port", s.URL())
	}
	tests := []struct {
		vendor, model string
		stream        bool
		base, call    string // paths after URL()
	}{
		{"openai", "gpt-4o", false, "/openai/v1", "/openai/v1/chat/completions"},
		{"openai_responses", "gpt-4o", true, "/openai/v1", "/openai/v1/responses"},
		{"azure", "dep1", false, "/azure", "/azure/openai/deployments/dep1/chat/completions?api-version=" + azureAPIVersion},
		{"deepseek", "deepseek-chat", false, "/deepseek", "/deepseek/chat/completions"},
		{"doubao", "doubao-pro", false, "/doubao/api/v3", "/doubao/api/v3/chat/completions"},
		{"wenxin", "ernie-4.0-8k", false, "/wenxin/v2", "/wenxin/v2/chat/completions"},
		{"wenxin_v1", "completions_pro", false, "/wenxin_v1", "/wenxin_v1/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/completions_pro"},
		{"qwen", "qwen-plus", false, "/qwen/compatible-mode/v1", "/qwen/compatible-mode/v1/chat/completions"},
		{"qwen_native", "qwen-plus", true, "/qwen/api/v1", "/qwen/api/v1/services/aigc/text-generation/generation"},
		{"moonshot", "kimi-k2", false, "/moonshot/v1", "/moonshot/v1/chat/completions"},
		{"zhipu", "glm-4", false, "/zhipu/api/paas/v4", "/zhipu/api/paas/v4/chat/completions"},
		{"anthropic", "claude", true, "/anthropic", "/anthropic/v1/messages"},
		{"gemini", "gemini-2.5-flash", false, "/gemini", "/gemini/v1beta/models/gemini-2.5-flash:generateContent"},
		{"gemini", "gemini-2.5-flash", true, "/gemini", "/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"},
		{"nonesuch", "m", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/stream=%t", tt.vendor, tt.stream), func(t *testing.T) {
			wantBase, wantCall := "", ""
			if tt.base != "" {
				wantBase, wantCall = s.URL()+tt.base, s.URL()+tt.call
			}
			if got := s.BaseURL(tt.vendor); got != wantBase {
				t.Errorf("BaseURL(%q) = %q, want %q", tt.vendor, got, wantBase)
			}
			if got := s.Endpoint(tt.vendor, tt.model, tt.stream); got != wantCall {
				t.Errorf("Endpoint(%q, %q, %t) = %q, want %q", tt.vendor, tt.model, tt.stream, got, wantCall)
			}
		})
	}
}

func TestRequestsCountsEveryRequest(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t)
	for i := range 5 {
		post(t, c, s.Endpoint("deepseek", "deepseek-chat", false), chatBody("deepseek-chat", i%2 == 0), nil)
	}
	post(t, c, s.URL()+"/no/such/path", "{}", nil)
	if got := s.Requests(); got != 6 {
		t.Errorf("Requests() = %d, want 6", got)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	c := newClient(t)
	post(t, c, s.Endpoint("openai", "gpt-4o", false), chatBody("gpt-4o", false), nil)
	s.Close()
	s.Close()
	resp, err := c.Do(newRequest(t, s.Endpoint("openai", "gpt-4o", false), chatBody("gpt-4o", false), nil))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("request after Close got status %d, want a connection error", resp.StatusCode)
	}
}

func TestCloseLetsStreamsFinish(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	c := newClient(t)
	h := headers(HeaderChunks, "6", HeaderChunkDelay, "20ms")
	resp, err := c.Do(newRequest(t, s.Endpoint("openai", "gpt-4o", true), chatBody("gpt-4o", true), h))
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatalf("read first line: %v", err)
	}
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatalf("stream cut by Close: %v", err)
	}
	if !strings.HasSuffix(string(rest), "data: [DONE]\n\n") {
		t.Errorf("stream ends with %q, want data: [DONE]", tail(string(rest)))
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close still running 10s after the stream ended")
	}
}

func TestCloseCutsRequestsAfterShutdownTimeout(t *testing.T) {
	s, err := Start(Options{ShutdownTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	c := newClient(t)
	req := newRequest(t, s.Endpoint("openai", "gpt-4o", false), chatBody("gpt-4o", false), headers(HeaderLatency, "5m"))
	errc := make(chan error, 1)
	go func() {
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); s.Requests() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("request not received within 10s")
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	s.Close()
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Close took %v with a 50ms shutdown timeout", took)
	}
	if err := <-errc; err == nil {
		t.Error("the cut request succeeded, want a connection error")
	}
}

func TestVendorsNamesEveryVendorOnce(t *testing.T) {
	want := []string{"openai", "azure", "deepseek", "doubao", "wenxin", "qwen", "moonshot", "zhipu",
		"openai_responses", "anthropic", "gemini", "wenxin_v1", "qwen_native"}
	got := Vendors()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Vendors() = %v, want %v", got, want)
	}
	got[0] = "changed"
	if Vendors()[0] != "openai" {
		t.Error("Vendors() returns shared state")
	}
}

func TestUnknownPathIs404(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t)
	if r := post(t, c, s.URL()+"/openai/v2/chat/completions", "{}", nil); r.status != http.StatusNotFound {
		t.Errorf("status = %d, want 404", r.status)
	}
}
