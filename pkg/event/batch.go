package event

import (
	"bytes"
	"iter"
	"strconv"
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
const (
	SubjectBatch = SubjectPrefix + ".batch"
	// HeaderBatchCount is the number of events in a batch message.
	HeaderBatchCount = "Harborai-Batch-Count"
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

// MessageEvents yields the encoded events of a NATS message with headers h
// and payload data: the lines of a batch message (one with
// HeaderBatchCount), else the payload itself, whatever it holds.
func MessageEvents(h map[string][]string, data []byte) iter.Seq[[]byte] {
	if _, ok := h[HeaderBatchCount]; ok {
		return BatchLines(data)
	}
	return func(yield func([]byte) bool) { yield(data) }
}

// AppendBatchLine appends one encoded event to a batch payload.
func AppendBatchLine(payload, encoded []byte) []byte {
	if len(payload) > 0 {
		payload = append(payload, '\n')
	}
	return append(payload, encoded...)
}
