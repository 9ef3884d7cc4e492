package harborai

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/spool"
)

// spiller is the local spool of WithSpool: it writes the events the queue
// cannot hold, and those unsent at Close, to pkg/spool segments, each record
// the encoded event. The replayer recognises such a payload as an event
// (it has schema_version and kind) and decodes it with event.Decode.
//
// Publish hands events over without waiting (offer); a goroutine owned by
// the spiller writes them in batches. At Close, the publish attempts whose
// ack never came (Publisher.attempts) are spooled too: each event is
// counted once, as published or as spooled, whichever happens first.
type spiller struct {
	w        *spool.Writer
	in       chan queued
	inBytes  atomic.Int64
	maxBytes int64
	c        *counters
	log      *slog.Logger
	done     chan struct{}
	redact   *redactor // nil: none
	once     sync.Once
}

// spillBatch bounds the records of one spool append.
const spillBatch = 256

func openSpiller(dir string, o options, c *counters, redact *redactor) (*spiller, error) {
	w, err := spool.Open(spool.Options{Dir: dir, Logger: o.logger})
	if err != nil {
		return nil, fmt.Errorf("harborai: open spool %s: %w", dir, err)
	}
	s := &spiller{
		w:        w,
		in:       make(chan queued, o.queueSize),
		maxBytes: o.queueBytes,
		c:        c,
		log:      o.logger,
		done:     make(chan struct{}),
		redact:   redact,
	}
	go s.run()
	return s, nil
}

// overflow takes an event the queue cannot hold: to the spool when there is
// one and it has room, else dropped.
func (p *Publisher) overflow(q queued) error {
	if p.spill != nil {
		p.c.buffered.Add(1)
		if p.spill.offer(q) {
			p.c.accepted.Add(1)
			return nil
		}
		p.c.buffered.Add(-1)
	}
	p.c.dropQueueFull.Add(1)
	return ErrDropped
}

// offer queues q for the spool without waiting; false when full.
func (s *spiller) offer(q queued) bool {
	size := eventSize(q.ev)
	if s.inBytes.Add(size) > s.maxBytes {
		s.inBytes.Add(-size)
		return false
	}
	select {
	case s.in <- q:
		return true
	default:
		s.inBytes.Add(-size)
		return false
	}
}

// run writes what offer queued until close.
func (s *spiller) run() {
	defer close(s.done)
	batch := make([][]byte, 0, spillBatch)
	for q := range s.in {
		batch = s.add(batch[:0], q)
	more:
		for len(batch) < spillBatch {
			select {
			case q, ok := <-s.in:
				if !ok {
					break more
				}
				batch = s.add(batch, q)
			default:
				break more
			}
		}
		s.write(batch)
	}
}

// add appends the encoding of q's event, completed, to batch; an invalid
// event is dropped and counted.
func (s *spiller) add(batch [][]byte, q queued) [][]byte {
	s.inBytes.Add(-eventSize(q.ev))
	ev := q.complete()
	if err := ev.Validate(); err != nil {
		s.c.dropInvalid.Add(1)
		s.c.buffered.Add(-1)
		return batch
	}
	// As large as the replayer reads (event.MaxSize), bodies left out
	// first, as on the way to the broker; a payload the spool refuses
	// (spool.MaxRecordBytes) would fail the batch's other events with it.
	data, err := appendFitting(nil, s.redact.bodies(ev), event.MaxSize)
	if err != nil {
		s.c.dropInvalid.Add(1)
		s.c.buffered.Add(-1)
		s.log.Warn("harborai: event dropped", "event_id", ev.EventID, "err", err)
		return batch
	}
	return append(batch, data)
}

// write appends payloads, buffered events, to the spool and counts them.
func (s *spiller) write(payloads [][]byte) {
	if len(payloads) == 0 {
		return
	}
	n := int64(len(payloads))
	if err := s.w.Append(context.Background(), payloads); err != nil {
		s.c.dropSpoolFailed.Add(n)
		s.log.Warn("harborai: spool append failed, events dropped", "count", n, "err", err)
	} else {
		s.c.spooled.Add(n)
	}
	s.c.buffered.Add(-n)
}

// closeSpool writes to the spool, at Close once the run goroutine has
// returned and acks and failures no longer count (settled), every event
// still queued, waiting for a retry or awaiting its ack, then closes the
// spool. Without a spool, or once done, it does nothing.
func (p *Publisher) closeSpool() {
	if p.spill != nil {
		p.spill.once.Do(p.spillUnsent)
	}
}

func (p *Publisher) spillUnsent() {
	s := p.spill
	var all [][]byte
	if p.carry.ev != nil {
		all = append(all, p.carry.data)
		p.carry = encoded{}
	}
	for drained := false; !drained; {
		select {
		case q := <-p.queue:
			p.queued.Add(-1)
			p.queueBytes.Add(-eventSize(q.ev))
			if data := p.encode(q); data != nil {
				all = append(all, data)
			}
		case m := <-p.retries:
			p.tooBig.Delete(m)
			all = append(all, payloads(m)...)
		default:
			drained = true
		}
	}
	for _, m := range p.held {
		all = append(all, payloads(m)...)
	}
	p.held = nil
	p.attempts.Range(func(a, m any) bool {
		if _, ok := p.attempts.LoadAndDelete(a); ok {
			all = append(all, payloads(m.(*nats.Msg))...)
		}
		return true
	})
	payloads := all
	for len(payloads) > 0 {
		n := min(len(payloads), spillBatch)
		s.write(payloads[:n])
		payloads = payloads[n:]
	}
	close(s.in)
	<-s.done
	if err := s.w.Close(); err != nil {
		p.opts.logger.Warn("harborai: close spool", "err", err)
	}
}
