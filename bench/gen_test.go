package bench

import (
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
)

// TestGeneratorCompressibility keeps the benchmark's traffic honest about
// compression: a batch of 128 generated calls (256 events, as the client
// sends them) must shrink 2-6x with S2, as text does whose JSON keys,
// system prompt and common words repeat but whose passages do not. Bodies
// cut from one repeated paragraph shrank 15x and flattered the pipeline,
// whose batches are compressed, against the baselines, which are not. The
// ratio and the time to compress are logged (go test -run
// TestGeneratorCompressibility -v ./bench).
func TestGeneratorCompressibility(t *testing.T) {
	evs := Events(Gen{Run: "ratio"}, 1000, 128, false, time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	var payload []byte
	for _, ev := range evs {
		line, err := event.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		payload = event.AppendBatchLine(payload, line)
	}
	z, ok := event.CompressBatch(nil, payload)
	if !ok {
		t.Fatalf("a batch of %d bytes did not compress", len(payload))
	}
	ratio := float64(len(payload)) / float64(len(z))
	const rounds = 50
	start := time.Now()
	for range rounds {
		z, _ = event.CompressBatch(z[:0], payload)
	}
	per := time.Since(start) / rounds
	t.Logf("%d events, %d bytes -> %d bytes compressed: %.2fx, in %s (%.0f MB/s, %.2f µs per KiB)", len(evs), len(payload), len(z), ratio,
		per, float64(len(payload))/per.Seconds()/1e6, per.Seconds()*1e6/(float64(len(payload))/1024))
	if ratio < 2 || ratio > 6 {
		t.Errorf("generated traffic compresses %.2fx, want 2-6x like real chat traffic", ratio)
	}
}
