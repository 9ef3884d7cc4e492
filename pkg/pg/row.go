package pg

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/record"
)

// callRow returns the values of c in the order of callColumns. It converts
// what PostgreSQL would refuse rather than lose the call:
//   - text: NUL bytes and invalid UTF-8 become U+FFFD (cleanText);
//   - jsonb: the same, \u0000 escapes and lone surrogates become \ufffd,
//     and a raw usage that is not JSON is stored as a JSON string;
//   - currency: upper-cased and trimmed ("usd" is USD);
//   - status "pending" is stored as NULL (pending = no response yet);
//   - a cost block without a pricing source is "not_found".
//
// Empty strings are stored as NULL (and read back as empty strings), except
// call_id and provider.
func callRow(c *record.Call) []any {
	row := make([]any, 0, len(callColumns))
	row = append(row,
		cleanText(c.CallID),
		optText(c.HBTraceID),
		optText(c.TraceID),
		optText(c.SpanID),
		optText(c.ParentSpanID),
		cleanText(c.Provider),
		optText(c.Model),
		optText(c.Endpoint),
		c.Stream,
		c.StartedAt,
		tagsJSON(c.Tags),
		optText(c.Tags.Environment),

		optText(c.RequestEventID),
		optBody(c.RequestBody),

		optText(c.ResponseEventID),
		optText(storedStatus(c.Status)),
		c.HTTPStatus,
		c.FinishedAt,
		c.LatencyMS,
		c.TTFTMS,
		c.TokensPerSecond,
		optText(c.ServedModel),
		optText(c.ErrorType),
		optText(c.ErrorMessage),
		optBody(c.ResponseBody),
	)
	if u := c.Usage; u != nil {
		row = append(row,
			u.PromptTokens, u.CompletionTokens, u.TotalTokens,
			u.CachedTokens, u.ReasoningTokens, u.CacheWriteTokens,
			u.UsageMissing, u.IsError,
			optText(u.Provider), optText(u.Model), optText(u.ErrorMessage),
			rawJSON(u.Raw),
			optText(u.Method), u.Confidence, optText(u.Consistency),
		)
	} else {
		row = append(row, make([]any, 15)...)
	}
	if k := c.Cost; k != nil {
		source := k.PricingSource
		if source == "" {
			source = cost.SourceNotFound
		}
		var pricedAt any
		if !k.PricingTimestamp.IsZero() {
			pricedAt = k.PricingTimestamp
		}
		row = append(row,
			numeric(k.InputCost), numeric(k.OutputCost), numeric(k.TotalCost),
			optText(strings.ToUpper(strings.TrimSpace(k.Currency))),
			cleanText(source), pricedAt, k.Unit,
			numeric(k.InputPrice), numeric(k.CachedInputPrice), numeric(k.CacheWritePrice), numeric(k.OutputPrice),
		)
	} else {
		row = append(row, make([]any, 11)...)
	}
	return append(row, optText(c.SpoolReason))
}

// checkCall rejects the values pgx cannot encode into their columns, which
// would fail the batch on the client side, before PostgreSQL could say
// which call is at fault.
func checkCall(c *record.Call) error {
	if h := c.HTTPStatus; h != nil && (*h < math.MinInt32 || *h > math.MaxInt32) {
		return fmt.Errorf("call %s: http status %d: %w", c.CallID, *h, ErrUnstorable)
	}
	return nil
}

// storedStatus is the status column: NULL (empty) while pending.
func storedStatus(s string) string {
	if s == record.StatusPending {
		return ""
	}
	return s
}

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

func tagsJSON(t event.Tags) any {
	if t.IsZero() {
		return nil
	}
	b, err := json.Marshal(t)
	if err != nil { // cannot happen: strings and a map of strings
		return nil
	}
	return cleanJSON(b)
}

func rawJSON(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return cleanJSON(raw)
}

// cleanJSON returns raw as a document jsonb accepts: valid UTF-8 without
// NUL, \u0000 escapes and lone surrogate escapes replaced by \ufffd; text
// that is not JSON becomes a JSON string holding it.
func cleanJSON(raw []byte) []byte {
	s := cleanText(string(raw))
	if !json.Valid([]byte(s)) {
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
