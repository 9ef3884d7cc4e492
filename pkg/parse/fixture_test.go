package parse

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A fixture is one case of the vendor corpus in testdata/vendors/*.txt.
//
// The format, read with the standard library only:
//
//	# comment lines (before a case, or among its headers)
//	=== case name
//	provider: openai     ("" for the empty name)
//	source: https://... (the documented format or SDK type the body follows; required)
//	prompt: 19          (counters: prompt, completion, total, cached, reasoning,
//	completion: 10       cache_write; an integer or "nil"; an omitted counter must be nil)
//	missing: true       (usage_missing; default false)
//	error: true         (is_error; default false)
//	consistency: ...    (checked when given, as are method, model, raw,
//	method: ...          error_message, confidence, total_derived)
//	--- body
//	the response body, verbatim, up to the next "=== " line or the end of the file
type fixture struct {
	file, name, provider, source string
	hasProvider                  bool
	want                         map[string]string
	body                         []byte
}

// counterKeys are the fixture keys of the six counters.
func counterKeys() []string {
	return []string{"prompt", "completion", "total", "cached", "reasoning", "cache_write"}
}

// optionalKeys are checked only when a fixture gives them.
func optionalKeys() []string {
	return []string{"consistency", "method", "model", "raw", "error_message", "confidence", "total_derived"}
}

func loadFixtures(tb testing.TB) []fixture {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "vendors", "*.txt"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no fixture files: %v", err)
	}
	var all []fixture
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		fs, err := parseFixtures(filepath.Base(f), data)
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		all = append(all, fs...)
	}
	return all
}

func parseFixtures(file string, data []byte) ([]fixture, error) {
	var (
		out    []fixture
		cur    *fixture
		inBody bool
		body   bytes.Buffer
	)
	flush := func() error {
		if cur == nil {
			return nil
		}
		if !inBody {
			return fmt.Errorf("case %q has no --- body", cur.name)
		}
		if !cur.hasProvider || cur.source == "" {
			return fmt.Errorf("case %q needs provider and source", cur.name)
		}
		cur.body = bytes.Clone(body.Bytes())
		out = append(out, *cur)
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "=== "); ok {
			if err := flush(); err != nil {
				return nil, err
			}
			cur = &fixture{file: file, name: strings.TrimSpace(name), want: map[string]string{}}
			inBody = false
			body.Reset()
			continue
		}
		switch {
		case inBody:
			body.WriteString(line)
			body.WriteByte('\n')
		case cur == nil || strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "":
		case line == "--- body":
			inBody = true
		default:
			key, value, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("line %d: want key: value, got %q", n, line)
			}
			key, value = strings.TrimSpace(key), strings.TrimSpace(value)
			switch key {
			case "provider":
				cur.provider, cur.hasProvider = strings.Trim(value, `"`), true
			case "source":
				cur.source = value
			default:
				cur.want[key] = value
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// check compares u with the fixture's expectations and returns one line per
// difference.
func (f fixture) check(u Usage) []string {
	var diffs []string
	differ := func(field, got, want string) {
		diffs = append(diffs, fmt.Sprintf("Parse(%q) %s = %s, want %s", f.provider, field, got, want))
	}
	got := map[string]*int64{
		"prompt": u.PromptTokens, "completion": u.CompletionTokens, "total": u.TotalTokens,
		"cached": u.CachedTokens, "reasoning": u.ReasoningTokens, "cache_write": u.CacheWriteTokens,
	}
	for _, k := range counterKeys() {
		want, ok := f.want[k]
		if !ok {
			want = "nil"
		}
		if g := show(got[k]); g != want {
			differ(k, g, want)
		}
	}
	flags := map[string]bool{"missing": u.UsageMissing, "error": u.IsError}
	for _, k := range []string{"missing", "error"} {
		want := f.want[k]
		if want == "" {
			want = "false"
		}
		if g := strconv.FormatBool(flags[k]); g != want {
			differ(k, g, want)
		}
	}
	optional := map[string]string{
		"consistency": u.Consistency, "method": u.Method, "model": u.Model, "raw": string(u.Raw),
		"error_message": u.ErrorMessage, "confidence": strconv.FormatFloat(u.Confidence, 'g', -1, 64),
		"total_derived": strconv.FormatBool(u.TotalDerived),
	}
	for _, k := range optionalKeys() {
		if want, ok := f.want[k]; ok && optional[k] != want {
			differ(k, strconv.Quote(optional[k]), strconv.Quote(want))
		}
	}
	for k := range f.want {
		if _, ok := got[k]; ok {
			continue
		}
		if _, ok := flags[k]; ok {
			continue
		}
		if _, ok := optional[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("unknown fixture key %q", k))
		}
	}
	return diffs
}

func show(p *int64) string {
	if p == nil {
		return "nil"
	}
	return strconv.FormatInt(*p, 10)
}

func TestParseVendorFixtures(t *testing.T) {
	for _, f := range loadFixtures(t) {
		t.Run(strings.TrimSuffix(f.file, ".txt")+"/"+f.name, func(t *testing.T) {
			u := Parse(f.provider, f.body)
			for _, d := range f.check(u) {
				t.Error(d)
			}
		})
	}
}
