package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// progress is the content of <segment>.progress.
type progress struct {
	Segment string    `json:"segment"`
	Line    int       `json:"line"`
	Saved   time.Time `json:"saved"`
}

// SaveProgress records that every line of seg up to and including line
// (1-based, as in Record.Line) has been loaded, so a loader that crashes
// resumes after it; count the corrupt lines already quarantined as loaded,
// so a resumed load does not quarantine them twice. The file is replaced
// atomically and fsynced. The caller must hold the segment's claim
// (ErrNotClaimed otherwise).
func SaveProgress(seg Segment, line int) error {
	if line < 0 {
		return fmt.Errorf("save progress of %s: line %d is negative", seg.Name, line)
	}
	if err := checkClaimed(seg); err != nil {
		return fmt.Errorf("save progress of %s: %w", seg.Name, err)
	}
	b, _ := json.Marshal(progress{Segment: seg.Name, Line: line, Saved: time.Now().UTC()})
	if err := writeFileAtomic(seg.Path+progressExt, append(b, '\n')); err != nil {
		return fmt.Errorf("save progress of %s: %w", seg.Name, err)
	}
	return nil
}

// LoadProgress returns the last line SaveProgress recorded for seg, or 0
// when none was: loading resumes with the lines after it.
func LoadProgress(seg Segment) (int, error) {
	b, err := os.ReadFile(seg.Path + progressExt)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("load progress of %s: %w", seg.Name, err)
	}
	var p progress
	if err := json.Unmarshal(b, &p); err != nil {
		return 0, fmt.Errorf("load progress of %s: %w (%s)", seg.Name, err, removeHint(seg))
	}
	if p.Segment != seg.Name || p.Line < 0 {
		return 0, fmt.Errorf("load progress of %s: file names segment %q, line %d (%s)", seg.Name, p.Segment, p.Line, removeHint(seg))
	}
	return p.Line, nil
}

// removeHint is what an operator can do about a damaged progress file.
func removeHint(seg Segment) string {
	return "remove " + seg.Path + progressExt + " to load the segment from its start: loading again is idempotent"
}
