package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/harborai/ingest/internal/cli"
	"github.com/harborai/ingest/internal/store"
)

// storeFlags are the flags of every command that reads stored calls.
type storeFlags struct{ dataDir, pgURL string }

func (sf *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&sf.dataDir, "data-dir", cli.Env("HARBORAI_DATA_DIR", "./harborai-data"), "data directory holding the spool ($HARBORAI_DATA_DIR)")
	fs.StringVar(&sf.pgURL, "postgres-url", cli.Env("HARBORAI_POSTGRES_URL", ""), "PostgreSQL URL ($HARBORAI_POSTGRES_URL); unset reads the spool")
	cli.MaskDefault(fs, "postgres-url")
}

// open opens the store and says on stderr which one it is; on failure it
// prints the error and returns nil.
func (sf *storeFlags) open(ctx context.Context, stderr io.Writer, cmd string) store.Store {
	if sf.pgURL == "" {
		if err := checkDataDir(sf.dataDir); err != nil {
			fmt.Fprintf(stderr, "harborctl %s: %v\n", cmd, err)
			return nil
		}
	}
	st, err := store.Open(ctx, sf.pgURL, sf.dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "harborctl %s: %v\n", cmd, err)
		return nil
	}
	fmt.Fprintf(stderr, "source: %s\n", st.Source())
	return st
}

// checkDataDir reports a data directory that is not there. The spool
// store reads a missing spool/ as an empty spool, rightly: an ingestor
// creates its data directory at start but spool/ only when it spools. A
// missing data directory, though, is a typo or the wrong working
// directory, and would read as an empty store.
func checkDataDir(dir string) error {
	spoolDir := filepath.Join(dir, "spool")
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("no spool at %s: data directory %s does not exist (--data-dir, $HARBORAI_DATA_DIR; or set $HARBORAI_POSTGRES_URL)", spoolDir, dir)
	case err != nil:
		return fmt.Errorf("data directory: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("no spool at %s: data directory %s is not a directory", spoolDir, dir)
	}
	return nil
}

// warnDamaged says on stderr when the last query of a spool store skipped
// damaged lines: its answer (still printed, exit status unchanged) may lack
// the calls they held. It names the segments, at most a few, and where to
// look; nothing is printed for PostgreSQL or an intact spool.
func warnDamaged(stderr io.Writer, cmd string, st store.Store) {
	sp, ok := st.(*store.SpoolStore)
	if !ok || sp.Corrupt == 0 {
		return
	}
	lines := "damaged lines"
	if sp.Corrupt == 1 {
		lines = "damaged line"
	}
	fmt.Fprintf(stderr, "harborctl %s: warning: skipped %d %s of the spool, so this answer may lack calls (and their tokens and costs):\n", cmd, sp.Corrupt, lines)
	const most = 5
	for i, d := range sp.Damaged {
		if i == most {
			fmt.Fprintf(stderr, "  ... and %d more segments\n", len(sp.Damaged)-most)
			break
		}
		what := fmt.Sprintf("%d damaged line", d.Lines)
		if d.Lines != 1 {
			what += "s"
		}
		if d.Unreadable {
			what += "; its compressed stream is damaged: the rest of the segment could not be read"
		}
		fmt.Fprintf(stderr, "  %s: %s (%s)\n", printable(filepath.Join(sp.Dir(), d.Segment)), what, printable(strings.Join(d.Reasons, ", ")))
	}
	fmt.Fprintf(stderr, "harborctl %s: `replayer --dry-run %s` counts them; loading the spool with `replayer` quarantines the damaged lines and keeps a copy of each such segment in quarantine/segments/ beside the spool\n",
		cmd, printable(sp.Dir()))
}
