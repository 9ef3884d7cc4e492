package event

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendEncode appends the event's wire form (Encode's bytes) to dst and
// returns the extended buffer; on error dst is returned as it was. It lets
// a publisher write many events into one reused buffer.
//
// The encoder is written out by hand for the Event type: byte for byte what
// encoding/json writes (FuzzMarshalMatchesStdlib holds it to that),
// without reflection and without allocating.
func AppendEncode(dst []byte, e *Event) ([]byte, error) {
	out, err := appendEvent(dst, e)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// appendEvent writes e as encoding/json would write it after toUTC: the
// fields in declaration order, omitempty and omitzero as tagged, strings
// escaped for HTML, map keys sorted.
func appendEvent(b []byte, e *Event) ([]byte, error) {
	var err error
	b = append(b, `{"schema_version":`...)
	b = strconv.AppendInt(b, int64(e.SchemaVersion), 10)
	b = append(b, `,"kind":`...)
	b = appendString(b, string(e.Kind))
	b = append(b, `,"event_id":`...)
	b = appendString(b, e.EventID)
	b = append(b, `,"call_id":`...)
	b = appendString(b, e.CallID)
	b = appendField(b, `,"hb_trace_id":`, e.HBTraceID)
	b = appendField(b, `,"trace_id":`, e.TraceID)
	b = appendField(b, `,"span_id":`, e.SpanID)
	b = appendField(b, `,"parent_span_id":`, e.ParentSpanID)
	b = append(b, `,"provider":`...)
	b = appendString(b, e.Provider)
	b = appendField(b, `,"model":`, e.Model)
	b = appendField(b, `,"endpoint":`, e.Endpoint)
	if e.Stream {
		b = append(b, `,"stream":true`...)
	}
	b = append(b, `,"started_at":`...)
	if b, err = appendTime(b, e.StartedAt); err != nil {
		return nil, err
	}
	if p := e.CustomPricing; p != nil {
		b = append(b, `,"custom_pricing":{"input_price":`...)
		if b, err = appendNumber(b, p.InputPrice); err != nil {
			return nil, err
		}
		b = append(b, `,"output_price":`...)
		if b, err = appendNumber(b, p.OutputPrice); err != nil {
			return nil, err
		}
		if p.CachedInputPrice != "" {
			b = append(b, `,"cached_input_price":`...)
			if b, err = appendNumber(b, p.CachedInputPrice); err != nil {
				return nil, err
			}
		}
		if p.CacheWritePrice != "" {
			b = append(b, `,"cache_write_price":`...)
			if b, err = appendNumber(b, p.CacheWritePrice); err != nil {
				return nil, err
			}
		}
		b = appendField(b, `,"currency":`, p.Currency)
		b = append(b, '}')
	}
	if t := e.Tags; !t.IsZero() {
		b = append(b, `,"tags":`...)
		b = appendTags(b, &t)
	}
	if r := e.Request; r != nil {
		b = append(b, `,"request":`...)
		b = appendRequest(b, r)
	}
	if r := e.Response; r != nil {
		b = append(b, `,"response":`...)
		if b, err = appendResponse(b, r); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// AppendTags appends t as JSON to dst: the bytes json.Marshal writes for
// it, without its allocations.
func AppendTags(dst []byte, t *Tags) []byte { return appendTags(dst, t) }

// appendTags writes a Tags object, whose fields are all omitempty.
func appendTags(b []byte, t *Tags) []byte {
	m := members{b: append(b, '{')}
	m.str(`"environment":`, t.Environment)
	m.str(`"service":`, t.Service)
	m.str(`"session_id":`, t.SessionID)
	m.str(`"user_id":`, t.UserID)
	m.str(`"request_id":`, t.RequestID)
	if len(t.Metadata) > 0 {
		m.key(`"metadata":`)
		m.b = appendMap(m.b, t.Metadata)
	}
	return append(m.b, '}')
}

// appendRequest writes a Request object, whose fields are all omitempty.
func appendRequest(b []byte, r *Request) []byte {
	m := members{b: append(b, '{')}
	m.str(`"method":`, r.Method)
	m.str(`"url":`, r.URL)
	if len(r.Headers) > 0 {
		m.key(`"headers":`)
		m.b = appendMap(m.b, r.Headers)
	}
	m.str(`"body":`, r.Body)
	m.str(`"body_omitted":`, r.BodyOmitted)
	return append(m.b, '}')
}

// members writes the members of an object whose members may all be
// omitted: a comma before each but the first.
type members struct {
	b    []byte
	some bool
}

// key writes a member's key (with its colon).
func (m *members) key(k string) {
	if m.some {
		m.b = append(m.b, ',')
	}
	m.some = true
	m.b = append(m.b, k...)
}

// str writes an omitempty string member.
func (m *members) str(k, v string) {
	if v != "" {
		m.key(k)
		m.b = appendString(m.b, v)
	}
}

func appendResponse(b []byte, r *Response) ([]byte, error) {
	var err error
	b = append(b, `{"status":`...)
	b = appendString(b, r.Status)
	if r.HTTPStatus != 0 {
		b = append(b, `,"http_status":`...)
		b = strconv.AppendInt(b, int64(r.HTTPStatus), 10)
	}
	b = append(b, `,"finished_at":`...)
	if b, err = appendTime(b, r.FinishedAt); err != nil {
		return nil, err
	}
	if r.FirstByteAt != nil {
		b = append(b, `,"first_byte_at":`...)
		if b, err = appendTime(b, *r.FirstByteAt); err != nil {
			return nil, err
		}
	}
	b = appendField(b, `,"body":`, r.Body)
	b = appendField(b, `,"body_omitted":`, r.BodyOmitted)
	b = appendField(b, `,"error_type":`, r.ErrorType)
	b = appendField(b, `,"error_message":`, r.ErrorMessage)
	return append(b, '}'), nil
}

// appendField writes an omitempty string member: key (with its leading
// comma and colon) and value, unless the value is empty.
func appendField(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendString(append(b, key...), v)
}

// appendMap writes a map[string]string as encoding/json does: keys sorted
// by their bytes.
func appendMap(b []byte, m map[string]string) []byte {
	var small [16]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}

// errTimeRange is time.Time's own refusal: RFC 3339 has four-digit years.
var errTimeRange = errors.New("Time.MarshalJSON: year outside of range [0,9999]")

// appendTime writes t in UTC as time.Time.MarshalJSON does (RFC 3339 with
// nanoseconds, trailing zeros dropped).
func appendTime(b []byte, t time.Time) ([]byte, error) {
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return nil, errTimeRange
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// appendNumber writes a json.Number as encoding/json does: "" is 0, and
// text that is not a JSON number is an error.
func appendNumber(b []byte, n json.Number) ([]byte, error) {
	s := string(n)
	if s == "" {
		s = "0"
	}
	if !validNumber(s) {
		return nil, errors.New("json: invalid number literal " + strconv.Quote(s))
	}
	return append(b, s...), nil
}

// validNumber reports whether s is a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		i = digits(s, i+1)
	default:
		return false
	}
	if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		i = digits(s, i+2)
	}
	if i+1 < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if s[j] == '+' || s[j] == '-' {
			j++
		}
		if j == len(s) || !isDigit(s[j]) {
			return false
		}
		i = digits(s, j)
	}
	return i == len(s)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// digits returns the index of the first non-digit of s at or after i.
func digits(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// htmlSafe marks the ASCII bytes a JSON string holds as they are when HTML
// characters are escaped: printable, and none of " \ < > &.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for c := byte(' '); c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string the way encoding/json does with
// HTML escaping: " and \ escaped, \b \f \n \r \t by name, other control
// characters and < > & as \u00XX, U+2028 and U+2029 escaped, and each
// invalid UTF-8 byte replaced by \ufffd.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
