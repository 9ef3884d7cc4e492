package ingest_test

import (
	"testing"
	"time"

	"github.com/harborai/ingest/bench"
	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
)

// benchEvents are the benchmark generator's request and response events
// of 1,000 calls (the mix of vendors, streams and errors of make bench),
// encoded.
func benchEvents(b *testing.B) [][]byte {
	b.Helper()
	g := bench.Gen{Run: "prepare"}
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	var out [][]byte
	for i := range 1000 {
		req, resp := g.Call(i, at)
		for _, ev := range []*event.Event{req, resp} {
			data, err := event.Encode(ev)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, data)
		}
	}
	return out
}

// BenchmarkPrepare is the ingestor's work per event before the write:
// event.Decode, then ingest.Build (usage parsing and cost), by stage.
func BenchmarkPrepare(b *testing.B) {
	events := benchEvents(b)
	pricer, err := cost.NewPricer(cost.Options{})
	if err != nil {
		b.Fatal(err)
	}
	decoded := make([]*event.Event, len(events))
	for i, data := range events {
		if decoded[i], err = event.Decode(data, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("decode", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := event.Decode(events[i%len(events)], 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			ev := decoded[i%len(decoded)]
			if ev.Response != nil {
				parse.Parse(ev.Provider, []byte(ev.Response.Body))
			}
		}
	})
	b.Run("decode+build", func(b *testing.B) {
		opts := ingest.BuildOptions{KeepBodies: true}
		for i := 0; b.Loop(); i++ {
			ev, err := event.Decode(events[i%len(events)], 0)
			if err != nil {
				b.Fatal(err)
			}
			ingest.Build(ev, pricer, opts)
		}
	})
}
