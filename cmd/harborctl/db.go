package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/harborai/ingest/internal/cli"
	"github.com/harborai/ingest/pkg/pg"
)

const dbUsage = `usage: harborctl db <migrate|status|prune> [flags]

  migrate   apply the embedded schema migrations (safe to run twice, and concurrently)
  status    list the migrations and whether each is applied
  prune     enforce retention: clear bodies, delete old errors and old calls
`

func dbCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, dbUsage)
		return 2
	}
	fs := flag.NewFlagSet("db "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	pgURL := fs.String("postgres-url", cli.Env("HARBORAI_POSTGRES_URL", ""), "PostgreSQL URL ($HARBORAI_POSTGRES_URL)")
	asJSON := fs.Bool("json", false, "print JSON")
	ret := pg.DefaultRetention()
	fs.DurationVar(&ret.Bodies, "bodies", ret.Bodies, "prune: clear request/response bodies older than this (0 = keep)")
	fs.DurationVar(&ret.Errors, "errors", ret.Errors, "prune: delete error calls without a cost older than this (0 = keep)")
	fs.DurationVar(&ret.Calls, "calls", ret.Calls, "prune: delete every call older than this (0 = keep)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *pgURL == "" {
		fmt.Fprintln(stderr, "harborctl db: --postgres-url (or $HARBORAI_POSTGRES_URL) is required")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	w, err := pg.NewWriter(ctx, pg.Config{URL: *pgURL}, nil)
	if err != nil {
		fmt.Fprintln(stderr, "harborctl db:", err)
		return 1
	}
	defer w.Close()
	out := func(v any, text func()) int {
		if *asJSON {
			_ = json.NewEncoder(stdout).Encode(v)
		} else {
			text()
		}
		return 0
	}
	switch args[0] {
	case "migrate":
		applied, err := pg.Migrate(ctx, w.Pool())
		if err != nil {
			fmt.Fprintln(stderr, "harborctl db migrate:", err)
			return 1
		}
		return out(map[string]any{"applied": applied}, func() {
			if len(applied) == 0 {
				fmt.Fprintln(stdout, "schema up to date")
				return
			}
			for _, v := range applied {
				fmt.Fprintln(stdout, "applied", v)
			}
		})
	case "status":
		states, err := pg.MigrationStatus(ctx, w.Pool())
		if err != nil {
			fmt.Fprintln(stderr, "harborctl db status:", err)
			return 1
		}
		return out(states, func() {
			tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tNAME\tSTATE\tAPPLIED AT (UTC)")
			for _, s := range states {
				state, at := "pending", ""
				switch {
				case s.Mismatch:
					state = "CHANGED SINCE APPLIED"
				case s.Unknown:
					state = "applied (unknown to this binary)"
				case s.Applied:
					state = "applied"
				}
				if s.Applied {
					at = s.AppliedAt.UTC().Format(time.DateTime)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Version, s.Name, state, at)
			}
			_ = tw.Flush()
		})
	case "prune":
		res, err := pg.Prune(ctx, w.Pool(), ret, time.Now())
		if err != nil {
			fmt.Fprintln(stderr, "harborctl db prune:", err)
			return 1
		}
		return out(res, func() {
			fmt.Fprintf(stdout, "cleared bodies of %d calls, deleted %d error calls and %d calls past retention\n",
				res.BodiesCleared, res.ErrorsDeleted, res.CallsDeleted)
		})
	default:
		fmt.Fprintf(stderr, "harborctl db: unknown command %q\n\n%s", args[0], dbUsage)
		return 2
	}
}
