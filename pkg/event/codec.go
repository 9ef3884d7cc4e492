package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	gojson "github.com/goccy/go-json"
)

// MaxSize is the default largest encoded event accepted (8 MiB, the embedded
// NATS server's default max payload).
const MaxSize = 8 << 20

// Encode returns the event's wire form, timestamps in UTC.
func Encode(e *Event) ([]byte, error) {
	buf := scratch.Get().(*[]byte)
	defer scratch.Put(buf)
	b, err := AppendEncode((*buf)[:0], e)
	if cap(b) <= maxScratch {
		*buf = b
	}
	if err != nil {
		return nil, fmt.Errorf("encode event %s: %w", e.EventID, err)
	}
	return bytes.Clone(b), nil
}

// scratch holds Encode's buffers: an event is written into one, then
// copied out at its exact size (a copy that needs no zeroing, cheaper than
// growing a fresh buffer). Buffers past maxScratch are not kept.
var scratch = sync.Pool{New: func() any { return new([]byte) }}

const maxScratch = 1 << 20

// Decode parses and validates one event of at most maxSize bytes
// (maxSize <= 0 means MaxSize). Errors match ErrInvalid and carry a reason.
func Decode(data []byte, maxSize int) (*Event, error) {
	if maxSize <= 0 {
		maxSize = MaxSize
	}
	if len(data) > maxSize {
		return nil, &InvalidError{Reason: ReasonOversize, Detail: fmt.Sprintf("%d bytes, limit %d", len(data), maxSize)}
	}
	// One pass on the happy path; when it fails, look at the version first,
	// so a future format is reported as such and not as whatever field it
	// renamed or retyped.
	var e Event
	err := unmarshal(data, &e)
	if err != nil {
		// encoding/json has the last word, and its messages are the ones
		// reported.
		e = Event{}
		err = json.Unmarshal(data, &e)
	}
	if err != nil || e.SchemaVersion != SchemaVersion {
		var probe struct {
			SchemaVersion json.RawMessage `json:"schema_version"`
		}
		if perr := json.Unmarshal(data, &probe); perr != nil {
			return nil, &InvalidError{Reason: ReasonInvalidJSON, Detail: perr.Error()}
		}
		if v := string(bytes.TrimSpace(probe.SchemaVersion)); v != strconv.Itoa(SchemaVersion) {
			if v == "" {
				v = "missing"
			}
			return nil, &InvalidError{Reason: ReasonUnknownSchema, Field: "schema_version", Detail: fmt.Sprintf("got %s, this build reads %d", v, SchemaVersion)}
		}
		return nil, &InvalidError{Reason: ReasonInvalidJSON, Detail: err.Error()}
	}
	e.toUTC()
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return &e, nil
}

// unmarshal is the happy path's decoder: goccy/go-json, which reads events
// three to four times faster than encoding/json (BenchmarkPrepare in
// internal/ingest) with the same results; FuzzUnmarshalMatchesStdlib holds
// it to that. What it refuses, encoding/json decodes again.
func unmarshal(data []byte, e *Event) error {
	return gojson.Unmarshal(data, e)
}

// toUTC puts every timestamp in UTC, copying the parts it changes so a
// caller's event is never modified.
func (e *Event) toUTC() {
	e.StartedAt = e.StartedAt.UTC()
	if e.Response != nil {
		r := *e.Response
		r.FinishedAt = r.FinishedAt.UTC()
		if r.FirstByteAt != nil {
			t := r.FirstByteAt.UTC()
			r.FirstByteAt = &t
		}
		e.Response = &r
	}
}
