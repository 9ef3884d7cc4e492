package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/harborai/ingest/internal/cli"
	"github.com/harborai/ingest/internal/demo"
	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/pkg/harborai"
)

type demoSummary struct {
	demo.Summary
	EventsPublished int64 `json:"events_published"`
	EventsDropped   int64 `json:"events_dropped"`
}

func demoCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	natsURL := fs.String("nats-url", cli.Env("HARBORAI_NATS_URL", cli.DefaultNATSURL), "NATS server ($HARBORAI_NATS_URL)")
	cli.MaskDefault(fs, "nats-url") // a NATS URL may carry user:password
	calls := fs.Int("calls", 60, "number of LLM calls to make")
	conc := fs.Int("concurrency", 8, "calls in parallel")
	errorEvery := fs.Int("error-every", 10, "every n-th call gets a vendor error (0 = none)")
	chunkDelay := fs.Duration("chunk-delay", 2*time.Millisecond, "emulator delay between stream chunks")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the broker's acks at the end")
	if err := fs.Parse(args); err != nil {
		return cli.FlagStatus(err)
	}
	errs := checkConnFlags(*natsURL, *timeout)
	if *calls < 1 || *conc < 1 || *errorEvery < 0 {
		errs = append(errs, errors.New("-calls and -concurrency must be >= 1, -error-every >= 0"))
	}
	if *chunkDelay < 0 {
		errs = append(errs, fmt.Errorf("-chunk-delay %s: must be >= 0", *chunkDelay))
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected argument %q (usage: publisher-sdk demo [flags])", fs.Arg(0)))
	}
	if len(errs) > 0 {
		usageErrors(stderr, "publisher-sdk demo", errs)
		return 2
	}
	emu, err := emulator.Start(emulator.Options{ChunkDelay: *chunkDelay})
	if err != nil {
		fmt.Fprintln(stderr, "publisher-sdk demo:", err)
		return 1
	}
	defer emu.Close()
	pub, conn, err := dial(*natsURL, harborai.WithEnvironment("demo"), harborai.WithService("publisher-sdk-demo"))
	if err != nil {
		fmt.Fprintln(stderr, "publisher-sdk demo:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	sum, runErr := demo.Run(ctx, pub, emu, demo.Options{Calls: *calls, Concurrency: *conc, ErrorEvery: *errorEvery})
	cctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	closeErr := pub.Close(cctx)
	st := pub.Stats()
	out := demoSummary{Summary: sum, EventsPublished: st.Published, EventsDropped: st.Dropped}
	_ = json.NewEncoder(stdout).Encode(out)
	switch {
	case runErr != nil:
		fmt.Fprintln(stderr, "publisher-sdk demo:", runErr)
		return 1
	case closeErr != nil || st.Dropped > 0:
		if why := conn.trouble(*natsURL); why != nil {
			fmt.Fprintf(stderr, "publisher-sdk demo: %d events not delivered within %s: %v\n", st.Dropped, *timeout, why)
		} else {
			fmt.Fprintf(stderr, "publisher-sdk demo: %d events not delivered to %s\n", st.Dropped, cli.MaskPassword(*natsURL))
		}
		return 1
	}
	return 0
}
