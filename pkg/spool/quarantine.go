package spool

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Quarantine appends raw, with the reason it was set aside, to
// dir/quarantine/quarantine-<UTC date>.jsonl and fsyncs it. The ingestor
// quarantines poison events; loaders quarantine corrupt spool lines. Each
// line is
//
//	{"v":1,"crc":"<crc32c>","ts":"<RFC 3339>","reason":"...","data":<raw>}
//
// when raw is valid JSON (compacted), and otherwise
//
//	{"v":1,"crc":"<crc32c>","ts":"<RFC 3339>","reason":"...","raw":"<base64 of raw>"}
//
// the checksum covering the bytes of the "data" or "raw" value as they
// appear in the line. Safe for concurrent use: each line is one O_APPEND
// write. A line a crash left torn at the end of the file is ended (with a
// newline) before the next one, so it costs no other line.
func Quarantine(dir string, reason string, raw []byte) error {
	now := time.Now().UTC()
	qdir := filepath.Join(dir, quarantineDir)
	if err := os.MkdirAll(qdir, dirMode); err != nil {
		return fmt.Errorf("quarantine: %w", diskFull(err))
	}
	path := filepath.Join(qdir, "quarantine-"+now.Format(time.DateOnly)+".jsonl")
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, fileMode)
	if err != nil {
		return fmt.Errorf("quarantine: %w", diskFull(err))
	}
	line := quarantineLine(now, reason, raw)
	if endsTorn(f) {
		// A crash cut the last line short: end it, so this record is not
		// glued to the fragment.
		line = append([]byte{'\n'}, line...)
	}
	_, err = f.Write(line)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && errors.Is(statErr, fs.ErrNotExist) {
		err = errors.Join(syncDir(qdir), syncDir(dir))
	}
	if err != nil {
		return fmt.Errorf("quarantine: %w", diskFull(err))
	}
	return nil
}

// endsTorn reports whether the file f ends without a newline.
func endsTorn(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return false
	}
	var last [1]byte
	_, err = f.ReadAt(last[:], fi.Size()-1)
	return err == nil && last[0] != '\n'
}

// quarantineLine returns one quarantine line, newline included.
func quarantineLine(ts time.Time, reason string, raw []byte) []byte {
	key := "data"
	var value []byte
	var compact bytes.Buffer
	if json.Valid(raw) {
		_ = json.Compact(&compact, raw)
		value = compact.Bytes()
	} else {
		key = "raw"
		value, _ = json.Marshal(base64.StdEncoding.EncodeToString(raw))
	}
	reasonJSON, _ := json.Marshal(reason)
	line := []byte(`{"v":1,"crc":"`)
	line = appendHex32(line, crc32.Checksum(value, castagnoli))
	line = append(line, `","ts":"`...)
	line = ts.AppendFormat(line, time.RFC3339Nano)
	line = append(line, `","reason":`...)
	line = append(line, reasonJSON...)
	line = append(line, `,"`+key+`":`...)
	line = append(line, value...)
	return append(line, "}\n"...)
}

// KeepSegment keeps a whole copy of seg in dir's quarantine
// (dir/quarantine/segments/), which nothing prunes: a hard link, or a copy
// across file systems, durable when it returns. Loaders keep a segment
// with damaged lines, as Quarantine keeps only the head of each line.
// A segment kept already is left as it is.
func KeepSegment(dir string, seg Segment) error {
	keep := filepath.Join(dir, quarantineDir, "segments")
	if err := os.MkdirAll(keep, dirMode); err != nil {
		return fmt.Errorf("keep %s: %w", seg.Name, diskFull(err))
	}
	dst := filepath.Join(keep, seg.Name)
	if fi, err := os.Lstat(dst); err == nil {
		if fi.Mode().IsRegular() {
			return nil // kept already
		}
		_ = os.Remove(dst) // a link, as a release before this one kept a linked segment
	}
	// A segment linked into the spool is kept, not its link: a link would
	// break with the segment's own removal, or at once when relative.
	src, err := filepath.EvalSymlinks(seg.Path)
	if err != nil {
		return fmt.Errorf("keep %s: %w", seg.Name, err)
	}
	if err := os.Link(src, dst); err == nil {
		return syncDir(keep)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("keep %s: %w", seg.Name, err)
	}
	if err := writeFileAtomic(dst, data); err != nil {
		return fmt.Errorf("keep %s: %w", seg.Name, err)
	}
	return nil
}
