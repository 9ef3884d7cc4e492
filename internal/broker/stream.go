package broker

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/harborai/ingest/pkg/event"
)

// StreamConfig is the shape of the events stream and its consumer.
type StreamConfig struct {
	Stream   string // stream name
	Consumer string // durable consumer name
	// MaxBytes bounds the stream; when full, publishes fail (DiscardNew)
	// instead of old events being deleted silently. 0 = unlimited.
	MaxBytes   int64
	MaxMsgSize int32
	Replicas   int
	// Duplicates is the de-duplication window for Nats-Msg-Id.
	Duplicates time.Duration
	AckWait    time.Duration
	// MaxAckPending must exceed the largest batch in flight.
	MaxAckPending int
	// MaxDeliver bounds redeliveries of an event the ingestor cannot store.
	MaxDeliver int
}

// DefaultStreamConfig returns the defaults documented in docs/configuration.md.
func DefaultStreamConfig() StreamConfig {
	return StreamConfig{
		Stream:        "HARBORAI_EVENTS",
		Consumer:      "harborai-ingestor",
		MaxBytes:      4 << 30,
		MaxMsgSize:    event.MaxSize,
		Replicas:      1,
		Duplicates:    2 * time.Minute,
		AckWait:       60 * time.Second,
		MaxAckPending: 20000,
		MaxDeliver:    -1,
	}
}

// EnsureStream creates or updates the events stream and the durable pull
// consumer; running it again changes nothing.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg StreamConfig) (jetstream.Consumer, error) {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "HarborAI LLM call events",
		Subjects:    []string{event.SubjectWildcard},
		Storage:     jetstream.FileStorage,
		// WorkQueue: an event is removed once the ingestor acked it, so the
		// stream holds only what is not yet stored.
		Retention:  jetstream.WorkQueuePolicy,
		Discard:    jetstream.DiscardNew,
		MaxBytes:   nonZero(cfg.MaxBytes),
		MaxMsgSize: cfg.MaxMsgSize,
		Replicas:   cfg.Replicas,
		Duplicates: cfg.Duplicates,
	})
	if err != nil {
		return nil, fmt.Errorf("create stream %s: %w", cfg.Stream, err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, cfg.Stream, jetstream.ConsumerConfig{
		Durable:       cfg.Consumer,
		Description:   "HarborAI ingestor",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.AckWait,
		MaxAckPending: cfg.MaxAckPending,
		MaxDeliver:    cfg.MaxDeliver,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", cfg.Consumer, err)
	}
	return cons, nil
}

func nonZero(n int64) int64 {
	if n == 0 {
		return -1
	}
	return n
}
