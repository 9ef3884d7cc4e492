// Package broker owns the NATS side of the ingestor: the embedded
// nats-server with JetStream, and the stream and durable consumer the
// pipeline uses, created idempotently.
package broker
