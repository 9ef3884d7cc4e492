// Command ingestor is the HarborAI ingest daemon: it consumes LLM call
// events from NATS JetStream (an embedded server unless HARBORAI_NATS_URL is
// set), computes usage and cost, and stores calls in PostgreSQL or, without
// HARBORAI_POSTGRES_URL, in the local spool. See docs/configuration.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/harborai/ingest/internal/cli"
	"github.com/harborai/ingest/internal/ingestor"
)

func main() {
	cfg, err := ingestor.Load(os.Args[1:], os.LookupEnv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingestor:", err)
		os.Exit(2)
	}
	log := cli.NewLogger(os.Stderr, cfg.LogLevel, cfg.LogFormat)
	ingestor.ApplyMemoryLimit(cfg, os.LookupEnv, log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal kills the process
	}()
	if err := ingestor.Run(ctx, cfg, ingestor.Deps{Logger: log, Lookup: os.LookupEnv, Environ: os.Environ()}); err != nil {
		log.Error("ingestor failed", "err", err)
		os.Exit(1)
	}
}
