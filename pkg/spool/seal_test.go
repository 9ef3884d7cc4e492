package spool

import (
	"slices"
	"testing"
)

// TestSealCompression: a sealed segment takes a fraction of the bytes
// appended (JSON records compress well), unless compression is disabled,
// and reads back the same records either way.
func TestSealCompression(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		smallest float64 // the sealed size over the bytes appended, at least
		largest  float64 // and at most
	}{
		{"compressed by default", Options{Sync: SyncNone}, 0, 0.5},
		{"stored with DisableCompression", Options{Sync: SyncNone, DisableCompression: true}, 1, 1.1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := openWriter(t, tt.opts)
			mustAppend(t, w, payloads(0, 500))
			if err := w.Rotate(); err != nil {
				t.Fatalf("Rotate() = %v", err)
			}
			segs, err := Segments(w.opts.Dir)
			if err != nil || len(segs) != 1 || !segs[0].Sealed {
				t.Fatalf("Segments() = %+v, %v; want one sealed", segs, err)
			}
			appended := w.Stats().Bytes
			if ratio := float64(segs[0].Size) / float64(appended); ratio < tt.smallest || ratio > tt.largest {
				t.Errorf("sealed segment = %d bytes for %d appended (%.2f), want %.2f..%.2f",
					segs[0].Size, appended, ratio, tt.smallest, tt.largest)
			}
			recs, corrupt := readDir(t, w.opts.Dir)
			if got := ids(t, recs); !slices.Equal(got, seq(0, 500)) || len(corrupt) != 0 {
				t.Errorf("read back %d records (corrupt %+v), want 0..499", len(got), corrupt)
			}
		})
	}
}
