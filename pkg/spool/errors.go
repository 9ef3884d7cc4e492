package spool

import (
	"errors"
	"fmt"
	"syscall"
	"time"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrLocked is returned by Open when another Writer, in this process or
	// another, holds the directory.
	ErrLocked = errors.New("spool directory locked by another writer")

	// ErrClosed is returned by Writer methods after Close.
	ErrClosed = errors.New("spool writer closed")

	// ErrDiskFull wraps ENOSPC, EFBIG (RLIMIT_FSIZE) and EDQUOT. Nothing of
	// the failed Append is visible to readers and the Writer stays usable:
	// the caller stops acknowledging and retries once space returns.
	ErrDiskFull = errors.New("spool disk full")

	// ErrInvalidPayload is returned by Append, before anything is written,
	// when a payload is not valid JSON or is larger than MaxRecordBytes.
	ErrInvalidPayload = errors.New("invalid spool payload")

	// ErrClaimed is matched by the *ClaimedError Claim returns when another
	// claim holds the segment.
	ErrClaimed = errors.New("segment claimed")

	// ErrNotSealed is returned when claiming a segment the writer still owns.
	ErrNotSealed = errors.New("segment not sealed")

	// ErrNotClaimed is returned by MarkDone and SaveProgress when nobody holds
	// the segment's claim.
	ErrNotClaimed = errors.New("segment not claimed")
)

// ClaimedError says who holds a segment's claim. Owner, PID and Since are
// zero when the holder had not recorded itself yet.
type ClaimedError struct {
	Segment string
	Owner   string
	PID     int
	Since   time.Time
}

func (e *ClaimedError) Error() string {
	if e.Owner == "" {
		return fmt.Sprintf("segment %s claimed", e.Segment)
	}
	return fmt.Sprintf("segment %s claimed by %s (pid %d) since %s",
		e.Segment, e.Owner, e.PID, e.Since.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrClaimed) true.
func (e *ClaimedError) Is(target error) bool { return target == ErrClaimed }

// diskFull marks err with ErrDiskFull when it says the disk or the file size
// limit is exhausted, and returns it unchanged otherwise.
func diskFull(err error) error {
	if err == nil || errors.Is(err, ErrDiskFull) {
		return err
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EFBIG) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	}
	return err
}
