package spool

import (
	"os"
	"strings"
	"testing"
)

// TestLoadProgressRefusesForeignFile: a progress file that is not this
// segment's own (copied from another segment, damaged) is an error, never a
// line to resume after, so a loader does not skip lines it never loaded;
// the error says the file can be removed.
func TestLoadProgressRefusesForeignFile(t *testing.T) {
	tests := []struct {
		name     string
		progress func(seg Segment) string
	}{
		{"another segment's progress", func(Segment) string {
			return `{"segment":"seg-20250301T120000.000000000Z-000009.jsonl.gz","line":4}`
		}},
		{"not JSON", func(Segment) string { return "4\n" }},
		{"negative line", func(seg Segment) string { return `{"segment":"` + seg.Name + `","line":-1}` }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seg := sealedSegment(t, 5)
			data := tt.progress(seg)
			if err := os.WriteFile(seg.Path+progressExt, []byte(data), fileMode); err != nil {
				t.Fatal(err)
			}
			n, err := LoadProgress(seg)
			if err == nil {
				t.Fatalf("LoadProgress() with progress %s = %d, nil; want an error", data, n)
			}
			if want := "remove " + seg.Path + progressExt + " to load the segment from its start"; !strings.Contains(err.Error(), want) {
				t.Errorf("LoadProgress() error %q does not say %q", err, want)
			}
		})
	}
}
