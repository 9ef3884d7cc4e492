package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/spool"
)

// LoadedSegments puts one segment file in spoolDir/done/ (where the
// replayer moves what it loaded) for each age, last modified that long
// ago, and returns their paths in order. Their content is not a segment's:
// only names and times matter to what prunes them.
func LoadedSegments(t testing.TB, spoolDir string, ages ...time.Duration) []string {
	t.Helper()
	done := filepath.Join(spoolDir, "done")
	if err := os.MkdirAll(done, 0o700); err != nil {
		t.Fatal(err)
	}
	paths := make([]string, len(ages))
	for i, age := range ages {
		at := time.Now().Add(-age)
		paths[i] = filepath.Join(done, fmt.Sprintf("seg-%sZ-%06d.jsonl.gz", at.UTC().Format("20060102T150405.000000000"), i+1))
		if err := os.WriteFile(paths[i], []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(paths[i], at, at); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// Exists reports whether path exists.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// SpooledEvents returns the events of every segment of the spool in dir,
// decoded, failing t on a segment that cannot be read, a corrupt line or a
// record that is not an event.
func SpooledEvents(t testing.TB, dir string) []*event.Event {
	t.Helper()
	segs, err := spool.Segments(dir)
	if err != nil {
		t.Fatalf("spool.Segments(%s) = %v", dir, err)
	}
	var evs []*event.Event
	for _, seg := range segs {
		st, err := spool.ReadSegment(seg.Path, func(rec spool.Record) error {
			ev, err := event.Decode(rec.Data, 0)
			if err != nil {
				return fmt.Errorf("record %d: %w", rec.Line, err)
			}
			evs = append(evs, ev)
			return nil
		})
		if err != nil || st.CorruptCount != 0 {
			t.Fatalf("ReadSegment(%s) = %v, %d corrupt lines", seg.Name, err, st.CorruptCount)
		}
	}
	return evs
}
