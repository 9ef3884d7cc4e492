package pg

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/record"
)

// copyRows holds calls encoded as rows of PostgreSQL's binary COPY format,
// in the order of callColumns, ready to send: the writer encodes a batch
// once, before it takes a connection, and sends the bytes as they are
// (pgx's CopyFrom would encode every value through interfaces while the
// connection waits). The bytes are those pgx's CopyFrom sends for callRow's
// values (TestCopyRowsMatchPgx).
//
// A row converts what PostgreSQL would refuse rather than lose the call:
//   - text: NUL bytes and invalid UTF-8 become U+FFFD (cleanText);
//   - jsonb: the same, \u0000 escapes and lone surrogates become \ufffd,
//     and a raw usage that is not JSON is stored as a JSON string;
//   - currency: upper-cased and trimmed ("usd" is USD);
//   - status "pending" is stored as NULL (pending = no response yet);
//   - a cost block without a pricing source is "not_found".
//
// Empty strings are stored as NULL (and read back as empty strings), except
// call_id and provider.
type copyRows struct {
	buf   []byte    // the rows, one after the other
	ends  []int     // the end of row i in buf
	kinds []rowKind // what row i is
}

// rowKind tells a batch's rows apart for the writer's two paths.
type rowKind uint8

const (
	rowRest   rowKind = iota // no request event: the call is probably stored already
	rowFresh                 // has its request event: probably a new call
	rowStored                // committed by this write's direct copy: not to be sent again
)

// copyHeader starts a binary COPY stream: the signature, no flags, no
// header extension. copyTrailer ends it.
var (
	copyHeader  = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	copyTrailer = []byte{0xff, 0xff}
)

// add appends c as a row. A call with a value its column cannot hold (an
// HTTP status beyond int4, a cost beyond numeric's range) is refused with
// an error wrapping ErrUnstorable, and nothing is appended.
func (r *copyRows) add(c *record.Call) error {
	start := len(r.buf)
	buf, err := appendCall(r.buf, c)
	if err != nil {
		r.buf = r.buf[:start]
		return fmt.Errorf("call %s: %w: %w", c.CallID, err, ErrUnstorable)
	}
	r.buf = buf
	r.ends = append(r.ends, len(buf))
	kind := rowRest
	if c.RequestEventID != "" {
		kind = rowFresh
	}
	r.kinds = append(r.kinds, kind)
	return nil
}

// appendCall appends c as one row of callColumns.
func appendCall(b []byte, c *record.Call) ([]byte, error) {
	b = binary.BigEndian.AppendUint16(b, uint16(len(callColumns)))
	b = appendText(b, cleanText(c.CallID))
	b = appendOptText(b, c.HBTraceID)
	b = appendOptText(b, c.TraceID)
	b = appendOptText(b, c.SpanID)
	b = appendOptText(b, c.ParentSpanID)
	b = appendText(b, cleanText(c.Provider))
	b = appendOptText(b, c.Model)
	b = appendOptText(b, c.Endpoint)
	b = appendBool(b, c.Stream)
	b = appendTime(b, c.StartedAt)
	if c.Tags.IsZero() {
		b = appendNull(b)
	} else {
		b = appendTags(b, &c.Tags)
	}
	b = appendOptText(b, c.Tags.Environment)

	b = appendOptText(b, c.RequestEventID)
	b = appendOptBody(b, c.RequestBody)

	b = appendOptText(b, c.ResponseEventID)
	b = appendOptText(b, storedStatus(c.Status))
	if h := c.HTTPStatus; h == nil {
		b = appendNull(b)
	} else if *h < math.MinInt32 || *h > math.MaxInt32 {
		return b, fmt.Errorf("http status %d", *h)
	} else {
		b = binary.BigEndian.AppendUint32(b, 4)
		b = binary.BigEndian.AppendUint32(b, uint32(int32(*h)))
	}
	if c.FinishedAt == nil {
		b = appendNull(b)
	} else {
		b = appendTime(b, *c.FinishedAt)
	}
	b = appendOptFloat(b, c.LatencyMS)
	b = appendOptFloat(b, c.TTFTMS)
	b = appendOptFloat(b, c.TokensPerSecond)
	b = appendOptText(b, c.ServedModel)
	b = appendOptText(b, c.ErrorType)
	b = appendOptText(b, c.ErrorMessage)
	b = appendOptBody(b, c.ResponseBody)

	if u := c.Usage; u != nil {
		for _, n := range [...]*int64{u.PromptTokens, u.CompletionTokens, u.TotalTokens,
			u.CachedTokens, u.ReasoningTokens, u.CacheWriteTokens} {
			if n == nil {
				b = appendNull(b)
			} else {
				b = appendInt64(b, *n)
			}
		}
		b = appendBool(b, u.UsageMissing)
		b = appendBool(b, u.IsError)
		b = appendOptText(b, u.Provider)
		b = appendOptText(b, u.Model)
		b = appendOptText(b, u.ErrorMessage)
		if len(u.Raw) == 0 {
			b = appendNull(b)
		} else {
			b = appendJSONB(b, u.Raw)
		}
		b = appendOptText(b, u.Method)
		b = appendFloat(b, u.Confidence)
		b = appendOptText(b, u.Consistency)
		b = appendBool(b, u.TotalDerived)
	} else {
		b = appendNulls(b, 16)
	}

	if k := c.Cost; k != nil {
		var err error
		for _, d := range [...]*decimal.Decimal{k.InputCost, k.OutputCost, k.TotalCost} {
			if b, err = appendNumeric(b, d); err != nil {
				return b, err
			}
		}
		b = appendOptText(b, strings.ToUpper(strings.TrimSpace(k.Currency)))
		source := k.PricingSource
		if source == "" {
			source = cost.SourceNotFound
		}
		b = appendText(b, cleanText(source))
		if k.PricingTimestamp.IsZero() {
			b = appendNull(b)
		} else {
			b = appendTime(b, k.PricingTimestamp)
		}
		b = appendInt64(b, k.Unit)
		for _, d := range [...]*decimal.Decimal{k.InputPrice, k.CachedInputPrice, k.CacheWritePrice, k.OutputPrice} {
			if b, err = appendNumeric(b, d); err != nil {
				return b, err
			}
		}
		b = appendOptText(b, k.PricingError)
	} else {
		b = appendNulls(b, 12)
	}
	return appendOptText(b, c.SpoolReason), nil
}

// A field is its length (-1 for NULL) and its bytes.

func appendNull(b []byte) []byte { return binary.BigEndian.AppendUint32(b, math.MaxUint32) }

func appendNulls(b []byte, n int) []byte {
	for range n {
		b = appendNull(b)
	}
	return b
}

// appendText appends s, which must be clean (cleanText).
func appendText(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// appendOptText appends s cleaned, or NULL when empty.
func appendOptText(b []byte, s string) []byte {
	if s == "" {
		return appendNull(b)
	}
	return appendText(b, cleanText(s))
}

// appendOptBody appends *s cleaned, or NULL when s is nil (an empty body
// stays empty).
func appendOptBody(b []byte, s *string) []byte {
	if s == nil {
		return appendNull(b)
	}
	return appendText(b, cleanText(*s))
}

// appendJSONB appends raw as jsonb (version 1, then the text), cleaned as
// cleanJSON does; a document that needs nothing cleaned (the usual) is
// appended as it is.
func appendJSONB(b, raw []byte) []byte {
	doc := raw
	if bytes.IndexByte(raw, 0) >= 0 || bytes.Contains(raw, escapeU) || !utf8.Valid(raw) || !json.Valid(raw) || !numbersFit(raw) {
		doc = cleanJSON(raw)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(doc)+1))
	b = append(b, 1)
	return append(b, doc...)
}

var escapeU = []byte(`\u`)

// appendTags appends t as jsonb: its JSON as json.Marshal writes it (valid
// UTF-8, no NUL byte), with the escapes jsonb refuses rewritten
// (fixEscapes).
func appendTags(b []byte, t *event.Tags) []byte {
	at := len(b)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = append(b, 1)
	b = event.AppendTags(b, t)
	if doc := b[at+5:]; bytes.Contains(doc, escapeU) {
		b = append(b[:at+5], fixEscapes(doc)...)
	}
	binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	return b
}

func appendBool(b []byte, v bool) []byte {
	b = binary.BigEndian.AppendUint32(b, 1)
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendInt64(b []byte, v int64) []byte {
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, uint64(v))
}

func appendFloat(b []byte, v float64) []byte {
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(v))
}

func appendOptFloat(b []byte, v *float64) []byte {
	if v == nil {
		return appendNull(b)
	}
	return appendFloat(b, *v)
}

// unixToY2K is the number of microseconds from the Unix epoch to
// 2000-01-01, timestamptz's epoch.
const unixToY2K = 946_684_800 * 1_000_000

// appendTime appends t as timestamptz: microseconds since 2000-01-01 UTC,
// the sub-microsecond part truncated as pgx does.
func appendTime(b []byte, t time.Time) []byte {
	us := t.Unix()*1_000_000 + int64(t.Nanosecond())/1000
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, uint64(us-unixToY2K))
}

// pow10 holds 10^0 to 10^18.
var pow10 = func() (p [19]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// appendNumeric appends d as numeric, or NULL when nil: base-10,000 digits
// around the decimal point, the display scale the decimal's exponent (a
// cost keeps its scale). A coefficient of up to 15 digits with an exponent
// of -1,000 to 18 is encoded here without big.Int, as pgx would (trailing
// zero digits included: PostgreSQL trims them); others go through pgx.
func appendNumeric(b []byte, d *decimal.Decimal) ([]byte, error) {
	if d == nil {
		return appendNull(b), nil
	}
	exp := d.Exponent()
	if exp < -1000 || exp > 18 || d.NumDigits() > 15 {
		return appendBigNumeric(b, d)
	}
	coef := d.CoefficientInt64()
	var sign uint16
	abs := uint64(coef)
	if coef < 0 {
		sign, abs = 0x4000, uint64(-coef)
	}
	// The exponent down to a multiple of 4 (as pgx does): the digits then
	// fall on base-10,000 boundaries. abs stays below 10^18.
	e := int(exp)
	if m := e % 4; m != 0 {
		if m < 0 {
			m += 4
		}
		e -= m
		abs *= pow10[m]
	}
	whole, frac, fracGroups := abs, uint64(0), 0
	if e < 0 {
		fracGroups = -e / 4
		if -e < len(pow10) {
			whole, frac = abs/pow10[-e], abs%pow10[-e]
		} else {
			whole, frac = 0, abs
		}
	}
	var wholeDigits [5]uint16 // abs < 10^19: at most 5 groups
	nw := 0
	for w := whole; w != 0; w /= 10_000 {
		wholeDigits[nw] = uint16(w % 10_000)
		nw++
	}
	weight := e/4 - 1 + fracGroups
	if nw > 0 {
		weight = nw - 1
		if e > 0 {
			weight += e / 4
		}
	}
	var dscale uint16
	if exp < 0 {
		dscale = uint16(-exp)
	}
	n := nw + fracGroups
	b = binary.BigEndian.AppendUint32(b, uint32(8+2*n))
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	b = binary.BigEndian.AppendUint16(b, uint16(int16(weight)))
	b = binary.BigEndian.AppendUint16(b, sign)
	b = binary.BigEndian.AppendUint16(b, dscale)
	for i := nw - 1; i >= 0; i-- {
		b = binary.BigEndian.AppendUint16(b, wholeDigits[i])
	}
	// Fraction groups from the most significant; those beyond abs's
	// digits are zero.
	for i := fracGroups - 1; i >= 0; i-- {
		var g uint64
		if 4*i < len(pow10) {
			g = frac / pow10[4*i] % 10_000
		}
		b = binary.BigEndian.AppendUint16(b, uint16(g))
	}
	return b, nil
}

// numericMaps are pgx type maps for appendBigNumeric (a map is not safe
// for concurrent use).
var numericMaps = sync.Pool{New: func() any { return pgtype.NewMap() }}

// appendBigNumeric appends d as numeric through pgx's encoder.
func appendBigNumeric(b []byte, d *decimal.Decimal) ([]byte, error) {
	m := numericMaps.Get().(*pgtype.Map)
	defer numericMaps.Put(m)
	start := len(b)
	b = binary.BigEndian.AppendUint32(b, 0)
	n := pgtype.Numeric{Int: d.Coefficient(), Exp: d.Exponent(), Valid: true}
	out, err := m.Encode(pgtype.NumericOID, pgtype.BinaryFormatCode, n, b)
	if err != nil {
		return b[:start], err
	}
	binary.BigEndian.PutUint32(out[start:], uint32(len(out)-start-4))
	return out, nil
}

// count is the number of rows lo to hi-1 that keep selects.
func (r *copyRows) count(lo, hi int, keep func(rowKind) bool) int {
	n := 0
	for _, k := range r.kinds[lo:hi] {
		if keep(k) {
			n++
		}
	}
	return n
}

// stored marks the fresh rows among lo to hi-1 as committed.
func (r *copyRows) stored(lo, hi int) {
	for i := lo; i < hi; i++ {
		if r.kinds[i] == rowFresh {
			r.kinds[i] = rowStored
		}
	}
}

// reader returns a COPY stream of the rows lo to hi-1 that keep selects,
// in their order, and their number. Each Read returns whole rows (as pgx
// sends them), unless a row is larger than the buffer. It reads from r's
// buffer: r must not change until the stream is closed.
func (r *copyRows) reader(lo, hi int, keep func(rowKind) bool) (*rowsReader, int) {
	return &rowsReader{rows: r, next: lo, hi: hi, keep: keep}, r.count(lo, hi, keep)
}

// rowsReader reads a COPY stream of selected rows (copyRows.reader).
//
// pgconn's CopyFrom reads it on a goroutine of its own, which it does not
// wait for when the server fails the COPY: that goroutine may be reading
// after CopyFrom has returned. Close, called after CopyFrom, waits for a
// Read in progress and makes the next ones fail, so that the rows can be
// reused.
type rowsReader struct {
	mu       sync.Mutex
	closed   bool
	rows     *copyRows
	next, hi int
	keep     func(rowKind) bool
	pending  []byte // what is left of the header, a row or the trailer
	started  bool   // the header is pending or read
	ended    bool   // the trailer is pending or read
}

// errStreamClosed is what a rowsReader's Read returns after Close.
var errStreamClosed = errors.New("pg: COPY stream read after its COPY ended")

// Close ends the stream: Read returns errStreamClosed from now on, and the
// rows are no longer read.
func (rr *rowsReader) Close() error {
	rr.mu.Lock()
	rr.closed, rr.rows, rr.pending = true, nil, nil
	rr.mu.Unlock()
	return nil
}

func (rr *rowsReader) Read(p []byte) (int, error) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if rr.closed {
		return 0, errStreamClosed
	}
	if !rr.started {
		rr.pending, rr.started = copyHeader, true
	}
	n := 0
	for {
		if len(rr.pending) > 0 {
			if n > 0 && len(rr.pending) > len(p)-n {
				return n, nil // the next Read starts with this part whole
			}
			k := copy(p[n:], rr.pending)
			rr.pending = rr.pending[k:]
			n += k
			if len(rr.pending) > 0 {
				return n, nil
			}
		}
		for rr.next < rr.hi && !rr.keep(rr.rows.kinds[rr.next]) {
			rr.next++
		}
		switch {
		case rr.next < rr.hi:
			rr.pending = rr.rows.buf[rr.rows.start(rr.next):rr.rows.ends[rr.next]]
			rr.next++
		case !rr.ended:
			rr.pending, rr.ended = copyTrailer, true
		case n > 0:
			return n, nil
		default:
			return 0, io.EOF
		}
	}
}

// start is where row i begins in buf.
func (r *copyRows) start(i int) int {
	if i == 0 {
		return 0
	}
	return r.ends[i-1]
}

// rowsPool keeps batches' buffers: a batch of 500 calls is ~1.5 MB.
var rowsPool = sync.Pool{New: func() any { return new(copyRows) }}

func getRows() *copyRows { return rowsPool.Get().(*copyRows) }

// putRows empties r and returns it to the pool. Buffers beyond 64 MiB (a
// batch of very large bodies) are left to the collector.
func putRows(r *copyRows) {
	if cap(r.buf) > 64<<20 {
		return
	}
	r.buf, r.ends, r.kinds = r.buf[:0], r.ends[:0], r.kinds[:0]
	rowsPool.Put(r)
}
