package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// printable returns s safe to write to a terminal in text output: C0 and C1
// control characters and DEL (a newline too: this is for one table cell or
// one tree line) become Go escapes (\t, \x1b, \u009b), and bytes that are
// not UTF-8 become \xNN, so stored data can neither split a row nor drive
// the terminal. JSON output is written as stored.
func printable(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x` + strconv.FormatUint(uint64(s[i])>>4, 16) + strconv.FormatUint(uint64(s[i])&0xf, 16))
		case isControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || isControl(r) {
			return true
		}
		i += n
	}
	return false
}

// isControl reports C0, DEL and C1.
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) }

// encodeJSON writes v as one JSON line and turns a
// failed write into exit status 1.
func encodeJSON(stdout, stderr io.Writer, cmd string, v any) int {
	if err := json.NewEncoder(stdout).Encode(v); err != nil {
		fmt.Fprintf(stderr, "harborctl %s: write JSON: %v\n", cmd, err)
		return 1
	}
	return 0
}
