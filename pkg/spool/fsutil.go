package spool

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

const (
	dirMode  = 0o700
	fileMode = 0o600
)

// syncDir fsyncs a directory so the names created, renamed or removed in it
// survive a power loss.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// mkdirDurable creates dir and its missing parents with dirMode and, when
// sync is set, fsyncs the parent of each directory it created: a segment
// fsynced in a new directory is lost with the directory's own name
// otherwise.
func mkdirDurable(dir string, sync bool) error {
	var created []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || filepath.Dir(d) == d {
			break
		}
		created = append(created, d)
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	if !sync {
		return nil
	}
	for _, d := range created {
		if err := syncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

// writeFileAtomic replaces path with data: a temporary file beside it,
// fsynced, renamed over path, and the directory fsynced. A reader sees the
// old content or the new one, never a mix.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
	if err != nil {
		return diskFull(err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return diskFull(err)
	}
	return syncDir(filepath.Dir(path))
}

// Bounds of the times a line's RFC 3339 timestamp and a segment name can
// hold.
var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

// clampTime keeps t, in UTC, within the years 1 to 9999, so that a broken
// clock cannot produce unreadable records or names.
func clampTime(t time.Time) time.Time {
	switch {
	case t.Before(minTime):
		return minTime
	case t.After(maxTime):
		return maxTime
	}
	return t.UTC()
}
