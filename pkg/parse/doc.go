// Package parse reads the exact token usage out of a raw LLM response body
// (a JSON document, or the raw text of an SSE or NDJSON stream) for every
// supported vendor. It is a pure function of its input: no I/O, no clock,
// and it never panics or fails; what it cannot find it reports as missing.
package parse
