package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/sethvargo/go-retry"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
)

// Config tunes the pipeline.
type Config struct {
	// BatchSize is the most events written in one batch.
	BatchSize int
	// FlushInterval bounds how long a partial batch waits for more events.
	FlushInterval time.Duration
	// MaxEventBytes rejects larger events (0 = event.MaxSize).
	MaxEventBytes int
	// WriteTimeout bounds one attempt to write a batch; 0 leaves it to the
	// sink (pg.Writer bounds each of its statements, and a batch it writes
	// in parts can take longer as a whole).
	WriteTimeout time.Duration
	// AckWait is the consumer's ack wait; the messages the pipeline holds
	// are kept in progress every third of it, so JetStream does not
	// redeliver them while they wait for a slow store.
	AckWait time.Duration
	// ShutdownTimeout bounds the final flush at shutdown.
	ShutdownTimeout time.Duration
	// Writers is the number of batches written at once (>= 1).
	Writers int
	Build   BuildOptions
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		BatchSize:       1000,
		FlushInterval:   50 * time.Millisecond,
		WriteTimeout:    15 * time.Second,
		AckWait:         60 * time.Second,
		ShutdownTimeout: 10 * time.Second,
		Writers:         2,
		Build:           BuildOptions{KeepBodies: true},
	}
}

// Quarantiner keeps rejected input with its reason.
type Quarantiner interface {
	Quarantine(reason string, raw []byte, detail string) error
}

// Pipeline consumes events and writes them through a sink.
type Pipeline struct {
	cfg        Config
	cons       jetstream.Consumer
	sink       Sink
	sinkName   string
	pricer     Pricer
	quarantine Quarantiner
	metrics    *Metrics
	log        *slog.Logger
	onWrite    func(error)
	ready      atomic.Bool
	stored     atomic.Int64
	reader     event.MessageReader // prepare's; batch messages decompress into it
	held       heldMsgs
}

// Deps are the pipeline's collaborators.
type Deps struct {
	Consumer   jetstream.Consumer
	Sink       Sink
	SinkName   string
	Pricer     Pricer
	Quarantine Quarantiner
	Metrics    *Metrics
	Logger     *slog.Logger
	// OnWrite, when set, learns the outcome of every write attempt.
	OnWrite func(error)
}

// New returns a pipeline; Run starts it.
func New(cfg Config, d Deps) *Pipeline {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{cfg: cfg, cons: d.Consumer, sink: d.Sink, sinkName: d.SinkName, pricer: d.Pricer,
		quarantine: d.Quarantine, metrics: d.Metrics, log: d.Logger, onWrite: d.OnWrite}
}

// Ready reports whether the pipeline is consuming.
func (p *Pipeline) Ready() bool { return p.ready.Load() }

// Stored returns the number of events acknowledged after a successful write.
func (p *Pipeline) Stored() int64 { return p.stored.Load() }

// Run consumes until ctx is cancelled, then writes the batches already
// taken within the shutdown timeout. Events not written by then are left
// unacknowledged (or handed back) and JetStream redelivers them.
//
// Two stages run at once: the batcher decodes and builds the next batch
// while Writers goroutines write the previous ones, so parsing and pricing
// overlap with the store's I/O.
func (p *Pipeline) Run(ctx context.Context) error {
	msgs := make(chan jetstream.Msg, msgBuffer)
	cc, err := p.cons.Consume(func(m jetstream.Msg) {
		if ctx.Err() != nil { // stopping: hand it back, never buffer it
			p.handBack(m)
			return
		}
		p.held.add(m)
		select {
		case msgs <- m:
		case <-ctx.Done():
			p.handBack(m)
		}
	}, jetstream.PullMaxBytes(p.pullBytes()),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			p.log.Warn("consume", "err", err)
		}))
	if err != nil {
		return fmt.Errorf("start consuming: %w", err)
	}
	p.ready.Store(true)
	defer p.ready.Store(false)

	// Writes get until ShutdownTimeout after ctx ends to finish what was taken.
	wctx, cancelWrites := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWrites()
	stopTimer := context.AfterFunc(ctx, func() { time.AfterFunc(p.cfg.ShutdownTimeout, cancelWrites) })
	defer stopTimer()

	prepared := make(chan preparedBatch, max(p.cfg.Writers, 1))
	var wg sync.WaitGroup
	wg.Go(func() { p.watchLag(ctx) })
	// Until Run returns, shutdown writes included.
	heldCtx, stopHeld := context.WithCancel(context.WithoutCancel(ctx))
	var heldWG sync.WaitGroup
	heldWG.Go(func() { p.held.keepInProgress(heldCtx, p.cfg.AckWait/3) })
	defer heldWG.Wait()
	defer stopHeld()
	for range max(p.cfg.Writers, 1) {
		wg.Go(func() {
			for b := range prepared {
				p.commit(wctx, b)
			}
		})
	}
	p.batch(ctx, msgs, prepared)
	// Drain, not Stop: Stop would discard what the consumer has received
	// but not handed over yet, and JetStream would redeliver it only after
	// the ack wait. Drained, it passes through the callback, which hands it
	// back now that ctx is done.
	cc.Drain()
	select {
	case <-cc.Closed():
	case <-time.After(drainWait):
		p.log.Warn("consumer not drained in time; what it holds is redelivered after the ack wait", "waited", drainWait)
		cc.Stop()
	}
	close(prepared)
	wg.Wait()
	for {
		select {
		case m := <-msgs: // buffered, never started
			p.handBack(m)
		default:
			return nil
		}
	}
}

// handBack returns a message received at shutdown to JetStream, for
// redelivery after handBackDelay: to another ingestor, or to this one once
// it runs again, instead of after the ack wait. A plain Nak would be
// redelivered at once, to this consumer's pull request still open while it
// drains, and be lost to the ack wait when it closes.
func (p *Pipeline) handBack(m jetstream.Msg) { p.settle(m, nakDelay(handBackDelay)) }

const handBackDelay = time.Second

// settle acknowledges, hands back or terminates m (how), and stops keeping
// it in progress.
func (p *Pipeline) settle(m jetstream.Msg, how func(jetstream.Msg) error) {
	p.held.remove(m)
	_ = how(m)
}

// nakDelay is the settling that hands a message back for redelivery after d.
func nakDelay(d time.Duration) func(jetstream.Msg) error {
	return func(m jetstream.Msg) error { return m.NakWithDelay(d) }
}

// heldMsgs are the messages the pipeline took and has not settled yet:
// waiting for the batcher, in a batch waiting for a writer, or being
// written. While the store is slow or away they may wait longer than the
// ack wait; kept in progress, they are not redelivered meanwhile, to be
// written, and counted in the metrics, a second time. (Messages still in
// the NATS client's pull buffer are not ours yet: an outage longer than the
// ack wait redelivers those, and the store's idempotence absorbs them.)
type heldMsgs struct {
	mu   sync.Mutex
	msgs map[jetstream.Msg]struct{}
}

func (h *heldMsgs) add(m jetstream.Msg) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.msgs == nil {
		h.msgs = make(map[jetstream.Msg]struct{})
	}
	h.msgs[m] = struct{}{}
}

func (h *heldMsgs) remove(m jetstream.Msg) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.msgs, m)
}

// touch tells JetStream m is in progress, if it is still held: settled
// meanwhile (handed back with a delay, say), a late "in progress" would
// restart its ack wait. settle removes m under mu before settling it.
func (h *heldMsgs) touch(m jetstream.Msg) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.msgs[m]; ok {
		_ = m.InProgress()
	}
}

// keepInProgress tells JetStream every interval that the held messages
// are in progress, until ctx ends.
func (h *heldMsgs) keepInProgress(ctx context.Context, every time.Duration) {
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var msgs []jetstream.Msg
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h.mu.Lock()
		msgs = msgs[:0]
		for m := range h.msgs {
			msgs = append(msgs, m)
		}
		h.mu.Unlock()
		for _, m := range msgs {
			h.touch(m)
		}
	}
}

// drainWait bounds the wait for the consumer to hand back what it holds at
// shutdown.
const drainWait = 5 * time.Second

// msgBuffer is the most messages taken from JetStream and waiting for the
// batcher; the consumer's pull buffer (pullBytes) holds the next ones.
const msgBuffer = 16

// pullBytes bounds the bytes the consumer buffers ahead: two batches of
// 4 KiB events, and never less than two messages of the largest size the
// broker takes (a message larger than the pull's byte limit would stall the
// consumer). That is MaxEventBytes or event.MaxSize, whichever is larger:
// the broker takes events up to event.MaxSize even when MaxEventBytes is
// smaller, so that they reach the ingestor and are quarantined as oversize.
// A bound in messages would not do: a batch message may hold hundreds of
// events.
func (p *Pipeline) pullBytes() int {
	largest := max(p.cfg.MaxEventBytes, event.MaxSize)
	return max(2*p.cfg.BatchSize*4<<10, 2*largest+64<<10)
}

// batch collects messages into batches of up to BatchSize, waiting at most
// FlushInterval after the first, prepares them and hands them to the
// writers, until ctx ends.
func (p *Pipeline) batch(ctx context.Context, msgs <-chan jetstream.Msg, out chan<- preparedBatch) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		// A batch holds whole messages; events counts what they declare.
		var batch []jetstream.Msg
		events := 0
		select {
		case m := <-msgs:
			batch = append(batch, m)
			events += eventsIn(m)
		case <-ctx.Done():
			return
		}
		timer.Reset(p.cfg.FlushInterval)
		done := false
	fill:
		for events < p.cfg.BatchSize {
			select {
			case m := <-msgs:
				batch = append(batch, m)
				events += eventsIn(m)
			case <-timer.C:
				break fill
			case <-ctx.Done():
				done = true
				break fill
			}
		}
		timer.Stop()
		if b, ok := p.prepare(batch); ok {
			out <- b // the open batch is written even at shutdown
		}
		if done {
			return
		}
	}
}

// preparedBatch is a batch decoded and built, ready to write.
type preparedBatch struct {
	calls  []record.Call
	msgs   []jetstream.Msg
	events int // events in msgs not rejected
}

// eventsIn is the number of events m declares (its batch count, or 1).
func eventsIn(m jetstream.Msg) int {
	return event.BatchCount(m.Headers()[event.HeaderBatchCount])
}

// prepare decodes and builds a batch, quarantining malformed events. A
// batch message's events are decoded one by one: a bad line is quarantined
// alone and the message is acknowledged with the others once they are
// stored (a compressed batch that cannot be decompressed is quarantined
// whole). If a line cannot be quarantined, its whole message is handed
// back for redelivery. prepare runs on the batcher goroutine only.
func (p *Pipeline) prepare(batch []jetstream.Msg) (preparedBatch, bool) {
	declared := 0
	for _, m := range batch {
		declared += eventsIn(m)
	}
	// A call is ~600 bytes: no regrowing. What messages declare is not
	// trusted beyond twice the batch size.
	calls := make([]record.Call, 0, min(declared, 2*max(p.cfg.BatchSize, 1)))
	good := make([]jetstream.Msg, 0, len(batch))
	events := 0
	for _, m := range batch {
		if md, err := m.Metadata(); err == nil && md.NumDelivered > 1 {
			p.metrics.Redeliveries.Add(float64(eventsIn(m)))
		}
		start, kept := len(calls), true
		if events, err := p.reader.Events(m.Headers(), m.Data()); err != nil {
			// A compressed batch that cannot be read: its events cannot
			// be told apart; the message is quarantined whole.
			kept = p.reject(m, m.Data(), err)
		} else {
			for data := range events {
				if calls, kept = p.add(calls, m, data); !kept {
					break
				}
			}
		}
		switch {
		case !kept:
			calls = calls[:start]
			p.settle(m, nakDelay(5*time.Second))
		case len(calls) == start:
			p.settle(m, jetstream.Msg.Term) // nothing in it could be read; all quarantined
		default:
			good = append(good, m)
			events += len(calls) - start
		}
	}
	if len(good) == 0 {
		return preparedBatch{}, false
	}
	calls = MergeBatch(calls)
	// One order for every batch, whatever the sink. PostgreSQL's writer
	// sorts again by the id as stored (pg.Writer.Write), which is what
	// keeps concurrent writers from deadlocking; here that costs a pass
	// over sorted calls.
	slices.SortFunc(calls, func(a, b record.Call) int { return strings.Compare(a.CallID, b.CallID) })
	return preparedBatch{calls: calls, msgs: good, events: events}, true
}

// add decodes one event of m and appends its fragment to calls; a
// malformed event is quarantined instead. It reports false when the event
// could be neither read nor quarantined.
func (p *Pipeline) add(calls []record.Call, m jetstream.Msg, data []byte) ([]record.Call, bool) {
	ev, err := event.Decode(data, p.cfg.MaxEventBytes)
	if err != nil {
		return calls, p.reject(m, data, err)
	}
	p.metrics.EventsReceived.WithLabelValues(string(ev.Kind)).Inc()
	return append(calls, Build(ev, p.pricer, p.cfg.Build)), true
}

// commit writes a prepared batch and acknowledges its events.
func (p *Pipeline) commit(ctx context.Context, b preparedBatch) {
	rejected, err := p.write(ctx, b.calls, b.msgs)
	if err != nil {
		// Not stored: JetStream redelivers these events.
		for _, m := range b.msgs {
			p.settle(m, nakDelay(time.Second))
		}
		if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			p.log.Error("write batch", "sink", p.sinkName, "events", b.events, "err", err)
		}
		return
	}
	for _, m := range b.msgs {
		p.settle(m, jetstream.Msg.Ack)
	}
	p.stored.Add(int64(b.events))
	p.metrics.BatchSize.Observe(float64(b.events))
	stored := b.calls
	if len(rejected) > 0 {
		// Quarantined, not stored: their tokens and cost are not counted.
		stored = slices.DeleteFunc(slices.Clone(b.calls), func(c record.Call) bool { return rejected[c.CallID] })
	}
	p.metrics.observeStored(stored)
}

// write retries the batch with backoff until it is stored or ctx ends,
// telling JetStream the events are in progress meanwhile. It returns the
// ids of the calls the store rejected as data, which are quarantined.
func (p *Pipeline) write(ctx context.Context, calls []record.Call, msgs []jetstream.Msg) (map[string]bool, error) {
	var rejected map[string]bool
	b := WriteBackoff()
	var lastErr error
	err := retry.Do(ctx, b, func(ctx context.Context) error {
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if p.cfg.WriteTimeout > 0 {
			wctx, cancel = context.WithTimeout(ctx, p.cfg.WriteTimeout)
		}
		defer cancel()
		start := time.Now()
		err := p.sink.Write(wctx, calls)
		p.metrics.BatchLatency.WithLabelValues(p.sinkName).Observe(time.Since(start).Seconds())
		poison, rejectedSome := errors.AsType[*pg.PoisonError](err)
		if p.onWrite != nil {
			// The store's health: it answered when it rejected some calls
			// as data, whatever happens to their quarantine (a local disk).
			if rejectedSome {
				p.onWrite(nil)
			} else {
				p.onWrite(err)
			}
		}
		if rejectedSome {
			// The rest of the batch is written; keep the rejected calls aside.
			if err = p.quarantineCalls(poison); err == nil {
				rejected = make(map[string]bool, len(poison.Calls))
				for _, c := range poison.Calls {
					rejected[c.CallID] = true
				}
			}
		}
		if err != nil {
			p.metrics.WriteErrors.WithLabelValues(p.sinkName).Inc()
			lastErr = err
			p.log.Warn("write batch failed, retrying", "sink", p.sinkName, "err", err)
			return retry.RetryableError(err)
		}
		return nil
	})
	if err != nil && lastErr != nil {
		return nil, fmt.Errorf("write batch: %w (last error: %w)", err, lastErr)
	}
	return rejected, err
}

// WriteBackoff is how a failed batch write is retried, by the pipeline and
// the replayer: from 100 ms, doubling, capped at 5 s, with 20% jitter so
// that writers do not retry in step.
func WriteBackoff() retry.Backoff {
	b := retry.NewExponential(100 * time.Millisecond)
	b = retry.WithCappedDuration(5*time.Second, b)
	return retry.WithJitterPercent(20, b)
}

// quarantineCalls keeps the calls PostgreSQL rejected as data.
func (p *Pipeline) quarantineCalls(poison *pg.PoisonError) error {
	for i, c := range poison.Calls {
		raw, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("encode poison call %s: %w", c.CallID, err)
		}
		if err := p.quarantine.Quarantine("poison_record", raw, poison.Errs[i].Error()); err != nil {
			return fmt.Errorf("quarantine poison call %s: %w", c.CallID, err)
		}
		p.metrics.EventsRejected.WithLabelValues("poison_record").Inc()
		p.log.Warn("call rejected by the store, quarantined", "call_id", c.CallID, "err", poison.Errs[i])
	}
	return nil
}

// reject quarantines a malformed event of m. It reports false when the
// event could not be quarantined: m must then stay in JetStream.
func (p *Pipeline) reject(m jetstream.Msg, data []byte, err error) bool {
	reason := event.RejectReason(err)
	if reason == "" {
		reason = "invalid"
	}
	if qerr := p.quarantine.Quarantine(reason, data, err.Error()); qerr != nil {
		p.log.Error("quarantine event", "reason", reason, "err", qerr)
		return false
	}
	p.metrics.EventsRejected.WithLabelValues(reason).Inc()
	p.log.Warn("event rejected", "reason", reason, "err", err, "subject", m.Subject())
	return true
}

func (p *Pipeline) watchLag(ctx context.Context) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			ictx, cancel := context.WithTimeout(ctx, time.Second)
			info, err := p.cons.Info(ictx)
			cancel()
			if err == nil {
				p.metrics.ConsumerPending.Set(float64(info.NumPending))
				p.metrics.AckPending.Set(float64(info.NumAckPending))
			}
		}
	}
}
