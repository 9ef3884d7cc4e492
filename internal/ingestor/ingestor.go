package ingestor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/sethvargo/go-retry"

	"github.com/harborai/ingest/internal/broker"
	"github.com/harborai/ingest/internal/cli"
	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/internal/pricing"
	"github.com/harborai/ingest/pkg/pg"
)

// Deps are injected into the daemon.
type Deps struct {
	Logger *slog.Logger
	// Registry receives the metrics; nil = a fresh registry.
	Registry *prometheus.Registry
	// Lookup reads price variables (the environment in main).
	Lookup func(string) (string, bool)
	// Environ lists the environment (os.Environ in main), so price
	// variables for models no table lists are found.
	Environ []string
	// Started is called once the ingestor consumes, with the NATS URL
	// publishers should use and the HTTP address ("" when none).
	Started func(natsURL, httpAddr string)
}

// Run starts the ingestor and blocks until ctx is cancelled and it has shut
// down: stop consuming, flush the open batch, close the sink, the NATS
// connection and the embedded server, in that order.
func Run(ctx context.Context, cfg Config, deps Deps) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Registry == nil {
		deps.Registry = prometheus.NewRegistry()
	}
	if deps.Lookup == nil {
		deps.Lookup = func(string) (string, bool) { return "", false }
	}
	log := deps.Logger
	// Dynamic prices (internal/pricing, docs/pricing.md): the price
	// variables and the table are checked now; the dynamic prices are loaded
	// once the sink is open (after the migrations) and refreshed every
	// HARBORAI_PRICING_REFRESH (default 1m) by pricer.Run below.
	pricer, err := pricing.OpenLive(ctx, pricing.LiveConfig{
		PostgresURL: cfg.PostgresURL, DataDir: cfg.DataDir,
		Lookup: deps.Lookup, Environ: deps.Environ, Logger: log.With("component", "pricing"),
	})
	if err != nil {
		return fmt.Errorf("prices: %w", err)
	}
	defer pricer.Close()
	// End of dynamic prices set-up.
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	deps.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := ingest.NewMetrics(deps.Registry)
	metrics.State.Set(ingest.StateInitializing)

	// HTTP first, so /healthz and /metrics answer while the rest starts,
	// which can wait long (for the broker, PostgreSQL, the migrations):
	// a liveness probe must not restart the ingestor meanwhile. /readyz
	// says "starting" until the pipeline is set up.
	var ready atomic.Pointer[func() error]
	httpAddr := ""
	if cfg.MetricsAddr != "" {
		ln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		httpAddr = ln.Addr().String()
		readiness := func() error {
			if f := ready.Load(); f != nil {
				return (*f)()
			}
			return errors.New("starting")
		}
		httpCtx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
		httpDone := make(chan struct{})
		go func() {
			defer close(httpDone)
			if err := serveHTTP(httpCtx, ln, deps.Registry, readiness, cfg.Pprof); err != nil {
				log.Error("http server", "err", err)
			}
		}()
		defer func() { stopHTTP(); <-httpDone }()
	}

	var natsErr atomic.Pointer[error] // the last failed attempt to reach an external server
	nc, publicURL, stopNATS, err := connectNATS(ctx, cfg, log, func(err error) { natsErr.Store(&err) })
	if err != nil {
		return err
	}
	defer stopNATS()

	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	scfg := broker.DefaultStreamConfig()
	scfg.MaxBytes = cfg.StreamMaxBytes
	scfg.MaxMsgSize = cfg.maxPayload()
	whyNot := func() error {
		if p := natsErr.Load(); p != nil {
			return *p
		}
		return nil
	}
	cons, err := ensureStream(ctx, nc, publicURL, whyNot, js, scfg, log)
	if err != nil {
		return stoppedStarting(ctx, log, err)
	}

	sink, sinkName, state, err := openSink(ctx, cfg, log)
	if err != nil {
		return stoppedStarting(ctx, log, err)
	}
	metrics.State.Set(float64(state))
	if w, ok := sink.(*pg.Writer); ok {
		registerWriterCounts(deps.Registry, w)
	}
	if err := pricer.Start(ctx); err != nil { // dynamic prices: the first load
		_ = sink.Close()
		return stoppedStarting(ctx, log, fmt.Errorf("prices: %w", err))
	}

	pcfg := ingest.DefaultConfig()
	pcfg.BatchSize = cfg.BatchSize
	pcfg.FlushInterval = cfg.FlushInterval
	pcfg.Writers = cfg.Writers
	pcfg.MaxEventBytes = cfg.MaxEventBytes
	pcfg.AckWait = scfg.AckWait
	pcfg.ShutdownTimeout = cfg.ShutdownTimeout
	pcfg.Build.KeepBodies = cfg.KeepBodies
	pcfg.Build.Environment = cfg.Environment
	health := &postgresHealth{m: metrics}
	var onWrite func(error)
	if sinkName == "postgres" {
		onWrite = health.wrote
		// pg.Writer bounds each statement itself; a batch it writes in
		// parts (after a statement timeout) must not be cut as a whole.
		pcfg.WriteTimeout = 0
	}
	pipe := ingest.New(pcfg, ingest.Deps{
		Consumer: cons, Sink: sink, SinkName: sinkName, Pricer: pricer,
		Quarantine: quarantineDir(cfg.DataDir),
		Metrics:    metrics, Logger: log, OnWrite: onWrite,
	})

	var wg sync.WaitGroup
	pipeReady := func() error {
		switch {
		case !pipe.Ready():
			return errors.New("pipeline not consuming")
		case !nc.IsConnected():
			return errors.New("NATS not connected")
		}
		return nil
	}
	ready.Store(&pipeReady)
	priceCtx, stopPrices := context.WithCancel(ctx) // dynamic prices: periodic refresh until shutdown
	wg.Go(func() { pricer.Run(priceCtx) })
	log.Info("ingestor started", "nats", cli.MaskPassword(publicURL), "sink", sinkName, "data_dir", cfg.DataDir, "http", httpAddr)
	wg.Go(func() {
		for !pipe.Ready() && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		if ctx.Err() != nil {
			return
		}
		info := RuntimeInfo{PID: os.Getpid(), NATSURL: publicURL, HTTPAddr: httpAddr, Sink: sinkName, StartedAt: time.Now().UTC()}
		if err := writeRuntime(cfg.DataDir, info); err != nil {
			log.Warn("write runtime file", "err", err)
		}
		if deps.Started != nil {
			deps.Started(publicURL, httpAddr)
		}
	})
	defer func() { _ = os.Remove(RuntimeFile(cfg.DataDir)) }()
	wg.Go(func() { watchSpool(ctx, SpoolDir(cfg.DataDir), metrics) })
	if pw, ok := sink.(*pg.Writer); ok {
		wg.Go(func() { runRetention(ctx, cfg, pw, log.With("component", "retention")) })
		wg.Go(func() { health.watch(ctx, pw) })
	}
	runErr := pipe.Run(ctx)
	log.Info("ingestor stopping", "stored_events", pipe.Stored())
	stopPrices()
	wg.Wait() // nothing uses the sink any more
	if err := sink.Close(); err != nil {
		log.Error("close sink", "err", err)
	}
	return runErr
}

// stoppedStarting returns err, unless it is the stop signal cutting a start
// step short (waiting for PostgreSQL or the broker): that is a clean stop,
// nothing was consumed yet, and the events wait in JetStream.
func stoppedStarting(ctx context.Context, log *slog.Logger, err error) error {
	stopped := ctx.Err() != nil && (errors.Is(err, ctx.Err()) || errors.Is(err, context.Cause(ctx)))
	if !stopped {
		return err
	}
	log.Info("ingestor stopped while starting", "interrupted", err)
	return nil
}

// connectNATS starts the embedded server or connects to the external one;
// failed is told each failed attempt to reach the external one.
func connectNATS(ctx context.Context, cfg Config, log *slog.Logger, failed func(error)) (*nats.Conn, string, func(), error) {
	if cfg.NATSURL != "" {
		nc, err := nats.Connect(cfg.NATSURL, nats.Name("harborai-ingestor"), nats.MaxReconnects(-1),
			nats.RetryOnFailedConnect(true), nats.ReconnectWait(time.Second),
			nats.ReconnectErrHandler(func(_ *nats.Conn, err error) { failed(err) }),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("nats disconnected", "err", err) }),
			nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", "url", c.ConnectedUrl()) }))
		if err != nil {
			return nil, "", nil, fmt.Errorf("connect to NATS %s: %w", cfg.NATSURL, err)
		}
		return nc, cfg.NATSURL, func() { _ = nc.Drain() }, nil
	}
	interval, always, _ := cfg.syncPolicy()
	emb, err := broker.StartEmbedded(broker.EmbeddedConfig{
		Listen:       cfg.NATSListen,
		StoreDir:     filepath.Join(cfg.DataDir, "jetstream"),
		MaxPayload:   cfg.maxPayload(),
		SyncInterval: interval,
		SyncAlways:   always,
	}, log)
	if err != nil {
		return nil, "", nil, err
	}
	nc, err := emb.Connect()
	if err != nil {
		emb.Shutdown()
		return nil, "", nil, fmt.Errorf("connect to embedded NATS: %w", err)
	}
	return nc, emb.ClientURL(), func() { nc.Close(); emb.Shutdown() }, nil
}

// ensureStream creates the stream and consumer, retrying while the broker
// is unreachable.
func ensureStream(ctx context.Context, nc *nats.Conn, url string, whyNot func() error, js jetstream.JetStream, scfg broker.StreamConfig, log *slog.Logger) (jetstream.Consumer, error) {
	var cons jetstream.Consumer
	b := retry.WithCappedDuration(5*time.Second, retry.NewExponential(200*time.Millisecond))
	err := retry.Do(ctx, b, func(ctx context.Context) error {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		c, err := broker.EnsureStream(rctx, js, scfg)
		if err != nil {
			if !nc.IsConnected() {
				// Why, rather than the stream call's timeout.
				log.Warn("NATS not reachable yet", "url", cli.MaskPassword(url), "err", whyNot())
			} else {
				log.Warn("JetStream not available yet", "err", err)
			}
			return retry.RetryableError(err)
		}
		cons = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("set up JetStream: %w", err)
	}
	return cons, nil
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
