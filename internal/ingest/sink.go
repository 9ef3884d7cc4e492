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
func MergeBatch(calls []record.Call) []record.Call { return record.MergeBatch(calls, nil) }
