package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
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

// FuzzParseMatchesReference holds Parse to parseReference, the
// implementation it replaced (reference_test.go): the same Usage for every
// input, Raw compared as bytes. Seeds: every fixture, the benchmark bodies
// and FuzzParse's corpus. Run with
//
//	go test -run='^$' -fuzz='^FuzzParseMatchesReference$' -fuzztime=2m ./pkg/parse
func FuzzParseMatchesReference(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, provider string, body []byte) {
		assertSameUsage(t, provider, body, "Parse", Parse(provider, body), "parseReference", parseReference(provider, body))
	})
}

// FuzzParseMatchesStdlib holds the fast JSON decoder (json.go) to
// encoding/json. Parse itself decodes through unmarshal and valid only what
// its scanner (scan.go) leaves to them, so the decoder is also swapped under
// parseReference, which decodes every object through them: both give the same
// Usage with either decoder, and the same as each other. Same seeds as
// FuzzParseMatchesReference. Run with
//
//	go test -run='^$' -fuzz=FuzzParseMatchesStdlib -fuzztime=3m ./pkg/parse
func FuzzParseMatchesStdlib(f *testing.F) {
	addSeeds(f)
	fast, fastValid := unmarshal, valid
	f.Fuzz(func(t *testing.T, provider string, body []byte) {
		got, gotRef := Parse(provider, body), parseReference(provider, body)
		unmarshal, valid = json.Unmarshal, json.Valid
		want, wantRef := Parse(provider, body), parseReference(provider, body)
		unmarshal, valid = fast, fastValid
		assertSameUsage(t, provider, body, "Parse with the fast decoder", got, "Parse with encoding/json", want)
		assertSameUsage(t, provider, body, "parseReference with the fast decoder", gotRef, "parseReference with encoding/json", wantRef)
		assertSameUsage(t, provider, body, "Parse", got, "parseReference", gotRef)
	})
}

// assertSameUsage fails t when two Usages differ, Raw compared as bytes (nil
// and empty alike) and every other field by reflect.DeepEqual.
func assertSameUsage(t *testing.T, provider string, body []byte, gotName string, got Usage, wantName string, want Usage) {
	t.Helper()
	gotRaw, wantRaw := got.Raw, want.Raw
	got.Raw, want.Raw = nil, nil
	if !bytes.Equal(gotRaw, wantRaw) || !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(%q, %q):\n%s: %+v raw %s\n%s: %+v raw %s", provider, body, gotName, got, gotRaw, wantName, want, wantRaw)
	}
}

// addSeeds seeds a fuzz target comparing implementations: every fixture, the
// benchmark bodies, a known usage per provider and FuzzParse's corpus, whose
// entries are small inputs that once found something.
func addSeeds(f *testing.F) {
	for _, fx := range loadFixtures(f) {
		f.Add(fx.provider, fx.body)
	}
	for _, p := range Providers() {
		f.Add(p, []byte(`{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`))
	}
	f.Add("openai", []byte(benchOpenAIChat))
	f.Add("anthropic", []byte(benchAnthropicMessage))
	f.Add("openai", []byte(benchOpenAIStream()))
	f.Add("anthropic", []byte(benchAnthropicStream()))
	for _, e := range loadCorpus(f, "FuzzParse") {
		f.Add(e.provider, e.body)
	}
}

// corpusEntry is one (provider, body) input of a fuzz corpus file.
type corpusEntry struct {
	provider string
	body     []byte
}

// loadCorpus reads testdata/fuzz/<target>, whose files are in the "go test
// fuzz v1" format: a header line, then one Go literal per line,
// string("...") and []byte("...").
func loadCorpus(tb testing.TB, target string) []corpusEntry {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []corpusEntry
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) != 3 || lines[0] != "go test fuzz v1" {
			tb.Fatalf("%s: not a (string, []byte) fuzz corpus entry", name)
		}
		provider, err1 := unquoteLiteral(lines[1], "string(")
		body, err2 := unquoteLiteral(lines[2], "[]byte(")
		if err := errors.Join(err1, err2); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		out = append(out, corpusEntry{provider, []byte(body)})
	}
	return out
}

// unquoteLiteral returns the value of a corpus line prefix + quoted + ")".
func unquoteLiteral(line, prefix string) (string, error) {
	quoted, ok := strings.CutPrefix(line, prefix)
	if !ok || !strings.HasSuffix(quoted, ")") {
		return "", fmt.Errorf("want %s...), got %q", prefix, line)
	}
	return strconv.Unquote(strings.TrimSuffix(quoted, ")"))
}
