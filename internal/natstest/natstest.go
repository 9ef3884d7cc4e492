// Package natstest starts in-process NATS servers with JetStream for tests,
// each in its own temporary directory, shut down by t.Cleanup.
package natstest

import (
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/harborai/ingest/internal/broker"
)

// Server is a running test server.
type Server struct {
	*broker.Embedded
	StoreDir string
}

// Start starts a JetStream server listening on a free loopback port.
func Start(t testing.TB) *Server {
	t.Helper()
	dir := t.TempDir()
	emb, err := broker.StartEmbedded(broker.EmbeddedConfig{Listen: "127.0.0.1:0", StoreDir: dir, MaxPayload: 8 << 20}, nil)
	if err != nil {
		t.Fatalf("start NATS: %v", err)
	}
	t.Cleanup(emb.Shutdown)
	return &Server{Embedded: emb, StoreDir: dir}
}

// Conn returns a TCP client connection closed at cleanup.
func (s *Server) Conn(t testing.TB) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatalf("connect to NATS: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}
