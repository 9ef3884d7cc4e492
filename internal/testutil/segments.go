package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// LoadedSegments puts one segment file in spoolDir/done/ (where the
// replayer moves what it loaded) for each age, last modified that long
// ago, and returns their paths in order. Their content is not a segment's:
// only names and times matter to what prunes them.
func LoadedSegments(t testing.TB, spoolDir string, ages ...time.Duration) []string {
	t.Helper()
	done := filepath.Join(spoolDir, "done")
	if err := os.MkdirAll(done, 0o700); err != nil {
		t.Fatal(err)
	}
	paths := make([]string, len(ages))
	for i, age := range ages {
		at := time.Now().Add(-age)
		paths[i] = filepath.Join(done, fmt.Sprintf("seg-%sZ-%06d.jsonl.gz", at.UTC().Format("20060102T150405.000000000"), i+1))
		if err := os.WriteFile(paths[i], []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(paths[i], at, at); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// Exists reports whether path exists.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
