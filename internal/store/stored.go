package store

import (
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
)

// The spool keeps every call exactly as the pipeline produced it (it is
// what the replayer loads), while PostgreSQL keeps what its columns can
// hold. So that both stores answer alike, the spool store answers with
// each call as PostgreSQL would give it back (storedCall), and compares
// filters as PostgreSQL does (storedFilter); the segments are never
// changed.

// storedTime is t as a timestamptz holds it: UTC, the sub-microsecond part
// truncated, as pkg/pg writes it and pgx sends a parameter.
func storedTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// storedFilter returns f with its times and names as PostgreSQL's query
// compares them: times to the microsecond, text cleaned as stored.
func storedFilter(f Filter) Filter {
	f.Since, f.Until = storedTime(f.Since), storedTime(f.Until)
	f.Provider, f.Model = pg.StoredText(f.Provider), pg.StoredText(f.Model)
	f.TraceID, f.Text = pg.StoredText(f.TraceID), pg.StoredText(f.Text)
	if f.After != nil {
		a := pg.Cursor{StartedAt: storedTime(f.After.StartedAt), CallID: pg.StoredText(f.After.CallID)}
		f.After = &a
	}
	return f
}

// storedCall returns c as PostgreSQL stores and reads it back: text
// without NUL bytes or invalid UTF-8 (pg.StoredText), times in UTC to the
// microsecond, a pending status as none, the currency upper-cased, a
// missing pricing source as not_found, a zero amount without its scale
// (storedAmount), and raw usage as jsonb holds it (pg.StoredJSON). c is
// not modified.
func storedCall(c record.Call) record.Call {
	txt := pg.StoredText
	c.CallID, c.HBTraceID, c.TraceID, c.SpanID = txt(c.CallID), txt(c.HBTraceID), txt(c.TraceID), txt(c.SpanID)
	c.ParentSpanID, c.Provider, c.Model, c.Endpoint = txt(c.ParentSpanID), txt(c.Provider), txt(c.Model), txt(c.Endpoint)
	c.StartedAt = storedTime(c.StartedAt)
	c.Tags = storedTags(c.Tags)
	c.RequestEventID, c.RequestBody = txt(c.RequestEventID), storedBody(c.RequestBody)
	c.ResponseEventID, c.Status = txt(c.ResponseEventID), txt(c.Status)
	if c.Status == record.StatusPending {
		c.Status = ""
	}
	if c.FinishedAt != nil {
		t := storedTime(*c.FinishedAt)
		c.FinishedAt = &t
	}
	c.ServedModel, c.ErrorType, c.ErrorMessage = txt(c.ServedModel), txt(c.ErrorType), txt(c.ErrorMessage)
	c.ResponseBody, c.SpoolReason = storedBody(c.ResponseBody), txt(c.SpoolReason)
	if c.Usage != nil {
		u := *c.Usage
		u.Provider, u.Model, u.ErrorMessage = txt(u.Provider), txt(u.Model), txt(u.ErrorMessage)
		u.Method, u.Consistency = txt(u.Method), txt(u.Consistency)
		if len(u.Raw) > 0 {
			u.Raw = pg.StoredJSON(u.Raw)
		}
		c.Usage = &u
	}
	if c.Cost != nil {
		k := *c.Cost
		k.Currency = txt(strings.ToUpper(strings.TrimSpace(k.Currency)))
		if k.PricingSource = txt(k.PricingSource); k.PricingSource == "" {
			k.PricingSource = cost.SourceNotFound
		}
		k.PricingTimestamp = storedTime(k.PricingTimestamp)
		k.PricingError = txt(k.PricingError)
		for _, d := range []**decimal.Decimal{&k.InputCost, &k.OutputCost, &k.TotalCost,
			&k.InputPrice, &k.CachedInputPrice, &k.CacheWritePrice, &k.OutputPrice} {
			*d = storedAmount(*d)
		}
		c.Cost = &k
	}
	return c
}

// storedAmount returns d as it reads back from PostgreSQL through pgx: a
// zero without its scale (a stored 0.000000000000 reads as 0), any other
// amount with every decimal place it was stored with.
func storedAmount(d *decimal.Decimal) *decimal.Decimal {
	if d == nil || !d.IsZero() || d.Exponent() == 0 {
		return d
	}
	return &decimal.Decimal{}
}

func storedBody(s *string) *string {
	if s == nil {
		return nil
	}
	t := pg.StoredText(*s)
	return &t
}

// storedTags cleans every tag as jsonb stores it. Metadata keys that become
// equal keep the value of the last one in byte order, as jsonb keeps the
// last of duplicate keys of the document the writer sends (sorted keys).
func storedTags(t event.Tags) event.Tags {
	txt := pg.StoredText
	t.Environment, t.Service, t.SessionID = txt(t.Environment), txt(t.Service), txt(t.SessionID)
	t.UserID, t.RequestID = txt(t.UserID), txt(t.RequestID)
	if len(t.Metadata) > 0 {
		keys := make([]string, 0, len(t.Metadata))
		for k := range t.Metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		m := make(map[string]string, len(keys))
		for _, k := range keys {
			m[txt(k)] = txt(t.Metadata[k])
		}
		t.Metadata = m
	}
	return t
}
