package parse

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

// countOf reads a token count from raw JSON: a JSON number written as an
// integer, or a string of digits from a misbehaving proxy. It parses the text
// itself, never through float64, so values above 2^53 survive exactly.
// Anything else (negative, written with a fraction or exponent, boolean,
// object, beyond int64) is not a count and gives nil.
func countOf(raw json.RawMessage) *int64 {
	b := bytes.TrimSpace(raw)
	if len(b) >= 2 && b[0] == '"' {
		var ok bool
		if b, ok = stringValue(b); !ok {
			return nil
		}
	}
	if !allDigits(b) {
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

// allDigits reports whether b is a non-empty run of ASCII digits.
func allDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// first returns the first reported count: one quantity sent under several
// spellings is taken once.
func first(cs ...*int64) *int64 {
	for _, c := range cs {
		if c != nil {
			return c
		}
	}
	return nil
}

// sum adds counts; it is nil when any of them is nil or the sum overflows.
func sum(cs ...*int64) *int64 {
	var total int64
	for _, c := range cs {
		if c == nil || *c > math.MaxInt64-total {
			return nil
		}
		total += *c
	}
	return &total
}

// orZero treats a count that was not reported as 0, for the parts of a sum
// that a vendor omits when they are zero.
func orZero(c *int64) *int64 {
	if c == nil {
		return ptr(0)
	}
	return c
}

func ptr(n int64) *int64 { return &n }
