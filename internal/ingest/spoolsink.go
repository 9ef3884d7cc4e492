package ingest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/harborai/ingest/pkg/record"
	"github.com/harborai/ingest/pkg/spool"
)

// SpoolSink stores call fragments as spool records.
type SpoolSink struct {
	w      *spool.Writer
	reason string
}

// NewSpoolSink writes through w, marking each call with why it was spooled.
func NewSpoolSink(w *spool.Writer, reason string) *SpoolSink {
	return &SpoolSink{w: w, reason: reason}
}

// Write appends the batch durably.
func (s *SpoolSink) Write(ctx context.Context, calls []record.Call) error {
	payloads := make([][]byte, len(calls))
	for i := range calls {
		c := calls[i]
		c.SpoolReason = s.reason
		b, err := json.Marshal(&c)
		if err != nil {
			return fmt.Errorf("encode call %s: %w", c.CallID, err)
		}
		payloads[i] = b
	}
	return s.w.Append(ctx, payloads)
}

// Close seals the active segment.
func (s *SpoolSink) Close() error { return s.w.Close() }
