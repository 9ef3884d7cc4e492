package event

import (
	"errors"
	"fmt"
)

// Reasons an event is rejected; they label the ingestor's rejection metric.
const (
	ReasonInvalidJSON   = "invalid_json"
	ReasonUnknownSchema = "unknown_schema"
	ReasonInvalidField  = "invalid_field"
	ReasonOversize      = "oversize"
	// ReasonBadEncoding: a compressed batch message that cannot be
	// decompressed (unknown encoding, corrupt, or too large once
	// decompressed); the whole message is quarantined.
	ReasonBadEncoding = "bad_encoding"
)

// ErrInvalid is matched by every rejection from Decode and Validate.
var ErrInvalid = errors.New("invalid event")

// InvalidError says why an event was rejected.
type InvalidError struct {
	Reason string // one of the Reason constants
	Field  string // the offending field, when there is one
	Detail string
}

func (e *InvalidError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("invalid event: %s: %s: %s", e.Reason, e.Field, e.Detail)
	}
	return fmt.Sprintf("invalid event: %s: %s", e.Reason, e.Detail)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// RejectReason returns the reason label of an error from Decode or Validate,
// or "" when err is not a rejection.
func RejectReason(err error) string {
	var ie *InvalidError
	if errors.As(err, &ie) {
		return ie.Reason
	}
	return ""
}
