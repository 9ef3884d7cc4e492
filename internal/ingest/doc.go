// Package ingest is the ingestor's pipeline: it turns events into call
// records (Build, a pure function), batches them, writes each batch through
// a Sink and acknowledges the events to JetStream only after the write
// succeeded.
package ingest
