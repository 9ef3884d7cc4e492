package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/harborai/ingest/internal/flock"
)

// Loading a sealed segment into PostgreSQL, by the ingestor's drain or by
// the replayer, possibly both at once on one directory:
//
//	release, err := spool.Claim(seg, "replayer") // ErrClaimed: someone else is on it
//	defer release()
//	from, _ := spool.LoadProgress(seg)           // lines already loaded
//	spool.ReadSegment(seg.Path, ...)             // load lines after from, SaveProgress now and then
//	spool.MarkDone(seg)                          // never listed again
//
// The claim is an flock on <segment>.claim, held until release or until the
// process dies, so a crashed loader never blocks the others.

// claimInfo is what a claim file records about its holder.
type claimInfo struct {
	Owner string    `json:"owner"`
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
}

// Claim takes the exclusive claim on a sealed segment for owner (a name for
// operators: "ingestor", "replayer"). It fails with a *ClaimedError matching
// ErrClaimed when someone else holds it, ErrNotSealed for a segment the
// writer still owns, and fs.ErrNotExist when the segment is gone (marked
// done since it was listed). release is idempotent.
func Claim(seg Segment, owner string) (release func() error, err error) {
	if !seg.Sealed {
		return nil, fmt.Errorf("claim %s: %w", seg.Name, ErrNotSealed)
	}
	path := seg.Path + claimExt
	f, err := flock.TryLock(path, true)
	if errors.Is(err, flock.ErrWouldBlock) {
		ce := &ClaimedError{Segment: seg.Name}
		var info claimInfo
		if b, rerr := os.ReadFile(path); rerr == nil && json.Unmarshal(b, &info) == nil {
			ce.Owner, ce.PID, ce.Since = info.Owner, info.PID, info.Since
		}
		return nil, ce
	}
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", seg.Name, diskFull(err))
	}
	unlock := func() error {
		err := os.Remove(path) // while locked: see flock.TryLock
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	if _, err := os.Stat(seg.Path); err != nil {
		_ = unlock()
		return nil, fmt.Errorf("claim %s: %w", seg.Name, err)
	}
	info, _ := json.Marshal(claimInfo{Owner: owner, PID: os.Getpid(), Since: time.Now().UTC()})
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(info, 0) // informational only
	}
	var (
		once   sync.Once
		relErr error
	)
	return func() error {
		once.Do(func() {
			if err := unlock(); err != nil {
				relErr = fmt.Errorf("release claim on %s: %w", seg.Name, err)
			}
		})
		return relErr
	}, nil
}

// MarkDone moves a fully loaded segment into the done/ subdirectory, where
// Segments no longer sees it, and removes its progress. The caller must hold
// the segment's claim (ErrNotClaimed otherwise) and releases it afterwards.
// done/ is pruned by PruneDone.
func MarkDone(seg Segment) error {
	if err := checkClaimed(seg); err != nil {
		return fmt.Errorf("mark %s done: %w", seg.Name, err)
	}
	dir := filepath.Dir(seg.Path)
	done := filepath.Join(dir, doneDir)
	if err := os.Mkdir(done, dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("mark %s done: %w", seg.Name, diskFull(err))
	}
	if err := os.Rename(seg.Path, filepath.Join(done, seg.Name)); err != nil {
		return fmt.Errorf("mark %s done: %w", seg.Name, err)
	}
	if err := errors.Join(syncDir(done), syncDir(dir)); err != nil {
		return fmt.Errorf("mark %s done: %w", seg.Name, err)
	}
	if err := os.Remove(seg.Path + progressExt); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("mark %s done: remove progress: %w", seg.Name, err)
	}
	return nil
}

// PruneDone removes the segments in dir/done/ sealed before cutoff and
// returns how many it removed.
func PruneDone(dir string, cutoff time.Time) (int, error) { return pruneDone(dir, cutoff, false) }

// DoneBefore counts the segments in dir/done/ sealed before cutoff: what
// PruneDone would remove.
func DoneBefore(dir string, cutoff time.Time) (int, error) { return pruneDone(dir, cutoff, true) }

func pruneDone(dir string, cutoff time.Time, count bool) (int, error) {
	done := filepath.Join(dir, doneDir)
	entries, err := os.ReadDir(done)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("prune done segments: %w", err)
	}
	removed := 0
	var errs []error
	for _, e := range entries {
		if _, ok := parseName(e.Name()); !ok {
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(cutoff) {
			continue
		}
		if count {
			removed++
			continue
		}
		if err := os.Remove(filepath.Join(done, e.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("prune done segments: %w", err)
	}
	return removed, nil
}

// checkClaimed fails unless someone holds seg's claim. It cannot tell the
// caller from another holder; it catches a loader that forgot to Claim.
func checkClaimed(seg Segment) error {
	if !seg.Sealed {
		return ErrNotSealed
	}
	held, err := flock.IsLocked(seg.Path + claimExt)
	if err != nil {
		return err
	}
	if !held {
		return ErrNotClaimed
	}
	return nil
}

// Claimed reports whether a live loader holds seg's claim, for a dry run
// that must skip what a load would. It only reads: taking the lock to test
// it would make a loader claiming the segment at that moment skip it. A
// claim file that cannot be read yet (being written) counts as held.
func Claimed(seg Segment) (bool, error) {
	b, err := os.ReadFile(seg.Path + claimExt)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var info claimInfo
	_ = json.Unmarshal(b, &info) // being written: no pid yet, held
	if info.PID <= 0 {
		return true, nil
	}
	return flock.Alive(info.PID), nil
}

// Live reports whether a live writer holds the spool in dir: its unsealed
// segment is still being written. A load seals what a dead writer left. It
// only reads the pid the writer wrote into the lock file: taking the lock
// to test it would make a writer starting at that moment fail.
func Live(dir string) (bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, ".lock"))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b))) // 0 without a pid: no writer got as far as writing it
	return pid > 0 && flock.Alive(pid), nil
}
