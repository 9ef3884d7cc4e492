package spool

import (
	"cmp"
	"io/fs"
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
// sealed by opening and closing a Writer on it. A sealed segment may be a
// symbolic link to one (linked in from another host's spool); a link to an
// unsealed segment is not listed. When a crash left both forms
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
		if !ok || (!n.sealed && have[name+".gz"]) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // sealed or moved to done/ since ReadDir
		}
		if !e.Type().IsRegular() {
			// A sealed segment linked in (from another host's spool) is
			// read through its link, and the link is what moves to done/.
			// An unsealed one is not: only its writer may seal it.
			if !n.sealed || e.Type()&fs.ModeSymlink == 0 {
				continue
			}
			if fi, err = os.Stat(filepath.Join(dir, name)); err != nil || !fi.Mode().IsRegular() {
				continue
			}
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
