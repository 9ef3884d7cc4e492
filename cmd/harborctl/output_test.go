package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
	"github.com/mattn/go-runewidth"
)

func TestPrintable(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "gpt-4o", "gpt-4o"},
		{"empty", "", ""},
		{"chinese", "文心一言", "文心一言"},
		{"newline and tab", "gpt\n4o\tx", `gpt\n4o\tx`},
		{"escape sequence", "\x1b[2Jred", `\x1b[2Jred`},
		{"carriage return", "a\rb", `a\rb`},
		{"NUL and DEL", "a\x00b\x7f", `a\x00b\x7f`},
		{"C1 CSI", "a\u009b31m", `a\u009b31m`},
		{"invalid UTF-8 byte", "a\x9bb", `a\x9bb`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := printable(tc.in); got != tc.want {
				t.Errorf("printable(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestTextOutputEscapesControlCharacters: a stored model name or body
// cannot split a table row or reach the terminal as an escape sequence;
// JSON keeps the text as stored.
func TestTextOutputEscapesControlCharacters(t *testing.T) {
	const body = "a\x00b \x1b[2J\x1b[31mred\rover\u009b"
	c := answered("ctl-1", "gpt\n4o\tx", "error", time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC), "0.5", "USD")
	c.RequestBody = ptr(body)
	c.ErrorMessage = "bad\x1b]0;title\x07"
	flags := []string{"-data-dir", spoolDir(t, c), "-postgres-url", ""}

	out := mustRun(t, append([]string{"logs"}, flags...)...)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[1], `gpt\n4o\tx`) {
		t.Errorf("logs table = %q, want a header and one row showing the model as gpt\\n4o\\tx", out)
	}
	out = mustRun(t, append(append([]string{"logs", "show"}, flags...), "ctl-1")...)
	if strings.ContainsAny(out, "\x00\x1b\r\x07\u009b") || !strings.Contains(out, `\x1b[2J\x1b[31mred\rover\u009b`) || !strings.Contains(out, `bad\x1b]0;title\a`) {
		t.Errorf("logs show = %q, want control characters escaped", out)
	}
	out = mustRun(t, append(append([]string{"logs", "show", "-json"}, flags...), "ctl-1")...)
	var v struct {
		Model       string `json:"model"`
		RequestBody string `json:"request_body"`
	}
	// As PostgreSQL stores it: the NUL becomes U+FFFD, whichever store answers.
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.RequestBody != pg.StoredText(body) || v.Model != c.Model {
		t.Errorf("logs show -json = %+v (%v), want the stored model and body unchanged", v, err)
	}
}

// TestTextCostsKeepEveryDigit: the text tables print the stored decimal
// as is: 0.0000001 CNY is not 0.000000, nor 1e-07.
func TestTextCostsKeepEveryDigit(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	flags := []string{"-data-dir", spoolDir(t,
		answered("call-1", "ernie", "success", at, "0.0000001", "CNY"),
		answered("call-2", "gpt-4o", "success", at.Add(time.Minute), "1.123456789012", "USD"),
		answered("call-3", "gpt-4o", "success", at.Add(2*time.Minute), "2", "USD"),
	), "-postgres-url", ""}
	out := mustRun(t, append([]string{"logs"}, flags...)...)
	for _, want := range []string{"0.0000001 CNY", "1.123456789012 USD", "2 USD"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs table lacks %q:\n%s", want, out)
		}
	}
	out = mustRun(t, append([]string{"stats"}, flags...)...)
	for _, want := range []string{"0.0000001 CNY", "3.123456789012 USD", "total: 3 calls, 45 tokens, cost 0.0000001 CNY, 3.123456789012 USD"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats lacks %q:\n%s", want, out)
		}
	}
}

// TestStatsGroupings: stats by day and by provider, within --since and
// --until, in text and JSON.
func TestStatsGroupings(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	flags := []string{"-data-dir", spoolDir(t,
		answered("call-1", "gpt-4o", "success", at, "1", "USD"),
		answered("call-2", "gpt-4o-mini", "success", at.Add(24*time.Hour), "2", "USD"),
		answered("call-3", "gpt-4o", "error", at.Add(48*time.Hour), "4", "USD"),
	), "-postgres-url", ""}
	out := mustRun(t, append([]string{"stats", "--group-by", "day"}, flags...)...)
	for _, want := range []string{"DAY", "2026-11-26  1", "2026-11-27  1", "2026-11-28  1", "total: 3 calls"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats --group-by day lacks %q:\n%s", want, out)
		}
	}
	out = mustRun(t, append([]string{"stats", "--group-by", "provider", "--json",
		"--since", at.Add(time.Hour).Format(time.RFC3339), "--until", at.Add(47 * time.Hour).Format(time.RFC3339)}, flags...)...)
	if !strings.Contains(out, `"provider":"openai"`) || !strings.Contains(out, `"calls":1`) || !strings.Contains(out, `"USD":"2"`) {
		t.Errorf("stats by provider within the range = %s, want openai with call-2 alone", out)
	}
	if _, errs, code := harborctl(t, "", append([]string{"stats", "--group-by", "week"}, flags...)...); code != 2 || !strings.Contains(errs, `--group-by "week"`) {
		t.Errorf("stats --group-by week = exit %d, stderr %q; want exit 2 naming the flag", code, errs)
	}
}

// TestStatsTotalBeyondInt64: two models' token sums each fit an int64,
// their total does not; the total line prints it exactly instead of a
// wrapped negative number.
func TestStatsTotalBeyondInt64(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	big := func(c record.Call) record.Call {
		n := int64(5_000_000_000_000_000_000)
		c.Usage.PromptTokens, c.Usage.CompletionTokens, c.Usage.TotalTokens = &n, ptr(int64(0)), &n
		return c
	}
	out := mustRun(t, "stats", "-data-dir", spoolDir(t,
		big(answered("call-1", "gpt-4o", "success", at, "1", "USD")),
		big(answered("call-2", "gpt-4o-mini", "success", at, "1", "USD"))), "-postgres-url", "")
	if !strings.Contains(out, "total: 2 calls, 10000000000000000000 tokens") {
		t.Errorf("stats total line wrong:\n%s", out)
	}
}

// TestTablesAlignChineseText: a Chinese model name takes two terminal
// columns a character; the columns after it still line up.
func TestTablesAlignChineseText(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	flags := []string{"-data-dir", spoolDir(t,
		answered("call-1", "文心一言", "success", at, "1", "CNY"),
		answered("call-2", "gpt-4o", "success", at.Add(time.Minute), "2", "USD"),
	), "-postgres-url", ""}
	for _, cmd := range []string{"logs", "stats"} {
		out := mustRun(t, append([]string{cmd}, flags...)...)
		var cols []int
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "文心一言") || strings.Contains(line, "gpt-4o") {
				// the display column where the cell after the model starts
				model := "gpt-4o"
				if strings.Contains(line, "文心一言") {
					model = "文心一言"
				}
				rest := line[strings.Index(line, model)+len(model):]
				next := len(line) - len(strings.TrimLeft(rest, " ")) // byte offset of the next cell
				cols = append(cols, runewidth.StringWidth(line[:next]))
			}
		}
		if len(cols) != 2 || cols[0] != cols[1] {
			t.Errorf("%s: the cell after the model starts at display columns %v, want one column:\n%s", cmd, cols, out)
		}
	}
}
