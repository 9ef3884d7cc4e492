// Package ingestor is the ingestor daemon: configuration, the embedded or
// external NATS connection, the sink (PostgreSQL or the spool), the
// pipeline, and the HTTP endpoints (/metrics, /healthz, /readyz), with an
// orderly start and shutdown. cmd/ingestor only wires flags, environment and
// signals to it.
package ingestor
