// Command replayer loads spool segments into PostgreSQL: the ingestor's own
// spool (the embedded default, or what it wrote while PostgreSQL was away),
// a client's local spool, or any spool directory copied from another host.
// It is idempotent (a second run adds nothing), safe alongside a running
// ingestor (segments are claimed), resumable after a crash, and has a
// --dry-run.
//
//	replayer [flags] [SPOOL_DIR ...]     (default: $HARBORAI_DATA_DIR/spool)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/harborai/ingest/internal/cli"
	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/internal/pricing"
	"github.com/harborai/ingest/internal/replay"
	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/spool"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replayer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: replayer [flags] [SPOOL_DIR ...]   (default $HARBORAI_DATA_DIR/spool)")
		fs.PrintDefaults()
	}
	pgURL := fs.String("postgres-url", cli.Env("HARBORAI_POSTGRES_URL", ""), "PostgreSQL URL ($HARBORAI_POSTGRES_URL); required unless --dry-run")
	cli.MaskDefault(fs, "postgres-url")
	dataDir := fs.String("data-dir", cli.Env("HARBORAI_DATA_DIR", "./harborai-data"), "data directory whose spool/ is loaded when no SPOOL_DIR is given ($HARBORAI_DATA_DIR)")
	dryRun := fs.Bool("dry-run", false, "read and count, write and move nothing")
	batch := fs.Int("batch-size", 1000, "calls per write")
	migrate := fs.Bool("migrate", true, "apply the schema migrations first")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	quiet := fs.Bool("quiet", false, "no progress bar")
	var build ingest.BuildOptions
	var envErr error
	build.KeepBodies, envErr = cli.EnvBool("HARBORAI_KEEP_BODIES", true)
	fs.BoolVar(&build.KeepBodies, "keep-bodies", build.KeepBodies, "store request and response bodies, as the ingestor's setting ($HARBORAI_KEEP_BODIES)")
	fs.StringVar(&build.Environment, "environment", cli.Env("HARBORAI_ENVIRONMENT", ""), "environment tag for calls whose events carry none, as the ingestor's ($HARBORAI_ENVIRONMENT)")
	if err := fs.Parse(args); err != nil {
		return cli.FlagStatus(err)
	}
	if envErr != nil {
		fmt.Fprintln(stderr, "replayer:", envErr)
		return 2
	}
	dirs := fs.Args()
	given := len(dirs) > 0
	if !given {
		dirs = []string{filepath.Join(*dataDir, "spool")}
	}
	if *pgURL != "" {
		if _, err := pgx.ParseConfig(*pgURL); err != nil {
			fmt.Fprintln(stderr, "replayer: --postgres-url:", err)
			return 2
		}
	}
	if *pgURL == "" && !*dryRun {
		fmt.Fprintln(stderr, "replayer: --postgres-url (or $HARBORAI_POSTGRES_URL) is required, or use --dry-run")
		return 2
	}
	if *batch < 1 {
		fmt.Fprintln(stderr, "replayer: --batch-size must be >= 1")
		return 2
	}
	// Cleaned and absolute: the quarantine is beside the spool directory,
	// also for "spool/" or ".".
	for i, d := range dirs {
		if abs, err := filepath.Abs(d); err == nil {
			dirs[i] = abs
		}
	}
	if err := refuseDone(dirs); err != nil {
		fmt.Fprintln(stderr, "replayer:", err)
		return 2
	}
	if err := checkDirs(*dataDir, dirs, given); err != nil {
		fmt.Fprintln(stderr, "replayer:", err)
		if errors.Is(err, errNothingToLoad) {
			if *asJSON {
				printSummary(stdout, replay.Summary{}, true, *dryRun)
			}
			return 0
		}
		return 1
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	var w replay.Writer
	var presence replay.Presence
	var pricer ingest.Pricer
	if *pgURL == "" {
		// A dry run without PostgreSQL: the price variables and the table.
		p, err := cost.NewPricer(cost.Options{Lookup: os.LookupEnv, Environ: os.Environ()})
		if err != nil {
			fmt.Fprintln(stderr, "replayer: prices:", err)
			return 2
		}
		pricer = p
	} else {
		// The ingestor's pricer: the dynamic prices stored in PostgreSQL
		// first, then the price variables and the table.
		live, err := pricing.OpenLive(ctx, pricing.LiveConfig{PostgresURL: *pgURL,
			Lookup: os.LookupEnv, Environ: os.Environ(), Logger: log.With("component", "pricing")})
		if err != nil {
			if interrupted(ctx, err) {
				return fail(stderr, err)
			}
			fmt.Fprintln(stderr, "replayer: prices:", err)
			return 2
		}
		defer live.Close()
		pw, err := pg.NewWriter(ctx, pg.Config{URL: *pgURL}, nil)
		if err != nil {
			return fail(stderr, err)
		}
		defer pw.Close()
		// Unreachable at the start is said at once, in a dry run too
		// (which would retry its first lookup for minutes); a server lost
		// later is retried.
		if err := pw.Ping(ctx); err != nil {
			return fail(stderr, err)
		}
		if *migrate && !*dryRun {
			mctx, cancel := context.WithTimeout(ctx, time.Minute)
			_, err := pg.Migrate(mctx, pw.Pool())
			cancel()
			if err != nil {
				return fail(stderr, err) // pg.Migrate's errors say "migrate: ..."
			}
			warnNewerSchema(ctx, stderr, pw)
		}
		// Loaded once, and required: the replayer does not refresh them
		// later, so a replay priced without them would stay mispriced. A
		// dry run writes nothing, and may look at a database not migrated
		// yet: without them it only warns.
		load := live.Refresh
		if *dryRun {
			load = live.Start
		}
		if err := load(ctx); err != nil {
			if interrupted(ctx, err) {
				return fail(stderr, err)
			}
			fmt.Fprintln(stderr, "replayer: prices:", err)
			return 1
		}
		w, presence, pricer = pw, pgPresence{pw}, live
	}

	var bar *progressbar.ProgressBar // the current directory's
	opts := replay.Options{DryRun: *dryRun, BatchSize: *batch, Pricer: pricer, Build: build,
		Logger: log,
		Quarantine: func(dir, reason string, raw []byte) error {
			return spool.Quarantine(filepath.Dir(dir), reason, raw)
		},
		KeepSegment: func(dir string, seg spool.Segment) error {
			return spool.KeepSegment(filepath.Dir(dir), seg)
		},
	}
	if !*quiet && isTerminal(stderr) {
		opts.Progress = func(dir string, s replay.Summary, segs int) {
			if bar == nil {
				bar = progressbar.NewOptions(segs, progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription("replay "+dir), progressbar.OptionShowCount(),
					progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
			}
			_ = bar.Set(s.Segments + s.SegmentsSkipped)
			bar.Describe(fmt.Sprintf("replay %s: %d records", dir, s.Records))
		}
	}
	// One loader for the run: a call met in several directories counts once.
	loader := replay.NewLoader(w, presence, opts)
	var total replay.Summary
	for _, dir := range dirs {
		bar = nil
		s, err := loader.Load(ctx, dir)
		if bar != nil {
			_ = bar.Finish()
		}
		total = total.Add(s)
		if err == nil && s.Segments+s.SegmentsSkipped == 0 && s.Records == 0 && !isDir(filepath.Join(dir, "done")) {
			// Not a spool loaded before (its done/ holds what was): the
			// data directory given for its spool, or a typo.
			hint := ""
			if isDir(filepath.Join(dir, "spool")) {
				hint = fmt.Sprintf(" (did you mean %s?)", filepath.Join(dir, "spool"))
			}
			fmt.Fprintf(stderr, "replayer: no spool segments in %s%s\n", dir, hint)
		}
		if err != nil {
			printSummary(stdout, total, *asJSON, *dryRun)
			if errors.Is(err, context.Canceled) {
				fmt.Fprintln(stderr, "replayer: interrupted; run again to resume")
				return 130
			}
			fmt.Fprintln(stderr, "replayer:", err)
			return 1
		}
	}
	printSummary(stdout, total, *asJSON, *dryRun)
	if total.Rejected > 0 && !*dryRun {
		// Loaded, and nothing lost, but not stored: an operator must look.
		fmt.Fprintf(stderr, "replayer: PostgreSQL rejected %d calls; they are in the quarantine beside each spool directory (quarantine/, reason poison_record)\n", total.Rejected)
		return 1
	}
	return 0
}

// interrupted reports whether err comes of the run's interruption
// (SIGINT, SIGTERM).
func interrupted(ctx context.Context, err error) bool {
	return ctx.Err() != nil && errors.Is(err, context.Canceled)
}

// fail reports err and returns the exit status: 130 for an interruption,
// which a next run resumes from, else 1.
func fail(stderr io.Writer, err error) int {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "replayer: interrupted; run again to resume")
		return 130
	}
	fmt.Fprintln(stderr, "replayer:", err)
	return 1
}

// warnNewerSchema warns when the database has migrations this binary does
// not know: a newer release migrated it, and its calls table may refuse
// what this one writes.
func warnNewerSchema(ctx context.Context, stderr io.Writer, w *pg.Writer) {
	states, err := pg.MigrationStatus(ctx, w.Pool())
	if err != nil {
		return
	}
	for _, st := range states {
		if st.Unknown {
			fmt.Fprintf(stderr, "replayer: warning: the database has migration %s, which this release does not know: a newer release migrated it\n", st.Name)
		}
	}
}

// isTerminal reports whether w is a terminal, where a progress bar can be
// redrawn in place; in a log file it would be one line of redraws.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func printSummary(w io.Writer, s replay.Summary, asJSON, dry bool) {
	if asJSON {
		_ = json.NewEncoder(w).Encode(s)
		return
	}
	verb := "loaded"
	if dry {
		verb = "would load (dry run)"
	}
	fmt.Fprintf(w, "%s %d segments (%d skipped: claimed or active), %d records (%d raw events), %d calls (%d already present), %d corrupt lines, %d quarantined (%d calls rejected by PostgreSQL)\n",
		verb, s.Segments, s.SegmentsSkipped, s.Records, s.Events, s.Calls, s.AlreadyPresent, s.Corrupt, s.Quarantined, s.Rejected)
	if s.Missing > 0 {
		fmt.Fprintf(w, "%d of the calls were before a segment's saved progress but not in PostgreSQL (a spool copied from another host, or a database restored since the last load): written\n", s.Missing)
	}
}

// pgPresence tells which calls are already in PostgreSQL.
type pgPresence struct{ w *pg.Writer }

func (p pgPresence) Existing(ctx context.Context, ids []string) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, pg.DefaultConfig().QueryTimeout)
	defer cancel()
	rows, err := p.w.Pool().Query(ctx, `SELECT call_id FROM calls WHERE call_id = ANY($1)`, ids)
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "42P01" {
		// No calls table yet (a dry run before the first migration): none
		// is stored.
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up existing calls: %w", err)
	}
	present, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("look up existing calls: %w", err)
	}
	out := make(map[string]bool, len(present))
	for _, id := range present {
		out[id] = true
	}
	return out, nil
}

// isDir reports whether path is a directory.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
