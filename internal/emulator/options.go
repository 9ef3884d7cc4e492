package emulator

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of Options' zero values.
const (
	DefaultCompletion      = 16
	DefaultChunks          = 8
	DefaultShutdownTimeout = 5 * time.Second
)

// Limits on per-request controls, so a typo cannot hang a test.
const (
	maxChunks  = 10_000
	maxDelay   = 10 * time.Minute
	maxBodyLen = 32 << 20
)

// Options are the server's defaults; every one of them except Addr and
// ShutdownTimeout can be overridden per request by an X-Emulator-* header.
type Options struct {
	// Addr is the address to listen on; "" means 127.0.0.1:0.
	Addr string
	// Usage is reported for requests without X-Emulator-Usage; nil derives
	// the usage from each request (see the package documentation).
	Usage *Usage
	// Completion is the completion count of a derived usage; 0 means
	// DefaultCompletion.
	Completion int64
	// Latency is the delay before the response headers.
	Latency time.Duration
	// ChunkDelay is the delay between stream chunks.
	ChunkDelay time.Duration
	// Chunks is the number of content chunks of a reply; 0 means
	// DefaultChunks. Non-streamed replies hold the same text.
	Chunks int
	// ShutdownTimeout bounds how long Close waits for in-flight requests
	// before it cuts their connections; 0 means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
}

// withDefaults returns o with its zero values replaced by the defaults.
func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Completion == 0 {
		o.Completion = DefaultCompletion
	}
	if o.Chunks == 0 {
		o.Chunks = DefaultChunks
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	return o
}

// validate reports every bad option at once.
func (o Options) validate() error {
	var errs []error
	if o.Usage != nil {
		if err := o.Usage.validate(); err != nil {
			errs = append(errs, fmt.Errorf("Usage: %w", err))
		}
	}
	if o.Completion < 0 {
		errs = append(errs, fmt.Errorf("Completion = %d is negative", o.Completion))
	}
	if o.Latency < 0 || o.Latency > maxDelay {
		errs = append(errs, fmt.Errorf("Latency = %v is outside [0, %v]", o.Latency, maxDelay))
	}
	if o.ChunkDelay < 0 || o.ChunkDelay > maxDelay {
		errs = append(errs, fmt.Errorf("ChunkDelay = %v is outside [0, %v]", o.ChunkDelay, maxDelay))
	}
	if o.Chunks < 0 || o.Chunks > maxChunks {
		errs = append(errs, fmt.Errorf("Chunks = %d is outside [1, %d]", o.Chunks, maxChunks))
	}
	if o.ShutdownTimeout < 0 {
		errs = append(errs, fmt.Errorf("ShutdownTimeout = %v is negative", o.ShutdownTimeout))
	}
	return errors.Join(errs...)
}
