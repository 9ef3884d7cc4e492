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
		finishedAt, pricedAt                          *time.Time
		prompt, completion, total, cached, reasoning  *int64
		cacheWrite, unit                              *int64
		usageMissing, isError                         *bool
		usageProvider, usageModel, usageErr           *string
		method, consistency, currency, source         *string
		confidence                                    *float64
		inCost, outCost, totalCost                    pgtype.Numeric
		inPrice, cachedPrice, writePrice, outPrice    pgtype.Numeric
	)
	err := row.Scan(
		&c.CallID, &hb, &trace, &span, &parent,
		&c.Provider, &model, &endpoint, &c.Stream, &startedAt, &tags, &env,
		&reqEvent, &c.RequestBody,
		&respEvent, &status, &c.HTTPStatus, &finishedAt, &c.LatencyMS, &c.TTFTMS, &c.TokensPerSecond,
		&served, &errType, &errMsg, &c.ResponseBody,
		&prompt, &completion, &total, &cached, &reasoning, &cacheWrite,
		&usageMissing, &isError, &usageProvider, &usageModel, &usageErr, &raw,
		&method, &confidence, &consistency,
		&inCost, &outCost, &totalCost, &currency, &source, &pricedAt, &unit,
		&inPrice, &cachedPrice, &writePrice, &outPrice,
		&spool,
	)
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
		k := &cost.Info{Currency: str(currency), PricingSource: *source}
		if pricedAt != nil {
			k.PricingTimestamp = pricedAt.UTC()
		}
		if unit != nil {
			k.Unit = *unit
		}
		for _, f := range []struct {
			dst **decimal.Decimal
			src pgtype.Numeric
		}{
			{&k.InputCost, inCost}, {&k.OutputCost, outCost}, {&k.TotalCost, totalCost},
			{&k.InputPrice, inPrice}, {&k.CachedInputPrice, cachedPrice},
			{&k.CacheWritePrice, writePrice}, {&k.OutputPrice, outPrice},
		} {
			if *f.dst, err = toDecimal(f.src); err != nil {
				return record.Call{}, fmt.Errorf("call %s: %w", c.CallID, err)
			}
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
