package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// errNothingToLoad: the default spool, <data dir>/spool, does not exist.
// An ingestor creates its data directory at start, but spool/ only when it
// spools: with PostgreSQL as its store, never.
var errNothingToLoad = errors.New("nothing to load")

// refuseDone reports a SPOOL_DIR named done: a spool's done/ holds the
// segments already loaded, and loading it would move them on to
// done/done/, where retention (db prune, the ingestor) never looks.
func refuseDone(dirs []string) error {
	for _, dir := range dirs {
		if clean := filepath.Clean(dir); filepath.Base(clean) == "done" {
			return fmt.Errorf("%s: a spool's done/ directory (segments already loaded); to load them again, move them back to %s",
				dir, filepath.Dir(clean))
		}
	}
	return nil
}

// checkDirs reports a spool directory that is not there before anything is
// loaded. Given no SPOOL_DIR (dirs is <data dir>/spool alone), a data
// directory without spool/ is errNothingToLoad, but a data directory that
// does not exist, a typo, is an error, as a SPOOL_DIR given that does not.
func checkDirs(dataDir string, dirs []string, given bool) error {
	if !given {
		switch fi, err := os.Stat(dataDir); {
		case errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("no spool at %s: data directory %s does not exist", dirs[0], dataDir)
		case err != nil:
			return fmt.Errorf("data directory: %w", err)
		case !fi.IsDir():
			return fmt.Errorf("no spool at %s: data directory %s is not a directory", dirs[0], dataDir)
		}
		if _, err := os.Stat(dirs[0]); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no spool at %s: %w", dirs[0], errNothingToLoad)
		}
	}
	for _, dir := range dirs {
		switch fi, err := os.Stat(dir); {
		case errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("no spool at %s: directory does not exist", dir)
		case err != nil:
			return fmt.Errorf("spool: %w", err)
		case !fi.IsDir():
			return fmt.Errorf("no spool at %s: not a directory", dir)
		}
	}
	return nil
}
