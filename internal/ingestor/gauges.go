package ingestor

import (
	"context"
	"time"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/pkg/spool"
)

// watchSpool keeps the spool gauges current until ctx ends.
func watchSpool(ctx context.Context, dir string, m *ingest.Metrics) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		segs, err := spool.Segments(dir)
		if err == nil {
			var size int64
			for _, s := range segs {
				size += s.Size
			}
			m.SpoolSegments.Set(float64(len(segs)))
			m.SpoolBytes.Set(float64(size))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
