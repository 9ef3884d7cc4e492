// Package record defines the stored call: one row per LLM call, built from
// the call's request and response events and merged so that the row is the
// same whatever order, and however many times, the events arrive. Both sinks
// (PostgreSQL and the spool) store it, and the query layer returns it.
package record
