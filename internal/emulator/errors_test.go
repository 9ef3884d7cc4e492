package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
)

// errorID returns what identifies the vendor error in data (a code, type or
// status), or "" when data is not a vendor error object.
func errorID(t *testing.T, data []byte) string {
	t.Helper()
	var e struct {
		Type    string          `json:"type"`
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
		Error   *struct {
			Type    string          `json:"type"`
			Code    json.RawMessage `json:"code"`
			Status  string          `json:"status"`
			Message string          `json:"message"`
		} `json:"error"`
		ErrorCode int    `json:"error_code"`
		ErrorMsg  string `json:"error_msg"`
	}
	unmarshal(t, data, &e)
	code := func(raw json.RawMessage) string {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		if raw == nil || string(raw) == "null" {
			return ""
		}
		return string(raw)
	}
	first := func(ss ...string) string {
		for _, s := range ss {
			if s != "" {
				return s
			}
		}
		return ""
	}
	switch {
	case e.ErrorCode != 0 && e.ErrorMsg != "": // Qianfan v1
		return strconv.Itoa(e.ErrorCode)
	case e.Error != nil && e.Error.Message != "": // OpenAI and compatible, Anthropic, Gemini
		return first(e.Error.Status, code(e.Error.Code), e.Error.Type)
	case e.Message != "": // DashScope native; the Responses API's stream error event
		return code(e.Code)
	}
	return ""
}

func TestErrors(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t)
	kinds := []struct {
		kind   string
		status int
	}{
		{"rate_limit", http.StatusTooManyRequests},
		{"server", http.StatusInternalServerError},
		{"invalid_request", http.StatusBadRequest},
		{"http200", http.StatusOK},
	}
	for _, vc := range vendorCases() {
		t.Run(vc.vendor, func(t *testing.T) {
			t.Parallel()
			ids := map[string]string{}
			for _, k := range kinds {
				for _, stream := range []bool{false, true} {
					r := vc.call(t, s, c, stream, headers(HeaderError, k.kind))
					want := k.status
					if vc.vendor == "wenxin_v1" {
						want = http.StatusOK // Qianfan v1 sends every error with HTTP 200
					}
					if r.status != want {
						t.Errorf("%s stream=%t: status = %d, want %d", k.kind, stream, r.status, want)
					}
					if want == http.StatusTooManyRequests && r.header.Get("Retry-After") == "" {
						t.Errorf("%s stream=%t: no Retry-After header", k.kind, stream)
					}
					body := r.body
					if bytes.HasPrefix([]byte(r.header.Get("Content-Type")), []byte("text/event-stream")) {
						if k.kind != "http200" || !stream {
							t.Fatalf("%s stream=%t: an event stream, want a JSON error", k.kind, stream)
						}
						events := parseSSE(t, r.body)
						if len(events) != 1 {
							t.Fatalf("%s stream=%t: %d events, want one error event: %s", k.kind, stream, len(events), r.body)
						}
						body = []byte(events[0].data)
					}
					id := errorID(t, body)
					if id == "" {
						t.Fatalf("%s stream=%t: body %s is not a %s error", k.kind, stream, body, vc.vendor)
					}
					if !stream {
						ids[k.kind] = id
					}
				}
			}
			if ids["rate_limit"] == ids["server"] || ids["rate_limit"] == ids["invalid_request"] || ids["server"] == ids["invalid_request"] {
				t.Errorf("error ids = %v, want the kinds told apart", ids)
			}
		})
	}
}

func TestErrorCodes(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t)
	tests := []struct {
		vendor, kind, want string
	}{
		{"openai", "rate_limit", "rate_limit_exceeded"},
		{"anthropic", "rate_limit", "rate_limit_error"},
		{"anthropic", "server", "api_error"},
		{"anthropic", "http200", "overloaded_error"},
		{"gemini", "rate_limit", "RESOURCE_EXHAUSTED"},
		{"gemini", "invalid_request", "INVALID_ARGUMENT"},
		{"wenxin_v1", "rate_limit", "18"},
		{"wenxin_v1", "server", "336000"},
		{"wenxin_v1", "http200", "336000"},
		{"wenxin_v1", "invalid_request", "336003"},
		{"qwen_native", "rate_limit", "Throttling.RateQuota"},
		{"zhipu", "rate_limit", "1302"},
		{"doubao", "rate_limit", "RateLimitExceeded.EndpointRPMExceeded"},
	}
	cases := map[string]vendorCase{}
	for _, vc := range vendorCases() {
		cases[vc.vendor] = vc
	}
	for _, tt := range tests {
		t.Run(tt.vendor+"/"+tt.kind, func(t *testing.T) {
			r := cases[tt.vendor].call(t, s, c, false, headers(HeaderError, tt.kind))
			if got := errorID(t, r.body); got != tt.want {
				t.Errorf("error id = %q, want %q; body %s", got, tt.want, r.body)
			}
		})
	}
}

func TestMalformedBodyGetsInvalidRequestError(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t)
	for _, vc := range vendorCases() {
		t.Run(vc.vendor, func(t *testing.T) {
			t.Parallel()
			want := vc.call(t, s, c, false, headers(HeaderError, "invalid_request"))
			got := post(t, c, s.Endpoint(vc.vendor, vc.model, false), `{"model": "x", "messages": [`, nil)
			if got.status != want.status {
				t.Errorf("status = %d, want %d", got.status, want.status)
			}
			if g, w := errorID(t, got.body), errorID(t, want.body); g != w {
				t.Errorf("error id = %q, want %q", g, w)
			}
		})
	}
}

func TestMissingModelGetsInvalidRequestError(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t)
	for _, vendor := range []string{"openai", "deepseek", "openai_responses", "anthropic", "qwen_native"} {
		t.Run(vendor, func(t *testing.T) {
			r := post(t, c, s.Endpoint(vendor, "m", false), fmt.Sprintf(`{"messages":%s}`, testMessages), nil)
			if r.status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400; body %s", r.status, r.body)
			}
		})
	}
}
