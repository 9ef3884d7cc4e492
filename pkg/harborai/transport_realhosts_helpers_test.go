package harborai_test

// Helpers for calls to the vendors' real hosts: a base transport that sends
// them to the emulator (or any test server), so that the Transport sees the
// real URLs; and a way to find stored calls by a per-call tag.

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/harborai"
	"github.com/harborai/ingest/pkg/record"
)

// rewrite is a base RoundTripper that sends each request to target, the
// path prefixed by prefix(host) (a real vendor URL becomes an emulator URL).
// The Transport above it sees the URL the application used.
type rewrite struct {
	base   http.RoundTripper
	target *url.URL
	prefix func(host string) string
}

func (rw *rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	u := *req.URL
	u.Scheme, u.Host = rw.target.Scheme, rw.target.Host
	p := ""
	if rw.prefix != nil {
		p = rw.prefix(strings.ToLower(req.URL.Hostname()))
	}
	u.Path = p + u.Path
	u.RawPath = ""
	out.URL = &u
	out.Host = ""
	resp, err := rw.base.RoundTrip(out)
	if resp != nil {
		resp.Request = req
	}
	return resp, err
}

// emulatorPrefix maps a vendor's real host to the emulator's path prefix.
func emulatorPrefix(host string) string {
	switch {
	case host == "api.openai.com":
		return "/openai"
	case strings.HasSuffix(host, ".openai.azure.com"):
		return "/azure"
	case host == "api.anthropic.com":
		return "/anthropic"
	case host == "api.deepseek.com":
		return "/deepseek"
	case strings.HasSuffix(host, ".volces.com"):
		return "/doubao"
	case host == "qianfan.baidubce.com":
		return "/wenxin"
	case host == "aip.baidubce.com":
		return "/wenxin_v1"
	case host == "generativelanguage.googleapis.com":
		return "/gemini"
	case host == "dashscope.aliyuncs.com":
		return "/qwen"
	case host == "api.moonshot.cn":
		return "/moonshot"
	case host == "open.bigmodel.cn":
		return "/zhipu"
	}
	return ""
}

// tagCase returns req carrying the test case's name in its call's metadata,
// which the stored call keeps.
func tagCase(req *http.Request, name string, info harborai.CallInfo) *http.Request {
	info.Tags.Metadata = map[string]string{"case": name}
	return req.WithContext(harborai.ContextWithCallInfo(req.Context(), info))
}

// storedByCase waits (up to wait) until want calls are stored complete, and
// returns every stored call by its case tag.
func storedByCase(t *testing.T, p *pipeline, want int, wait time.Duration) map[string][]record.Call {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		calls := p.calls(t)
		complete := 0
		for i := range calls {
			if calls[i].HasRequest() && calls[i].HasResponse() {
				complete++
			}
		}
		if complete >= want || time.Now().After(deadline) {
			out := map[string][]record.Call{}
			for _, c := range calls {
				out[c.Tags.Metadata["case"]] = append(out[c.Tags.Metadata["case"]], c)
			}
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func describe(c record.Call) string {
	s := fmt.Sprintf("provider=%q model=%q served=%q endpoint=%q stream=%v status=%q http=%v err=%q/%q",
		c.Provider, c.Model, c.ServedModel, c.Endpoint, c.Stream, c.Status, derefInt(c.HTTPStatus), c.ErrorType, c.ErrorMessage)
	if u := c.Usage; u != nil {
		s += fmt.Sprintf(" usage{missing=%v prompt=%v completion=%v total=%v cached=%v reasoning=%v write=%v}",
			u.UsageMissing, deref(u.PromptTokens), deref(u.CompletionTokens), deref(u.TotalTokens),
			deref(u.CachedTokens), deref(u.ReasoningTokens), deref(u.CacheWriteTokens))
	}
	if ci := c.Cost; ci != nil {
		s += fmt.Sprintf(" cost{source=%s total=%v err=%q}", ci.PricingSource, ci.TotalCost, ci.PricingError)
	}
	return s
}

func derefInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// storedCall adds checks to a stored call.
type storedCall record.Call

func (c storedCall) want(t *testing.T, provider, model string, stream bool, status string) {
	t.Helper()
	if c.Provider != provider || c.Model != model || c.Stream != stream || c.Status != status {
		t.Errorf("provider, model, stream, status = %q, %q, %v, %q, want %q, %q, %v, %q",
			c.Provider, c.Model, c.Stream, c.Status, provider, model, stream, status)
	}
}

func (c storedCall) usage(t *testing.T, prompt, completion int64) {
	t.Helper()
	u := c.Usage
	if u == nil || u.PromptTokens == nil || *u.PromptTokens != prompt || u.CompletionTokens == nil || *u.CompletionTokens != completion {
		t.Errorf("usage prompt/completion = %v/%v, want %d/%d", deref(u.PromptTokens), deref(u.CompletionTokens), prompt, completion)
	}
}
