package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/record"
	"github.com/harborai/ingest/pkg/spool"
)

// TestSpoolStoreReadsSegmentSealedMeanwhile: the writer seals a segment
// (the .jsonl is replaced by the .jsonl.gz) between the store's listing
// and its reading: the segment's calls are read from the sealed form, not
// left out of the answer.
func TestSpoolStoreReadsSegmentSealedMeanwhile(t *testing.T) {
	dir := t.TempDir()
	w, err := spool.Open(spool.Options{Dir: dir, Sync: spool.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	var payloads [][]byte
	for i := range 3 {
		b, _ := json.Marshal(record.Call{CallID: fmt.Sprintf("c%d", i), Provider: "openai",
			StartedAt: time.Date(2026, 11, 26, 8, i, 0, 0, time.UTC)})
		payloads = append(payloads, b)
	}
	if err := w.Append(context.Background(), payloads); err != nil {
		t.Fatal(err)
	}
	s := NewSpoolStore(dir)
	s.segments = func(dir string) ([]spool.Segment, error) {
		segs, err := spool.Segments(dir)
		if err == nil {
			err = w.Rotate() // seals the active segment just listed
		}
		return segs, err
	}
	if segs, _ := spool.Segments(dir); len(segs) != 1 || segs[0].Sealed {
		t.Fatalf("Segments() = %+v, want the active segment", segs)
	}
	calls, err := s.List(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range calls {
		ids = append(ids, c.CallID)
	}
	if want := []string{"c2", "c1", "c0"}; !slices.Equal(ids, want) {
		t.Errorf("List() while the segment is sealed = %v, want %v", ids, want)
	}
}
