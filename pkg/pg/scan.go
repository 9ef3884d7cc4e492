package pg

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/parse"
	"github.com/harborai/ingest/pkg/record"
)

// costScan holds the scanned cost columns (input_cost .. pricing_error, in
// the order of callColumns) until fill puts them in a cost.Info.
type costScan struct {
	inCost, outCost, totalCost                 pgtype.Numeric
	currency                                   *string
	pricedAt                                   *time.Time
	unit                                       *int64
	inPrice, cachedPrice, writePrice, outPrice pgtype.Numeric
	pricingErr                                 *string
}

// targets returns the scan targets, with source in its place.
func (cs *costScan) targets(source any) []any {
	return []any{&cs.inCost, &cs.outCost, &cs.totalCost, &cs.currency, source, &cs.pricedAt, &cs.unit,
		&cs.inPrice, &cs.cachedPrice, &cs.writePrice, &cs.outPrice, &cs.pricingErr}
}

// fill sets k's currency, timestamp, unit, costs, prices and pricing error.
func (cs *costScan) fill(k *cost.Info) error {
	k.Currency, k.PricingError = str(cs.currency), str(cs.pricingErr)
	if cs.pricedAt != nil {
		k.PricingTimestamp = cs.pricedAt.UTC()
	}
	if cs.unit != nil {
		k.Unit = *cs.unit
	}
	for _, f := range []struct {
		dst **decimal.Decimal
		src pgtype.Numeric
	}{
		{&k.InputCost, cs.inCost}, {&k.OutputCost, cs.outCost}, {&k.TotalCost, cs.totalCost},
		{&k.InputPrice, cs.inPrice}, {&k.CachedInputPrice, cs.cachedPrice},
		{&k.CacheWritePrice, cs.writePrice}, {&k.OutputPrice, cs.outPrice},
	} {
		var err error
		if *f.dst, err = toDecimal(f.src); err != nil {
			return err
		}
	}
	return nil
}

// scanCall reads a row of callColumns back into a call: the inverse of
// callRow (NULL text is ""; times are UTC; costs keep their scale).
func scanCall(row pgx.Row) (record.Call, error) {
	var (
		c                                             record.Call
		hb, trace, span, parent, model, endpoint, env *string
		reqEvent, respEvent, status, served           *string
		errType, errMsg, spool                        *string
		tags, raw                                     []byte
		startedAt                                     time.Time
		finishedAt                                    *time.Time
		prompt, completion, total, cached, reasoning  *int64
		cacheWrite                                    *int64
		usageMissing, isError, totalDerived           *bool
		usageProvider, usageModel, usageErr           *string
		method, consistency, source                   *string
		confidence                                    *float64
		cs                                            costScan
	)
	targets := []any{
		&c.CallID, &hb, &trace, &span, &parent,
		&c.Provider, &model, &endpoint, &c.Stream, &startedAt, &tags, &env,
		&reqEvent, &c.RequestBody,
		&respEvent, &status, &c.HTTPStatus, &finishedAt, &c.LatencyMS, &c.TTFTMS, &c.TokensPerSecond,
		&served, &errType, &errMsg, &c.ResponseBody,
		&prompt, &completion, &total, &cached, &reasoning, &cacheWrite,
		&usageMissing, &isError, &usageProvider, &usageModel, &usageErr, &raw,
		&method, &confidence, &consistency, &totalDerived,
	}
	targets = append(targets, cs.targets(&source)...)
	err := row.Scan(append(targets, &spool)...)
	if err != nil {
		return record.Call{}, err
	}
	_ = env // Tags.Environment comes from tags; the column is for queries.
	c.HBTraceID, c.TraceID, c.SpanID, c.ParentSpanID = str(hb), str(trace), str(span), str(parent)
	c.Model, c.Endpoint, c.StartedAt = str(model), str(endpoint), startedAt.UTC()
	if tags != nil {
		if err := json.Unmarshal(tags, &c.Tags); err != nil {
			return record.Call{}, fmt.Errorf("call %s: tags: %w", c.CallID, err)
		}
	}
	c.RequestEventID, c.ResponseEventID, c.Status = str(reqEvent), str(respEvent), str(status)
	if finishedAt != nil {
		t := finishedAt.UTC()
		c.FinishedAt = &t
	}
	c.ServedModel, c.ErrorType, c.ErrorMessage, c.SpoolReason = str(served), str(errType), str(errMsg), str(spool)
	if usageMissing != nil {
		u := &parse.Usage{
			PromptTokens: prompt, CompletionTokens: completion, TotalTokens: total,
			CachedTokens: cached, ReasoningTokens: reasoning, CacheWriteTokens: cacheWrite,
			UsageMissing: *usageMissing, IsError: isError != nil && *isError,
			Provider: str(usageProvider), Model: str(usageModel), ErrorMessage: str(usageErr),
			Method: str(method), Consistency: str(consistency),
			TotalDerived: totalDerived != nil && *totalDerived,
		}
		if confidence != nil {
			u.Confidence = *confidence
		}
		if raw != nil {
			u.Raw = json.RawMessage(raw)
		}
		c.Usage = u
	}
	if source != nil {
		k := &cost.Info{PricingSource: *source}
		if err := cs.fill(k); err != nil {
			return record.Call{}, fmt.Errorf("call %s: %w", c.CallID, err)
		}
		c.Cost = k
	}
	return c, nil
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// toDecimal converts a numeric exactly, keeping its scale; NULL is nil.
func toDecimal(n pgtype.Numeric) (*decimal.Decimal, error) {
	if !n.Valid {
		return nil, nil
	}
	if n.NaN || n.InfinityModifier != pgtype.Finite {
		return nil, fmt.Errorf("numeric %v is not a finite number", n)
	}
	d := decimal.NewFromBigInt(n.Int, n.Exp)
	return &d, nil
}
