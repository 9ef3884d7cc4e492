package ingestor

import (
	"log/slog"
	"runtime/debug"
)

// ApplyMemoryLimit sets the Go runtime's soft memory limit to
// cfg.MemoryLimit (AutoMemoryLimit when it is -1), unless GOMEMLIMIT is set (lookup reads the environment),
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
	limit := cfg.MemoryLimit
	if limit == -1 {
		limit = AutoMemoryLimit(cfg)
	}
	if limit <= 0 {
		return
	}
	debug.SetMemoryLimit(limit)
	log.Debug("memory limit set", "bytes", limit)
}

// AutoMemoryLimit is the default memory limit: a base for the embedded
// NATS server, the runtime and the rest, plus 8 KiB for each event the
// pipeline may hold at once (fetched ahead, being prepared, being written:
// BatchSize × (Writers + 3)); 224 MiB at the default batch size and
// writers. A limit below what is live makes the collector run without
// pause (with a batch of 4,000 under a fixed 192 MiB, the ingest benchmark
// lost 40% of its rate), so it grows with the batches.
func AutoMemoryLimit(cfg Config) int64 {
	const base, perEvent = 184 << 20, 8 << 10
	return base + int64(cfg.BatchSize)*int64(cfg.Writers+3)*perEvent
}
