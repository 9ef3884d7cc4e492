package pg

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
	"github.com/harborai/ingest/pkg/record"
)

// columnOIDs are the type OIDs of callColumns' types.
var columnOIDs = map[string]uint32{
	"text": pgtype.TextOID, `text COLLATE "C"`: pgtype.TextOID, "boolean": pgtype.BoolOID,
	"timestamptz": pgtype.TimestamptzOID, "jsonb": pgtype.JSONBOID, "integer": pgtype.Int4OID,
	"double precision": pgtype.Float8OID, "bigint": pgtype.Int8OID, "numeric": pgtype.NumericOID,
}

// pgxRow encodes c's values (callRow) as pgx's CopyFrom does: a row of
// the binary COPY format, each value through pgx's codec for its column.
func pgxRow(m *pgtype.Map, c *record.Call) ([]byte, error) {
	row := callRow(c)
	b := binary.BigEndian.AppendUint16(nil, uint16(len(row)))
	for i, v := range row {
		oid, ok := columnOIDs[callColumns[i].typ]
		if !ok {
			return nil, errors.New("no OID for " + callColumns[i].typ)
		}
		sp := len(b)
		b = binary.BigEndian.AppendUint32(b, math.MaxUint32)
		out, err := m.Encode(oid, pgtype.BinaryFormatCode, v, b)
		if err != nil {
			return nil, err
		}
		if out != nil {
			b = out
			binary.BigEndian.PutUint32(b[sp:], uint32(len(b)-sp-4))
		}
	}
	return b, nil
}

// checkMatchesPgx fails t unless copyRows encodes c as pgx does, or both
// refuse it.
func checkMatchesPgx(t *testing.T, m *pgtype.Map, c record.Call) {
	t.Helper()
	want, wantErr := pgxRow(m, &c)
	var rows copyRows
	err := rows.add(&c)
	switch {
	case wantErr != nil && err != nil:
		if !errors.Is(err, ErrUnstorable) || len(rows.buf) != 0 || len(rows.ends) != 0 {
			t.Fatalf("call %q: refused with %v, %d bytes kept; want ErrUnstorable and nothing", c.CallID, err, len(rows.buf))
		}
		return
	case wantErr != nil:
		t.Fatalf("call %q: pgx refuses it (%v), copyRows encodes it", c.CallID, wantErr)
	case err != nil:
		t.Fatalf("call %q: copyRows refuses it (%v), pgx encodes it", c.CallID, err)
	}
	if got := rows.buf; !bytes.Equal(got, want) {
		i := 0
		for i < min(len(got), len(want)) && got[i] == want[i] {
			i++
		}
		t.Fatalf("call %q: row differs from pgx's at byte %d of %d/%d:\n got  ...%x\n want ...%x",
			c.CallID, i, len(got), len(want), got[max(0, i-8):min(len(got), i+24)], want[max(0, i-8):min(len(want), i+24)])
	}
	if (rows.kinds[0] == rowFresh) != (c.RequestEventID != "") {
		t.Fatalf("call %q: kind = %v", c.CallID, rows.kinds[0])
	}
}

func TestCopyRowsMatchPgx(t *testing.T) {
	m := pgtype.NewMap()
	full := fullCall("full")
	dirty := fullCall("dirty\x00\xff")
	dirty.Provider, dirty.Model, dirty.Status = "de\xffepseek", "模型\x00", record.StatusPending
	body := "\x00{\"a\":\"\xff\"}"
	dirty.RequestBody, dirty.ResponseBody = &body, &body
	dirty.Usage.Raw = json.RawMessage(`{"a":"\u0000\ud800"}`)
	dirty.Tags.Metadata["\x00"] = "\xff"
	dirty.Cost.Currency, dirty.Cost.PricingSource = " usd ", ""
	escapes := fullCall("escapes")
	escapes.Tags.Metadata = map[string]string{"k": "a\\u0000b\x00<&>\u2028", "\xed\xa0\x80": "x"}
	notJSON := fullCall("not-json")
	notJSON.Usage.Raw = json.RawMessage("usage: 12")
	unpriced := fullCall("unpriced")
	unpriced.Cost = &cost.Info{PricingSource: cost.SourceNotFound}
	big := fullCall("big")
	big.Cost.InputCost, big.Cost.OutputCost = dec("123456789012345678901234567890.123456789"), dec("-1e-40")
	calls := []record.Call{
		{CallID: "empty"},
		{CallID: "request only", Provider: "openai", RequestEventID: "e1", StartedAt: time.Date(1999, 12, 31, 23, 59, 59, 999_999_999, time.UTC)},
		full, dirty, escapes, notJSON, unpriced, big,
		{CallID: "status out of int4", HTTPStatus: ptr(math.MaxInt32 + 1)},
		{CallID: "cost out of numeric", Cost: &cost.Info{InputCost: ptr(decimal.New(1, -40_000))}},
		{CallID: "status int4 min", HTTPStatus: ptr(math.MinInt32)},
		{CallID: "no usage numbers", Usage: &parse.Usage{UsageMissing: true, Confidence: math.NaN()}},
		{CallID: "zero cost", Cost: &cost.Info{InputCost: dec("0"), OutputCost: dec("0E+5"), TotalCost: dec("-0.00000")}},
	}
	for _, c := range calls {
		checkMatchesPgx(t, m, c)
	}
}

// TestAppendNumericMatchesPgx holds the fast numeric encoder to pgx's on
// the edges of its range and on random decimals.
func TestAppendNumericMatchesPgx(t *testing.T) {
	m := pgtype.NewMap()
	check := func(d decimal.Decimal) {
		t.Helper()
		want, err := m.Encode(pgtype.NumericOID, pgtype.BinaryFormatCode,
			pgtype.Numeric{Int: d.Coefficient(), Exp: d.Exponent(), Valid: true}, nil)
		if err != nil {
			t.Fatalf("pgx: %s: %v", d, err)
		}
		got, err := appendNumeric(nil, &d)
		if err != nil {
			t.Fatalf("appendNumeric(%s): %v", d, err)
		}
		if n := binary.BigEndian.Uint32(got); int(n) != len(got)-4 || !bytes.Equal(got[4:], want) {
			t.Fatalf("appendNumeric(%s) (coef %s, exp %d) = %x, want %x", d, d.Coefficient(), d.Exponent(), got[4:], want)
		}
	}
	for _, s := range []string{"0", "1", "-1", "0.5", "10000", "9999.9999", "0.0001", "0.00001", "1e18", "12e17",
		"999999999999999", "-999999999999999e-18", "0.123456789012345", "1e-1000", "1e-999", "5e-19", "0.000000000000000001"} {
		check(decimal.RequireFromString(s))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20_000 {
		coef := r.Int64N(1_000_000_000_000_000) >> r.IntN(50)
		if r.IntN(4) == 0 {
			coef = -coef
		}
		check(decimal.New(coef, int32(r.IntN(60)-40)))
	}
}

// FuzzCopyRowsMatchPgx builds calls from the fuzzer's values and holds
// copyRows' bytes to pgx's encoding of the same call.
func FuzzCopyRowsMatchPgx(f *testing.F) {
	f.Add("c1", "openai", "gpt-4o", "e1", "", "你好\x00", "{\"a\":1}", int64(12), int64(-3), int32(-12), float64(1.5), int64(1700000000123456789), 200, true)
	f.Add("c\xff", "", "", "", "e2", "", "x", int64(0), int64(1<<62), int32(30), math.Inf(1), int64(-1<<62), -1, false)
	m := pgtype.NewMap()
	f.Fuzz(func(t *testing.T, id, provider, model, reqID, respID, text, raw string,
		tokens, coef int64, exp int32, ms float64, nanos int64, status int, stream bool) {
		at := time.Unix(0, nanos).UTC()
		d := decimal.New(coef, exp%300)
		c := record.Call{
			CallID: id, Provider: provider, Model: model, Stream: stream, StartedAt: at,
			Tags:           event.Tags{Environment: text, Metadata: map[string]string{text: raw}},
			RequestEventID: reqID, RequestBody: &text, ResponseEventID: respID, Status: text,
			HTTPStatus: &status, FinishedAt: &at, LatencyMS: &ms, ErrorMessage: raw, ResponseBody: &raw,
			Usage: &parse.Usage{PromptTokens: &tokens, TotalTokens: &tokens, Raw: json.RawMessage(raw), Confidence: ms, Method: model},
			Cost: &cost.Info{InputCost: &d, TotalCost: &d, Currency: text, PricingTimestamp: at, Unit: tokens,
				OutputPrice: &d, PricingSource: provider},
			SpoolReason: raw,
		}
		if reqID == "" {
			c.Tags = event.Tags{}
		}
		if respID == "" {
			c.Usage, c.HTTPStatus = nil, nil
		}
		checkMatchesPgx(t, m, c)
	})
}

// TestCopyRowsReader checks the COPY streams of a selection of rows: the
// header, the selected rows in order, the trailer.
func TestCopyRowsReader(t *testing.T) {
	var rows copyRows
	var want [][]byte
	for i, id := range []string{"a", "b", "c", "d", "e"} {
		c := record.Call{CallID: id, Provider: "p"}
		if i%2 == 0 {
			c.RequestEventID = "r-" + id
		}
		if err := rows.add(&c); err != nil {
			t.Fatal(err)
		}
		want = append(want, bytes.Clone(rows.buf[rows.start(i):]))
	}
	stream := func(lo, hi int, keep func(rowKind) bool) (string, int) {
		r, n := rows.reader(lo, hi, keep)
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(b), n
	}
	join := func(idx ...int) string {
		s := string(copyHeader)
		for _, i := range idx {
			s += string(want[i])
		}
		return s + string(copyTrailer)
	}
	for _, tt := range []struct {
		name   string
		lo, hi int
		keep   func(rowKind) bool
		want   []int
		stored [2]int // rows marked stored before
	}{
		{"all", 0, 5, unstoredRows, []int{0, 1, 2, 3, 4}, [2]int{}},
		{"fresh", 0, 5, freshRows, []int{0, 2, 4}, [2]int{}},
		{"part", 1, 4, freshRows, []int{2}, [2]int{}},
		{"none", 1, 2, freshRows, nil, [2]int{}},
		{"unstored", 0, 5, unstoredRows, []int{0, 1, 3, 4}, [2]int{1, 3}}, // row 2 is fresh, 1 not
		{"fresh after stored", 0, 5, freshRows, []int{0, 4}, [2]int{1, 3}},
	} {
		for i := range rows.kinds {
			rows.kinds[i] = map[bool]rowKind{true: rowFresh, false: rowRest}[i%2 == 0]
		}
		rows.stored(tt.stored[0], tt.stored[1])
		r, _ := rows.reader(tt.lo, tt.hi, tt.keep)
		if err := iotest.TestReader(r, []byte(join(tt.want...))); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		r, _ = rows.reader(tt.lo, tt.hi, tt.keep)
		if b, err := io.ReadAll(iotest.OneByteReader(r)); err != nil || string(b) != join(tt.want...) {
			t.Errorf("%s: read a byte at a time: %q, %v", tt.name, b, err)
		}
		got, n := stream(tt.lo, tt.hi, tt.keep)
		if got != join(tt.want...) || n != len(tt.want) {
			t.Errorf("%s: %d rows, stream %q; want rows %v", tt.name, n, got, tt.want)
		}
		if c := rows.count(tt.lo, tt.hi, tt.keep); c != len(tt.want) {
			t.Errorf("%s: count = %d, want %d", tt.name, c, len(tt.want))
		}
	}
	if !strings.HasPrefix(join(), "PGCOPY\n\xff\r\n\x00") || len(copyHeader) != 19 {
		t.Fatalf("header %q", copyHeader)
	}
}

// BenchmarkEncodeRows compares copyRows with building callRow's values
// and encoding them through pgx's codecs, per call of 1.6 KB bodies.
func BenchmarkEncodeRows(b *testing.B) {
	body := strings.Repeat("x", 800)
	calls := make([]record.Call, 500)
	for i := range calls {
		calls[i] = fullCall("bench-" + strings.Repeat("0", i%7))
		calls[i].RequestBody, calls[i].ResponseBody = &body, &body
		// Costs as the pricer makes them (cost.Scale decimals).
		k := calls[i].Cost
		k.InputCost, k.OutputCost, k.TotalCost = dec("0.000123456789"), dec("0.002469135780"), dec("0.002592592569")
		k.InputPrice, k.CachedInputPrice, k.CacheWritePrice, k.OutputPrice = dec("0.0025"), dec("0.00125"), nil, dec("0.01")
	}
	b.Run("copyRows", func(b *testing.B) {
		rows := getRows()
		for b.Loop() {
			rows.buf, rows.ends, rows.kinds = rows.buf[:0], rows.ends[:0], rows.kinds[:0]
			for i := range calls {
				if err := rows.add(&calls[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(calls)), "ns/call")
	})
	b.Run("pgx", func(b *testing.B) {
		m := pgtype.NewMap()
		for b.Loop() {
			for i := range calls {
				if _, err := pgxRow(m, &calls[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(calls)), "ns/call")
	})
}
