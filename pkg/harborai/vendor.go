package harborai

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/harborai/ingest/pkg/parse"
)

// vendor is one LLM vendor the transport recognises by host.
type vendor struct {
	provider string   // canonical name, as pkg/parse knows it
	hosts    []string // exact host names
	suffixes []string // host name suffixes ("" = none)
	prefix   string   // path prefix of the API on those hosts ("" = any path)
	// includeUsage: the vendor speaks OpenAI's chat completions and honours
	// stream_options.include_usage, which the transport may add.
	includeUsage bool
}

// vendors is the registry of the vendors recognised without configuration.
// Any other base URL (a gateway, a proxy, the emulator) is added with
// WithBaseURL.
func vendors() []vendor {
	return []vendor{
		{provider: "openai", hosts: []string{"api.openai.com"}, includeUsage: true},
		{provider: "azure", suffixes: []string{".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com"}, prefix: "/openai", includeUsage: true},
		{provider: "anthropic", hosts: []string{"api.anthropic.com"}},
		{provider: "deepseek", hosts: []string{"api.deepseek.com"}, includeUsage: true},
		{provider: "doubao", hosts: []string{"ark.cn-beijing.volces.com"}, suffixes: []string{".volces.com"}, prefix: "/api/v3", includeUsage: true},
		{provider: "wenxin", hosts: []string{"qianfan.baidubce.com", "aip.baidubce.com"}, includeUsage: true},
		{provider: "gemini", hosts: []string{"generativelanguage.googleapis.com"}},
		{provider: "qwen", hosts: []string{"dashscope.aliyuncs.com", "dashscope-intl.aliyuncs.com"}, includeUsage: true},
		{provider: "moonshot", hosts: []string{"api.moonshot.cn", "api.moonshot.ai"}, includeUsage: true},
		{provider: "zhipu", hosts: []string{"open.bigmodel.cn"}, includeUsage: true},
	}
}

// api is what the transport knows about a request it records.
type api struct {
	provider     string
	operation    string // GenAI operation name: chat, text_completion, embeddings
	includeUsage bool   // stream_options.include_usage may be added
}

// route maps a path prefix on one host to a provider.
type route struct {
	prefix       string // without a trailing slash
	provider     string
	includeUsage bool
}

// matcher recognises vendor endpoints. Its tables are built once, by
// NewTransport, and only read afterwards.
type matcher struct {
	byHost   map[string][]route // host (as in URL.Host) -> routes, longest prefix first
	suffixes []suffixRoute
}

type suffixRoute struct {
	suffix string
	route  route
}

func newMatcher(bases []baseURL) (matcher, []error) {
	m := matcher{byHost: make(map[string][]route)}
	for _, v := range vendors() {
		r := route{prefix: v.prefix, provider: v.provider, includeUsage: v.includeUsage}
		for _, h := range v.hosts {
			m.byHost[h] = append(m.byHost[h], r)
		}
		for _, s := range v.suffixes {
			m.suffixes = append(m.suffixes, suffixRoute{suffix: s, route: r})
		}
	}
	var errs []error
	for _, b := range bases {
		u, err := url.Parse(b.url)
		if err != nil || u.Host == "" {
			errs = append(errs, fmt.Errorf("harborai: base URL %q of provider %q: want an absolute URL", quotable(b.url), b.provider))
			continue
		}
		provider, _ := parse.CanonicalProvider(b.provider)
		if provider == "" {
			errs = append(errs, fmt.Errorf("harborai: base URL %q: provider name is empty", quotable(b.url)))
			continue
		}
		r := route{prefix: strings.TrimSuffix(u.Path, "/"), provider: provider}
		if i := slices.IndexFunc(vendors(), func(v vendor) bool { return v.provider == provider }); i >= 0 {
			r.includeUsage = vendors()[i].includeUsage
		} else {
			// Said to be OpenAI-compatible (vLLM, LiteLLM, a gateway):
			// stream_options included. Not any other name: a server that
			// refuses fields it does not know would fail the
			// application's streams.
			r.includeUsage = provider == "openai_compatible"
		}
		if noStreamOptions(u) {
			r.includeUsage = false
		}
		host := normalHost(u.Scheme, u.Host)
		m.byHost[host] = append(m.byHost[host], r)
	}
	for h := range m.byHost {
		slices.SortStableFunc(m.byHost[h], func(a, b route) int { return len(b.prefix) - len(a.prefix) })
	}
	return m, errs
}

// lookup recognises a call to an LLM endpoint. For anything else it costs a
// map lookup and a few suffix comparisons.
func (m *matcher) lookup(req *http.Request) (api, bool) {
	if req.URL == nil {
		return api{}, false
	}
	routes, ok := m.byHost[req.URL.Host]
	if !ok {
		if h := normalHost(req.URL.Scheme, req.URL.Host); h != req.URL.Host {
			routes, ok = m.byHost[h]
		}
	}
	if !ok {
		routes, ok = m.bySuffix(req.URL.Host)
		if !ok {
			return api{}, false
		}
	}
	if req.Method != http.MethodPost {
		return api{}, false
	}
	path := req.URL.Path
	for _, r := range routes {
		if !underPrefix(path, r.prefix) {
			continue
		}
		op, ok := operation(path)
		if !ok {
			return api{}, false
		}
		return api{provider: r.provider, operation: op, includeUsage: r.includeUsage && op == opChat && isChatCompletions(path)}, true
	}
	return api{}, false
}

// normalHost is host (URL.Host) as the matcher keeps it: in lower case,
// without the scheme's default port.
func normalHost(scheme, host string) string {
	host = strings.ToLower(host)
	switch strings.ToLower(scheme) {
	case "https":
		host = strings.TrimSuffix(host, ":443")
	case "http":
		host = strings.TrimSuffix(host, ":80")
	}
	return host
}

func (m *matcher) bySuffix(host string) ([]route, bool) {
	if len(m.suffixes) == 0 {
		return nil, false
	}
	name := strings.ToLower(host)
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !strings.Contains(name[i:], "]") {
		name = name[:i]
	}
	if routes, ok := m.byHost[name]; ok {
		return routes, true
	}
	for _, s := range m.suffixes {
		if strings.HasSuffix(name, s.suffix) {
			return []route{s.route}, true
		}
	}
	return nil, false
}

// underPrefix reports whether path is prefix or lies below it.
func underPrefix(path, prefix string) bool {
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	return len(path) == len(prefix) || path[len(prefix)] == '/' || strings.HasSuffix(prefix, "/")
}

// GenAI operation names (OpenTelemetry semantic conventions).
const (
	opChat       = "chat"
	opCompletion = "text_completion"
	opEmbeddings = "embeddings"
)

// operation recognises the LLM APIs by the end of their path; requests to
// anything else on a vendor's host (listing models, uploading files) pass
// through unrecorded.
func operation(path string) (string, bool) {
	switch {
	case strings.Contains(path, "/wenxinworkshop/chat/"): // Qianfan v1: .../chat/{endpoint}
		return opChat, true
	case strings.Contains(path, "/wenxinworkshop/embeddings/"):
		return opEmbeddings, true
	case strings.HasSuffix(path, ":generateContent"), strings.HasSuffix(path, ":streamGenerateContent"):
		return opChat, true
	case strings.HasSuffix(path, ":embedContent"), strings.HasSuffix(path, ":batchEmbedContents"):
		return opEmbeddings, true
	case strings.HasSuffix(path, "/chat/completions"),
		strings.HasSuffix(path, "/responses"),
		strings.HasSuffix(path, "/v1/messages"),
		strings.HasSuffix(path, "/services/aigc/text-generation/generation"),
		strings.HasSuffix(path, "/services/aigc/multimodal-generation/generation"):
		return opChat, true
	case strings.HasSuffix(path, "/completions"):
		return opCompletion, true
	case strings.HasSuffix(path, "/embeddings"), strings.HasSuffix(path, "/services/embeddings/text-embedding/text-embedding"):
		return opEmbeddings, true
	}
	return "", false
}

// isChatCompletions reports whether path is OpenAI's chat completions API
// (Qianfan v1's endpoint named "completions" is not).
func isChatCompletions(path string) bool {
	return strings.HasSuffix(path, "/chat/completions") && !strings.Contains(path, "/wenxinworkshop/")
}

// modelFromPath returns the model a path names: the Azure deployment, the
// Gemini model, or the Qianfan v1 endpoint.
func modelFromPath(path string) string {
	if _, rest, ok := strings.Cut(path, "/openai/deployments/"); ok {
		dep, _, _ := strings.Cut(rest, "/")
		return unescapePath(dep)
	}
	if i := strings.LastIndex(path, "/models/"); i >= 0 {
		if m, _, ok := strings.Cut(path[i+len("/models/"):], ":"); ok && m != "" && !strings.Contains(m, "/") {
			return unescapePath(m)
		}
	}
	if _, rest, ok := strings.Cut(path, "/wenxinworkshop/chat/"); ok && rest != "" && !strings.Contains(rest, "/") {
		return unescapePath(rest)
	}
	return ""
}

func unescapePath(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// noStreamOptions reports whether streams to the base URL u are never
// given stream_options, under any provider name: Mistral's API answers it
// with a 422; OpenRouter ignores it and ends every stream with a usage
// chunk, which the application would then not see, taken for the one asked
// for. OpenRouter is told by its domain, and behind a gateway by a host
// label (openrouter.helicone.ai) or a path segment (Cloudflare's AI Gateway,
// .../openrouter); Mistral by its domain, and its path segment at
// Cloudflare's AI Gateway only: a self-hosted server named after a Mistral
// model (http://mistral:8000/v1) takes stream_options.
func noStreamOptions(u *url.URL) bool {
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	segment := func(name string) bool {
		return slices.ContainsFunc(strings.Split(u.Path, "/"), func(seg string) bool { return strings.EqualFold(seg, name) })
	}
	within := func(domain string) bool { return host == domain || strings.HasSuffix(host, "."+domain) }
	switch {
	case within("openrouter.ai"), slices.Contains(strings.Split(host, "."), "openrouter"), segment("openrouter"):
		return true
	case within("mistral.ai"), host == "gateway.ai.cloudflare.com" && segment("mistral"):
		return true
	}
	return false
}

// streams reports whether the request asks for a stream by its URL or
// headers (Gemini's streamGenerateContent, DashScope's X-DashScope-SSE);
// the body's "stream": true is read by inspect.
func streams(req *http.Request) bool {
	return strings.HasSuffix(req.URL.Path, ":streamGenerateContent") ||
		strings.EqualFold(req.Header.Get("X-Dashscope-Sse"), "enable") // X-DashScope-SSE, in canonical form: no allocation
}

// mayAddUsage reports whether stream_options.include_usage may be added to
// req's body. Not when the caller asked for the response compressed
// (Accept-Encoding set by the caller): the usage chunk could not be told
// apart in compressed bytes, and so could not be hidden. Not for Azure
// OpenAI before api-version 2024-09-01-preview either, which rejects
// stream_options with a 400; an api-version missing or not starting with a
// date counts as earlier, since failing the application's call is worse
// than a call without usage. Azure's v1 API (/openai/v1/...), which needs
// no api-version, takes OpenAI's parameters and so stream_options.
func mayAddUsage(req *http.Request, provider string) bool {
	if ae := req.Header.Get("Accept-Encoding"); ae != "" && ae != "identity" {
		return false
	}
	if provider != "azure" || strings.HasPrefix(req.URL.Path, "/openai/v1/") {
		return true
	}
	v := queryValue(req.URL.RawQuery, "api-version")
	return len(v) >= 10 && isDate(v[:10]) && v[:10] >= "2024-09-01"
}

// queryValue is the first value of key in a raw query, as written (the
// values looked for need no unescaping); "" when absent.
func queryValue(rawQuery, key string) string {
	for q := rawQuery; q != ""; {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	return ""
}

// isDate reports whether s is shaped YYYY-MM-DD, so that dates compare as
// strings.
func isDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	for i := range len(s) {
		if i == 4 || i == 7 {
			if s[i] != '-' {
				return false
			}
		} else if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// streamEnds are the markers a complete stream ends with, one per stream
// format. A caller that closes a stream after its last event but before
// reading EOF (SDKs stop at [DONE]) has read it whole; without a marker the
// stream is abandoned.
var streamEnds = []string{
	"data: [DONE]",             // OpenAI chat completions and the compatible APIs
	"data:[DONE]",              // the same, from servers that write no space
	"event: message_stop",      // Anthropic messages
	"response.completed",       // OpenAI Responses
	"response.incomplete",      // OpenAI Responses, cut by max_output_tokens
	`"finishReason"`,           // Gemini: only the last chunk has it
	`"is_end":true`,            // Qianfan v1
	`"finish_reason":"stop"`,   // DashScope native (earlier records say "null")
	`"finish_reason":"length"`, // DashScope native
}
