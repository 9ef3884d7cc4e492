// Package event defines HarborAI's wire format: the versioned JSON events an
// application publishes for every LLM call (request, response, or both at
// once as a call), their ids, subjects and NATS headers, and their
// validation.
//
// The contract: an event is one JSON object of at most MaxSize bytes with
// schema_version SchemaVersion. Every event of a call repeats the call's
// header (ids, provider, model, start time, custom pricing, tags) so each one
// can be processed on its own and a call converges to the same stored row
// whatever order its events arrive in. docs/events.md documents it and
// docs/event.schema.json is its JSON Schema.
package event
