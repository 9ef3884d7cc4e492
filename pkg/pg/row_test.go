package pg

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/harborai/ingest/pkg/record"
)

func TestCleanText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "plain", in: "hello", want: "hello"},
		{name: "chinese", in: "你好，世界", want: "你好，世界"},
		{name: "nul", in: "a\x00b\x00", want: "a\uFFFDb\uFFFD"},
		{name: "invalid byte", in: "a\xffb", want: "a\uFFFDb"},
		{name: "truncated rune", in: "你\xe5\xa5", want: "你\uFFFD\uFFFD"},
		{name: "replacement char kept", in: "\uFFFD", want: "\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanText(tt.in); got != tt.want {
				t.Fatalf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanJSON(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "untouched", in: `{"a": 1, "b": "\u00e9"}`, want: `{"a": 1, "b": "\u00e9"}`},
		{name: "nul escape", in: `{"a":"x\u0000y"}`, want: `{"a":"x\ufffdy"}`},
		{name: "escaped backslash is not an escape", in: `{"a":"\\u0000"}`, want: `{"a":"\\u0000"}`},
		{name: "surrogate pair kept", in: `["\ud83d\ude00"]`, want: `["\ud83d\ude00"]`},
		{name: "lone high surrogate", in: `["\ud83dx"]`, want: `["\ufffdx"]`},
		{name: "lone low surrogate", in: `["\ude00"]`, want: `["\ufffd"]`},
		{name: "high then non-low", in: `["\ud83d\u0041"]`, want: `["\ufffd\u0041"]`},
		{name: "not json", in: `usage: 12`, want: `"usage: 12"`},
		{name: "raw nul byte", in: "{\"a\":\"x\x00\"}", want: `{"a":"x` + "\uFFFD" + `"}`},
		{name: "invalid utf-8", in: "{\"a\":\"\xff\"}", want: `{"a":"` + "\uFFFD" + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(cleanJSON([]byte(tt.in)))
			if got != tt.want || !json.Valid([]byte(got)) {
				t.Fatalf("cleanJSON(%q) = %q, want %q (valid JSON)", tt.in, got, tt.want)
			}
		})
	}
}

func TestNumbersFit(t *testing.T) {
	for _, tt := range []struct {
		doc  string
		want bool
	}{
		{`{"a": 1, "b": -2.5, "c": 1e300, "d": 1.5E-300, "e": [0, 10e+5]}`, true},
		{`{"a": 1e20000}`, false},
		{`{"a": -1e-20000}`, false},
		{`[1e100000]`, false},
		{`[1e99999999999999999999999]`, false},
		{`[0.` + strings.Repeat("5", 16001) + `]`, false},
		{`[0.` + strings.Repeat("5", 15999) + `]`, true},
		{`[` + strings.Repeat("9", 100001) + `]`, false},
		{`[` + strings.Repeat("9", 99999) + `]`, true},
		{`{"s": "1e999999 inside a string \" 1e999999"}`, true},
		{`{"1e999999": 2}`, true},
		{`7`, true},
	} {
		if got := numbersFit([]byte(tt.doc)); got != tt.want {
			t.Errorf("numbersFit(%.60s) = %v, want %v", tt.doc, got, tt.want)
		}
	}
}

func FuzzCleanJSON(f *testing.F) {
	for _, s := range []string{`{"a":"\u0000"}`, `["\ud800"]`, `{"a":"\\u0000\ud83d\ude00"}`, "\x00", `"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got := cleanJSON(raw)
		if !json.Valid(got) || strings.Contains(string(got), "\x00") {
			t.Fatalf("cleanJSON(%q) = %q, not valid JSON without NUL", raw, got)
		}
		if strings.Contains(strings.ReplaceAll(string(got), `\\`, ``), `\u0000`) {
			t.Fatalf("cleanJSON(%q) = %q keeps a \\u0000 escape", raw, got)
		}
	})
}

func TestCallRowMatchesColumns(t *testing.T) {
	for _, c := range []record.Call{{CallID: "empty"}, fullCall("full")} {
		if got := len(callRow(&c)); got != len(callColumns) {
			t.Fatalf("len(callRow(%s)) = %d, want %d columns", c.CallID, got, len(callColumns))
		}
	}
}

func TestMergeBatch(t *testing.T) {
	frags := fragments("m")
	other := fullCall("other")
	got := mergeBatch([]record.Call{frags[0], other, frags[1], frags[2], other, frags[3]})
	want := record.Merge(record.Merge(record.Merge(frags[0], frags[1]), frags[2]), frags[3])
	if len(got) != 2 || got[0].CallID != "m" || got[1].CallID != "other" {
		t.Fatalf("mergeBatch() = %v, want [m other]", ids(got))
	}
	sameCall(t, got[0], want)
	sameCall(t, got[1], other)
}
