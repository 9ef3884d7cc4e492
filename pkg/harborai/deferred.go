package harborai

import (
	"sync"

	"github.com/harborai/ingest/pkg/event"
)

// A recorded call's response does not need the call's ids, nor the model
// its request body names: only its events do. Unless the caller's
// goroutine shows them to someone (WithOnCall, a span), the Transport
// leaves them to the publisher, which fills them in on its own goroutine
// when it encodes the call's first event and copies them into the second.
// The events are then what they would have been, but for when the call id
// (a UUIDv7) takes its time stamp: at encoding rather than at the start of
// the call, usually a flush interval later (call ids still sort as the
// calls' request events were queued). The hb_trace_id is made of the
// call's start, as before.

// queued is an event in the publisher's queue (or the spool's), with what
// it still lacks; later is nil when it lacks nothing.
type queued struct {
	ev     *event.Event
	later  *deferred
	decode *laterDecode // a compressed response body to decode; nil for most
	// scrub is set for an event the application made (Publish): its
	// secrets are removed when it is encoded (withoutSecrets).
	scrub bool
}

// laterDecode is a response body the application asked for compressed,
// that its event carries compressed until the publisher (or the spool)
// decodes it, on its own goroutine rather than the application's.
type laterDecode struct {
	once     sync.Once // the event may be completed more than once
	encoding string    // "gzip", "deflate", "br" or "zstd"
	limit    int       // the body limit, of the decoded bytes
}

// deferred is what a recorded call's events lack when they are queued.
// The request and the response event may be encoded on two goroutines at
// once (the publisher's and the spool's): once orders them. It is small
// (what it makes is allocated by the publisher) so that callEvents, which
// the caller allocates, fits a smaller size class.
type deferred struct {
	once sync.Once
	// path and body are the request's, when the model is to be read from
	// them (the events' Model is then empty); else "".
	path, body string
	made       *madeLater
}

// madeLater is what deferred's once makes.
type madeLater struct {
	ids   event.CallIDs
	model string
}

// complete gives q's event what it lacks, and its event id, and returns
// the event.
func (q queued) complete() *event.Event {
	if d := q.later; d != nil {
		d.once.Do(func() {
			d.made = &madeLater{ids: event.NewCallIDs(q.ev.StartedAt), model: modelFromPath(d.path)}
			if d.made.model == "" && d.body != "" {
				d.made.model = modelInBody(d.body)
			}
		})
		putIDs(q.ev, d.made.ids)
		if q.ev.Model == "" {
			q.ev.Model = d.made.model
		}
	}
	if d := q.decode; d != nil {
		d.once.Do(func() {
			r := q.ev.Response
			out, omitted := decodeBody(d.encoding, stringToBytes(r.Body), d.limit)
			r.Body, r.BodyOmitted = bytesToString(out), omitted
		})
	}
	withEventID(q.ev)
	if q.scrub {
		return withoutSecrets(q.ev)
	}
	return q.ev
}
