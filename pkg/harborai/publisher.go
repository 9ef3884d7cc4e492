package harborai

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sethvargo/go-retry"

	"github.com/harborai/ingest/pkg/event"
)

// Publisher publishes events in the background. It is safe for concurrent
// use.
type Publisher struct {
	opts    options
	nc      *nats.Conn
	ownConn bool
	js      jetstream.JetStream
	redact  *redactor // nil without WithRedactBodies

	queue      chan queued
	queued     atomic.Int64 // events in queue; may dip below zero while a Publish finishes
	queueBytes atomic.Int64
	lingering  atomic.Int64  // calls still reading an error body the application closed (closeGrace), their event to come
	wakeCount  int64         // queued events that wake run at once
	wakeBytes  int64         // queued bytes that wake run at once
	wake       chan struct{} // nudges run; one token at most
	parked     atomic.Bool   // run waits for a nudge, with no timer
	retries    chan *nats.Msg
	tooBig     sync.Map // *nats.Msg in retries that the stream refused as too large
	inflight   atomic.Int64
	// streamSize is about the bytes of a recent response body of unknown
	// length (a stream, mostly): what the next one's copy starts with
	// (streamBuffer).
	streamSize atomic.Int64
	// inflightBytes is the payload bytes of the messages sent and not
	// acked yet (retries included): bounded by WithQueueBytes as the
	// queue is, so slow acks cannot grow memory without end.
	inflightBytes atomic.Int64
	// attempts holds each publish attempt awaiting its ack or failure:
	// the *nats.Msg handed to PublishMsgAsync (a copy per attempt) -> the
	// message. Whoever takes an attempt out first owns its outcome: the
	// ack, the failure, send on a synchronous error, or Close.
	attempts sync.Map
	failures atomic.Int64 // consecutive publish failures, for backoff
	warned   sync.Map     // message -> *atomic.Int64: when it was last logged (unix ns), see warn
	dialer   *connDialer  // Connect's dialer, to cut a stuck write at Close; nil for New
	metrics  *collector   // registered with opts.registerer; nil without

	c         counters
	spill     *spiller      // WithSpool's local spool; nil without
	held      []*nats.Msg   // the messages run had in hand when Close gave up
	carry     encoded       // taken from the queue, for the next message
	payloads  sync.Pool     // *[]byte: message payload buffers, reused
	recycle   sync.Map      // *nats.Msg -> its payload's *[]byte, released at its ack
	bo        retry.Backoff // the run goroutine's backoff while publishes fail
	closing   chan struct{}
	abort     chan struct{} // Close's deadline passed: give up
	closed    atomic.Bool
	mu        sync.RWMutex // orders Publish against Close
	abortOnce sync.Once
	done      chan struct{}

	// ackMu orders acks and failures against Close: once settled, Close
	// has counted every event not yet acked (dropped or spooled), and an
	// ack or failure arriving later changes nothing.
	ackMu   sync.Mutex
	settled bool
}

// Connect returns a publisher to the NATS server at url (servers separated
// by commas). It tries each server once before it returns, each within
// 500 ms: a server that accepts and never answers, or a host that drops
// the packets, does not hold the application's start for longer. If none
// answers, Connect returns all the same, nats.go goes on trying in the
// background (each attempt bounded by nats.Timeout, 2 s by default), and
// events queue (up to the bound) until a server is reachable. With the
// application's own dialer (nats.SetCustomDialer), or without the
// background retry (nats.RetryOnFailedConnect(false), when Connect fails
// if no server answers), nats.Timeout bounds each first attempt instead.
func Connect(url string, opts ...Option) (*Publisher, error) {
	o := defaultOptions()
	for _, f := range opts {
		f(&o)
	}
	var pub atomic.Pointer[Publisher] // set once made; the handlers may run before
	logf := func(level slog.Level, msg string, args ...any) {
		if p := pub.Load(); p != nil && !p.closed.Load() {
			p.warn(level, msg, args...)
		}
	}
	no := nats.GetDefaultOptions()
	for _, s := range strings.Split(url, ",") { // as nats.Connect reads url
		if s = strings.TrimSpace(s); s != "" {
			no.Servers = append(no.Servers, s)
		}
	}
	for _, f := range append([]nats.Option{
		nats.Name("harborai-publisher"),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		// An authorization error (credentials rotated, an account resolver
		// slow to answer) would otherwise close the connection for good
		// after two in a row: keep trying, as for any other failure.
		nats.IgnoreAuthErrorAbort(),
		// No reconnect buffer: while disconnected, events wait in our own
		// bounded queue, which is counted and flushed on Close.
		nats.ReconnectBufSize(-1),
		// A write to a server that stopped reading (frozen, a half-open
		// connection) fails after this, and the connection is made again,
		// rather than after nats.go's minute.
		nats.FlusherTimeout(flusherTimeout),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			logf(slog.LevelWarn, "harborai: disconnected from NATS; events wait in the queue", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			logf(slog.LevelInfo, "harborai: reconnected to NATS", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			logf(slog.LevelWarn, "harborai: cannot reconnect to NATS yet; events wait in the queue", "err", err)
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			// The server's errors: an authorization violation, among others.
			logf(slog.LevelWarn, "harborai: NATS error", "err", err)
		}),
	}, o.natsOptions...) {
		if f == nil {
			continue
		}
		if err := f(&no); err != nil {
			return nil, fmt.Errorf("harborai: NATS option: %w", err)
		}
	}
	var dialer *connDialer
	if no.CustomDialer == nil { // the application's own dialer wins
		dialer = &connDialer{d: net.Dialer{Timeout: no.Timeout}}
		dialer.ctx, dialer.stop = context.WithCancel(context.Background())
		if no.Dialer != nil {
			dialer.d = *no.Dialer
		}
		if no.AllowMultipathTCP != nil {
			dialer.d.SetMultipathTCP(*no.AllowMultipathTCP)
		}
		no.CustomDialer = dialer
		// Each first attempt, at each server of url, ends within
		// connectWithin: a server that accepts and never answers must not
		// hold the application's start for nats.Timeout. When none
		// answered, nats.go goes on trying in the background, with
		// nats.Timeout, while events queue; without that retry (an
		// application's RetryOnFailedConnect(false)), Connect would fail
		// instead, so nats.Timeout is left to bound it.
		dialer.connecting.Store(no.RetryOnFailedConnect)
	}
	nc, err := no.Connect()
	if dialer != nil {
		dialer.connecting.Store(false)
	}
	if err != nil {
		return nil, &connectError{msg: redactURLs(fmt.Sprintf("harborai: connect to %s: %v", url, err), url), err: err}
	}
	p, err := newPublisher(nc, true, opts)
	if err != nil {
		nc.Close()
		return nil, err
	}
	p.dialer = dialer
	pub.Store(p)
	return p, nil
}

// flusherTimeout bounds a write to the server (nats.FlusherTimeout).
const flusherTimeout = 10 * time.Second

// connDialer dials as net.Dialer does and keeps the connection made last,
// so that Close can cut a write stuck on it (a frozen server) when its
// deadline passes: nats.go holds its lock through the write.
type connDialer struct {
	d    net.Dialer
	last atomic.Pointer[net.Conn]
	// connecting is set while Connect runs: its attempts (dial,
	// handshake, the server's INFO) end within connectWithin each.
	connecting atomic.Bool
	// ctx ends when stop is called (Close): a dial in flight fails.
	ctx  context.Context
	stop context.CancelFunc
}

// abort fails the connection attempt in flight, dial or handshake, and any
// later one: nats.go holds the connection's lock through a reconnection's
// handshake, up to nats.Timeout, which Close would otherwise wait for.
func (d *connDialer) abort() {
	d.stop()
	d.cut()
}

// connectWithin bounds each of Connect's first attempts.
const connectWithin = 500 * time.Millisecond

func (d *connDialer) Dial(network, address string) (net.Conn, error) {
	var c net.Conn
	var err error
	if d.connecting.Load() {
		until := time.Now().Add(connectWithin)
		ctx, cancel := context.WithDeadline(d.ctx, until)
		c, err = d.d.DialContext(ctx, network, address)
		cancel()
		if err == nil {
			// A deadline from the start: a TLS handshake before the
			// server's INFO (wss://, TLSHandshakeFirst) sets none of its
			// own. nats.go clears it once connected.
			_ = c.SetDeadline(until)
			c = &boundConn{Conn: c, until: until, connecting: &d.connecting}
		}
	} else {
		c, err = d.d.DialContext(d.ctx, network, address)
	}
	if err != nil {
		return nil, err
	}
	// Stored before ctx is looked at: abort stops ctx before it cuts the
	// connection stored last, so a connection made meanwhile is cut by one
	// or the other.
	d.last.Store(&c)
	if err := d.ctx.Err(); err != nil { // stopped while dialing
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// boundConn is a connection made while Connect runs: the deadlines nats.go
// sets for its handshake (nats.Timeout) are cut to until while Connect
// runs. Clearing a deadline, and any deadline after Connect, is passed on
// as it is.
type boundConn struct {
	net.Conn
	until      time.Time
	connecting *atomic.Bool
}

func (c *boundConn) SetDeadline(t time.Time) error      { return c.Conn.SetDeadline(c.bound(t)) }
func (c *boundConn) SetReadDeadline(t time.Time) error  { return c.Conn.SetReadDeadline(c.bound(t)) }
func (c *boundConn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(c.bound(t)) }

// bound returns t, cut to until while Connect runs.
func (c *boundConn) bound(t time.Time) time.Time {
	if c.connecting.Load() && !t.IsZero() && t.After(c.until) {
		return c.until
	}
	return t
}

// cut closes the connection made last: a write blocked on it fails.
func (d *connDialer) cut() {
	if c := d.last.Load(); c != nil {
		_ = (*c).Close()
	}
}

// connectError is Connect's error: nats.go's, with the secrets of the URLs
// (a password, a token) redacted from its text.
type connectError struct {
	msg string
	err error
}

func (e *connectError) Error() string { return e.msg }
func (e *connectError) Unwrap() error { return e.err }

// New returns a publisher over an existing connection, which the caller
// keeps owning.
func New(nc *nats.Conn, opts ...Option) (*Publisher, error) {
	return newPublisher(nc, false, opts)
}

func newPublisher(nc *nats.Conn, own bool, opts []Option) (*Publisher, error) {
	o := defaultOptions()
	for _, f := range opts {
		f(&o)
	}
	p := &Publisher{
		opts:      o,
		nc:        nc,
		ownConn:   own,
		queue:     make(chan queued, o.queueSize),
		wakeCount: max(int64(o.queueSize)/4, 1),
		wakeBytes: max(o.queueBytes/4, 1),
		wake:      make(chan struct{}, 1),
		retries:   make(chan *nats.Msg, 2*o.maxPending), // see onErr
		closing:   make(chan struct{}),
		abort:     make(chan struct{}),
		done:      make(chan struct{}),
	}
	p.payloads.New = func() any { return new([]byte) }
	if o.redact != nil {
		p.redact = &redactor{fn: o.redact, log: o.logger}
	}
	if o.spoolDir != "" {
		s, err := openSpiller(o.spoolDir, o, &p.c, p.redact)
		if err != nil {
			return nil, err
		}
		p.spill = s
	}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(o.maxPending),
		jetstream.WithPublishAsyncTimeout(o.ackTimeout),
		jetstream.WithPublishAsyncAckHandler(p.onAck),
		jetstream.WithPublishAsyncErrHandler(p.onErr),
	)
	if err != nil {
		p.closeSpool()
		return nil, fmt.Errorf("harborai: jetstream: %w", err)
	}
	p.js = js
	if o.registerer != nil {
		if err := p.register(o.registerer); err != nil {
			p.closeSpool()
			return nil, err
		}
	}
	go p.run()
	return p, nil
}

// Publish queues ev for publishing and returns at once. An event without
// an event id is given one (a UUIDv7) when it is encoded, on the
// publisher's goroutine; the id is then fixed, for every retry. It returns
// ErrDropped when the queue is full (with WithSpool: when the spool's queue
// is full too) and ErrClosed after Close; either way the event is counted,
// and the application's own work is unaffected. A nil ev is counted as
// dropped (invalid) and gets ErrNilEvent. The request's headers that may
// carry secrets, and its URL's user information and secret query
// parameters, are left out of what is published, as the Transport leaves
// them out (ev itself is not changed for that).
// The publisher owns ev from here on, the maps it points to included.
func (p *Publisher) Publish(ev *event.Event) error {
	if ev == nil {
		p.c.attempted.Add(1)
		p.c.dropInvalid.Add(1)
		return ErrNilEvent
	}
	return p.enqueue(queued{ev: ev, scrub: true})
}

// enqueue is Publish of q's event.
func (p *Publisher) enqueue(q queued) error {
	p.c.attempted.Add(1)
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed.Load() {
		p.c.dropClosed.Add(1)
		return ErrClosed
	}
	size := eventSize(q.ev)
	if p.queueBytes.Add(size) > p.opts.queueBytes {
		p.queueBytes.Add(-size)
		return p.overflow(q)
	}
	select {
	case p.queue <- q:
		p.c.accepted.Add(1)
		p.c.buffered.Add(1)
		// Waking the background goroutine costs a thread wake-up (tens of
		// µs on a busy machine): do it only when it sleeps without a timer
		// or the queue needs it now.
		if p.queued.Add(1) >= p.wakeCount || p.queueBytes.Load() >= p.wakeBytes ||
			p.parked.Load() && p.parked.CompareAndSwap(true, false) {
			p.nudge()
		}
		return nil
	default:
		p.queueBytes.Add(-size)
		return p.overflow(q)
	}
}

// Stats returns the publisher's counters.
func (p *Publisher) Stats() Stats { return p.c.stats() }

// Close stops accepting events and publishes what is queued, waiting for
// the acks until ctx ends. Events still unsent or unacked then are counted
// as dropped (with WithSpool: written to the spool, a local disk write that
// ctx does not bound), once: an ack arriving later counts for nothing.
// Close returns ctx's error. It leaves a connection given to New without
// the publisher's subscription for acks. Close is idempotent. It first
// waits, within ctx and 100 ms, for the response events of calls whose error
// body the application closed unread and the Transport still reads (20 ms at
// most).
func (p *Publisher) Close(ctx context.Context) error {
	// Calls whose error body is still read after the application closed it
	// (readBack's closeGrace) publish their response event first: within a
	// bound of its own too, for a base body whose Close would not stop a
	// Read.
	for until := time.Now().Add(5 * closeGrace); p.lingering.Load() > 0 && ctx.Err() == nil && time.Now().Before(until); {
		t := time.NewTimer(time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	p.mu.Lock()
	if !p.closed.Swap(true) {
		close(p.closing)
	}
	p.mu.Unlock()
	var err error
	select {
	case <-p.done:
	case <-ctx.Done():
		err = ctx.Err()
		p.abortOnce.Do(func() { close(p.abort) })
		if p.dialer != nil {
			// run may be stuck in a write to a server that stopped
			// reading, inside nats.go, until flusherTimeout, or waiting
			// for the connection's lock, which a reconnection holds
			// through its handshake (up to nats.Timeout, at one server
			// after another): cut the connection, and fail any new
			// attempt.
			select {
			case <-p.done:
			case <-time.After(50 * time.Millisecond):
				p.dialer.abort()
			}
		}
		<-p.done
	}
	// run has returned: nothing is sent any more. From here on acks and
	// failures count for nothing; what is unacked now is spooled or
	// dropped, once.
	p.ackMu.Lock()
	p.settled = true
	p.ackMu.Unlock()
	p.closeSpool()
	// The publisher's reply subscription and its goroutines are on the
	// connection, which the application may keep using (New). The acks
	// still pending are failed, to onErr, which ignores them now.
	p.closeConn(ctx, p.js.CleanupPublisher)
	if n := p.c.buffered.Swap(0); n > 0 {
		p.c.dropUnsent.Add(n)
		p.opts.logger.Warn("harborai: events unsent at close", "count", n)
	}
	if p.ownConn {
		p.closeConn(ctx, p.nc.Close)
	}
	if p.metrics != nil {
		p.metrics.closed.Store(true) // a new publisher takes its place
	}
	return err
}

// closeConn runs f, a step of Close that takes the connection's lock,
// which a reconnection holds through its handshake (up to nats.Timeout,
// at one server after another). Once ctx is done, the publisher's own
// connection attempt is cut and no new one made, so that Close keeps its
// deadline; with a connection given to New, f is waited for.
func (p *Publisher) closeConn(ctx context.Context, f func()) {
	if p.dialer == nil {
		f()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-ctx.Done():
		p.dialer.abort()
		<-done
	}
}

// register registers the publisher's metrics with reg, in place of a
// closed publisher's (an application that makes its publisher again).
func (p *Publisher) register(reg prometheus.Registerer) error {
	c := newCollector(&p.c)
	err := reg.Register(c)
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		if old, ok := are.ExistingCollector.(*collector); ok && old.closed.Load() {
			reg.Unregister(old)
			err = reg.Register(c)
		}
	}
	if err != nil {
		return fmt.Errorf("harborai: register metrics (two open publishers on one registry need prometheus.WrapRegistererWith, each with a label of its own): %w", err)
	}
	p.metrics = c
	return nil
}

// How run waits between rounds.
const (
	// parkAfter: once the queue has stayed empty this long, run sleeps
	// until a Publish wakes it, instead of looking every flush interval.
	parkAfter = time.Second
	// ackWait: at Close, how often run looks whether the acks are in.
	ackWait = 5 * time.Millisecond
)

// run is the background publisher. While events keep coming it takes what
// is queued every flush interval (Publish wakes it sooner only when the
// queue is a quarter full), so the caller's goroutine never pays for waking
// it; after parkAfter without events it parks until the next Publish.
func (p *Publisher) run() {
	defer close(p.done)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	closing := p.closing // nil once closed
	last := time.Now()   // when run last took an event
	for {
		n, ok := p.drain()
		if !ok {
			return
		}
		now := time.Now()
		if n > 0 {
			last = now
		}
		var tick <-chan time.Time
		switch {
		case closing == nil:
			// inflight first: a failure puts its message in retries
			// before it lowers inflight, so once inflight reads 0 every
			// failed message is in retries.
			if p.inflight.Load() == 0 && len(p.retries) == 0 && len(p.queue) == 0 {
				return
			}
			t.Reset(ackWait)
			tick = t.C
		case p.opts.flushInterval > 0 && now.Sub(last) < parkAfter:
			t.Reset(p.opts.flushInterval)
			tick = t.C
		default:
			// Park; a Publish that sees parked wakes run. Look again after
			// saying so, for an event queued in between.
			p.parked.Store(true)
			if p.queued.Load() > 0 || len(p.retries) > 0 {
				p.parked.Store(false)
				continue
			}
		}
		select {
		case <-tick:
		case <-p.wake:
		case <-closing:
			closing = nil
		case <-p.abort:
			return
		}
		p.parked.Store(false)
	}
}

// nudge wakes run if it waits.
func (p *Publisher) nudge() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// drain publishes what is waiting: retries first (they are older), then the
// queue, up to batch events per message. It returns how many messages it
// took, and false when Close gave up.
func (p *Publisher) drain() (int, bool) {
	for n := 0; ; n++ {
		select {
		case <-p.abort:
			return n, false
		default:
		}
		var m *nats.Msg
		select {
		case m = <-p.retries:
			if _, ok := p.tooBig.LoadAndDelete(m); ok {
				if !p.split(m) {
					return n, false
				}
				continue
			}
		default:
			if !p.nc.IsConnected() {
				// Leave the events in the queue, inside its bound, until
				// the broker is back: a batch taken now would hold up to
				// a batch of events more. With nothing queued, take
				// nothing either: a take racing new events would collect
				// them as they come.
				if len(p.queue) == 0 && p.carry.ev == nil {
					return n, true
				}
				// nats.go reports no error through its handlers while it
				// has never connected (credentials refused at start).
				if err := p.nc.LastError(); err != nil || p.failures.Load() >= 8 {
					p.warn(slog.LevelWarn, "harborai: not connected to NATS; events wait in the queue",
						"queued", len(p.queue), "last_error", err)
				}
				p.failures.Add(1)
				if !p.pause() {
					return n, false
				}
				continue
			}
			if p.inflightBytes.Load() >= p.opts.queueBytes {
				// Acks are slow: wait for some (or a retry to send)
				// rather than hold more; the queue fills meanwhile, up to
				// its bound.
				if !p.sleepUntilWoken(50 * time.Millisecond) {
					return n, false
				}
				continue
			}
			var ok bool
			if m, ok = p.take(); !ok {
				return n, true
			}
		}
		if m != nil && !p.send(m) {
			return n, false
		}
	}
}

// encoded is an event taken from the queue and encoded, not yet in a
// message.
type encoded struct {
	ev   *event.Event
	data []byte
}

// take builds the next message from the queued events: up to batch events
// and maxBatchBytes, as one batch message, or a single-event message when
// only one is waiting. The events are encoded straight into the message's
// payload, a buffer that returns to p.payloads once the message is acked.
// The message is nil when every event taken was invalid; take returns
// false when nothing is queued.
func (p *Publisher) take() (*nats.Msg, bool) {
	buf := p.payloads.Get().(*[]byte)
	payload := (*buf)[:0]
	var first *event.Event
	n, took := 0, false
	limit := p.batchLimit()
	for n < p.opts.batchMax {
		mark := len(payload)
		if n > 0 {
			payload = append(payload, '\n')
		}
		ev := p.carry.ev
		if ev != nil {
			payload = append(payload, p.carry.data...)
			p.carry = encoded{}
		} else {
			var q queued
			select {
			case q = <-p.queue:
				p.queued.Add(-1)
				p.queueBytes.Add(-eventSize(q.ev))
			default:
			}
			if q.ev == nil {
				payload = payload[:mark]
				break
			}
			var ok bool
			if payload, ok = p.encodeInto(payload, q); !ok {
				payload = payload[:mark]
				took = true
				continue
			}
			ev = q.ev
		}
		took = true
		if n > 0 && len(payload) > limit {
			// The next message's first event.
			p.carry = encoded{ev, bytes.Clone(payload[mark+1:])}
			payload = payload[:mark]
			break
		}
		if n == 0 {
			first = ev
		}
		n++
	}
	var m *nats.Msg
	switch n {
	case 0:
		*buf = payload
		p.payloads.Put(buf)
		return nil, took
	case 1:
		m = singleMsg(first, payload)
	default:
		m, buf = p.batch(payload, buf, n)
	}
	*buf = nil
	p.recycle.Store(m, buf)
	p.inflightBytes.Add(int64(len(m.Data)))
	return m, true
}

// batch is the message of the n events in payload, compressed when that
// is on and makes it smaller; buf is the buffer its data is in, which the
// caller hands to release (the other goes back to p.payloads).
func (p *Publisher) batch(payload []byte, buf *[]byte, n int) (*nats.Msg, *[]byte) {
	if p.opts.compress {
		zbuf := p.payloads.Get().(*[]byte)
		if z, ok := event.CompressBatch((*zbuf)[:0], payload); ok {
			*buf = payload[:0]
			p.payloads.Put(buf)
			return batchMsg(z, n, event.EncodingS2), zbuf
		}
		p.payloads.Put(zbuf)
	}
	return batchMsg(payload, n, ""), buf
}

// release returns an acked message's payload buffer to p.payloads, when
// take made it (a message split in halves, or spooled, is left to the
// collector). Nothing refers to the payload once its ack is in.
func (p *Publisher) release(m *nats.Msg) {
	v, ok := p.recycle.LoadAndDelete(m)
	if !ok {
		return
	}
	if cap(m.Data) <= maxBatchBytes+maxBatchBytes/4 {
		buf := v.(*[]byte)
		*buf = m.Data[:0]
		p.payloads.Put(buf)
	}
}

// batchLimit is the most payload bytes of a batch message.
func (p *Publisher) batchLimit() int {
	limit := maxBatchBytes
	if mp := p.nc.MaxPayload(); mp > 0 {
		limit = min(limit, int(mp)-8<<10)
	}
	return max(limit, 1)
}

// singleMsg is ev's message when it travels alone: the event as payload,
// its ids in the headers.
func singleMsg(ev *event.Event, data []byte) *nats.Msg {
	// The header values share one array: one allocation, not five.
	v := &[5]string{ev.EventID, string(ev.Kind), ev.CallID, "1", ev.Traceparent()}
	h := nats.Header{
		event.HeaderMsgID:  v[0:1:1],
		event.HeaderKind:   v[1:2:2],
		event.HeaderCallID: v[2:3:3],
		event.HeaderSchema: v[3:4:4],
	}
	if v[4] != "" {
		h[event.HeaderTraceparent] = v[4:5:5] // as written: NATS headers are case-sensitive
	}
	return &nats.Msg{Subject: event.Subject(ev.Kind), Header: h, Data: data}
}

// batchMsg is the message of n events encoded one per line in payload,
// compressed as enc says ("" for not at all). Its Nats-Msg-Id is its own,
// so a retry of the same message is dropped by JetStream's duplicate
// window like a single event's.
func batchMsg(payload []byte, n int, enc string) *nats.Msg {
	v := &[4]string{event.NewID(), strconv.Itoa(n), "1", enc}
	h := nats.Header{
		event.HeaderMsgID:      v[0:1:1],
		event.HeaderBatchCount: v[1:2:2],
		event.HeaderSchema:     v[2:3:3],
	}
	if enc != "" {
		h[event.HeaderEncoding] = v[3:4:4]
	}
	return &nats.Msg{Subject: event.SubjectBatch, Header: h, Data: payload}
}

// eventsIn is the number of events m carries.
func eventsIn(m *nats.Msg) int64 { return int64(event.BatchCount(m.Header[event.HeaderBatchCount])) }

// payloads returns the encoded events m carries, each its own copy. The
// publisher's own messages always read back; should one not, its data is
// returned whole, to be quarantined by whoever reads it rather than lost.
func payloads(m *nats.Msg) [][]byte {
	lines, err := event.MessageEvents(m.Header, m.Data)
	if err != nil {
		return [][]byte{m.Data}
	}
	return lines
}

// halves splits a batch message in two batch messages of about half its
// events each; ok is false for a single event.
func halves(m *nats.Msg) (a, b *nats.Msg, ok bool) {
	lines := payloads(m)
	if len(lines) < 2 {
		return nil, nil, false
	}
	mk := func(lines [][]byte) *nats.Msg {
		var payload []byte
		for _, l := range lines {
			payload = event.AppendBatchLine(payload, l)
		}
		if enc := m.Header.Get(event.HeaderEncoding); enc != "" {
			if z, ok := event.CompressBatch(nil, payload); ok {
				return batchMsg(z, len(lines), enc)
			}
		}
		return batchMsg(payload, len(lines), "")
	}
	return mk(lines[:len(lines)/2]), mk(lines[len(lines)/2:]), true
}

// split sends a message the stream refused as too large in halves; a
// single event that large is dropped and counted. It returns false when
// Close gave up.
func (p *Publisher) split(m *nats.Msg) bool {
	p.recycle.Delete(m) // its halves are copies; m goes to the collector
	p.inflightBytes.Add(-int64(len(m.Data)))
	if a, b, ok := halves(m); ok {
		p.inflightBytes.Add(int64(len(a.Data) + len(b.Data)))
		if !p.send(a) {
			p.held = append(p.held, b) // a is held too
			return false
		}
		return p.send(b)
	}
	if s := p.smaller(m); s != nil {
		// One event: without its bodies, as encode makes an event the
		// server cannot take (the limit went down since it was encoded,
		// or the stream's is below the server's).
		p.inflightBytes.Add(int64(len(s.Data)))
		return p.send(s)
	}
	p.c.dropInvalid.Add(1)
	p.c.buffered.Add(-1)
	p.opts.logger.Warn("harborai: event larger than the broker takes, even without its bodies, dropped", "bytes", len(m.Data))
	return true
}

// smaller is the message of m's one event without its request body, or
// without both bodies when that is not enough for the server (or when the
// request body is gone already: the stream refused it so); nil when it has
// no body left to leave out.
func (p *Publisher) smaller(m *nats.Msg) *nats.Msg {
	lines := payloads(m)
	if len(lines) != 1 {
		return nil
	}
	ev, err := event.Decode(lines[0], 0)
	if err != nil {
		return nil
	}
	hasReq := ev.Request != nil && ev.Request.Body != ""
	hasResp := ev.Response != nil && ev.Response.Body != ""
	if !hasReq && !hasResp {
		return nil
	}
	s := withoutBodies(ev, !hasReq)
	data, err := event.AppendEncode(nil, s)
	if err == nil && hasReq && hasResp && p.tooLarge(data) {
		s = withoutBodies(ev, true)
		data, err = event.AppendEncode(nil, s)
	}
	if err != nil || p.tooLarge(data) {
		return nil
	}
	return singleMsg(s, data)
}

// encode completes q's event, validates it and returns its wire form,
// without its bodies if the server could not take it whole; invalid and
// unsendable events are dropped and counted (nil).
func (p *Publisher) encode(q queued) []byte {
	data, ok := p.encodeInto(nil, q)
	if !ok {
		return nil
	}
	return data
}

// encodeInto is encode appending to dst; when ok is false, dst is returned
// as it was.
func (p *Publisher) encodeInto(dst []byte, q queued) ([]byte, bool) {
	ev := q.complete()
	if err := ev.Validate(); err != nil {
		p.c.dropInvalid.Add(1)
		p.c.buffered.Add(-1)
		p.opts.logger.Warn("harborai: invalid event dropped", "event_id", ev.EventID, "err", err)
		return dst, false
	}
	ev = p.redact.bodies(ev)
	out, err := appendFitting(dst, ev, p.largest())
	if err != nil {
		p.c.dropInvalid.Add(1)
		p.c.buffered.Add(-1)
		p.opts.logger.Warn("harborai: event dropped", "event_id", ev.EventID, "err", err)
		return dst, false
	}
	return out, true
}

// appendFitting appends ev's encoding to dst, in at most limit bytes:
// bodies are what makes an event large, so the call is kept without the
// request body, and without the response body if it must be, each marked
// too_large. When even that does not fit, dst is returned as it was with
// an error.
func appendFitting(dst []byte, ev *event.Event, limit int) ([]byte, error) {
	mark := len(dst)
	out, err := event.AppendEncode(dst, ev)
	if err == nil && len(out)-mark > limit {
		out, err = event.AppendEncode(dst, withoutBodies(ev, false))
		if err == nil && len(out)-mark > limit {
			out, err = event.AppendEncode(dst, withoutBodies(ev, true))
		}
	}
	switch {
	case err != nil:
		return dst, err
	case len(out)-mark > limit:
		return dst, fmt.Errorf("event of %d bytes without its bodies, limit %d", len(out)-mark, limit)
	}
	return out, nil
}

// withEventID gives ev an event id if it has none (see Publish).
func withEventID(ev *event.Event) {
	if ev.EventID == "" {
		ev.EventID = event.NewID()
	}
}

// redactor runs the application's body redaction hook (WithRedactBodies)
// for the publisher and its spool.
type redactor struct {
	fn     func(*event.Event, BodyPart, string) string
	log    *slog.Logger
	warned atomic.Int64 // when a panic of fn was last logged, in Unix ns
}

// bodies returns ev with its bodies rewritten by the hook (ev itself
// without one). The request and response are copied before they change:
// ev's own may be shared with the code that made it. A body on which the
// hook panics is left out ("redaction_failed"), never published as it
// was: the call is kept, without the usage that body had.
func (r *redactor) bodies(ev *event.Event) *event.Event {
	if r == nil || r.fn == nil {
		return ev
	}
	c := *ev
	if c.Request != nil && c.Request.Body != "" {
		x := *c.Request
		x.Body, x.BodyOmitted = r.body(ev, RequestBody, x.Body, x.BodyOmitted)
		c.Request = &x
	}
	if c.Response != nil && c.Response.Body != "" {
		x := *c.Response
		x.Body, x.BodyOmitted = r.body(ev, ResponseBody, x.Body, x.BodyOmitted)
		c.Response = &x
	}
	return &c
}

// body is the hook's rewriting of one body, and why it is left out.
func (r *redactor) body(ev *event.Event, part BodyPart, in, omitted string) (out, why string) {
	defer func() {
		if v := recover(); v != nil {
			out, why = "", "redaction_failed"
			now, last := time.Now().UnixNano(), r.warned.Load()
			if (last == 0 || now-last >= int64(warnEvery)) && r.warned.CompareAndSwap(last, now) {
				r.log.Error("harborai: the redaction hook panicked; the body is left out",
					"event_id", ev.EventID, "part", string(part), "panic", fmt.Sprint(v))
			}
		}
	}()
	return r.fn(ev, part, in), omitted
}

// tooLarge reports whether data exceeds largest.
func (p *Publisher) tooLarge(data []byte) bool { return len(data) > p.largest() }

// largest is the largest encoded event the publisher sends: what the
// connected server takes (with room for the headers), and never more than
// event.MaxSize, the largest the ingestor and the replayer read by default,
// whether the event goes to the broker or to the spool (before the first
// connection, MaxPayload is unknown).
func (p *Publisher) largest() int {
	limit := event.MaxSize
	if mp := p.nc.MaxPayload(); mp > 0 {
		limit = int(min(int64(limit), mp-1024))
	}
	return limit
}

// withoutBodies returns a copy of ev without its request body, and without
// its response body too when response is set, each marked as too large.
func withoutBodies(ev *event.Event, response bool) *event.Event {
	c := *ev
	if c.Request != nil && c.Request.Body != "" {
		r := *c.Request
		r.Body, r.BodyOmitted = "", "too_large"
		c.Request = &r
	}
	if response && c.Response != nil && c.Response.Body != "" {
		r := *c.Response
		r.Body, r.BodyOmitted = "", "too_large"
		c.Response = &r
	}
	return &c
}

// send publishes m asynchronously, waiting with backoff while the broker is
// unreachable. Only this goroutine waits; callers never do. It returns
// false when Close gave up, keeping m in held for the spool.
func (p *Publisher) send(m *nats.Msg) bool {
	for {
		if !p.pause() {
			p.held = append(p.held, m)
			return false
		}
		if !p.nc.IsConnected() {
			p.failures.Add(1)
			continue
		}
		// A copy per attempt: an attempt's failure can arrive after send
		// has given up on it and tried again (nats.go fails the pending
		// acks on a disconnect, from its own goroutine, while the publish
		// itself also returns an error); it must not be taken for the
		// next attempt's.
		a := &nats.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data}
		p.inflight.Add(1)
		p.attempts.Store(a, m)
		if _, err := p.js.PublishMsgAsync(a, stallWait); err != nil {
			if _, owned := p.attempts.LoadAndDelete(a); !owned {
				return true // its failure was handled first: m is in retries
			}
			p.inflight.Add(-1)
			if errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
				// WithMaxPending messages await their acks: nothing was
				// sent, and nats.go waited stallWait for room. Wait
				// again, unless Close gave up meanwhile.
				select {
				case <-p.abort:
					p.held = append(p.held, m)
					return false
				default:
				}
				continue
			}
			if errors.Is(err, nats.ErrMaxPayload) {
				// The server's limit is below what take and encode
				// checked (it was not connected then): send a batch in
				// halves; a single event cannot be sent.
				return p.split(m)
			}
			p.failures.Add(1)
			p.c.retried.Add(1)
			continue
		}
		return true
	}
}

// stallWait bounds how long a publish waits inside nats.go for room among
// the messages awaiting their acks (WithMaxPending), 200 ms by default:
// send looks whether Close gave up between waits, so that Close keeps to
// its deadline.
var stallWait = jetstream.WithStallWait(20 * time.Millisecond)

// onAck counts an acked message's events as published, unless Close has
// counted them already. It counts before lowering inflight, which run
// waits to see at zero: a Close that did not give up then finds every ack
// counted.
func (p *Publisher) onAck(_ jetstream.JetStream, a *nats.Msg, _ *jetstream.PubAck) {
	p.ackMu.Lock()
	defer p.ackMu.Unlock()
	m, owned := p.claim(a)
	if !owned {
		return // counted already: at Close (dropped, or spooled), or by send
	}
	defer p.inflight.Add(-1)
	p.failures.Store(0)
	n := eventsIn(m)
	p.c.published.Add(n)
	p.c.buffered.Add(-n)
	if size := int64(len(m.Data)); p.inflightBytes.Add(-size)+size >= p.opts.queueBytes {
		p.nudge() // run may wait for room
	}
	p.release(m)
}

// onErr hands a message whose publish failed back to run, unless Close has
// counted it already.
func (p *Publisher) onErr(_ jetstream.JetStream, a *nats.Msg, err error) {
	p.ackMu.Lock()
	defer p.ackMu.Unlock()
	m, owned := p.claim(a)
	if !owned {
		return // counted already: at Close, or by send
	}
	defer p.inflight.Add(-1) // once m is in retries, for run
	p.c.retried.Add(1)
	switch {
	case errors.Is(err, jetstream.ErrStreamMessageExceedsMaximum):
		// The stream's max_msg_size is below what the server takes: the
		// same message would fail again. run splits it, at once.
		p.tooBig.Store(m, struct{}{})
	case errors.Is(err, jetstream.ErrAsyncPublishTimeout):
		// An ack that timed out is re-sent at once, so a burst of slow
		// acks cannot slow every later event.
		p.opts.logger.Debug("harborai: publish not acknowledged in time, will retry", "err", err)
	default:
		// The broker answered no (the stream full, missing, over its
		// limits): the same message sent again at once would be refused
		// again, thousands of times a second. The next sends back off
		// until an ack comes.
		p.failures.Add(1)
		if p.nc.IsConnected() { // else the disconnect fails it, and is logged as one
			p.warn(slog.LevelWarn, "harborai: the broker refused events; retrying with backoff, events wait in the queue", "err", err)
		}
	}
	// Same message, same Nats-Msg-Id: JetStream drops it if the first try
	// arrived after all. retries holds twice maxPending messages, where
	// the messages in flight and waiting for a retry together stay near
	// maxPending (run sends new ones only while retries is empty), so
	// this does not block; were it full, holding the NATS client (and
	// ackMu, which Close takes) would be worse than losing m, counted.
	select {
	case p.retries <- m:
		p.nudge()
	default:
		n := eventsIn(m)
		p.c.dropUnsent.Add(n)
		p.c.buffered.Add(-n)
		p.inflightBytes.Add(-int64(len(m.Data)))
		p.tooBig.Delete(m)
		p.recycle.Delete(m) // its payload buffer goes to the collector
		p.opts.logger.Warn("harborai: retry queue full, events dropped", "count", n)
	}
}

// claim takes the publish attempt a out of attempts and returns its
// message, unless Close has settled or someone took it first. Called with
// ackMu held.
func (p *Publisher) claim(a *nats.Msg) (*nats.Msg, bool) {
	if p.settled {
		return nil, false
	}
	m, ok := p.attempts.LoadAndDelete(a)
	if !ok {
		return nil, false
	}
	return m.(*nats.Msg), true
}

// warnEvery is how often broker trouble of one kind is logged at most.
const warnEvery = 30 * time.Second

// warn logs broker trouble, each message at most once per warnEvery (an
// outage fails every publish, thousands a second).
func (p *Publisher) warn(level slog.Level, msg string, args ...any) {
	if level >= slog.LevelWarn {
		v, _ := p.warned.LoadOrStore(msg, new(atomic.Int64))
		at := v.(*atomic.Int64)
		now, last := time.Now().UnixNano(), at.Load()
		if last != 0 && now-last < int64(warnEvery) || !at.CompareAndSwap(last, now) {
			return
		}
	}
	p.opts.logger.Log(context.Background(), level, msg, args...)
}

// pause waits the backoff's next delay while publishes fail (not at all
// otherwise); it returns false when Close gave up.
func (p *Publisher) pause() bool {
	if p.failures.Load() == 0 {
		p.bo = nil
		return true
	}
	if p.bo == nil {
		p.bo = newBackoff()
	}
	d, _ := p.bo.Next()
	return p.sleep(d)
}

// sleepUntilWoken waits d, or less if run is nudged; it returns false
// when Close gave up.
func (p *Publisher) sleepUntilWoken(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-p.wake:
	case <-p.abort:
		return false
	}
	return true
}

// sleep waits d; it returns false when Close gave up.
func (p *Publisher) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.abort:
		return false
	}
}

// newBackoff is exponential from 25ms, capped at 2s, with 20% jitter.
func newBackoff() retry.Backoff {
	b := retry.NewExponential(25 * time.Millisecond)
	b = retry.WithCappedDuration(2*time.Second, b)
	return retry.WithJitterPercent(20, b)
}

func eventSize(ev *event.Event) int64 {
	n := int64(512)
	if ev.Request != nil {
		n += int64(len(ev.Request.Body))
	}
	if ev.Response != nil {
		n += int64(len(ev.Response.Body))
	}
	return n
}
