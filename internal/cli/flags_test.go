package cli

import (
	"flag"
	"io"
	"slices"
	"testing"
)

func TestParseInterspersed(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		wantPos  []string
		wantJSON bool
		wantN    int
	}{
		{"flags first", []string{"-json", "-n", "3", "ID"}, []string{"ID"}, true, 3},
		{"flags after", []string{"ID", "-json"}, []string{"ID"}, true, 0},
		{"flags around", []string{"-n", "1", "ID", "--json", "-n", "2"}, []string{"ID"}, true, 2},
		{"several positionals", []string{"a", "-json", "b", "c"}, []string{"a", "b", "c"}, true, 0},
		{"after --, not flags", []string{"-json", "--", "-n", "x"}, []string{"-n", "x"}, true, 0},
		{"positional then --", []string{"a", "--", "-json"}, []string{"a", "-json"}, false, 0},
		{"dash is positional", []string{"-", "-json"}, []string{"-"}, true, 0},
		{"none", nil, nil, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			asJSON := fs.Bool("json", false, "")
			n := fs.Int("n", 0, "")
			pos, err := ParseInterspersed(fs, tc.args)
			if err != nil || !slices.Equal(pos, tc.wantPos) || *asJSON != tc.wantJSON || *n != tc.wantN {
				t.Errorf("ParseInterspersed(%q) = %q, %v (json %v, n %d), want %q (json %v, n %d)",
					tc.args, pos, err, *asJSON, *n, tc.wantPos, tc.wantJSON, tc.wantN)
			}
		})
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := ParseInterspersed(fs, []string{"ID", "-nope"}); err == nil {
		t.Error(`ParseInterspersed("ID -nope") = nil error, want the unknown flag`)
	}
}
