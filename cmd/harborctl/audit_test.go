package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
	"github.com/harborai/ingest/pkg/spool"
)

// sealedSegment returns the path of the one sealed segment of the spool in
// the data directory dir.
func sealedSegment(t *testing.T, dir string) string {
	t.Helper()
	segs, err := spool.Segments(filepath.Join(dir, "spool"))
	if err != nil || len(segs) != 1 || !segs[0].Sealed {
		t.Fatalf("Segments() = %+v, %v; want one sealed segment", segs, err)
	}
	return segs[0].Path
}

// damage returns the data directory of a spool of n calls whose sealed
// segment was damaged by how: "truncated" (the gzip file cut in half) or
// "flipped" (one byte of one record's data changed, so its checksum fails).
func damage(t *testing.T, n int, how string) (dir, segment string) {
	t.Helper()
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	var calls []record.Call
	for i := range n {
		calls = append(calls, answered(fmt.Sprintf("call-%02d", i), "gpt-4o", "success", at.Add(time.Duration(i)*time.Minute), "1", "USD"))
	}
	dir = spoolDir(t, calls...)
	path := sealedSegment(t, dir)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	switch how {
	case "truncated":
		raw = raw[:len(raw)/2]
	case "flipped":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(plain, []byte(`"call-03"`))
		if i < 0 {
			t.Fatalf("call-03 not in the segment:\n%s", plain)
		}
		plain[i+len(`"call-0`)] = '9' // call-03 becomes call-93: the record's crc no longer matches
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write(plain)
		_ = zw.Close()
		raw = b.Bytes()
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.Base(path)
}

// TestSpoolDamageIsReported: logs, logs show and stats over a spool with a
// damaged segment still answer with what they could read (exit 0, stdout
// and --json unchanged), and say on stderr that damaged lines were skipped,
// how many, in which segment and where to look. An intact spool gets no
// such warning.
func TestSpoolDamageIsReported(t *testing.T) {
	for _, how := range []string{"flipped", "truncated"} {
		t.Run(how, func(t *testing.T) {
			dir, segment := damage(t, 40, how)
			flags := []string{"-data-dir", dir, "-postgres-url", ""}
			for _, args := range [][]string{
				{"logs", "--limit", "1000"},
				{"logs", "--json", "--limit", "1000"},
				{"stats"},
				{"stats", "--json"},
				{"logs", "show", "call-00"},
				{"logs", "show", "--json", "call-00"},
			} {
				out, errs, code := harborctl(t, "", append(args, flags...)...)
				show := args[0] == "logs" && args[1] == "show"
				if show && how == "truncated" { // call-00 may be in the lost half
					if code != 0 && code != 1 {
						t.Errorf("harborctl %q = exit %d, want 0 or 1", args, code)
					}
				} else if code != 0 {
					t.Errorf("harborctl %q = exit %d, stderr %q; want 0: the answer is still the best available", args, code, errs)
				}
				want := []string{"warning", "damaged", segment, "replayer"}
				if how == "flipped" {
					want = append(want, "1 damaged line")
				} else {
					want = append(want, "the rest of the segment could not be read")
				}
				for _, w := range want {
					if !strings.Contains(errs, w) {
						t.Errorf("harborctl %q: stderr lacks %q:\n%s", args, w, errs)
					}
				}
				if strings.Contains(out, "warning") || strings.Contains(out, "damaged") {
					t.Errorf("harborctl %q: the warning went to stdout:\n%s", args, out)
				}
				if strings.Contains(strings.Join(args, " "), "--json") && code == 0 {
					dec := json.NewDecoder(strings.NewReader(out))
					for dec.More() {
						var v any
						if err := dec.Decode(&v); err != nil {
							t.Errorf("harborctl %q: stdout is not JSON values: %v\n%s", args, err, out)
							break
						}
					}
				}
			}
			// A call in the damaged part is not found, and the warning says why it may be missing.
			if how == "flipped" {
				_, errs, code := harborctl(t, "", append([]string{"logs", "show", "call-03"}, flags...)...)
				if code != 1 || !strings.Contains(errs, "no call with id") || !strings.Contains(errs, "1 damaged line") {
					t.Errorf("logs show call-03 = exit %d, stderr %q; want exit 1, not found, and the warning", code, errs)
				}
			}
		})
	}
	intact := spoolDir(t, answered("call-1", "gpt-4o", "success", time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC), "1", "USD"))
	for _, args := range [][]string{{"logs"}, {"stats"}, {"logs", "show", "call-1"}} {
		_, errs, code := harborctl(t, "", append(args, "-data-dir", intact, "-postgres-url", "")...)
		if code != 0 || strings.Contains(errs, "warning") {
			t.Errorf("harborctl %q over an intact spool = exit %d, stderr %q; want 0 and no warning", args, code, errs)
		}
	}
}

// TestLogsNextPageOnlyWhenMore: the "next page" hint is printed only when
// another call follows the page, not when the page is merely full.
func TestLogsNextPageOnlyWhenMore(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	var calls []record.Call
	for i := range 4 {
		calls = append(calls, answered(fmt.Sprintf("call-%d", i), "gpt-4o", "success", at.Add(time.Duration(i)*time.Minute), "1", "USD"))
	}
	flags := []string{"-data-dir", spoolDir(t, calls...), "-postgres-url", ""}
	for _, tc := range []struct {
		args []string
		more bool
	}{
		{[]string{"logs", "--limit", "4"}, false},
		{[]string{"logs", "--limit", "5"}, false},
		{[]string{"logs", "--limit", "3"}, true},
		{[]string{"logs", "--json", "--limit", "2"}, true},
		{[]string{"logs", "--json", "--limit", "2", "--after", formatCursor(at.Add(2*time.Minute), "call-2")}, false}, // the last page, full
		{[]string{"logs", "--limit", "9223372036854775807"}, false},
	} {
		out, errs, code := harborctl(t, "", append(tc.args, flags...)...)
		if code != 0 {
			t.Fatalf("harborctl %q = exit %d: %s", tc.args, code, errs)
		}
		if got := strings.Contains(errs, "next page"); got != tc.more {
			t.Errorf("harborctl %q: stderr %q; want a next page hint: %v", tc.args, errs, tc.more)
		}
		if tc.args[1] == "--json" && len(jsonIDs(t, out)) != 2 {
			t.Errorf("harborctl %q printed %d calls, want 2", tc.args, len(jsonIDs(t, out)))
		}
	}
}

// TestStatsTokenSumBeyondInt64: calls reporting absurd token counts whose
// group's sum does not fit an int64 do not fail stats on either store: the
// group's sums are printed exactly (text and JSON), a warning on stderr
// names the group (no day when not grouping by day) and the sum, and the
// other groups are as before.
func TestStatsTokenSumBeyondInt64(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	big := func(c record.Call, cur string) record.Call {
		n := int64(1) << 62
		c.Usage.PromptTokens, c.Usage.TotalTokens = &n, ptr(n+5)
		c.Cost.Currency = cur
		return c
	}
	calls := []record.Call{
		big(answered("big-1", "big", "success", at, "1", "USD"), "USD"),
		big(answered("big-2", "big", "success", at.Add(time.Minute), "1", "USD"), "USD"), // one currency's sum overflows
		big(answered("big-3", "big", "success", at.Add(2*time.Minute), "1", "CNY"), "CNY"),
		answered("small", "gpt-4o", "success", at, "0.5", "USD"),
	}
	url := pgtest.Start(t).NewDB(t)
	w, err := pg.NewWriter(t.Context(), pg.Config{URL: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pg.Migrate(t.Context(), w.Pool()); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(t.Context(), calls); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	const sum = "13835058055282163712" // 3 × 2^62
	stores := map[string][]string{"spool": {"-data-dir", spoolDir(t, calls...), "-postgres-url", ""}, "postgres": {"-postgres-url", url}}
	for name, flags := range stores {
		t.Run(name, func(t *testing.T) {
			out, errs, code := harborctl(t, "", append([]string{"stats"}, flags...)...)
			if code != 0 {
				t.Fatalf("stats = exit %d, stderr %q; want 0", code, errs)
			}
			for _, want := range []string{"openai big 3 0 " + sum + " 15 13835058055282163727 1 CNY, 2 USD", "openai gpt-4o 1 0 10 5 15 0.5 USD",
				"total: 4 calls, 13835058055282163742 tokens, cost 1 CNY, 2.5 USD"} {
				if !strings.Contains(fields(out), want) {
					t.Errorf("stats lacks %q:\n%s", want, out)
				}
			}
			for _, want := range []string{"warning", `"openai"/"big"`, "prompt_tokens", "total_tokens", sum, "int64"} {
				if !strings.Contains(errs, want) {
					t.Errorf("stats: stderr lacks %q:\n%s", want, errs)
				}
			}
			if strings.Contains(errs, "0001-01-01") {
				t.Errorf("stats: stderr names a zero day:\n%s", errs)
			}
			out, _, code = harborctl(t, "", append([]string{"stats", "--json"}, flags...)...)
			var rows []map[string]json.RawMessage
			if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil || len(rows) != 2 {
				t.Fatalf("stats --json = exit %d, %v:\n%s", code, err, out)
			}
			if got := string(rows[0]["prompt_tokens"]); got != sum {
				t.Errorf("stats --json: prompt_tokens of big = %s, want %s (exact, a JSON number)", got, sum)
			}
			if got := string(rows[1]["prompt_tokens"]); got != "10" {
				t.Errorf("stats --json: prompt_tokens of gpt-4o = %s, want 10", got)
			}
			out, errs, code = harborctl(t, "", append([]string{"stats", "--group-by", "day"}, flags...)...)
			if code != 0 || !strings.Contains(fields(out), "2026-11-26 4 0 13835058055282163722 20 13835058055282163742") || !strings.Contains(errs, "2026-11-26") {
				t.Errorf("stats --group-by day = exit %d:\n%s\nstderr: %s", code, out, errs)
			}
		})
	}
}

// fields returns out with each line's fields separated by one space.
func fields(out string) string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}
