package ingest

import (
	"context"

	"github.com/harborai/ingest/pkg/record"
)

// Sink stores batches of call fragments. Write must be idempotent: writing
// the same fragments again, or fragments of one call in any order, leaves
// the same stored calls. When Write returns nil the batch is durable.
type Sink interface {
	Write(ctx context.Context, calls []record.Call) error
	Close() error
}

// MergeBatch merges fragments of the same call, keeping first-seen order.
func MergeBatch(calls []record.Call) []record.Call {
	idx := make(map[string]int, len(calls))
	out := calls[:0:0]
	for _, c := range calls {
		if i, ok := idx[c.CallID]; ok {
			out[i] = record.Merge(out[i], c)
			continue
		}
		idx[c.CallID] = len(out)
		out = append(out, c)
	}
	return out
}
