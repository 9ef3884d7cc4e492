package ingest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/harborai/ingest/internal/store"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
	"github.com/harborai/ingest/pkg/spool"
)

// A call larger than a spool record is reported as rejected, for the
// pipeline to quarantine, and the rest of its batch is stored: retrying it
// would fail forever and hold up its writer.
func TestSpoolSinkRejectsCallsLargerThanARecord(t *testing.T) {
	dir := t.TempDir()
	w, err := spool.Open(spool.Options{Dir: dir, Sync: spool.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	s := NewSpoolSink(w, "test")
	s.maxRecord = 2000
	t.Cleanup(func() { _ = s.Close() })
	big := strings.Repeat("x", 3000)
	calls := []record.Call{{CallID: "small-1"}, {CallID: "big", ResponseBody: &big}, {CallID: "small-2"}}
	err = s.Write(context.Background(), calls)
	var poison *pg.PoisonError
	if !errors.As(err, &poison) || len(poison.Calls) != 1 || poison.Calls[0].CallID != "big" || !errors.Is(err, spool.ErrInvalidPayload) {
		t.Fatalf("Write() = %v, want a PoisonError naming the big call", err)
	}
	stored, err := store.NewSpoolStore(dir).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range stored {
		ids = append(ids, c.CallID)
	}
	slices.Sort(ids)
	if strings.Join(ids, ",") != "small-1,small-2" {
		t.Fatalf("spooled %v, want the two small calls", ids)
	}
}
