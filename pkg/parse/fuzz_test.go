package parse

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParse checks the parser's promises on any input: it never panics,
// never returns a negative count, returns no counter when UsageMissing, and
// returns a Usage that encodes as JSON. The seed corpus is every fixture of
// testdata/vendors plus testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, fx := range loadFixtures(f) {
		f.Add(fx.provider, fx.body)
	}
	for _, p := range Providers() {
		f.Add(p, []byte(`{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`))
	}
	f.Fuzz(func(t *testing.T, provider string, body []byte) {
		u := Parse(provider, body)
		checkInvariants(t, provider, body, u)
	})
}

func checkInvariants(t *testing.T, provider string, body []byte, u Usage) {
	t.Helper()
	counters := map[string]*int64{
		"prompt_tokens": u.PromptTokens, "completion_tokens": u.CompletionTokens, "total_tokens": u.TotalTokens,
		"cached_tokens": u.CachedTokens, "reasoning_tokens": u.ReasoningTokens, "cache_write_tokens": u.CacheWriteTokens,
	}
	for name, c := range counters {
		if c != nil && *c < 0 {
			t.Errorf("Parse(%q, %q) %s = %d, want >= 0", provider, body, name, *c)
		}
		if c != nil && u.UsageMissing {
			t.Errorf("Parse(%q, %q) %s = %d with usage_missing, want nil", provider, body, name, *c)
		}
	}
	if u.UsageMissing && (u.Raw != nil || u.Method != "" || u.Confidence != 0) {
		t.Errorf("Parse(%q, %q) = raw %s, method %q, confidence %v with usage_missing, want none", provider, body, u.Raw, u.Method, u.Confidence)
	}
	if !u.UsageMissing && (u.Raw == nil || u.Method == "") {
		t.Errorf("Parse(%q, %q) found usage without raw usage or method", provider, body)
	}
	if u.Confidence < 0 || u.Confidence > 1 {
		t.Errorf("Parse(%q, %q) confidence = %v, want within [0, 1]", provider, body, u.Confidence)
	}
	switch u.Consistency {
	case Consistent, TotalMismatch, Unchecked:
	default:
		t.Errorf("Parse(%q, %q) consistency = %q, want one of the statuses", provider, body, u.Consistency)
	}
	if u.Consistency == Consistent && (u.TotalTokens == nil || *u.TotalTokens != *u.PromptTokens+*u.CompletionTokens) {
		t.Errorf("Parse(%q, %q) is consistent but total != prompt + completion", provider, body)
	}
	if _, err := json.Marshal(u); err != nil {
		t.Errorf("Parse(%q, %q) does not encode: %v", provider, body, err)
	}
}

// TestFixtureInvariants applies the fuzz invariants to every fixture.
func TestFixtureInvariants(t *testing.T) {
	for _, fx := range loadFixtures(t) {
		checkInvariants(t, fx.provider, fx.body, Parse(fx.provider, fx.body))
	}
}

// FuzzParseMatchesStdlib holds the fast JSON decoder (json.go) to
// encoding/json: Parse gives the same Usage with either. Same seeds as
// FuzzParse. Run with
//
//	go test -run='^$' -fuzz=FuzzParseMatchesStdlib -fuzztime=3m ./pkg/parse
func FuzzParseMatchesStdlib(f *testing.F) {
	for _, fx := range loadFixtures(f) {
		f.Add(fx.provider, fx.body)
	}
	fast, fastValid := unmarshal, valid
	f.Fuzz(func(t *testing.T, provider string, body []byte) {
		got := Parse(provider, body)
		unmarshal, valid = json.Unmarshal, json.Valid
		want := Parse(provider, body)
		unmarshal, valid = fast, fastValid
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Parse(%q, %q):\nfast decoder:  %+v\nencoding/json: %+v", provider, body, got, want)
		}
	})
}
