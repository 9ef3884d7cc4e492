package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/harborai/ingest/internal/cli"
	"github.com/harborai/ingest/internal/store"
)

// storeFlags are the flags of every command that reads stored calls.
type storeFlags struct{ dataDir, pgURL string }

func (sf *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&sf.dataDir, "data-dir", cli.Env("HARBORAI_DATA_DIR", "./harborai-data"), "data directory holding the spool ($HARBORAI_DATA_DIR)")
	fs.StringVar(&sf.pgURL, "postgres-url", cli.Env("HARBORAI_POSTGRES_URL", ""), "PostgreSQL URL ($HARBORAI_POSTGRES_URL); unset reads the spool")
}

// open opens the store and says on stderr which one it is; on failure it
// prints the error and returns nil.
func (sf *storeFlags) open(ctx context.Context, stderr io.Writer, cmd string) store.Store {
	st, err := store.Open(ctx, sf.pgURL, sf.dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "harborctl %s: %v\n", cmd, err)
		return nil
	}
	fmt.Fprintf(stderr, "source: %s\n", st.Source())
	return st
}
