package ingestor

import (
	"log/slog"
	"runtime/debug"
)

// ApplyMemoryLimit sets the Go runtime's soft memory limit to
// cfg.MemoryLimit, unless GOMEMLIMIT is set (lookup reads the environment),
// in which case the runtime already applied that one. With the limit the
// garbage collector runs sooner as the process nears it, instead of
// letting the heap grow to twice what is live: at full rate, with a
// JetStream backlog, that keeps the ingestor (embedded NATS server
// included) near the limit rather than at several times its live heap. It
// is soft: a live heap above it is not an error, only more collection.
//
// The limit is process-wide, so the command calls this, not Run (tests
// and benchmarks run Run inside their own process).
func ApplyMemoryLimit(cfg Config, lookup func(string) (string, bool), log *slog.Logger) {
	if v, ok := lookup("GOMEMLIMIT"); ok && v != "" {
		log.Info("memory limit from GOMEMLIMIT", "GOMEMLIMIT", v, "ignored", "HARBORAI_MEMORY_LIMIT")
		return
	}
	if cfg.MemoryLimit <= 0 {
		return
	}
	debug.SetMemoryLimit(cfg.MemoryLimit)
	log.Debug("memory limit set", "bytes", cfg.MemoryLimit)
}
