package spool

import (
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Directory layout, besides the segments themselves.
const (
	doneDir       = "done"       // segments fully loaded (MarkDone)
	quarantineDir = "quarantine" // Quarantine's files
	claimExt      = ".claim"     // <segment>.claim: the flock of Claim
	progressExt   = ".progress"  // <segment>.progress: SaveProgress
)

// Segment is one segment file.
type Segment struct {
	Path   string
	Name   string    // file name
	Seq    uint64    // sequence number: the order segments were created in
	Time   time.Time // creation time from the name (UTC wall clock; see Seq for order)
	Sealed bool      // a .jsonl.gz: complete, never written again, claimable
	Size   int64     // bytes on disk (compressed when sealed)
}

// Segments lists dir's segments, oldest first (by sequence number, not
// time). An unsealed segment is the active one of a live writer, or one
// waiting for a writer to seal it; a directory whose writer is gone is
// sealed by opening and closing a Writer on it. When a crash left both forms
// of a segment only the sealed one is listed. Segments in done/ are not.
func Segments(dir string) ([]Segment, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(entries))
	for _, e := range entries {
		have[e.Name()] = true
	}
	var segs []Segment
	for _, e := range entries {
		name := e.Name()
		n, ok := parseName(name)
		if !ok || !e.Type().IsRegular() || (!n.sealed && have[name+".gz"]) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // sealed or moved to done/ since ReadDir
		}
		segs = append(segs, Segment{
			Path:   filepath.Join(dir, name),
			Name:   name,
			Seq:    n.seq,
			Time:   n.time,
			Sealed: n.sealed,
			Size:   fi.Size(),
		})
	}
	slices.SortFunc(segs, func(a, b Segment) int {
		return cmp.Or(cmp.Compare(a.Seq, b.Seq), strings.Compare(a.Name, b.Name))
	})
	return segs, nil
}
