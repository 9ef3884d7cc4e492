package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
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

// TestSpoolStoreCountsEveryDamagedLine: Corrupt counts every damaged line
// of a query, beyond the 1,000 of a segment that pkg/spool details, and
// Damaged says which segment held them, why, and whether the rest of it
// could not be read; the last line of the active segment, which may be an
// append in progress, is not counted.
func TestSpoolStoreCountsEveryDamagedLine(t *testing.T) {
	dir := t.TempDir()
	good := func(id string) string {
		b, _ := json.Marshal(record.Call{CallID: id, Provider: "openai", StartedAt: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)})
		return fmt.Sprintf(`{"v":1,"crc":"%08x","ts":"2026-11-26T08:00:00Z","data":%s}`, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)), b) + "\n"
	}
	var sealed strings.Builder
	sealed.WriteString(good("a"))
	for range spool.MaxCorruptReported + 5 {
		sealed.WriteString("garbage\n")
	}
	sealed.WriteString(good("b"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(sealed.String()))
	_ = zw.Close()
	sealedName := "seg-20261126T080000.000000000Z-000001.jsonl.gz"
	activeName := "seg-20261126T081000.000000000Z-000002.jsonl"
	if err := os.WriteFile(filepath.Join(dir, sealedName), gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, activeName), []byte(good("c")+`{"v":1,"crc`), 0o600); err != nil {
		t.Fatal(err)
	}
	s := NewSpoolStore(dir)
	calls, err := s.List(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 3 {
		t.Errorf("List() = %d calls, want a, b and c", len(calls))
	}
	want := []Damage{{Segment: sealedName, Lines: spool.MaxCorruptReported + 5, Reasons: []string{spool.ReasonInvalidJSON}}}
	if s.Corrupt != spool.MaxCorruptReported+5 || !reflect.DeepEqual(s.Damaged, want) {
		t.Errorf("Corrupt = %d, Damaged = %+v; want %d, %+v", s.Corrupt, s.Damaged, spool.MaxCorruptReported+5, want)
	}
	// A second query counts afresh.
	if _, err := s.Get(context.Background(), "a"); err != nil || s.Corrupt != spool.MaxCorruptReported+5 {
		t.Errorf("Get() = %v, Corrupt = %d; want the same count again", err, s.Corrupt)
	}
}
