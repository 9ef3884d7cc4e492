package emulator

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Request headers that control one response; they override Options.
const (
	// HeaderUsage sets the usage, e.g. "prompt=10,completion=5,cached=2,reasoning=1,cache_write=0"
	// (Usage.String formats it).
	HeaderUsage = "X-Emulator-Usage"
	// HeaderLatency delays the response headers, e.g. "50ms" (time.ParseDuration).
	HeaderLatency = "X-Emulator-Latency"
	// HeaderChunkDelay is the delay between stream chunks, e.g. "5ms".
	HeaderChunkDelay = "X-Emulator-Chunk-Delay"
	// HeaderChunks is the number of content chunks, e.g. "8".
	HeaderChunks = "X-Emulator-Chunks"
	// HeaderError answers with a vendor-shaped error: rate_limit, server,
	// invalid_request or http200.
	HeaderError = "X-Emulator-Error"
	// HeaderFail breaks the connection: reset (after the headers and part of
	// the body) or reset_early (before any byte of the response).
	HeaderFail = "X-Emulator-Fail"
	// HeaderOmitUsage set to 1 (or true) leaves every usage out of the response.
	HeaderOmitUsage = "X-Emulator-Omit-Usage"
)

// errKind is a value of X-Emulator-Error.
type errKind string

const (
	errRateLimit errKind = "rate_limit"
	errServer    errKind = "server"
	errInvalid   errKind = "invalid_request"
	errHTTP200   errKind = "http200" // a server error in an HTTP 200 (Qianfan v1 style)
)

// status is the HTTP status of an error of kind k for vendors that use
// HTTP statuses (all but Qianfan v1).
func (k errKind) status() int {
	switch k {
	case errRateLimit:
		return http.StatusTooManyRequests
	case errServer:
		return http.StatusInternalServerError
	case errInvalid:
		return http.StatusBadRequest
	default:
		return http.StatusOK
	}
}

// failMode is a value of X-Emulator-Fail.
type failMode string

const (
	failNone       failMode = ""
	failReset      failMode = "reset"
	failResetEarly failMode = "reset_early"
)

// plan is what the emulator does for one request.
type plan struct {
	usage      *Usage // nil: derive from the request
	latency    time.Duration
	chunkDelay time.Duration
	chunks     int
	fault      errKind
	fail       failMode
	omitUsage  bool
}

// planFor reads the control headers over the server's defaults and reports
// every bad header at once.
func planFor(h http.Header, o Options) (plan, error) {
	p := plan{usage: o.Usage, latency: o.Latency, chunkDelay: o.ChunkDelay, chunks: o.Chunks}
	var errs []error
	if v := h.Get(HeaderUsage); v != "" {
		u, err := parseUsage(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", HeaderUsage, err))
		}
		p.usage = &u
	}
	for _, d := range []struct {
		header string
		dst    *time.Duration
	}{{HeaderLatency, &p.latency}, {HeaderChunkDelay, &p.chunkDelay}} {
		v := h.Get(d.header)
		if v == "" {
			continue
		}
		dur, err := time.ParseDuration(v)
		if err != nil || dur < 0 || dur > maxDelay {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration in [0, %v]", d.header, v, maxDelay))
			continue
		}
		*d.dst = dur
	}
	if v := h.Get(HeaderChunks); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxChunks {
			errs = append(errs, fmt.Errorf("%s: %q is not a number in [1, %d]", HeaderChunks, v, maxChunks))
		} else {
			p.chunks = n
		}
	}
	switch k := errKind(strings.ToLower(h.Get(HeaderError))); k {
	case "", errRateLimit, errServer, errInvalid, errHTTP200:
		p.fault = k
	default:
		errs = append(errs, fmt.Errorf("%s: unknown kind %q (want rate_limit, server, invalid_request or http200)", HeaderError, k))
	}
	switch f := failMode(strings.ToLower(h.Get(HeaderFail))); f {
	case failNone, failReset, failResetEarly:
		p.fail = f
	default:
		errs = append(errs, fmt.Errorf("%s: unknown mode %q (want reset or reset_early)", HeaderFail, f))
	}
	switch v := strings.ToLower(h.Get(HeaderOmitUsage)); v {
	case "", "0", "false":
	case "1", "true":
		p.omitUsage = true
	default:
		errs = append(errs, fmt.Errorf("%s: %q is not 1 or 0", HeaderOmitUsage, v))
	}
	return p, errors.Join(errs...)
}
