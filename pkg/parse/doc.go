// Package parse reads the exact token usage out of a raw LLM response body
// (SPEC §4): a JSON document, or the raw text of a stream (SSE "event:" and
// "data:" lines, NDJSON lines, or a JSON array of chunks). It is a pure
// function of its input: no I/O, no clock, no mutable globals, and it never
// panics or fails; what it cannot find it reports as missing.
//
// The contract of Parse:
//
//   - prompt_tokens are all input tokens billed, cache reads and writes
//     included; completion_tokens all output tokens, reasoning included;
//     cached_tokens, reasoning_tokens and cache_write_tokens are subsets.
//   - Not reported is nil; a reported 0 stays 0. Counts are int64 read from
//     the JSON number text (values above 2^53 survive); digit strings are
//     accepted; anything else is not reported. A quantity sent under two
//     spellings is taken once.
//   - Streams: the last usage wins, never a sum; Anthropic's message_delta
//     overwrites message_start field by field.
//   - total_tokens is the vendor's total when reported, even when it
//     disagrees (then Consistency is TotalMismatch and Confidence below 1),
//     else prompt + completion when both are known (TotalDerived).
//   - UsageMissing when no usage is found anywhere; IsError when the body or
//     any stream event is a vendor error object.
//   - An unknown provider's body is read as OpenAI-compatible when its usage
//     is OpenAI-shaped (Method "openai_compatible...", Confidence 0.8), and
//     is otherwise missing: numbers are never invented.
//
// Each vendor has one adapter in its own file (openai.go, anthropic.go, ...)
// stating what its counters include and how its streams report usage; the
// formats several vendors share live in chat.go, responses.go and
// messages.go; adapters() in provider.go is the registry. JSON is read by a
// scanner (scan.go) that finds where an object's members lie in one pass and
// decodes only the values asked for (object.go); what it cannot vouch for
// goes to the JSON decoder (json.go), as before it. The fixture corpus
// in testdata/vendors follows the vendors' documented formats; its format is
// described in fixture_test.go.
package parse
