package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/harborai/ingest/internal/cli"
	"github.com/harborai/ingest/internal/replay"
	"github.com/harborai/ingest/pkg/pg"
)

const dbUsage = `usage: harborctl db <migrate|status|prune> [flags]

  migrate   apply the embedded schema migrations (safe to run twice, and concurrently)
  status    list the migrations and whether each is applied
  prune     enforce retention: clear bodies, delete old errors and old calls;
            -bodies, -errors and -calls default to $HARBORAI_RETAIN_BODIES,
            $HARBORAI_RETAIN_ERRORS and $HARBORAI_RETAIN_CALLS as the ingestor reads them (0 = keep);
            also removes the spool segments the replayer loaded (<data dir>/spool/done/) once
            older than the shorter of -bodies and -calls (0 = for good), as the ingestor does

  Each gives up after -timeout (default 10m; 0 = no bound), and stops on Ctrl-C (exit 130).
`

// dbFlags are the flags of one db command.
type dbFlags struct {
	pgURL  string
	asJSON bool
	ret    pg.Retention // prune only
	spool  string       // prune only: the spool whose loaded segments (done/) are pruned
	dryRun bool         // prune only: count, change nothing
	// timeout bounds the command; 0 = no bound.
	timeout time.Duration
}

// defaultDBTimeout bounds a db command unless -timeout says otherwise: a
// database that does not answer is reported rather than waited for.
const defaultDBTimeout = 10 * time.Minute

// parseDBFlags reads the flags of "db cmd" over lookup (the environment).
// Only prune has the retention flags, and they default to the ingestor's
// HARBORAI_RETAIN_* variables, so a prune by hand keeps what the ingestor
// keeps. A flag error is already printed on stderr when it returns errFlags
// (or flag.ErrHelp, after the help).
func parseDBFlags(cmd string, args []string, lookup func(string) (string, bool), stderr io.Writer) (dbFlags, error) {
	var f dbFlags
	fs := flag.NewFlagSet("db "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.pgURL, _ = lookup("HARBORAI_POSTGRES_URL")
	fs.StringVar(&f.pgURL, "postgres-url", f.pgURL, "PostgreSQL URL ($HARBORAI_POSTGRES_URL)")
	cli.MaskDefault(fs, "postgres-url")
	fs.BoolVar(&f.asJSON, "json", false, "print JSON")
	fs.DurationVar(&f.timeout, "timeout", defaultDBTimeout, "give up after this long, e.g. 2h for a first prune of a large table (0 = no bound)")
	f.ret = pg.DefaultRetention()
	var errs []error
	retention := []struct {
		p                *time.Duration
		name, env, usage string
	}{
		{&f.ret.Bodies, "bodies", "HARBORAI_RETAIN_BODIES", "clear request/response bodies older than this (0 = keep)"},
		{&f.ret.Errors, "errors", "HARBORAI_RETAIN_ERRORS", "delete error calls the vendor did not bill (no tokens, no cost) older than this (0 = keep)"},
		{&f.ret.Calls, "calls", "HARBORAI_RETAIN_CALLS", "delete every call older than this (0 = keep)"},
	}
	if cmd != "prune" {
		retention = nil // migrate and status refuse the retention flags
	} else {
		dataDir := "./harborai-data"
		if v, ok := lookup("HARBORAI_DATA_DIR"); ok && v != "" {
			dataDir = v
		}
		fs.StringVar(&f.spool, "data-dir", dataDir, "data directory whose spool/done/ holds the loaded segments ($HARBORAI_DATA_DIR)")
		fs.BoolVar(&f.dryRun, "dry-run", false, "count what would be pruned, change nothing")
	}
	for _, d := range retention {
		if v, ok := lookup(d.env); ok && v != "" {
			n, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %q: not a duration (e.g. 720h; 0 = keep)", d.env, v))
			}
			*d.p = n
		}
		fs.DurationVar(d.p, d.name, *d.p, d.usage+" ($"+d.env+")")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return f, err
		}
		return f, errFlags
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if f.spool != "" {
		explicit := false
		fs.Visit(func(fl *flag.Flag) { explicit = explicit || fl.Name == "data-dir" })
		if v, ok := lookup("HARBORAI_DATA_DIR"); ok && v != "" {
			explicit = true
		}
		// A data directory named and missing is a typo: its loaded
		// segments would be left in place, silently. The default may be
		// missing (PostgreSQL alone keeps no spool).
		if fi, err := os.Stat(f.spool); explicit && (err != nil || !fi.IsDir()) {
			errs = append(errs, fmt.Errorf("--data-dir (or $HARBORAI_DATA_DIR) %s: not a directory", f.spool))
		}
		f.spool = filepath.Join(f.spool, "spool")
	}
	if f.timeout < 0 {
		errs = append(errs, fmt.Errorf("--timeout %s: must be >= 0 (0 = no bound)", f.timeout))
	}
	for _, d := range retention {
		if *d.p < 0 {
			errs = append(errs, fmt.Errorf("--%s (or $%s) %s: must be >= 0 (0 = keep)", d.name, d.env, *d.p))
		}
	}
	if f.pgURL == "" {
		errs = append(errs, errors.New("--postgres-url (or $HARBORAI_POSTGRES_URL) is required"))
	}
	return f, errors.Join(errs...)
}

func dbCmd(args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, dbUsage)
		return 2
	}
	switch args[0] {
	case "migrate", "status", "prune":
	default:
		fmt.Fprintf(stderr, "harborctl db: unknown command %q\n\n%s", args[0], dbUsage)
		return 2
	}
	f, err := parseDBFlags(args[0], args[1:], lookup, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		if !errors.Is(err, errFlags) {
			usageErrors(stderr, "db "+args[0], err)
		}
		return 2
	}
	// Ctrl-C (or SIGTERM) stops the command: a migration's transaction is
	// rolled back, a prune's batches done so far stay done.
	interrupted, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(interrupted, stop) // a second Ctrl-C ends the process at once
	ctx := interrupted
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	// why says why err ended the command, and with which exit status.
	why := func(err error) (int, error) {
		switch {
		case interrupted.Err() != nil:
			return 130, errors.New("interrupted")
		case ctx.Err() != nil:
			return 1, fmt.Errorf("gave up after %s (-timeout; 0 = no bound): %w", f.timeout, err)
		}
		return 1, err
	}
	w, err := pg.NewWriter(ctx, pg.Config{URL: f.pgURL}, nil)
	if err != nil {
		code, err := why(err)
		fmt.Fprintln(stderr, "harborctl db:", err)
		return code
	}
	defer w.Close()
	out := func(v any, text func()) int {
		if f.asJSON {
			return encodeJSON(stdout, stderr, "db "+args[0], v)
		}
		text()
		return 0
	}
	switch args[0] {
	case "migrate":
		applied, err := pg.Migrate(ctx, w.Pool())
		if err != nil {
			code, err := why(err)
			fmt.Fprintln(stderr, "harborctl db:", err) // pg.Migrate's errors say "migrate: ..."
			return code
		}
		if applied == nil {
			applied = []string{} // JSON: [], not null
		}
		if states, err := pg.MigrationStatus(ctx, w.Pool()); err == nil {
			for _, st := range states {
				if st.Unknown {
					fmt.Fprintf(stderr, "harborctl db migrate: warning: the database has migration %s, which this release does not know: a newer release migrated it\n", st.Name)
				}
			}
		}
		return out(migrateJSON{Applied: applied}, func() {
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
			code, err := why(err)
			fmt.Fprintln(stderr, "harborctl db status:", err)
			return code
		}
		code := out(statusJSON(states), func() {
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
		for _, s := range states {
			if s.Mismatch && code == 0 {
				// A script checking the schema must see it: the ingestor
				// refuses to start on it.
				fmt.Fprintf(stderr, "harborctl db status: migration %s changed since it was applied\n", s.Name)
				code = 1
			}
		}
		return code
	case "prune":
		now := time.Now()
		prune, pruneLoaded := pg.Prune, replay.PruneLoaded
		if f.dryRun {
			prune, pruneLoaded = pg.PrunePlan, replay.LoadedToPrune
		}
		res, err := prune(ctx, w.Pool(), f.ret, now)
		segs := 0
		if err == nil {
			segs, err = pruneLoaded(f.spool, f.ret, now)
		}
		v := pruneJSON{DryRun: f.dryRun, BodiesCleared: res.BodiesCleared, ErrorsDeleted: res.ErrorsDeleted, CallsDeleted: res.CallsDeleted,
			LoadedSegmentsRemoved: segs}
		if err != nil {
			// What was done before the error is done: say it (a prune run
			// again carries on).
			code, err := why(pg.WithSchemaHint(err))
			v.Error = err.Error()
			if f.asJSON {
				_ = encodeJSON(stdout, stderr, "db prune", v)
			}
			fmt.Fprintln(stderr, "harborctl db prune:", v.Error)
			if !f.dryRun {
				fmt.Fprintf(stderr, "harborctl db prune: before the error: %s\n", pruneText(v))
			}
			return code
		}
		return out(v, func() { fmt.Fprintln(stdout, pruneText(v)) })
	}
	return 2 // unreachable: the command was checked above
}

// What db --json prints: snake_case keys, as every other --json.
type (
	migrateJSON struct {
		Applied []string `json:"applied"` // versions applied by this run; [] when none
	}
	migrationJSON struct {
		Version   int64      `json:"version"`
		Name      string     `json:"name"`
		Checksum  string     `json:"checksum"`
		Applied   bool       `json:"applied"`
		AppliedAt *time.Time `json:"applied_at"` // null when not applied
		Mismatch  bool       `json:"mismatch"`
		Unknown   bool       `json:"unknown"`
	}
	pruneJSON struct {
		DryRun                bool   `json:"dry_run"` // the counts are what a prune would do
		BodiesCleared         int64  `json:"bodies_cleared"`
		ErrorsDeleted         int64  `json:"errors_deleted"`
		CallsDeleted          int64  `json:"calls_deleted"`
		LoadedSegmentsRemoved int    `json:"loaded_segments_removed"`
		Error                 string `json:"error,omitempty"` // why it stopped; the counts are what it did before
	}
)

// pruneText says what a prune did, or would do.
func pruneText(v pruneJSON) string {
	if v.DryRun {
		return fmt.Sprintf("would clear bodies of %d calls, delete %d error calls and %d calls past retention, and remove %d loaded spool segments (dry run: nothing changed)",
			v.BodiesCleared, v.ErrorsDeleted, v.CallsDeleted, v.LoadedSegmentsRemoved)
	}
	return fmt.Sprintf("cleared bodies of %d calls, deleted %d error calls and %d calls past retention; removed %d loaded spool segments",
		v.BodiesCleared, v.ErrorsDeleted, v.CallsDeleted, v.LoadedSegmentsRemoved)
}

func statusJSON(states []pg.MigrationState) []migrationJSON {
	out := make([]migrationJSON, len(states))
	for i, s := range states {
		out[i] = migrationJSON{Version: s.Version, Name: s.Name, Checksum: s.Checksum, Applied: s.Applied,
			Mismatch: s.Mismatch, Unknown: s.Unknown}
		if s.Applied {
			out[i].AppliedAt = &s.AppliedAt
		}
	}
	return out
}
