package spool

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Record is one good line of a segment.
type Record struct {
	Data   json.RawMessage // the payload, exactly as appended (compacted); owned by the caller
	Time   time.Time       // when it was appended (UTC)
	Line   int             // 1-based line number in the segment
	Offset int64           // byte offset of the line in the uncompressed segment
}

// CorruptLine is a line ReadSegment skipped.
type CorruptLine struct {
	Segment string // file name
	Line    int
	Offset  int64
	Reason  string // one of the Reason constants
	Detail  string
	Raw     []byte // the line's first MaxCorruptRaw bytes
}

// Limits on what ReadStats keeps of corrupt lines, so that reading a
// segment of garbage takes bounded memory.
const (
	MaxCorruptRaw      = 1 << 10
	MaxCorruptReported = 1000
)

// ReadStats summarises one ReadSegment.
type ReadStats struct {
	Segment      string
	Lines        int   // lines seen, good or not
	Records      int   // good lines passed to fn
	Bytes        int64 // uncompressed bytes read
	Corrupt      []CorruptLine
	CorruptCount int // all corrupt lines, including those past MaxCorruptReported
}

// ReadSegment calls fn for every good record of the segment at path, in
// order, .jsonl or .jsonl.gz. Corrupt lines are not fatal: each is recorded
// in ReadStats.Corrupt and reading goes on with the next line. A damaged
// gzip stream ends the segment with one ReasonGzip entry, after every line
// before the damage. Errors are returned only for I/O failures and when fn
// fails (fn's error, unchanged, stops reading).
//
// A last line without a newline is reported as ReasonTorn. In a sealed
// segment it is what a crash during Append left. In the active segment of a
// live writer it may also be an Append in progress: the writer holds only
// whole lines whenever no Append is running, and readers should load only
// sealed segments.
func ReadSegment(path string, fn func(rec Record) error) (ReadStats, error) {
	return readSegment(path, MaxRecordBytes+lineEnvelope, fn)
}

// readSegment is ReadSegment with lines longer than maxLine bytes reported
// as ReasonTooLong.
func readSegment(path string, maxLine int, fn func(rec Record) error) (ReadStats, error) {
	st := ReadStats{Segment: filepath.Base(path)}
	f, err := os.Open(path)
	if err != nil {
		return st, err
	}
	defer f.Close()
	file := &errReader{r: f}
	var src io.Reader = file
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bufio.NewReaderSize(file, 64<<10))
		if err != nil {
			if file.err != nil {
				return st, file.err
			}
			st.Lines++
			st.corrupt(rawLine{}, ReasonGzip, "gzip header: "+err.Error())
			return st, nil
		}
		src = zr
	}
	br := bufio.NewReaderSize(src, 64<<10)
	var buf []byte
	for {
		l, err := readLine(br, buf[:0], maxLine)
		buf = l.text
		if err != nil && !errors.Is(err, io.EOF) {
			if file.err != nil {
				return st, file.err // the disk, not the data
			}
			st.Lines++
			st.corrupt(l, ReasonGzip, err.Error())
			return st, nil
		}
		if l.size > 0 {
			st.Lines++
			if err := st.line(l, fn); err != nil {
				return st, err
			}
		}
		if errors.Is(err, io.EOF) {
			return st, nil
		}
	}
}

// line handles one whole or torn line.
func (st *ReadStats) line(l rawLine, fn func(Record) error) error {
	switch {
	case l.tooLong:
		st.corrupt(l, ReasonTooLong, "longer than MaxRecordBytes")
	case !l.complete:
		st.corrupt(l, ReasonTorn, "no newline at the end of the segment")
	default:
		data, ts, lerr := parseLine(l.text)
		if lerr != nil {
			st.corrupt(l, lerr.reason, lerr.detail)
			return nil
		}
		rec := Record{Data: data, Time: ts, Line: st.Lines, Offset: st.Bytes}
		st.Records++
		st.Bytes += int64(l.size)
		return fn(rec)
	}
	return nil
}

// corrupt records the bad line l, at the current position, and moves past it.
func (st *ReadStats) corrupt(l rawLine, reason, detail string) {
	st.CorruptCount++
	if len(st.Corrupt) < MaxCorruptReported {
		st.Corrupt = append(st.Corrupt, CorruptLine{
			Segment: st.Segment,
			Line:    st.Lines,
			Offset:  st.Bytes,
			Reason:  reason,
			Detail:  detail,
			Raw:     append([]byte(nil), l.text[:min(len(l.text), MaxCorruptRaw)]...),
		})
	}
	st.Bytes += int64(l.size)
}

// rawLine is one line as read, before parsing.
type rawLine struct {
	text     []byte // without its newline; only the first MaxCorruptRaw bytes when tooLong
	size     int    // bytes consumed, newline included
	complete bool   // ended with a newline
	tooLong  bool   // longer than any line Append writes
}

// readLine reads the next line into buf. A line longer than limit bytes is
// skipped to its end keeping only its start, so memory stays bounded
// whatever the file holds. err is io.EOF at the end of the stream.
func readLine(br *bufio.Reader, buf []byte, limit int) (rawLine, error) {
	l := rawLine{text: buf}
	for {
		chunk, err := br.ReadSlice('\n')
		l.size += len(chunk)
		if !l.tooLong && l.size > limit {
			l.tooLong = true
			l.text = l.text[:min(len(l.text), MaxCorruptRaw)]
		}
		if !l.tooLong {
			l.text = append(l.text, chunk...)
		} else if room := MaxCorruptRaw - len(l.text); room > 0 {
			l.text = append(l.text, chunk[:min(room, len(chunk))]...)
		}
		switch {
		case err == nil:
			l.complete = true
			if !l.tooLong {
				l.text = l.text[:len(l.text)-1]
			}
			return l, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return l, err
		}
	}
}

// errReader remembers the error of the file under a gzip reader, to tell a
// failing disk from damaged data.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}
