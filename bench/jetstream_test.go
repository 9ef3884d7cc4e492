package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/harborai/ingest/bench/report"
	"github.com/harborai/ingest/internal/broker"
	"github.com/harborai/ingest/pkg/event"
)

// JSRun is one raw JetStream rate.
type JSRun struct {
	Transport string        `json:"transport"` // in-process or loopback TCP
	Sync      string        `json:"sync"`      // HARBORAI_NATS_SYNC
	Op        string        `json:"op"`
	Msgs      int           `json:"msgs"`
	Wall      time.Duration `json:"wall"`
	Rate      float64       `json:"rate"` // msgs/s
	MBps      float64       `json:"mbps"`
}

// JSData is the jetstream section's raw figures.
type JSData struct {
	MeanBytes float64 `json:"mean_bytes"`
	Runs      []JSRun `json:"runs"`
}

func jetstreamNew(nc *nats.Conn, opts ...jetstream.JetStreamOpt) (jetstream.JetStream, error) {
	return jetstream.New(nc, opts...)
}

// BenchmarkJetStream measures the embedded server alone, configured as
// the ingestor configures it (broker.StartEmbedded, broker.EnsureStream):
// async publish of our encoded events (request and response events of the
// generator, each with its Nats-Msg-Id), then pull consume with an ack per
// message, in-process and over loopback TCP, with the default fsync every
// second and with fsync always. Run with -benchtime 1x.
func BenchmarkJetStream(b *testing.B) {
	sec := newSection("jetstream")
	var data JSData
	payloads := encodedEvents(2000)
	for _, p := range payloads {
		data.MeanBytes += float64(len(p.data))
	}
	data.MeanBytes /= float64(len(payloads))
	for _, sync := range []string{"1s", "always"} {
		n := scaled(200_000, 20_000)
		if sync == "always" {
			n = scaled(20_000, 2_000)
		}
		for _, transport := range []string{"in-process", "loopback TCP"} {
			pubRun, consRun := jsRates(b, transport, sync, payloads, n)
			b.Logf("%s, sync %s: publish %.0f msg/s, consume %.0f msg/s", transport, sync, pubRun.Rate, consRun.Rate)
			data.Runs = append(data.Runs, pubRun, consRun)
		}
	}
	sec.finish(b, jetstreamMarkdown(data), data)
}

type payload struct {
	subject string
	data    []byte
}

// encodedEvents returns the wire form of k events of the generator.
func encodedEvents(k int) []payload {
	g := Gen{Run: "js"}
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	out := make([]payload, 0, k)
	for i := range k / 2 {
		req, resp := g.Call(i, at)
		for _, ev := range []*event.Event{req, resp} {
			data, err := event.Encode(ev)
			if err != nil {
				panic(err) // the generator's events are valid
			}
			out = append(out, payload{subject: event.Subject(ev.Kind), data: data})
		}
	}
	return out
}

// jsRates publishes n messages to a fresh embedded server, then consumes
// them.
func jsRates(b *testing.B, transport, sync string, payloads []payload, n int) (JSRun, JSRun) {
	b.Helper()
	cfg := broker.EmbeddedConfig{Listen: "127.0.0.1:0"}
	if sync == "always" {
		cfg.SyncAlways = true
	} else {
		d, err := time.ParseDuration(sync)
		if err != nil {
			b.Fatal(err)
		}
		cfg.SyncInterval = d
	}
	emb := startBroker(b, cfg)
	var nc *nats.Conn
	var err error
	if transport == "in-process" {
		nc, err = emb.Connect()
	} else {
		nc, err = nats.Connect(emb.ClientURL())
	}
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	const maxPending = 4096 // the client package's default
	js, err := jetstreamNew(nc, jetstream.WithPublishAsyncMaxPending(maxPending))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	var bytes int
	start := time.Now()
	for i := range n {
		p := payloads[i%len(payloads)]
		m := nats.NewMsg(p.subject)
		m.Data = p.data
		m.Header.Set(event.HeaderMsgID, "m"+strconv.Itoa(i))
		bytes += len(p.data)
		// At the pending bound, PublishMsgAsync stalls up to 200 ms and
		// then fails (fsync always): wait for acks instead, as the
		// client package does.
		for js.PublishAsyncPending() >= maxPending {
			time.Sleep(50 * time.Microsecond)
		}
		if _, err := js.PublishMsgAsync(m); err != nil {
			b.Fatalf("PublishMsgAsync: %v", err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		b.Fatal("publish acks: timed out")
	}
	pubWall := time.Since(start)

	scfg := broker.DefaultStreamConfig()
	cons, err := js.Consumer(ctx, scfg.Stream, scfg.Consumer)
	if err != nil {
		b.Fatal(err)
	}
	var got atomic.Int64
	done := make(chan struct{})
	start = time.Now()
	cc, err := cons.Consume(func(m jetstream.Msg) {
		_ = m.Ack()
		if got.Add(1) == int64(n) {
			close(done)
		}
	}, jetstream.PullMaxMessages(2000))
	if err != nil {
		b.Fatal(err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		b.Fatalf("consume: timed out after %d of %d", got.Load(), n)
	}
	consWall := time.Since(start)
	cc.Stop()

	run := func(op string, wall time.Duration) JSRun {
		return JSRun{Transport: transport, Sync: sync, Op: op, Msgs: n, Wall: wall,
			Rate: float64(n) / wall.Seconds(), MBps: float64(bytes) / (1 << 20) / wall.Seconds()}
	}
	return run("async publish (acked)", pubWall), run("pull consume + ack", consWall)
}

func jetstreamMarkdown(d JSData) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Messages: the generator's request and response events, %s bytes on average, each with its `Nats-Msg-Id` (de-duplication on); "+
		"stream and consumer as the ingestor creates them (file storage, work queue, explicit ack); up to 4,096 async publishes pending; pull batches of 2,000. "+
		"A fresh server and store for each line pair.\n\n", report.Num(d.MeanBytes, 0))
	t := report.NewTable("client", "HARBORAI_NATS_SYNC", "operation", "messages", "wall", "msgs/s", "MiB/s")
	for _, r := range d.Runs {
		t.Row(r.Transport, r.Sync, r.Op, report.Num(float64(r.Msgs), 0), report.Dur(r.Wall), report.Num(r.Rate, 0), report.Num(r.MBps, 1))
	}
	b.WriteString(t.String())
	return b.String()
}

// startBroker starts an embedded NATS server with the events stream, as
// the ingestor does, and shuts it down at cleanup.
func startBroker(b *testing.B, cfg broker.EmbeddedConfig) *broker.Embedded {
	b.Helper()
	if cfg.StoreDir == "" {
		cfg.StoreDir = filepath.Join(b.TempDir(), "jetstream")
	}
	if cfg.MaxPayload == 0 {
		cfg.MaxPayload = 8 << 20
	}
	emb, err := broker.StartEmbedded(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(emb.Shutdown)
	nc, err := emb.Connect()
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstreamNew(nc)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := broker.EnsureStream(ctx, js, broker.DefaultStreamConfig()); err != nil {
		b.Fatal(err)
	}
	return emb
}
