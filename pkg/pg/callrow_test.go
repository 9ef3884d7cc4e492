package pg

import (
	"encoding/json"
	"strings"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/record"
)

// This file is the writer's former row builder, for pgx's CopyFrom: the
// reference copyRows is held to (TestCopyRowsMatchPgx) and the rows of the
// CopyFrom baseline benchmark.

// callRow returns the values of c in the order of callColumns, for pgx. It converts
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
		optTags(c.Tags),
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
			optText(u.Method), u.Confidence, optText(u.Consistency), u.TotalDerived,
		)
	} else {
		row = append(row, make([]any, 16)...)
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
			optText(k.PricingError),
		)
	} else {
		row = append(row, make([]any, 12)...)
	}
	return append(row, optText(c.SpoolReason))
}

func rawJSON(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return cleanJSON(raw)
}

func optTags(t event.Tags) any {
	if t.IsZero() {
		return nil
	}
	return tagsJSON(t)
}

// tagsJSON returns t as a jsonb document (cleanJSON).
func tagsJSON(t event.Tags) []byte {
	b, err := json.Marshal(t)
	if err != nil { // cannot happen: strings and a map of strings
		return []byte("{}")
	}
	return cleanJSON(b)
}
