package ingestor

import (
	"log/slog"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/spool"
)

// TestOpenSpoolWaitsForABriefHolder: a replayer holds the spool a moment,
// to seal the segments a writer gone left. An ingestor starting meanwhile
// waits for it rather than fail, and a holder that keeps it (another
// ingestor) still makes it fail, after spoolLockWait.
func TestOpenSpoolWaitsForABriefHolder(t *testing.T) {
	dir := t.TempDir()
	holder, err := spool.Open(spool.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(300*time.Millisecond, func() { _ = holder.Close() })
	start := time.Now()
	w, err := openSpool(t.Context(), dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("openSpool() while a holder closes after 300ms = %v, want it opened", err)
	}
	if waited := time.Since(start); waited < 250*time.Millisecond {
		t.Errorf("opened after %v, before the holder let go", waited)
	}

	start = time.Now()
	if _, err := openSpool(t.Context(), dir, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("openSpool() while another writer keeps the spool = nil error, want ErrLocked")
	}
	if waited := time.Since(start); waited < spoolLockWait {
		t.Errorf("gave up after %v, want after %v", waited, spoolLockWait)
	}
	_ = w.Close()
}
