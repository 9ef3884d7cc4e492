package harborai

import (
	"log/slog"
	"time"

	"github.com/harborai/ingest/pkg/event"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

type options struct {
	queueSize     int
	queueBytes    int64
	maxPending    int
	ackTimeout    time.Duration
	flushInterval time.Duration
	batchMax      int
	compress      bool
	logger        *slog.Logger
	registerer    prometheus.Registerer
	environment   string
	service       string
	now           func() time.Time

	spoolDir       string
	tracerProvider trace.TracerProvider
	redact         func(ev *event.Event, part BodyPart, body string) string
	natsOptions    []nats.Option
}

func defaultOptions() options {
	return options{
		queueSize:     10000,
		queueBytes:    64 << 20,
		maxPending:    4096,
		ackTimeout:    10 * time.Second,
		flushInterval: DefaultFlushInterval,
		batchMax:      DefaultBatch,
		compress:      true,
		logger:        slog.New(slog.DiscardHandler),
		now:           time.Now,
	}
}

// Option configures a Publisher.
type Option func(*options)

// WithQueueSize bounds the events waiting to be published (default 10,000);
// past it, events are dropped and counted.
func WithQueueSize(n int) Option { return func(o *options) { o.queueSize = max(n, 1) } }

// WithQueueBytes bounds the bytes of bodies waiting to be published
// (default 64 MiB), and apart from them the bytes of messages sent and not
// yet acknowledged: while acks are slow, events wait in the queue, and
// past its bound are dropped (or spooled), counted. A publisher holds at
// most about twice this, and a message of at most 1 MiB.
func WithQueueBytes(n int64) Option { return func(o *options) { o.queueBytes = max(n, 1) } }

// WithMaxPending bounds publishes awaiting JetStream's ack (default 4,096).
func WithMaxPending(n int) Option { return func(o *options) { o.maxPending = max(n, 1) } }

// WithAckTimeout is how long a publish waits for its ack before it is
// retried (default 10s). A value <= 0 keeps the default: without a
// timeout, a lost ack would hold its event in flight for good.
func WithAckTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.ackTimeout = d
		}
	}
}

// DefaultFlushInterval is how long an event may wait in the queue, by
// default, before the background publisher takes it.
const DefaultFlushInterval = 5 * time.Millisecond

// WithFlushInterval sets how often the background publisher takes the
// queued events while events keep coming (default DefaultFlushInterval).
// Publish then never wakes it, which would cost the caller a thread
// wake-up, except when the queue is a quarter full (count or bytes) or the
// publisher has been idle for a second and sleeps. 0 wakes it at every
// Publish: events leave at once, at that cost to the caller.
func WithFlushInterval(d time.Duration) Option {
	return func(o *options) { o.flushInterval = max(d, 0) }
}

// DefaultBatch is the most events the background publisher sends in one
// NATS message, by default.
const DefaultBatch = 256

// maxBatchBytes bounds a batch message's payload (below the NATS default
// max payload of 1 MiB, headers included).
const maxBatchBytes = 1<<20 - 8<<10

// WithBatch sets the most events sent in one NATS message (default
// DefaultBatch). The background publisher sends the events it takes
// together as one batch message (event.SubjectBatch: one encoded event per
// line, at most ~1 MiB), so the broker stores, delivers and acknowledges
// one message for many events; a lone event goes as a single-event message.
// Batching adds no wait: a message holds what was queued when the publisher
// took it. 1 sends every event as its own message.
func WithBatch(n int) Option { return func(o *options) { o.batchMax = max(n, 1) } }

// WithCompression says whether batch messages are compressed (default
// true): the batch is sent as one S2 block (event.EncodingS2) when that is
// smaller, which cuts what the broker stores, copies and sends, and lets
// its stream bound hold several times more events through an outage, for
// about a microsecond of the background goroutine's time per KiB of events.
// Compressed batches need an ingestor of this release or later.
func WithCompression(on bool) Option { return func(o *options) { o.compress = on } }

// WithLogger logs the publisher's lifecycle and broker trouble (default:
// discard): a disconnect, a server that cannot be reached or refuses the
// credentials, the broker refusing events (a full stream), each kind at
// most once every 30 s, as warnings.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithNATSOptions adds options to the connection Connect makes:
// credentials, TLS, handlers. They come after Connect's own (never give up
// reconnecting, not even after refused credentials; no reconnect buffer;
// a 10 s write timeout; handlers that log to WithLogger; a dialer whose
// connection Close can cut when its deadline passes during a stuck write),
// so they win; keep the first two, or events wait in two queues. New
// ignores them: its connection is the caller's, and Close cannot cut a
// write stuck on it.
func WithNATSOptions(opts ...nats.Option) Option {
	return func(o *options) { o.natsOptions = append(o.natsOptions, opts...) }
}

// WithRegisterer registers the publisher's metrics with reg.
func WithRegisterer(reg prometheus.Registerer) Option { return func(o *options) { o.registerer = reg } }

// WithEnvironment and WithService tag every call that does not set its own.
func WithEnvironment(env string) Option { return func(o *options) { o.environment = env } }

// WithService sets the service tag of calls that carry none.
func WithService(name string) Option { return func(o *options) { o.service = name } }

// WithSpool keeps events that cannot wait in memory in a local spool in dir,
// in the pkg/spool format (one encoded event per record), instead of
// dropping them: events that find the queue full, and events still unsent
// when Close gives up. They are counted in Stats.Spooled; the replayer
// ingests the directory (`replayer dir`). Writes happen on a background
// goroutine, never on the caller's; one Publisher per directory (the spool
// locks it). Connect fails when dir cannot be opened.
func WithSpool(dir string) Option { return func(o *options) { o.spoolDir = dir } }

// WithTracerProvider makes the Transport give each recorded call an
// OpenTelemetry CLIENT span from tp, following the GenAI semantic
// conventions, whose trace and span ids are the call's. tp is the
// application's own; the global provider is never read nor replaced.
// Without this option no span work is done.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracerProvider = tp }
}

// BodyPart says which body a redaction hook is given.
type BodyPart string

// The bodies of an event.
const (
	RequestBody  BodyPart = "request"
	ResponseBody BodyPart = "response"
)

// WithRedactBodies sets a hook that rewrites every request and response
// body before it leaves the process (published, or written to the local
// spool): fn gets the event, to read its kind, provider, model and ids
// (not to modify), which body it is, and the body; it returns the body to
// publish ("" publishes none). It runs on the publisher's background
// goroutines, never the caller's: with WithSpool, on the one that writes
// the spool too, at the same time, so fn must be safe for concurrent use.
//
// The ingestor reads token usage from the response body: a hook that
// rewrites message content must leave the vendor's usage fields as they
// are, or the call is stored without usage and cost.
func WithRedactBodies(fn func(ev *event.Event, part BodyPart, body string) string) Option {
	return func(o *options) { o.redact = fn }
}
