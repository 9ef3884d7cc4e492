package harborai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/harborai/ingest/pkg/event"
)

func TestMatcherLookup(t *testing.T) {
	m, errs := newMatcher([]baseURL{
		{"openai", "http://127.0.0.1:8080/openai/v1"},
		{"wenxin", "http://127.0.0.1:8080/wenxin/v2"},
		{"wenxin", "http://127.0.0.1:8080/wenxin_v1"},
		{"kimi", "http://gateway.local/kimi/"},
		{"my-llm", "http://gateway.local/custom/v1"},
		{"mistral", "http://gateway.local/mistral/v1"},
		{"openai_compatible", "http://gateway.local/compat/v1"},
		{"openai_compatible", "https://api.mistral.ai/v1"},
		{"openai", "http://GW.Example.com:80/upper/v1"},
		{"openai", "not a url"},
	})
	if len(errs) != 1 {
		t.Fatalf("newMatcher() errors = %v, want 1 for the bad URL", errs)
	}
	tests := []struct {
		name, method, url string
		want              api
		ok                bool
	}{
		{"openai chat", "POST", "https://api.openai.com/v1/chat/completions", api{"openai", opChat, true}, true},
		{"openai responses", "POST", "https://api.openai.com/v1/responses", api{"openai", opChat, false}, true},
		{"openai embeddings", "POST", "https://api.openai.com/v1/embeddings", api{"openai", opEmbeddings, false}, true},
		{"openai legacy completions", "POST", "https://api.openai.com/v1/completions", api{"openai", opCompletion, false}, true},
		{"openai models listing", "GET", "https://api.openai.com/v1/models", api{}, false},
		{"openai file upload", "POST", "https://api.openai.com/v1/files", api{}, false},
		{"openai thread message", "POST", "https://api.openai.com/v1/threads/t1/messages", api{}, false},
		{"openai with port", "POST", "https://api.openai.com:443/v1/chat/completions", api{"openai", opChat, true}, true},
		{"azure", "POST", "https://my-res.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21", api{"azure", opChat, true}, true},
		{"azure foundry", "POST", "https://my-res.cognitiveservices.azure.com/openai/deployments/d/chat/completions", api{"azure", opChat, true}, true},
		{"azure other path", "POST", "https://my-res.openai.azure.com/other/chat/completions", api{}, false},
		{"anthropic", "POST", "https://api.anthropic.com/v1/messages", api{"anthropic", opChat, false}, true},
		{"deepseek", "POST", "https://api.deepseek.com/chat/completions", api{"deepseek", opChat, true}, true},
		{"deepseek v1", "POST", "https://api.deepseek.com/v1/chat/completions", api{"deepseek", opChat, true}, true},
		{"doubao", "POST", "https://ark.cn-beijing.volces.com/api/v3/chat/completions", api{"doubao", opChat, true}, true},
		{"doubao other region", "POST", "https://ark.cn-shanghai.volces.com/api/v3/chat/completions", api{"doubao", opChat, true}, true},
		{"wenxin v2", "POST", "https://qianfan.baidubce.com/v2/chat/completions", api{"wenxin", opChat, true}, true},
		{"wenxin v1", "POST", "https://aip.baidubce.com/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/completions_pro?access_token=x", api{"wenxin", opChat, false}, true},
		{"wenxin v1 endpoint named completions", "POST", "https://aip.baidubce.com/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/completions", api{"wenxin", opChat, false}, true},
		{"gemini", "POST", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent", api{"gemini", opChat, false}, true},
		{"gemini stream", "POST", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", api{"gemini", opChat, false}, true},
		{"qwen compatible", "POST", "https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions", api{"qwen", opChat, true}, true},
		{"qwen native", "POST", "https://dashscope.aliyuncs.com/api/v1/services/aigc/text-generation/generation", api{"qwen", opChat, false}, true},
		{"moonshot", "POST", "https://api.moonshot.cn/v1/chat/completions", api{"moonshot", opChat, true}, true},
		{"zhipu", "POST", "https://open.bigmodel.cn/api/paas/v4/chat/completions", api{"zhipu", opChat, true}, true},
		{"configured base", "POST", "http://127.0.0.1:8080/openai/v1/chat/completions", api{"openai", opChat, true}, true},
		{"configured bases do not overlap", "POST", "http://127.0.0.1:8080/wenxin_v1/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/eb", api{"wenxin", opChat, false}, true},
		{"configured alias", "POST", "http://gateway.local/kimi/v1/chat/completions", api{"moonshot", opChat, true}, true},
		{"configured unknown provider", "POST", "http://gateway.local/custom/v1/chat/completions", api{"my-llm", opChat, false}, true},
		{"configured openai_compatible", "POST", "http://gateway.local/compat/v1/chat/completions", api{"openai_compatible", opChat, true}, true},
		{"openai_compatible at Mistral's host", "POST", "https://api.mistral.ai/v1/chat/completions", api{"openai_compatible", opChat, false}, true},
		{"configured mistral", "POST", "http://gateway.local/mistral/v1/chat/completions", api{"mistral", opChat, false}, true},
		{"configured host in upper case, default port", "POST", "http://gw.EXAMPLE.com/upper/v1/chat/completions", api{"openai", opChat, true}, true},
		{"configured host, default port written", "POST", "http://gw.example.com:80/upper/v1/chat/completions", api{"openai", opChat, true}, true},
		{"configured host, other path", "POST", "http://127.0.0.1:8080/elsewhere/chat/completions", api{}, false},
		{"unrelated host", "POST", "https://example.com/v1/chat/completions", api{}, false},
		{"look-alike host", "POST", "https://api.openai.com.evil.example/v1/chat/completions", api{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := m.lookup(req)
			if ok != tt.ok || got != tt.want {
				t.Errorf("lookup(%s %s) = %+v, %v, want %+v, %v", tt.method, tt.url, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestModelAndStream(t *testing.T) {
	tests := []struct {
		name, url, body string
		header          http.Header
		model           string
		stream          bool
	}{
		{"body", "https://api.openai.com/v1/chat/completions", `{"model":"gpt-4o-mini","stream":true}`, nil, "gpt-4o-mini", true},
		{"body escaped", "https://api.openai.com/v1/chat/completions", `{"messages":[{"role":"user","content":"{\"model\":\"x\"}"}],"model":"gpt-\u0034o"}`, nil, "gpt-4o", false},
		{"nested model ignored", "https://api.openai.com/v1/chat/completions", `{"tools":[{"model":"nope"}],"stream":false}`, nil, "", false},
		{"azure deployment", "https://r.openai.azure.com/openai/deployments/my-gpt4o/chat/completions?api-version=1", `{"messages":[]}`, nil, "my-gpt4o", false},
		{"gemini path", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", `{"contents":[]}`, nil, "gemini-2.0-flash", true},
		{"qianfan v1 endpoint", "https://aip.baidubce.com/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/completions_pro", `{"stream":true}`, nil, "completions_pro", true},
		{"dashscope sse header", "https://dashscope.aliyuncs.com/api/v1/services/aigc/text-generation/generation", `{"model":"qwen-plus"}`, http.Header{"X-Dashscope-Sse": {"enable"}}, "qwen-plus", true},
		{"truncated body keeps first members", "https://api.openai.com/v1/chat/completions", `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"abc`, nil, "gpt-4o", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", tt.url, strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header[k] = v
			}
			f, _ := inspectBody(tt.body)
			model := modelFromPath(req.URL.Path)
			if model == "" {
				model = f.model
			}
			if stream := f.stream || streams(req); model != tt.model || stream != tt.stream {
				t.Errorf("model, stream = %q, %v, want %q, %v", model, stream, tt.model, tt.stream)
			}
		})
	}
}

// TestMayStream checks mayStream against inspectBody: a body it says
// cannot ask for a stream does not.
func TestMayStream(t *testing.T) {
	tests := []struct {
		name, body string
		may        bool
	}{
		{"no stream", `{"model":"m","messages":[]}`, false},
		{"stream false", `{"stream":false,"model":"m"}`, false},
		{"stream true", `{"model":"m","stream":true}`, true},
		{"spaces", `{"stream" :	 true}`, true},
		{"true after false", `{"stream":false,"x":{"stream":true}}`, true},
		{"in a string", `{"messages":[{"content":"\"stream\": true"}]}`, false},
		{"nested", `{"x":{"stream":true}}`, true},
		{"cut", `{"model":"m","stream":`, false},
		{"empty", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mayStream(tt.body); got != tt.may {
				t.Errorf("mayStream(%q) = %v, want %v", tt.body, got, tt.may)
			}
			if f, _ := inspectBody(tt.body); f.stream && !tt.may {
				t.Errorf("inspectBody(%q) finds a stream that mayStream rules out", tt.body)
			}
		})
	}
}

// FuzzMayStream: whatever the body, mayStream is true when inspectBody
// finds stream true.
func FuzzMayStream(f *testing.F) {
	for _, s := range []string{`{}`, `{"stream":true}`, `{"stream" : true ,"model":"m"}`, `{"stream":false}`, `{"a":"\"stream\":true"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if f, _ := inspectBody(s); f.stream && !mayStream(s) {
			t.Fatalf("mayStream(%q) = false, but inspectBody finds stream true", s)
		}
	})
}

func TestWithIncludeUsage(t *testing.T) {
	tests := []struct {
		name, body, want string
		ok               bool
	}{
		{"absent", `{"model":"m","stream":true}`, `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`, true},
		{"absent, spaces kept", "{\n  \"model\": \"m\",\n  \"stream\": true\n}\n", "{\n  \"model\": \"m\",\n  \"stream\": true,\"stream_options\":{\"include_usage\":true}\n}\n", true},
		{"empty options", `{"stream":true,"stream_options":{}}`, `{"stream":true,"stream_options":{"include_usage":true}}`, true},
		{"other options", `{"stream":true,"stream_options":{"x":1}}`, `{"stream":true,"stream_options":{"include_usage":true,"x":1}}`, true},
		{"null options", `{"stream":true,"stream_options":null}`, `{"stream":true,"stream_options":{"include_usage":true}}`, true},
		{"caller said true", `{"stream":true,"stream_options":{"include_usage":true}}`, "", false},
		{"caller said false", `{"stream":true,"stream_options":{"include_usage":false}}`, "", false},
		{"not an object", `[1,2]`, "", false},
		{"invalid", `{"stream":true,`, "", false},
		{"strings with braces", `{"messages":[{"content":"}{\"]"}],"stream":true}`, `{"messages":[{"content":"}{\"]"}],"stream":true,"stream_options":{"include_usage":true}}`, true},
		// A JSON decoder takes the last of duplicate keys, and decodes
		// escapes in keys: these callers asked for usage themselves, and the
		// body is left as they wrote it.
		{"caller said true, duplicate options", `{"stream":true,"stream_options":{},"stream_options":{"include_usage":true}}`, "", false},
		{"caller said true, escaped key", `{"stream":true,"stream_options":{"include\u005fusage":true}}`, "", false},
		{"caller said true, escaped options key", `{"stream":true,"stream\u005foptions":{"include_usage":true}}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, members := inspectBody(tt.body)
			got, ok := withIncludeUsage(tt.body, f, members)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("withIncludeUsage(%q) = %q, %v, want %q, %v", tt.body, got, ok, tt.want, tt.ok)
			}
			if !ok {
				return
			}
			var before, after map[string]any
			if err := json.Unmarshal([]byte(tt.body), &before); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(got), &after); err != nil {
				t.Fatalf("rewritten body is not JSON: %v", err)
			}
			delete(after, "stream_options")
			if so, ok := before["stream_options"].(map[string]any); ok && len(so) > 0 {
				before["stream_options"] = nil
				after["stream_options"] = nil
			}
			delete(before, "stream_options")
			delete(after, "stream_options")
			if b, a := mustMarshal(t, before), mustMarshal(t, after); b != a {
				t.Errorf("rewrite changed the rest of the body: %s -> %s", b, a)
			}
		})
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// usageFilterCases are streams with what the application reads of them.
func usageFilterCases() []struct{ name, in, want string } {
	chunk := `data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}` + "\n\n"
	last := `data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}` + "\n\n"
	usage := `data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}` + "\n\n"
	azureFirst := `data: {"choices":[],"prompt_filter_results":[{"prompt_index":0}]}` + "\n\n"
	done := "data: [DONE]\n\n"
	tests := []struct {
		name, in, want string
	}{
		{"usage chunk hidden", chunk + last + usage + done, chunk + last + done},
		{"spaced usage chunk hidden", chunk + `data: {"choices": [ ], "usage": {"prompt_tokens": 1}}` + "\n\n" + done, chunk + done},
		{"tabbed usage chunk hidden", chunk + "data: {\"usage\":{\"prompt_tokens\":1},\"choices\":[\t]}\n\n" + done, chunk + done},
		{"crlf", strings.ReplaceAll(chunk+usage+done, "\n", "\r\n"), strings.ReplaceAll(chunk+done, "\n", "\r\n")},
		// SSE's third line ending: a lone CR. Lines pass as they end, not
		// at the stream's end.
		{"cr", strings.ReplaceAll(chunk+usage+done, "\n", "\r"), strings.ReplaceAll(chunk+done, "\n", "\r")},
		{"mixed endings", chunk + strings.ReplaceAll(usage, "\n", "\r") + "data: [DONE]\r\n\r\n", chunk + "data: [DONE]\r\n\r\n"},
		{"cr then lf apart", "data: a\r\rdata: b\r\n\r\n", "data: a\r\rdata: b\r\n\r\n"},
		{"azure filter results kept", azureFirst + chunk + usage + done, azureFirst + chunk + done},
		{"usage in a choice chunk kept", `data: {"choices":[{"delta":{}}],"usage":{"prompt_tokens":1}}` + "\n\n", `data: {"choices":[{"delta":{}}],"usage":{"prompt_tokens":1}}` + "\n\n"},
		{"no trailing newline", chunk + "data: partial", chunk + "data: partial"},
		{"error event kept", `data: {"error":{"message":"boom"}}` + "\n\n", `data: {"error":{"message":"boom"}}` + "\n\n"},
		// Servers write the usage chunk without choices too, or with null
		// (Fireworks, vLLM): asked for by the Transport, it is hidden as well.
		{"usage chunk without choices hidden", chunk + `data: {"id":"c1","object":"chat.completion.chunk","usage":{"prompt_tokens":3}}` + "\n\n" + done, chunk + done},
		{"usage chunk with null choices hidden", chunk + `data: {"id":"c1","choices":null,"usage":{"prompt_tokens":3}}` + "\n\n" + done, chunk + done},
		{"null usage without choices kept", `data: {"id":"c1","usage":null}` + "\n\n", `data: {"id":"c1","usage":null}` + "\n\n"},
		{"error with usage kept", `data: {"error":{"message":"boom"},"usage":{"prompt_tokens":3}}` + "\n\n", `data: {"error":{"message":"boom"},"usage":{"prompt_tokens":3}}` + "\n\n"},
		{"usage chunk with null error hidden", chunk + `data: {"id":"c1","choices":[],"usage":{"prompt_tokens":3},"error":null}` + "\n\n" + done, chunk + done},
		// Keys as a decoder takes them (any case); one written with an
		// escape keeps its line.
		{"capitalised choices kept", `data: {"Choices":[{"delta":{"content":"hi"}}],"usage":{"prompt_tokens":3}}` + "\n\n", `data: {"Choices":[{"delta":{"content":"hi"}}],"usage":{"prompt_tokens":3}}` + "\n\n"},
		{"escaped choices key kept", `data: {"c\u0068oices":[{"delta":{"content":"hi"}}],"usage":{"prompt_tokens":3}}` + "\n\n", `data: {"c\u0068oices":[{"delta":{"content":"hi"}}],"usage":{"prompt_tokens":3}}` + "\n\n"},
		{"escaped error key kept", `data: {"\u0065rror":{"message":"boom"},"usage":{"prompt_tokens":3}}` + "\n\n", `data: {"\u0065rror":{"message":"boom"},"usage":{"prompt_tokens":3}}` + "\n\n"},
		{"usage only inside a choice kept", `data: {"choices":[{"index":0,"usage":{"prompt_tokens":3}}]}` + "\n\n", `data: {"choices":[{"index":0,"usage":{"prompt_tokens":3}}]}` + "\n\n"},
		{"usage key in content kept", `data: {"choices":[{"delta":{"content":"\\"usage\\": {} \\"choices\\":[]"}}]}` + "\n\n", `data: {"choices":[{"delta":{"content":"\\"usage\\": {} \\"choices\\":[]"}}]}` + "\n\n"},
	}
	return tests
}

func TestUsageFilter(t *testing.T) {
	for _, tt := range usageFilterCases() {
		for _, size := range []int{1, 3, 17, 4096} {
			t.Run(tt.name, func(t *testing.T) {
				f := &usageFilter{}
				var got bytes.Buffer
				buf := make([]byte, 7)
				in := []byte(tt.in)
				for len(in) > 0 {
					n := min(size, len(in))
					f.write(in[:n])
					in = in[n:]
					for {
						k := f.drain(buf)
						if k == 0 {
							break
						}
						got.Write(buf[:k])
					}
				}
				f.flush()
				for k := f.drain(buf); k > 0; k = f.drain(buf) {
					got.Write(buf[:k])
				}
				if got.String() != tt.want {
					t.Errorf("filtered in pieces of %d = %q, want %q", size, got.String(), tt.want)
				}
			})
		}
	}
}

// TestHidingBody reads streams through the body wrapper that hides the
// usage chunk, the vendor's bytes coming in pieces of several sizes and the
// application reading with buffers of several sizes: the application gets
// the stream without the chunk, the event the stream as sent.
func TestHidingBody(t *testing.T) {
	for _, tt := range usageFilterCases() {
		for _, piece := range []int{1, 3, 17, 4096} {
			for _, read := range []int{1, 7, 4096} {
				for _, c := range []struct {
					known bool // Content-Length
					limit int
				}{{false, DefaultMaxBodyBytes}, {true, DefaultMaxBodyBytes}, {false, 100}, {true, 100}} {
					known, limit := c.known, c.limit
					t.Run(fmt.Sprintf("%s/%d/%d/%v/%d", tt.name, piece, read, known, limit), func(t *testing.T) {
						p := &Publisher{opts: defaultOptions(), queue: make(chan queued, 1), wake: make(chan struct{}, 1)}
						rec := newRecording(p, context.Background(), time.Now(), "", true)
						p.initHeader(rec.header(), context.Background(), CallInfo{Provider: "openai"})
						length := int64(-1)
						if known {
							length = int64(len(tt.in))
						}
						resp := &http.Response{
							StatusCode: http.StatusOK, ContentLength: length, Header: http.Header{},
							Body: io.NopCloser(iotest.HalfReader(&pieces{s: tt.in, n: piece})),
						}
						resp = wrapBody(resp, rec, limit, new(usageFilter)) //nolint:bodyclose // read to its end below
						got, err := io.ReadAll(&onlyReader{resp.Body, read})
						if err != nil || string(got) != tt.want {
							t.Fatalf("read = %q, %v, want %q", got, err, tt.want)
						}
						ev := (<-p.queue).complete()
						want, omitted := tt.in, ""
						if len(tt.in) > limit { // the head, and the last whole lines of the tail
							over := tt.in[limit:]
							tail := over[len(over)-min(tailKeep(limit), len(over)):]
							if i := strings.IndexByte(tail, '\n'); i >= 0 {
								tail = tail[i+1:]
							}
							want, omitted = tt.in[:limit-len(tail)-1]+"\n"+tail, "truncated"
						}
						if r := ev.Response; r == nil || r.Body != want || r.BodyOmitted != omitted || r.Status != event.StatusSuccess {
							t.Errorf("event response = %+v, want body %q, omitted %q, success", r, want, omitted)
						}
					})
				}
			}
		}
	}
}

// pieces reads s at most n bytes at a time.
type pieces struct {
	s string
	n int
}

func (r *pieces) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.s)
	r.s = r.s[k:]
	return k, nil
}

// onlyReader reads into buffers of at most n bytes.
type onlyReader struct {
	r io.Reader
	n int
}

func (r *onlyReader) Read(p []byte) (int, error) { return r.r.Read(p[:min(len(p), r.n)]) }

func TestScanObject(t *testing.T) {
	tests := []struct {
		name, in string
		keys     []string
		ok       bool
	}{
		{"empty", ` { } `, nil, true},
		{"members", `{"model":"m","stream":true,"n":1.5e3,"x":null}`, []string{"model", "stream", "n", "x"}, true},
		{"nested", `{"a":{"b":[1,{"c":"}"}]},"d":[]}`, []string{"a", "d"}, true},
		{"escaped quote", `{"a\"b":"c\"}","d":1}`, []string{`a\"b`, "d"}, true},
		{"escaped backslash", `{"a":"c\\","d":"\\\""}`, []string{"a", "d"}, true},
		{"unicode", `{"名":"\u0041","b":"é"}`, []string{"名", "b"}, true},
		{"cut in a string", `{"model":"m","messages":[{"content":"ab`, []string{"model"}, false},
		{"cut after a backslash", `{"model":"m","x":"a\`, []string{"model"}, false},
		{"trailing text", `{"a":1} x`, []string{"a"}, false},
		{"not an object", `[1]`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, ok := scanObject(tt.in)
			var keys []string
			for _, m := range ms {
				keys = append(keys, m.key)
			}
			if ok != tt.ok || !slices.Equal(keys, tt.keys) {
				t.Errorf("scanObject(%q) = %q, %v, want %q, %v", tt.in, keys, ok, tt.keys, tt.ok)
			}
		})
	}
}

// FuzzScanObject: on JSON objects, scanObject finds the members
// encoding/json finds, in order.
func FuzzScanObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a\"":"\\","b":[{"c":"]"}]}`, `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(s), &obj) != nil || !strings.HasPrefix(strings.TrimSpace(s), "{") {
			return
		}
		ms, ok := scanObject(s)
		if !ok {
			t.Fatalf("scanObject(%q) not ok, want the object's members", s)
		}
		dec := json.NewDecoder(strings.NewReader(s))
		_, _ = dec.Token() // {
		for i := 0; dec.More(); i++ {
			tok, _ := dec.Token()
			var v json.RawMessage
			_ = dec.Decode(&v)
			if i >= len(ms) {
				t.Fatalf("scanObject(%q) found %d members, want more", s, len(ms))
			}
			var key string
			if err := json.Unmarshal([]byte(`"`+ms[i].key+`"`), &key); err != nil || key != tok {
				t.Fatalf("scanObject(%q) member %d = %q, want %q", s, i, ms[i].key, tok)
			}
		}
	})
}

func TestRedaction(t *testing.T) {
	h := http.Header{
		"Authorization":             {"Bearer sk-secret"},
		"Api-Key":                   {"azure-secret"},
		"X-Api-Key":                 {"anthropic-secret"},
		"X-Goog-Api-Key":            {"google-secret"},
		"Cookie":                    {"session=secret"},
		"X-Auth-Token":              {"secret"},
		"Ocp-Apim-Subscription-Key": {"secret"},
		"X-Client-Secret":           {"secret"},
		"Content-Type":              {"application/json"},
		"Anthropic-Version":         {"2023-06-01"},
		"X-Multi":                   {"a", "b"},
	}
	got := redactHeaders(h)
	want := map[string]string{"Content-Type": "application/json", "Anthropic-Version": "2023-06-01", "X-Multi": "a, b"}
	if len(got) != len(want) {
		t.Errorf("redactHeaders() = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("redactHeaders()[%q] = %q, want %q", k, got[k], v)
		}
	}

	urls := []struct{ name, in, want string }{
		{"no query", "https://api.openai.com/v1/chat/completions", "https://api.openai.com/v1/chat/completions"},
		{"gemini key", "https://generativelanguage.googleapis.com/v1beta/models/m:generateContent?key=AIza-secret&alt=sse", "https://generativelanguage.googleapis.com/v1beta/models/m:generateContent?alt=sse"},
		{"qianfan token", "https://aip.baidubce.com/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/eb?access_token=24.secret", "https://aip.baidubce.com/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/eb"},
		{"azure version kept", "https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21&api-key=secret", "https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21"},
		{"user info", "https://user:pass@gateway.local/v1/chat/completions", "https://gateway.local/v1/chat/completions"},
	}
	for _, tt := range urls {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse(tt.in)
			if got := redactURL(u); got != tt.want {
				t.Errorf("redactURL(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

// TestIsSecret checks isSecret against the plain reading of its contract:
// "sig" or "code", or a name containing a secret word, in any case, but
// for the names that are known to name no secret (SPEC §12: no false
// positive on max_tokens).
func TestIsSecret(t *testing.T) {
	reference := func(name string) bool {
		l := strings.ToLower(name)
		if l == "sig" || l == "code" {
			return true
		}
		loose := strings.NewReplacer("-", "", "_", "").Replace(l)
		for _, w := range secretWords {
			if strings.Contains(l, w) {
				return !slices.ContainsFunc(notSecrets, func(n string) bool { return strings.HasSuffix(loose, n) })
			}
		}
		return false
	}
	for _, name := range []string{
		"", "a", "Authorization", "AUTHORIZATION", "x-api-key", "X-Goog-Api-Key", "Api-Key", "Cookie", "Set-Cookie",
		"X-Auth-Token", "Ocp-Apim-Subscription-Key", "Proxy-Authorization", "X-Session-Id", "Passwd", "X-Password",
		"Signature", "X-Credential", "Secret", "sig", "SIG", "Sig", "code", "Code", "Codec", "Signal", "Sign",
		"Content-Type", "User-Agent", "Accept", "X-Stainless-Os", "Anthropic-Version", "Keep-Alive", "Monkey",
		"Aut", "Tok", "Toke", "auth", "keY", "xkeyx", "Sessio", "Passw", "Passwo", "credentia", "Cre",
		"max_tokens", "Max_Tokens", "max_completion_tokens", "input_tokens", "keyword", "Tokenizer", "apiKey", "APIKEY",
		"access_token", "access_tokens", "api_key", "api_keys", "X-Api-Key", "X-Api-Keys", "Idempotency-Key", "sessions",
		"sessionid", "jsessionid", "Sessionid", "X-Session", "token_type", "keys", "monkeyKey", "tokenstoken",
		"maxTokens", "max-tokens", "X-Max-Tokens", "maxOutputTokens", "max_input_tokens", "num_tokens", "_max__tokens_",
		"private_keys", "refresh_tokens", "x-api-key-max_tokens",
	} {
		if got, want := isSecret(name), reference(name); got != want {
			t.Errorf("isSecret(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestHeaderMemo sends headers that change in each way a memo could miss
// and checks each call gets what redactHeaders makes of its headers.
func TestHeaderMemo(t *testing.T) {
	base := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer a"}, "User-Agent": {"sdk/1"}}
	with := func(f func(h http.Header)) http.Header {
		h := base.Clone()
		f(h)
		return h
	}
	var m headerMemo
	for _, tt := range []struct {
		name string
		h    http.Header
	}{
		{"first", base},
		{"same", base.Clone()},
		{"secret value changed", with(func(h http.Header) { h.Set("Authorization", "Bearer b") })},
		{"value changed", with(func(h http.Header) { h.Set("User-Agent", "sdk/2") })},
		{"header added", with(func(h http.Header) { h.Set("X-Trace", "1") })},
		{"secret added", with(func(h http.Header) { h.Set("Cookie", "c") })},
		{"header removed", with(func(h http.Header) { h.Del("User-Agent") })},
		{"header swapped for a secret", with(func(h http.Header) { h.Del("User-Agent"); h.Set("Api-Key", "k") })},
		{"secret swapped for a header", with(func(h http.Header) { h.Del("Authorization"); h.Set("X-Trace", "1") })},
		{"multiple values", with(func(h http.Header) { h.Add("User-Agent", "sdk/3") })},
		{"multiple values, same", with(func(h http.Header) { h.Add("User-Agent", "sdk/3") })},
		{"multiple values, joined as one", with(func(h http.Header) { h.Set("User-Agent", "sdk/1, sdk/3") })},
		{"multiple values, other split", with(func(h http.Header) { h["User-Agent"] = []string{"sdk/1, sdk", "3"} })},
		{"empty values", with(func(h http.Header) { h["User-Agent"] = []string{} })},
		{"none", http.Header{}},
		{"back to the first", base},
	} {
		want := redactHeaders(tt.h)
		if got := m.redact(tt.h); !maps.Equal(got, want) {
			t.Errorf("%s: headerMemo.redact() = %v, want %v", tt.name, got, want)
		}
	}
}

func TestReadUpTo(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		limit     int
		cl        int64
		want      string
		truncated bool
	}{
		{"small", "hello", 10, -1, "hello", false},
		{"exact", "hello", 5, 5, "hello", false},
		{"over", "hello world", 5, 11, "hello ", true},
		{"one byte reads", "hello world", 64, -1, "hello world", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, truncated, err := readUpTo(iotest.OneByteReader(strings.NewReader(tt.body)), tt.limit, tt.cl)
			if err != nil || got != tt.want || truncated != tt.truncated {
				t.Errorf("readUpTo(%q, %d) = %q, %v, %v, want %q, %v", tt.body, tt.limit, got, truncated, err, tt.want, tt.truncated)
			}
		})
	}
}

// BenchmarkRedactHeaders is the header work of one recorded call, with
// the headers the official OpenAI Go SDK sends: redacting them afresh, and
// through a Transport's memo when they repeat (the usual case).
//
//	go test -run '^$' -bench BenchmarkRedactHeaders -benchmem ./pkg/harborai
func BenchmarkRedactHeaders(b *testing.B) {
	h := http.Header{
		"Accept": {"application/json"}, "Authorization": {"Bearer sk-test"}, "Content-Type": {"application/json"},
		"User-Agent": {"OpenAI/Go 1.12.0"}, "X-Stainless-Arch": {"x64"}, "X-Stainless-Lang": {"go"},
		"X-Stainless-Os": {"Linux"}, "X-Stainless-Package-Version": {"1.12.0"}, "X-Stainless-Retry-Count": {"0"},
		"X-Stainless-Runtime": {"go"}, "X-Stainless-Runtime-Version": {"go1.26.8"}, "Idempotency-Key": {"stainless-go-retry-1"},
	}
	b.Run("fresh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = redactHeaders(h)
		}
	})
	b.Run("repeated", func(b *testing.B) {
		var m headerMemo
		b.ReportAllocs()
		for b.Loop() {
			_ = m.redact(h)
		}
	})
}

// TestRedactMessage: the secrets of a URL leave an error message in every
// form it may print the URL in, and nothing else changes.
func TestRedactMessage(t *testing.T) {
	u, err := url.Parse("https://proxy:p%40ss%2Fword@gw.example.com/v1/models/m:generateContent?alt=sse&key=k%2Byz&max_tokens=10")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ msg, want string }{
		{`Post "` + u.String() + `": EOF`, `Post "https://gw.example.com/v1/models/m:generateContent?alt=sse&max_tokens=10": EOF`},
		{`Post "https://proxy:***@gw.example.com/v1/models/m:generateContent?alt=sse&key=k%2Byz": EOF`,
			`Post "https://proxy:***@gw.example.com/v1/models/m:generateContent?alt=sse&key=redacted": EOF`},
		{"password p@ss/word and key k+yz, escaped p%40ss%2Fword and k%2Byz", "password redacted and key redacted, escaped redacted and redacted"},
		{"dial tcp 10.0.0.1:443: connection refused", "dial tcp 10.0.0.1:443: connection refused"},
	} {
		if got := redactMessage(tt.msg, u); got != tt.want {
			t.Errorf("redactMessage(%q)\n = %q\nwant %q", tt.msg, got, tt.want)
		}
	}
	// A secret that is also a word of the URL: the URL is written without
	// its secrets, not cut again where its path has the same text.
	named, _ := url.Parse("https://openai@gw.example/openai/v1/chat/completions")
	msg := `Post "https://openai@gw.example/openai/v1/chat/completions": dial tcp: lookup gw.example: no such host`
	if got, want := redactMessage(msg, named), `Post "https://gw.example/openai/v1/chat/completions": dial tcp: lookup gw.example: no such host`; got != want {
		t.Errorf("redactMessage(%q)\n = %q\nwant %q", msg, got, want)
	}
	pass, _ := url.Parse("https://u:pass@h/p")
	if got, want := redactMessage("compass pass", pass), "compass redacted"; got != want {
		t.Errorf("redactMessage() = %q, want %q: a secret inside a word is left", got, want)
	}
	token, _ := url.Parse("nats://s3cr3tT0ken@127.0.0.1:4222")
	if got := redactMessage("connect to nats://s3cr3tT0ken@127.0.0.1:4222: EOF", token); strings.Contains(got, "s3cr3tT0ken") {
		t.Errorf("a token in the user information is kept: %q", got)
	}
	short, _ := url.Parse("https://h/p?key=ab")
	if got := redactMessage("ab abc", short); got != "ab abc" {
		t.Errorf("a value shorter than %d bytes is replaced: %q", minSecret, got)
	}
	for in, want := range map[string]string{
		"gwuser:pw@gateway.internal/v1?key=k": "redacted@gateway.internal/v1",
		"https://h/v1/claude@2024:rawPredict": "https://h/v1/claude@2024:rawPredict",
		"https://u:p@h:1/v1":                  "https://redacted@h:1/v1",
		"https://h/v1":                        "https://h/v1",
	} {
		if got := quotable(in); got != want {
			t.Errorf("quotable(%q) = %q, want %q", in, got, want)
		}
	}
}
