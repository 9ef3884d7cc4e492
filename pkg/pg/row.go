package pg

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/record"
)

// storedStatus is the status column: NULL (empty) while pending.
func storedStatus(s string) string {
	if s == record.StatusPending {
		return ""
	}
	return s
}

// StoredText returns s as calls stores text: valid UTF-8 without NUL, each
// NUL and each invalid byte replaced by U+FFFD. A call is looked up by the
// stored form of its id.
func StoredText(s string) string { return cleanText(s) }

// StoredJSON returns a JSON document (raw usage) as jsonb holds it once the
// writer stored it: see cleanJSON. Like StoredText, it lets another store
// answer as PostgreSQL does.
func StoredJSON(raw []byte) []byte { return cleanJSON(raw) }

// cleanText returns s as valid UTF-8 without NUL bytes, each NUL and each
// invalid byte replaced by U+FFFD. It allocates only when s needs it.
func cleanText(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == 0 || (r == utf8.RuneError && n == 1) {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// optText is s cleaned, or NULL when empty.
func optText(s string) any {
	if s == "" {
		return nil
	}
	return cleanText(s)
}

// optBody is *s cleaned, or NULL when s is nil (an empty body stays empty).
func optBody(s *string) any {
	if s == nil {
		return nil
	}
	return cleanText(*s)
}

func numeric(d *decimal.Decimal) any {
	if d == nil {
		return nil
	}
	return pgtype.Numeric{Int: d.Coefficient(), Exp: d.Exponent(), Valid: true}
}

// cleanJSON returns raw as a document jsonb accepts: valid UTF-8 without
// NUL, \u0000 escapes and lone surrogate escapes replaced by \ufffd; text
// that is not JSON, or whose numbers PostgreSQL's numeric cannot hold
// (numbersFit), becomes a JSON string holding it.
func cleanJSON(raw []byte) []byte {
	s := cleanText(string(raw))
	if !json.Valid([]byte(s)) || !numbersFit([]byte(s)) {
		b, _ := json.Marshal(s)
		return b
	}
	if !strings.Contains(s, `\u`) {
		return []byte(s)
	}
	return fixEscapes([]byte(s))
}

// fixEscapes rewrites the \uXXXX escapes of a valid JSON text that jsonb
// refuses: \u0000 and surrogates that are not a high-low pair.
func fixEscapes(b []byte) []byte {
	out := make([]byte, 0, len(b))
	hex := func(i int) (rune, bool) {
		if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
			return 0, false
		}
		var r rune
		for _, c := range b[i+2 : i+6] {
			var v byte
			switch {
			case c >= '0' && c <= '9':
				v = c - '0'
			case c >= 'a' && c <= 'f':
				v = c - 'a' + 10
			case c >= 'A' && c <= 'F':
				v = c - 'A' + 10
			default:
				return 0, false
			}
			r = r<<4 | rune(v)
		}
		return r, true
	}
	for i := 0; i < len(b); {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			i++
			continue
		}
		r, ok := hex(i)
		switch {
		case !ok: // another escape: copy it whole, so an escaped backslash is not read as one
			out = append(out, b[i], b[i+1])
			i += 2
		case r == 0:
			out = append(out, `\ufffd`...)
			i += 6
		case r >= 0xD800 && r < 0xDC00: // high surrogate: keep with its low one
			if lo, ok := hex(i + 6); ok && lo >= 0xDC00 && lo < 0xE000 {
				out = append(out, b[i:i+12]...)
				i += 12
			} else {
				out = append(out, `\ufffd`...)
				i += 6
			}
		case r >= 0xDC00 && r < 0xE000: // lone low surrogate
			out = append(out, `\ufffd`...)
			i += 6
		default:
			out = append(out, b[i:i+6]...)
			i += 6
		}
	}
	return out
}

// What PostgreSQL's numeric holds, in decimal digits, and so jsonb's
// numbers: 131,072 before the point and 16,383 after it. numbersFit stays
// well inside them.
const (
	maxNumericIntDigits  = 100_000
	maxNumericFracDigits = 16_000
	maxNumericExponent   = 10_000
)

// numbersFit reports whether every number of the JSON text doc fits
// PostgreSQL's numeric, which jsonb stores numbers as: a value like 1e200000
// in a vendor's raw usage would otherwise make the whole call fail to store.
// doc must be valid JSON.
func numbersFit(doc []byte) bool {
	inString := false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case inString:
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '-' || c >= '0' && c <= '9':
			end, ok := numberFits(doc, i)
			if !ok {
				return false
			}
			i = end - 1
		}
	}
	return true
}

// numberFits reads the JSON number at doc[start:] and returns where it ends
// and whether numeric holds it.
func numberFits(doc []byte, start int) (int, bool) {
	i := start
	if doc[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(doc) && doc[i] >= '0' && doc[i] <= '9' {
			i++
		}
		return i - j
	}
	intDigits, fracDigits := digits(), 0
	if i < len(doc) && doc[i] == '.' {
		i++
		fracDigits = digits()
	}
	exp := 0
	if i < len(doc) && (doc[i] == 'e' || doc[i] == 'E') {
		i++
		neg := false
		if i < len(doc) && (doc[i] == '+' || doc[i] == '-') {
			neg = doc[i] == '-'
			i++
		}
		for ; i < len(doc) && doc[i] >= '0' && doc[i] <= '9'; i++ {
			if exp <= maxNumericExponent {
				exp = exp*10 + int(doc[i]-'0')
			}
		}
		if exp > maxNumericExponent {
			return i, false
		}
		if neg {
			exp = -exp
		}
	}
	return i, intDigits+exp <= maxNumericIntDigits && fracDigits-exp <= maxNumericFracDigits
}
