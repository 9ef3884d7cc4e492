package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestLatencyDelaysResponseHeaders(t *testing.T) {
	const latency = 150 * time.Millisecond
	s := startServer(t, Options{})
	c := newClient(t)
	for _, vc := range vendorCases() {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%t", vc.vendor, stream), func(t *testing.T) {
				t.Parallel()
				h := vc.header(stream)
				if h == nil {
					h = http.Header{}
				}
				h.Set(HeaderLatency, latency.String())
				req := newRequest(t, s.Endpoint(vc.vendor, vc.model, stream), vc.body(vc.model, stream), h)
				start := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				elapsed := time.Since(start)
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if elapsed < latency || elapsed > latency+10*time.Second {
					t.Errorf("headers after %v, want within [%v, %v]", elapsed, latency, latency+10*time.Second)
				}
			})
		}
	}
}

func TestStreamFlushesEachChunk(t *testing.T) {
	const (
		delay  = 30 * time.Millisecond
		chunks = 4
	)
	s := startServer(t, Options{})
	c := newClient(t)
	for _, vc := range vendorCases() {
		t.Run(vc.vendor, func(t *testing.T) {
			t.Parallel()
			h := vc.header(true)
			if h == nil {
				h = http.Header{}
			}
			h.Set(HeaderChunkDelay, delay.String())
			h.Set(HeaderChunks, fmt.Sprint(chunks))
			resp, err := c.Do(newRequest(t, s.Endpoint(vc.vendor, vc.model, true), vc.body(vc.model, true), h))
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			defer resp.Body.Close()
			first := make([]byte, 1)
			if _, err := io.ReadFull(resp.Body, first); err != nil {
				t.Fatalf("read first byte: %v", err)
			}
			firstByte := time.Now()
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				t.Fatalf("read rest: %v", err)
			}
			// The first chunk was flushed before the remaining chunks waited
			// their delays, so the rest took at least (chunks-1) delays.
			if rest, want := time.Since(firstByte), (chunks-1)*delay; rest < want {
				t.Errorf("rest of the stream took %v after the first byte, want at least %v", rest, want)
			}
		})
	}
}

func TestResetBreaksTheConnection(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t)
	for _, vc := range vendorCases() {
		for _, stream := range []bool{false, true} {
			for _, mode := range []string{"reset", "reset_early"} {
				t.Run(fmt.Sprintf("%s/stream=%t/%s", vc.vendor, stream, mode), func(t *testing.T) {
					t.Parallel()
					h := vc.header(stream)
					if h == nil {
						h = http.Header{}
					}
					h.Set(HeaderFail, mode)
					resp, err := c.Do(newRequest(t, s.Endpoint(vc.vendor, vc.model, stream), vc.body(vc.model, stream), h))
					if err == nil {
						_, err = io.ReadAll(resp.Body)
						resp.Body.Close()
						if mode == "reset_early" {
							t.Errorf("Do returned status %d, want a transport error before the response", resp.StatusCode)
						}
					}
					if err == nil {
						t.Fatalf("the response read without error, want a transport error")
					}
				})
			}
		}
	}
}

// chatStreamEvents returns the JSON chunks of an OpenAI-compatible stream
// whose body has no stream_options.
func chatStreamEvents(t *testing.T, s *Server, c *http.Client, vendor string, includeUsage bool) []map[string]json.RawMessage {
	t.Helper()
	body := fmt.Sprintf(`{"model":"m","messages":%s,"stream":true}`, testMessages)
	if includeUsage {
		body = chatBody("m", true)
	}
	r := post(t, c, s.Endpoint(vendor, "m", true), body, headers(HeaderUsage, "prompt=9,completion=4"))
	var out []map[string]json.RawMessage
	for _, ev := range parseSSE(t, r.body) {
		if ev.data == "[DONE]" {
			continue
		}
		var m map[string]json.RawMessage
		unmarshal(t, []byte(ev.data), &m)
		out = append(out, m)
	}
	return out
}

func TestStreamUsageNeedsIncludeUsage(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t)
	tests := []struct {
		vendor string
		always bool // usage sent without stream_options (Zhipu, Kimi)
	}{
		{"openai", false}, {"azure", false}, {"deepseek", false}, {"doubao", false},
		{"wenxin", false}, {"qwen", false}, {"moonshot", true}, {"zhipu", true},
	}
	for _, tt := range tests {
		t.Run(tt.vendor, func(t *testing.T) {
			t.Parallel()
			for _, ev := range chatStreamEvents(t, s, c, tt.vendor, false) {
				_, top := ev["usage"]
				inChoice := strings.Contains(string(ev["choices"]), `"usage"`)
				if (top || inChoice) && !tt.always {
					t.Errorf("chunk %v has usage without stream_options.include_usage", ev)
				}
			}
			events := chatStreamEvents(t, s, c, tt.vendor, true)
			if tt.always {
				return
			}
			last := events[len(events)-1]
			if string(last["choices"]) != "[]" || string(last["usage"]) == "null" {
				t.Errorf("last chunk = %v, want empty choices and the usage", last)
			}
			for _, ev := range events[:len(events)-1] {
				if _, azurePrelude := ev["prompt_filter_results"]; azurePrelude {
					continue
				}
				if string(ev["usage"]) != "null" {
					t.Errorf("chunk before the usage chunk has usage %s, want null", ev["usage"])
				}
			}
		})
	}
}

func TestDerivedUsage(t *testing.T) {
	opts := Usage{Prompt: 11, Completion: 6, Cached: 1}
	tests := []struct {
		name   string
		opts   Options
		header http.Header
		want   Usage
	}{
		{"from_request", Options{Completion: 7}, nil, Usage{Prompt: int64(len(testMessages)+3) / 4, Completion: 7}},
		{"default_completion", Options{}, nil, Usage{Prompt: int64(len(testMessages)+3) / 4, Completion: DefaultCompletion}},
		{"options_usage", Options{Usage: &opts}, nil, opts},
		{"header_over_options", Options{Usage: &opts}, headers(HeaderUsage, "prompt=3,completion=2"), Usage{Prompt: 3, Completion: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, tt.opts)
			c := newClient(t)
			r := post(t, c, s.Endpoint("openai", "gpt-4o", false), chatBody("gpt-4o", false), tt.header)
			got := readChat(readOpenAIUsage)(t, r.body, false)
			if got.usage != tt.want {
				t.Errorf("usage = %+v, want %+v", got.usage, tt.want)
			}
		})
	}
}

func TestConcurrentRequestsKeepTheirControls(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t)
	// The parallel subtests run together once the group's body returns.
	t.Run("group", func(t *testing.T) {
		for i := range 24 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				want, chunks := Usage{Prompt: int64(100 + i), Completion: int64(i + 1)}, i%5+1
				h := headers(HeaderUsage, want.String(), HeaderChunks, fmt.Sprint(chunks), HeaderChunkDelay, "1ms")
				r := post(t, c, s.Endpoint("anthropic", "claude", true), `{"model":"claude","stream":true,"messages":[]}`, h)
				got := readAnthropic(t, r.body, true)
				if got.usage != want || got.text != strings.Join(pieces(chunks), "") {
					t.Errorf("usage %+v, text %q; want %+v and %d chunks", got.usage, got.text, want, chunks)
				}
			})
		}
	})
}

func TestBadControlHeaders(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t)
	tests := []struct {
		name, header, value string
	}{
		{"usage_not_key_value", HeaderUsage, "prompt"},
		{"usage_unknown_key", HeaderUsage, "prompts=3"},
		{"usage_not_a_number", HeaderUsage, "prompt=x"},
		{"usage_cached_above_prompt", HeaderUsage, "prompt=3,cached=4"},
		{"usage_reasoning_above_completion", HeaderUsage, "completion=1,reasoning=2"},
		{"usage_negative", HeaderUsage, "prompt=-1"},
		{"latency_not_a_duration", HeaderLatency, "fast"},
		{"latency_negative", HeaderLatency, "-1s"},
		{"chunk_delay_too_long", HeaderChunkDelay, "11m"},
		{"chunks_zero", HeaderChunks, "0"},
		{"chunks_too_many", HeaderChunks, "10001"},
		{"unknown_error", HeaderError, "teapot"},
		{"unknown_fail", HeaderFail, "explode"},
		{"omit_usage_not_boolean", HeaderOmitUsage, "yes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, c, s.Endpoint("openai", "gpt-4o", false), chatBody("gpt-4o", false), headers(tt.header, tt.value))
			if r.status != http.StatusBadRequest || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
				t.Errorf("status %d, Content-Type %q; want 400 text/plain", r.status, r.header.Get("Content-Type"))
			}
			if !strings.Contains(string(r.body), tt.header) {
				t.Errorf("body %q does not name %s", r.body, tt.header)
			}
		})
	}
}

func TestGeminiStreamWithoutSSEIsAJSONArray(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t)
	url := s.URL() + "/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent"
	r := post(t, c, url, `{"contents":[{"parts":[{"text":"hi"}]}]}`, headers(HeaderUsage, "prompt=12,completion=9,reasoning=4", HeaderChunks, "3"))
	var chunks []wireGemini
	unmarshal(t, r.body, &chunks)
	if len(chunks) != 3 {
		t.Fatalf("%d array elements, want 3: %s", len(chunks), r.body)
	}
	got := observeGemini(t, chunks)
	if want := (Usage{Prompt: 12, Completion: 9, Reasoning: 4}); got.usage != want {
		t.Errorf("usage = %+v, want %+v", got.usage, want)
	}
}

func TestDashScopeStreamHoldsTextSoFar(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t)
	r := post(t, c, s.Endpoint("qwen_native", "qwen-max", true), `{"model":"qwen-max","input":{"prompt":"你好"}}`,
		headers("X-DashScope-SSE", "enable", HeaderChunks, "4"))
	events := parseSSE(t, r.body)
	text := ""
	for i, ev := range events {
		var d wireDashScope
		unmarshal(t, []byte(ev.data), &d)
		if d.Output.Text == nil {
			t.Fatalf("record %d has no output.text (result_format text)", i)
		}
		text += pieces(4)[i]
		if *d.Output.Text != text {
			t.Errorf("record %d text = %q, want %q", i, *d.Output.Text, text)
		}
	}
}

func TestStreamStopsWhenClientLeaves(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t)
	req := newRequest(t, s.Endpoint("openai", "gpt-4o", true), chatBody("gpt-4o", true), headers(HeaderChunks, "1000", HeaderChunkDelay, "50ms"))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if _, err := resp.Body.Read(make([]byte, 1)); err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("read: %v", err)
	}
	resp.Body.Close()
	// Close returns only once the handler has noticed and returned, well
	// before the 50 s the stream would take.
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close still waiting 10s after the client left")
	}
}
