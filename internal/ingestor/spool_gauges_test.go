package ingestor_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/spool"
)

// TestSpoolGauges: harborai_spool_segments and harborai_spool_bytes show
// the segments of the spool the ingestor stores calls in, and their size
// on disk.
func TestSpoolGauges(t *testing.T) {
	r := startIngestor(t, ingestor.DefaultConfig(), nil)
	body, _, _ := openAIBody(1)
	if err := r.conn(t).Publish(event.Subject(event.KindCall), callEvent(t, "c-1", body)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the call stored", func() (bool, string) {
		n := len(r.calls(t))
		return n == 1, fmt.Sprintf("%d calls", n)
	})
	waitFor(t, 15*time.Second, "the gauges showing the spool's segments", func() (bool, string) {
		segs, err := spool.Segments(ingestor.SpoolDir(r.Cfg.DataDir))
		if err != nil {
			return false, err.Error()
		}
		var size int64
		for _, s := range segs {
			size += s.Size
		}
		m := r.scrape(t)
		n, b := counter(m, "harborai_spool_segments", "", ""), counter(m, "harborai_spool_bytes", "", "")
		return len(segs) > 0 && size > 0 && n == float64(len(segs)) && b == float64(size),
			fmt.Sprintf("gauges %v segments, %v bytes; on disk %d segments, %d bytes", n, b, len(segs), size)
	})
}
