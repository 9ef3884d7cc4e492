package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/demo"
	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/harborai"
)

// TestReplayClientSpool: the calls an application made through the
// Transport while NATS was down, kept by the client's spool (WithSpool),
// are loaded by the replayer into PostgreSQL, each once and as PostgreSQL
// stores the same events published to an ingestor; a second run adds
// nothing.
func TestReplayClientSpool(t *testing.T) {
	const n = 40
	emu, err := emulator.Start(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	dir := t.TempDir()
	pub, err := harborai.Connect("nats://"+testutil.HangUpAddr(t), harborai.WithSpool(dir))
	if err != nil {
		t.Fatal(err)
	}
	// Every vendor the demo knows, streams and vendor errors included.
	sum, err := demo.Run(context.Background(), pub, emu, demo.Options{Calls: n, Concurrency: 4, ErrorEvery: 7,
		Client: pub.HTTPClient(&http.Client{Timeout: 30 * time.Second})})
	if err != nil {
		t.Fatalf("demo.Run() = %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_ = pub.Close(ctx) // the deadline: nothing could be published
	if st := pub.Stats(); st.Attempted != 2*n || st.Spooled != st.Attempted {
		t.Fatalf("Stats() = %+v, want all %d events spooled", st, 2*n)
	}

	// The reference: the same events published to an ingestor.
	evs := testutil.SpooledEvents(t, dir)
	cluster := pgtest.Start(t)
	cfg := ingestor.DefaultConfig()
	cfg.PostgresURL = cluster.NewDB(t)
	direct := testutil.StartIngestor(t, cfg, nil)
	testutil.Publish(t, direct.NATSURL, evs)
	testutil.WaitComplete(t, direct.Store(t), n)

	url := cluster.NewDB(t)
	if got := replayJSON(t, "-postgres-url", url, "-quiet", dir); got.Events != 2*n || got.Calls != n || got.AlreadyPresent != 0 || got.Corrupt != 0 {
		t.Fatalf("replay summary = %+v, want %d events, %d calls, none present, nothing corrupt", got, 2*n, n)
	}
	assertSameStoredText(t, url, cfg.PostgresURL)
	var errors, streams int64
	if err := openPool(t, url).QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE status = 'error'),
		count(*) FILTER (WHERE stream) FROM calls`).Scan(&errors, &streams); err != nil {
		t.Fatal(err)
	}
	if sum.Errors == 0 || sum.Streams == 0 || errors != sum.Errors || streams != sum.Streams {
		t.Errorf("replayed %d errors, %d streams; the application saw %d, %d", errors, streams, sum.Errors, sum.Streams)
	}
	if got := replayJSON(t, "-postgres-url", url, "-quiet", dir); got.Records != 0 || got.Calls != 0 {
		t.Fatalf("second replay summary = %+v, want nothing loaded", got)
	}
}
