package harborai

import "errors"

var (
	// ErrDropped is returned by Publish when the queue is full; the event is
	// counted as dropped. Applications may ignore it.
	ErrDropped = errors.New("harborai: queue full, event dropped")
	// ErrClosed is returned by Publish after Close.
	ErrClosed = errors.New("harborai: publisher closed")
	// ErrNilEvent is returned by Publish given no event; it is counted as
	// dropped, invalid.
	ErrNilEvent = errors.New("harborai: nil event, dropped")
)
