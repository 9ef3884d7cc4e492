package spool

import (
	"strconv"
	"strings"
	"time"
)

// Segment file names: seg-<UTC yyyymmddTHHMMSS.nnnnnnnnnZ>-<sequence>.jsonl
// while the writer owns the segment, with .gz appended once sealed. The
// sequence (at least 6 digits) grows by one per segment and continues from
// the highest one in the directory or its done/ subdirectory, so names never
// collide and sort by age even when the wall clock jumps.
const (
	segPrefix   = "seg-"
	activeExt   = ".jsonl"
	sealedExt   = ".jsonl.gz"
	nameTimeFmt = "20060102T150405.000000000"
	seqDigits   = 6
)

// segName is a parsed segment file name.
type segName struct {
	seq    uint64
	time   time.Time
	sealed bool
}

// activeName returns the name of a new active segment.
func activeName(t time.Time, seq uint64) string {
	s := strconv.FormatUint(seq, 10)
	if pad := seqDigits - len(s); pad > 0 {
		s = strings.Repeat("0", pad) + s
	}
	return segPrefix + t.UTC().Format(nameTimeFmt) + "Z-" + s + activeExt
}

// parseName parses a segment file name; ok is false for any other file.
func parseName(name string) (n segName, ok bool) {
	rest, found := strings.CutPrefix(name, segPrefix)
	if !found {
		return n, false
	}
	switch {
	case strings.HasSuffix(rest, sealedExt):
		rest, n.sealed = strings.TrimSuffix(rest, sealedExt), true
	case strings.HasSuffix(rest, activeExt):
		rest = strings.TrimSuffix(rest, activeExt)
	default:
		return n, false
	}
	ts, seq, found := strings.Cut(rest, "Z-")
	if !found || len(seq) < seqDigits || len(ts) != len(nameTimeFmt) {
		return n, false
	}
	for i := range len(seq) {
		if seq[i] < '0' || seq[i] > '9' {
			return n, false
		}
	}
	var err error
	if n.seq, err = strconv.ParseUint(seq, 10, 64); err != nil {
		return n, false
	}
	if n.time, err = time.Parse(nameTimeFmt, ts); err != nil {
		return n, false
	}
	return n, true
}
