package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sethvargo/go-retry"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
)

// write stores a merged batch and counts its calls once it is stored. A
// call the writer rejects as data is quarantined, and the batch counts as
// written: the rejected call would fail the same way on every run.
//
// resumed says the calls come from lines before their segment's saved
// progress, which a load wrote already: into this store, or into another
// (a spool copied from another host) or a database restored since. They
// are all written again, which changes nothing for those stored whole (a
// line may hold a part of a call, its response, whose other part is
// stored); only the calls the store lacked altogether are counted, as
// written and as missing. Without a way to tell (no Presence), they count
// as any.
func (l *dirLoad) write(ctx context.Context, calls []record.Call, resumed bool) error {
	var fresh []string // stored ids not written before by this run
	inBatch := make(map[string]bool, len(calls))
	for i := range calls {
		id := pg.StoredText(calls[i].CallID)
		if !l.seen.has(id) && !inBatch[id] {
			inBatch[id] = true
			fresh = append(fresh, id)
		}
	}
	var present map[string]bool
	if l.p != nil && len(fresh) > 0 {
		var err error
		if present, err = l.existing(ctx, fresh); err != nil {
			return err
		}
	}
	resumed = resumed && l.p != nil
	var rejected map[string]bool
	if !l.opts.DryRun {
		var err error
		if rejected, err = l.store(ctx, calls); err != nil {
			return err
		}
	}
	missing := 0
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range fresh {
		switch {
		case rejected[id], resumed && present[id]:
			continue
		case resumed:
			missing++
		case present[id]:
			l.sum.AlreadyPresent++
		}
		l.seen.add(id)
		l.sum.Calls++
	}
	if missing > 0 {
		l.sum.Missing += missing
		l.log.Warn("calls before the saved progress of a segment were not in the store: written",
			"dir", l.dir, "calls", missing)
	}
	return nil
}

// existing returns those of ids the store has (Presence), retrying
// retryable errors.
func (l *dirLoad) existing(ctx context.Context, ids []string) (map[string]bool, error) {
	var present map[string]bool
	err := l.retrying(ctx, "count existing calls", func(ctx context.Context) error {
		var err error
		present, err = l.p.Existing(ctx, ids)
		return err
	})
	return present, err
}

// store writes calls, retrying retryable errors, and quarantines the calls
// the writer rejects. It returns the stored ids of those.
func (l *dirLoad) store(ctx context.Context, calls []record.Call) (map[string]bool, error) {
	var poison *pg.PoisonError
	err := l.retrying(ctx, "write batch", func(ctx context.Context) error {
		err := l.w.Write(ctx, calls)
		if p, ok := errors.AsType[*pg.PoisonError](err); ok {
			poison = p // the rest of the batch is written
			return nil
		}
		return err
	})
	if err != nil || poison == nil {
		return nil, err
	}
	rejected := make(map[string]bool, len(poison.Calls))
	for i, c := range poison.Calls {
		raw, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("encode rejected call %s: %w", c.CallID, err)
		}
		if err := l.quarantine("poison_record", raw); err != nil {
			return nil, fmt.Errorf("call %s rejected by the store (%w); %w", c.CallID, poison.Errs[i], err)
		}
		id := pg.StoredText(c.CallID)
		l.mu.Lock()
		if !l.rejected[id] {
			l.rejected[id] = true
			l.sum.Rejected++
		}
		l.mu.Unlock()
		rejected[id] = true
		l.log.Warn("call rejected by the store, quarantined", "call_id", c.CallID, "err", poison.Errs[i])
	}
	return rejected, nil
}

// retrying runs op until it succeeds or fails with an error that is not
// retryable (pg.IsRetryable), retrying with capped exponential backoff and
// jitter for at most RetryFor. ctx ending stops it. A schema error (a table
// missing: the migrations not applied) is not retried: an operator has to
// act, and a command should say so at once.
func (l *dirLoad) retrying(ctx context.Context, what string, op func(context.Context) error) error {
	b := retry.WithMaxDuration(l.opts.RetryFor, ingest.WriteBackoff())
	var lastErr error
	err := retry.Do(ctx, b, func(ctx context.Context) error {
		err := op(ctx)
		if err == nil || !pg.IsRetryable(err) || pg.IsSchemaError(err) || ctx.Err() != nil {
			return err
		}
		lastErr = err
		l.log.Warn(what+" failed, retrying", "err", err)
		return retry.RetryableError(err)
	})
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %w", what, ctx.Err())
	case lastErr != nil && errors.Is(err, lastErr):
		return fmt.Errorf("%s: still failing after retrying for %v: %w", what, l.opts.RetryFor, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
