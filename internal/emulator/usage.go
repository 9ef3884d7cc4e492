package emulator

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Usage is the token usage the emulator reports for one call, in the
// pipeline's terms (SPEC §4.1): Prompt counts every input token billed,
// cache reads (Cached) and cache writes (CacheWrite) included; Completion
// counts every output token, Reasoning included. Each vendor's writer shapes
// it into that vendor's own fields; doc.go has the table.
type Usage struct {
	Prompt, Completion, Cached, Reasoning, CacheWrite int64
}

// Total is Prompt + Completion, the total every vendor reports.
func (u Usage) Total() int64 { return u.Prompt + u.Completion }

// String formats u as the value of the X-Emulator-Usage header.
func (u Usage) String() string {
	return fmt.Sprintf("prompt=%d,completion=%d,cached=%d,reasoning=%d,cache_write=%d",
		u.Prompt, u.Completion, u.Cached, u.Reasoning, u.CacheWrite)
}

// validate reports every count no vendor could put on the wire: negative
// counts, and subsets larger than the count they belong to.
func (u Usage) validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		v    int64
	}{{"prompt", u.Prompt}, {"completion", u.Completion}, {"cached", u.Cached}, {"reasoning", u.Reasoning}, {"cache_write", u.CacheWrite}} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("%s = %d is negative", f.name, f.v))
		}
	}
	if u.Cached+u.CacheWrite > u.Prompt {
		errs = append(errs, fmt.Errorf("cached + cache_write = %d exceeds prompt = %d", u.Cached+u.CacheWrite, u.Prompt))
	}
	if u.Reasoning > u.Completion {
		errs = append(errs, fmt.Errorf("reasoning = %d exceeds completion = %d", u.Reasoning, u.Completion))
	}
	return errors.Join(errs...)
}

// parseUsage reads the X-Emulator-Usage header: comma-separated key=value
// pairs with the keys prompt, completion, cached, reasoning, cache_write.
// Keys left out are 0.
func parseUsage(s string) (Usage, error) {
	var u Usage
	fields := map[string]*int64{
		"prompt": &u.Prompt, "completion": &u.Completion, "cached": &u.Cached,
		"reasoning": &u.Reasoning, "cache_write": &u.CacheWrite,
	}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		if !ok {
			return Usage{}, fmt.Errorf("%q is not key=value", part)
		}
		dst, known := fields[strings.TrimSpace(key)]
		if !known {
			return Usage{}, fmt.Errorf("unknown key %q", key)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
		if err != nil {
			return Usage{}, fmt.Errorf("%s: %w", key, err)
		}
		*dst = n
	}
	return u, u.validate()
}

// derivedUsage is the usage of a request that sets no X-Emulator-Usage when
// Options.Usage is nil: Prompt is the number of bytes of the request's input
// fields, as sent, divided by 4 and rounded up (at least 1); Completion is
// the configured completion; nothing is cached and nothing is reasoning.
func derivedUsage(inputBytes int, completion int64) Usage {
	return Usage{Prompt: max(1, int64(inputBytes+3)/4), Completion: completion}
}

// progress is the share of n counted after k of total steps; it reaches n
// exactly at the last step, for vendors that report running totals.
func progress(n int64, k, total int) int64 {
	if total <= 0 || k >= total {
		return n
	}
	return n * int64(k) / int64(total)
}
