package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

const testMessages = `[{"role":"system","content":"你是一个乐于助人的助手。"},{"role":"user","content":"用一句话介绍 HarborAI。"}]`

// vendorCase is how a client calls one vendor and reads its replies.
type vendorCase struct {
	vendor string
	model  string
	body   func(model string, stream bool) string
	header func(stream bool) http.Header
	read   decoder
	// shown is the part of a Usage the vendor has fields for.
	shown func(Usage) Usage
	// echoes says the reply names the model.
	echoes bool
}

func chatBody(model string, stream bool) string {
	if !stream {
		return fmt.Sprintf(`{"model":%q,"messages":%s}`, model, testMessages)
	}
	return fmt.Sprintf(`{"model":%q,"messages":%s,"stream":true,"stream_options":{"include_usage":true}}`, model, testMessages)
}

func noHeader(bool) http.Header { return nil }

func withoutCacheWrite(u Usage) Usage { u.CacheWrite = 0; return u }

func withoutReasoning(u Usage) Usage { u.CacheWrite, u.Reasoning = 0, 0; return u }

func vendorCases() []vendorCase {
	chat := func(vendor, model string, read chatUsageReader, shown func(Usage) Usage) vendorCase {
		return vendorCase{vendor: vendor, model: model, body: chatBody, header: noHeader, read: readChat(read), shown: shown, echoes: true}
	}
	return []vendorCase{
		chat("openai", "gpt-4o-mini", readOpenAIUsage, withoutCacheWrite),
		chat("azure", "my-gpt4o-deployment", readOpenAIUsage, withoutCacheWrite),
		chat("deepseek", "deepseek-reasoner", readDeepSeekUsage, withoutCacheWrite),
		chat("doubao", "doubao-1-5-pro-32k-250115", readOpenAIUsage, withoutCacheWrite),
		chat("wenxin", "ernie-4.0-turbo-8k", readSparseUsage, withoutCacheWrite),
		chat("qwen", "qwen-plus", readSparseUsage, withoutCacheWrite),
		chat("moonshot", "kimi-k2-0905-preview", readMoonshotUsage, withoutReasoning),
		chat("zhipu", "glm-4.5", readZhipuUsage, withoutReasoning),
		{
			vendor: "openai_responses", model: "o4-mini", header: noHeader, read: readResponses,
			shown: withoutCacheWrite, echoes: true,
			body: func(model string, stream bool) string {
				return fmt.Sprintf(`{"model":%q,"instructions":"简洁回答","input":"用一句话介绍 HarborAI。","stream":%t}`, model, stream)
			},
		},
		{
			vendor: "anthropic", model: "claude-sonnet-4-5", header: noHeader, read: readAnthropic,
			shown: func(u Usage) Usage { u.Reasoning = 0; return u }, echoes: true,
			body: func(model string, stream bool) string {
				return fmt.Sprintf(`{"model":%q,"max_tokens":1024,"system":"简洁回答","messages":[{"role":"user","content":"你好"}],"stream":%t}`, model, stream)
			},
		},
		{
			vendor: "gemini", model: "gemini-2.5-flash", header: noHeader, read: readGemini,
			shown: withoutCacheWrite, echoes: true,
			body: func(string, bool) string {
				return `{"contents":[{"role":"user","parts":[{"text":"用一句话介绍 HarborAI。"}]}]}`
			},
		},
		{
			vendor: "wenxin_v1", model: "completions_pro", header: noHeader, read: readQianfan,
			shown: func(u Usage) Usage { return Usage{Prompt: u.Prompt, Completion: u.Completion} },
			body: func(_ string, stream bool) string {
				return fmt.Sprintf(`{"messages":[{"role":"user","content":"你好"}],"stream":%t}`, stream)
			},
		},
		{
			vendor: "qwen_native", model: "qwen-plus", read: readDashScope, shown: withoutCacheWrite,
			header: func(stream bool) http.Header {
				if stream {
					return headers("X-DashScope-SSE", "enable")
				}
				return nil
			},
			body: func(model string, _ bool) string {
				return fmt.Sprintf(`{"model":%q,"input":{"messages":%s},"parameters":{"result_format":"message","incremental_output":true}}`, model, testMessages)
			},
		},
	}
}

// call posts a chat call of vc with the extra headers and returns the reply.
func (vc vendorCase) call(t *testing.T, s *Server, c *http.Client, stream bool, extra http.Header) reply {
	t.Helper()
	h := http.Header{}
	for k, v := range vc.header(stream) {
		h[k] = v
	}
	for k, v := range extra {
		h[k] = v
	}
	return post(t, c, s.Endpoint(vc.vendor, vc.model, stream), vc.body(vc.model, stream), h)
}

func TestEveryVendorHasACase(t *testing.T) {
	var covered []string
	for _, vc := range vendorCases() {
		covered = append(covered, vc.vendor)
	}
	slices.Sort(covered)
	vendors := Vendors()
	slices.Sort(vendors)
	if !slices.Equal(covered, vendors) {
		t.Errorf("Vendors() = %v, test cases cover %v", vendors, covered)
	}
}

func TestVendorsReportUsage(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t)
	usages := []struct {
		name  string
		usage Usage
	}{
		{"all_counts", Usage{Prompt: 100, Completion: 40, Cached: 30, Reasoning: 10, CacheWrite: 20}},
		{"no_cache_no_reasoning", Usage{Prompt: 7, Completion: 3}},
		{"large", Usage{Prompt: 1 << 40, Completion: 1 << 33, Cached: 1 << 39, Reasoning: 1 << 32}},
	}
	const chunks = 5
	wantText := strings.Join(pieces(chunks), "")
	for _, vc := range vendorCases() {
		for _, stream := range []bool{false, true} {
			for _, u := range usages {
				t.Run(fmt.Sprintf("%s/stream=%t/%s", vc.vendor, stream, u.name), func(t *testing.T) {
					t.Parallel()
					r := vc.call(t, s, c, stream, headers(HeaderUsage, u.usage.String(), HeaderChunks, fmt.Sprint(chunks)))
					if r.status != http.StatusOK {
						t.Fatalf("status = %d, want 200; body %s", r.status, r.body)
					}
					ct := r.header.Get("Content-Type")
					if wantSSE := stream; strings.HasPrefix(ct, "text/event-stream") != wantSSE {
						t.Errorf("Content-Type = %q for stream=%t", ct, stream)
					}
					got := vc.read(t, r.body, stream)
					if !got.hasUsage {
						t.Fatalf("no usage in reply %s", r.body)
					}
					if want := vc.shown(u.usage); got.usage != want {
						t.Errorf("usage = %+v, want %+v", got.usage, want)
					}
					if got.text != wantText {
						t.Errorf("text = %q, want %q", got.text, wantText)
					}
					if vc.echoes && got.model != vc.model {
						t.Errorf("model = %q, want %q", got.model, vc.model)
					}
				})
			}
		}
	}
}

func TestOmitUsage(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t)
	for _, vc := range vendorCases() {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%t", vc.vendor, stream), func(t *testing.T) {
				t.Parallel()
				r := vc.call(t, s, c, stream, headers(HeaderOmitUsage, "1"))
				if r.status != http.StatusOK {
					t.Fatalf("status = %d, want 200; body %s", r.status, r.body)
				}
				if got := vc.read(t, r.body, stream); got.hasUsage {
					t.Errorf("usage = %+v, want none", got.usage)
				}
			})
		}
	}
}
