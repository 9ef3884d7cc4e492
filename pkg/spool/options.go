package spool

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults for the zero Options fields.
const (
	DefaultMaxSegmentBytes = 64 << 20
	DefaultMaxSegmentAge   = 10 * time.Minute
)

// MaxRecordBytes is the largest payload Append accepts, after compaction.
// Readers report longer lines as ReasonTooLong, so nothing written is ever
// unreadable.
const MaxRecordBytes = 64 << 20

// SyncMode says when the Writer calls fsync.
type SyncMode int

const (
	// SyncEveryWrite fsyncs the segment before Append returns, and the
	// directory whenever a file is created, renamed or removed. The default.
	SyncEveryWrite SyncMode = iota
	// SyncNone never fsyncs: what Append wrote survives a process crash but
	// not a power loss. For tests and benchmarks.
	SyncNone
)

func (m SyncMode) String() string {
	switch m {
	case SyncEveryWrite:
		return "every-write"
	case SyncNone:
		return "none"
	}
	return fmt.Sprintf("SyncMode(%d)", int(m))
}

// Options configure a Writer. The zero value of every field but Dir is a
// working default.
type Options struct {
	// Dir holds the segments; created with mode 0700 when missing.
	Dir string
	// MaxSegmentBytes rotates the active segment before an Append that would
	// take it past this size (default 64 MiB). A single batch larger than
	// this gets a segment of its own.
	MaxSegmentBytes int64
	// MaxSegmentAge rotates a segment this long after it was created, on the
	// monotonic clock, whether or not anything is appended (default 10 min).
	MaxSegmentAge time.Duration
	// Sync is the fsync policy (default SyncEveryWrite).
	Sync SyncMode
	// DisableCompression stores sealed segments in gzip without compressing
	// them (gzip level 0: same names and format, no CPU spent). By default
	// sealed segments are compressed with gzip.BestSpeed.
	DisableCompression bool
	// Logger receives lifecycle messages and background sealing failures
	// (nil discards).
	Logger *slog.Logger
	// Now is the wall clock for record timestamps, segment names and the age
	// check made at each Append (nil means time.Now). The idle age timer
	// always runs on the runtime's monotonic clock.
	Now func() time.Time
}

// withDefaults validates o and fills its zero fields, reporting every
// problem at once.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	if o.Dir == "" {
		errs = append(errs, errors.New("Dir: required"))
	}
	if o.MaxSegmentBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxSegmentBytes: %d is negative", o.MaxSegmentBytes))
	}
	if o.MaxSegmentAge < 0 {
		errs = append(errs, fmt.Errorf("MaxSegmentAge: %s is negative", o.MaxSegmentAge))
	}
	if o.Sync != SyncEveryWrite && o.Sync != SyncNone {
		errs = append(errs, fmt.Errorf("Sync: unknown mode %d", int(o.Sync)))
	}
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("spool options: %w", err)
	}
	if o.MaxSegmentBytes == 0 {
		o.MaxSegmentBytes = DefaultMaxSegmentBytes
	}
	if o.MaxSegmentAge == 0 {
		o.MaxSegmentAge = DefaultMaxSegmentAge
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}
