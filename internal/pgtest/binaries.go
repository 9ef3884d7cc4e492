package pgtest

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// binDirGlob is where Debian and Ubuntu install the server binaries.
const binDirGlob = "/usr/lib/postgresql/*/bin"

// errNoBinaries says the server binaries were not found.
var errNoBinaries = errors.New("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in " + binDirGlob)

// binaries locates initdb and pg_ctl.
type binaries struct {
	initdb, pgctl string
}

// findBinaries looks for initdb and pg_ctl in the same directory: first on
// path (a PATH list), then in the directories matching glob, newest major
// version first.
func findBinaries(path, glob string) (binaries, error) {
	var dirs []string
	for _, d := range filepath.SplitList(path) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	matches, _ := filepath.Glob(glob)
	sort.Slice(matches, func(i, j int) bool { return versionOf(matches[i]) > versionOf(matches[j]) })
	dirs = append(dirs, matches...)
	for _, d := range dirs {
		b := binaries{initdb: filepath.Join(d, "initdb"), pgctl: filepath.Join(d, "pg_ctl")}
		if isExecutable(b.initdb) && isExecutable(b.pgctl) {
			return b, nil
		}
	}
	return binaries{}, errNoBinaries
}

// versionOf returns the major version in a path like /usr/lib/postgresql/15/bin.
func versionOf(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// requireBinaries returns the binaries, or ends the test: skipped with the
// reason, or failed when ci is true.
func requireBinaries(t testing.TB) binaries {
	t.Helper()
	b, err := findBinaries(os.Getenv("PATH"), binDirGlob)
	if err != nil {
		missing(t, os.Getenv("CI") == "true", err.Error())
	}
	return b
}

// missing ends a test that cannot get a PostgreSQL server.
func missing(t testing.TB, ci bool, reason string) {
	t.Helper()
	if ci {
		t.Fatalf("pgtest: %s (CI=true: PostgreSQL tests must run, not skip)", reason)
	}
	t.Skipf("pgtest: %s; install the PostgreSQL server (e.g. apt-get install postgresql) to run this test", reason)
}
