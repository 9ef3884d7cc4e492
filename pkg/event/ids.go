package event

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"
)

var (
	hbTraceIDPattern = regexp.MustCompile(`^hb_[0-9]{13}_[0-9a-f]{8}$`)
	traceIDPattern   = regexp.MustCompile(`^[0-9a-f]{32}$`)
	spanIDPattern    = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

// NewID returns a new event or call id: a UUIDv7, so ids sort by creation time.
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil { // only when the system's random source fails
		return uuid.NewString()
	}
	return id.String()
}

// NewHBTraceID returns HarborAI's own trace id for a call started at t:
// "hb_" + 13-digit epoch milliseconds + "_" + 8 random hex digits.
func NewHBTraceID(t time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("hb_%013d_%s", t.UnixMilli(), hex.EncodeToString(b[:]))
}

// ValidHBTraceID reports whether s has the hb_trace_id format.
func ValidHBTraceID(s string) bool { return hbTraceIDPattern.MatchString(s) }

// ValidTraceID reports whether s is a valid, non-zero OpenTelemetry trace id.
func ValidTraceID(s string) bool {
	return traceIDPattern.MatchString(s) && s != "00000000000000000000000000000000"
}

// ValidSpanID reports whether s is a valid, non-zero OpenTelemetry span id.
func ValidSpanID(s string) bool {
	return spanIDPattern.MatchString(s) && s != "0000000000000000"
}

// FillIDs gives an event whose publisher did not assign trace ids the ids
// derived from its call id, so every event of the call gets the same ones.
// Ids already present are kept.
func (e *Event) FillIDs() {
	if e.HBTraceID != "" && e.TraceID != "" && e.SpanID != "" {
		return
	}
	sum := sha256.Sum256([]byte("harborai/" + e.CallID))
	h := hex.EncodeToString(sum[:])
	if e.TraceID == "" {
		e.TraceID = h[:32]
	}
	if e.SpanID == "" {
		e.SpanID = h[32:48]
	}
	if e.HBTraceID == "" {
		e.HBTraceID = fmt.Sprintf("hb_%013d_%s", e.StartedAt.UnixMilli(), h[48:56])
	}
}
