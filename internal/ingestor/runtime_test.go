package ingestor_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/testutil"
)

// TestRuntimeFile: while the ingestor runs, <data dir>/ingestor.json tells
// scripts and harborctl its addresses; once it stops the file is gone, so
// nothing is sent to an ingestor that is no longer there.
func TestRuntimeFile(t *testing.T) {
	r := startIngestor(t, ingestor.DefaultConfig(), nil)
	path := ingestor.RuntimeFile(r.Cfg.DataDir)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("runtime file while running: %v", err)
	}
	var info ingestor.RuntimeInfo
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatalf("runtime file %s: %v", b, err)
	}
	if info.PID != os.Getpid() || info.NATSURL != r.NATSURL || info.HTTPAddr != r.HTTPAddr || info.Sink != "spool" {
		t.Errorf("runtime file = %+v, want pid %d, nats %s, http %s, sink spool", info, os.Getpid(), r.NATSURL, r.HTTPAddr)
	}
	mustNil(t, r.Stop())
	if testutil.Exists(path) {
		t.Errorf("runtime file %s still there after the ingestor stopped", path)
	}
}
