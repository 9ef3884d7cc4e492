package ingest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
	"github.com/harborai/ingest/pkg/spool"
)

// SpoolSink stores call fragments as spool records.
type SpoolSink struct {
	w         *spool.Writer
	reason    string
	maxRecord int // the spool's record limit (tests lower it)
}

// NewSpoolSink writes through w, marking each call with why it was spooled.
func NewSpoolSink(w *spool.Writer, reason string) *SpoolSink {
	return &SpoolSink{w: w, reason: reason, maxRecord: spool.MaxRecordBytes}
}

// Write appends the batch durably. A call larger than a spool record can
// be (a request and a response each near the event limit, merged) is left
// out and reported in a *pg.PoisonError, as PostgreSQL's rejections are, for
// the caller to quarantine: it would fail the same way on every retry.
func (s *SpoolSink) Write(ctx context.Context, calls []record.Call) error {
	payloads := make([][]byte, 0, len(calls))
	var poison *pg.PoisonError
	for i := range calls {
		c := calls[i]
		c.SpoolReason = s.reason
		b, err := json.Marshal(&c)
		if err != nil {
			return fmt.Errorf("encode call %s: %w", c.CallID, err)
		}
		if len(b) > s.maxRecord { // json.Marshal's output is compact: its length is the record's
			if poison == nil {
				poison = &pg.PoisonError{}
			}
			poison.Calls = append(poison.Calls, calls[i])
			poison.Errs = append(poison.Errs, fmt.Errorf("%w: call of %d bytes, limit %d", spool.ErrInvalidPayload, len(b), s.maxRecord))
			continue
		}
		payloads = append(payloads, b)
	}
	if err := s.w.Append(ctx, payloads); err != nil {
		return err
	}
	if poison != nil {
		return poison
	}
	return nil
}

// Close seals the active segment.
func (s *SpoolSink) Close() error { return s.w.Close() }
