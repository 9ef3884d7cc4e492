package event

import (
	"bytes"
	"fmt"
	"iter"
	"slices"
	"strconv"

	"github.com/klauspost/compress/s2"
)

// A batch message carries several events in one NATS message: the encoded
// events one per line (NDJSON, each line one JSON object, "\n" between
// them), published to SubjectBatch with HeaderBatchCount. The Go client
// sends what it has queued this way, so the broker stores, delivers and
// acknowledges one message for many events; a message without
// HeaderBatchCount is one event, whatever its subject. Each line is an
// event under the same rules as a single-event message (size, validation,
// quarantine); the ingestor acknowledges the message once all its events
// are stored or quarantined.
//
// A batch message may be compressed: HeaderEncoding EncodingS2 says its
// payload is the NDJSON compressed as one S2 block
// (github.com/klauspost/compress/s2, a Snappy-compatible block format).
// Single-event messages are never compressed.
const (
	SubjectBatch = SubjectPrefix + ".batch"
	// HeaderBatchCount is the number of events in a batch message.
	HeaderBatchCount = "Harborai-Batch-Count"
	// HeaderEncoding says how a batch message's payload is compressed;
	// absent means not at all.
	HeaderEncoding = "Harborai-Encoding"
	// EncodingS2 is an S2 block (s2.Encode / s2.Decode).
	EncodingS2 = "s2"
	// MaxBatchSize bounds a batch's payload once decompressed, so that a
	// small message cannot claim an unbounded buffer.
	MaxBatchSize = 64 << 20
)

// BatchCount returns the number of events a message declares in its
// HeaderBatchCount value v (the values of the header, possibly none): 1
// without one, and at least 1 when v is not a positive number. It is a
// sizing hint; the lines are what counts.
func BatchCount(v []string) int {
	if len(v) == 0 {
		return 1
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// BatchLines yields the events of a batch payload: its lines, without the
// line feed, skipping lines that hold only white space.
func BatchLines(data []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for len(data) > 0 {
			line := data
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				line, data = data[:i], data[i+1:]
			} else {
				data = nil
			}
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			if !yield(line) {
				return
			}
		}
	}
}

// MessageReader reads the events of NATS messages, decompressing
// compressed batches into one buffer it reuses. The zero value is ready to
// use; it is not safe for concurrent use.
type MessageReader struct {
	buf []byte
}

// Events yields the encoded events of a NATS message with headers h and
// payload data: the lines of a batch message (one with HeaderBatchCount),
// decompressed first if it is compressed, else the payload itself,
// whatever it holds. The lines are valid until the next call. A
// compressed payload that cannot be read is an *InvalidError with reason
// ReasonBadEncoding.
func (r *MessageReader) Events(h map[string][]string, data []byte) (iter.Seq[[]byte], error) {
	if _, ok := h[HeaderBatchCount]; !ok {
		return func(yield func([]byte) bool) { yield(data) }, nil
	}
	payload, err := r.payload(h[HeaderEncoding], data)
	if err != nil {
		return nil, err
	}
	return BatchLines(payload), nil
}

// payload returns a batch message's NDJSON, decompressed per its
// HeaderEncoding values enc.
func (r *MessageReader) payload(enc []string, data []byte) ([]byte, error) {
	if len(enc) == 0 || enc[0] == "" {
		return data, nil
	}
	bad := func(format string, args ...any) error {
		return &InvalidError{Reason: ReasonBadEncoding, Field: HeaderEncoding, Detail: fmt.Sprintf(format, args...)}
	}
	if enc[0] != EncodingS2 {
		return nil, bad("%q: this build reads %q or none", enc[0], EncodingS2)
	}
	n, err := s2.DecodedLen(data)
	switch {
	case err != nil:
		return nil, bad("not an S2 block: %v", err)
	case n > MaxBatchSize:
		return nil, bad("decompresses to %d bytes, limit %d", n, MaxBatchSize)
	}
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	out, err := s2.Decode(r.buf[:cap(r.buf)], data)
	if err != nil {
		return nil, bad("corrupt S2 block: %v", err)
	}
	return out, nil
}

// MessageEvents returns the encoded events of a NATS message, each its
// own copy (see MessageReader.Events).
func MessageEvents(h map[string][]string, data []byte) ([][]byte, error) {
	var r MessageReader
	events, err := r.Events(h, data)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for e := range events {
		out = append(out, bytes.Clone(e))
	}
	return out, nil
}

// CompressBatch appends payload compressed for a batch message with
// HeaderEncoding EncodingS2 to dst; ok is false, and dst returned as it
// was, when compressing would not make it smaller.
func CompressBatch(dst, payload []byte) (out []byte, ok bool) {
	need := s2.MaxEncodedLen(len(payload))
	if need < 0 {
		return dst, false
	}
	out = slices.Grow(dst, need)
	enc := s2.Encode(out[len(out):len(out)+need], payload)
	if len(enc) >= len(payload) {
		return dst, false
	}
	return out[:len(out)+len(enc)], true
}

// AppendBatchLine appends one encoded event to a batch payload.
func AppendBatchLine(payload, encoded []byte) []byte {
	if len(payload) > 0 {
		payload = append(payload, '\n')
	}
	return append(payload, encoded...)
}
