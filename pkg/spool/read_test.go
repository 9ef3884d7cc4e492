package spool

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// lineSpan returns the offsets of line n (1-based) in b, newline excluded.
func lineSpan(b []byte, n int) (start, end int) {
	for range n - 1 {
		start += bytes.IndexByte(b[start:], '\n') + 1
	}
	return start, start + bytes.IndexByte(b[start:], '\n')
}

// replaceInLine replaces the first old in line n.
func replaceInLine(b []byte, n int, old, new string) []byte {
	s, e := lineSpan(b, n)
	line := bytes.Replace(b[s:e], []byte(old), []byte(new), 1)
	return slices.Concat(b[:s], line, b[e:])
}

func without(ids []int, drop ...int) []int {
	return slices.DeleteFunc(slices.Clone(ids), func(i int) bool { return slices.Contains(drop, i) })
}

type badLine struct {
	line   int
	reason string
}

func TestReadSegmentCorruption(t *testing.T) {
	const n = 10
	all := seq(0, n)
	tests := []struct {
		name string
		gz   bool
		// content corrupts the lines; file corrupts the bytes on disk.
		content func([]byte) []byte
		file    func([]byte) []byte
		wantIDs []int
		want    []badLine
	}{
		{
			name:    "intact",
			wantIDs: all,
		},
		{
			name:    "truncated mid-line",
			content: func(b []byte) []byte { return b[:len(b)-20] },
			wantIDs: seq(0, n-1),
			want:    []badLine{{n, ReasonTorn}},
		},
		{
			name:    "truncated mid-line, sealed",
			gz:      true,
			content: func(b []byte) []byte { return b[:len(b)-20] },
			wantIDs: seq(0, n-1),
			want:    []badLine{{n, ReasonTorn}},
		},
		{
			name:    "flipped byte in the data",
			content: func(b []byte) []byte { return replaceInLine(b, 3, "record", "recorc") },
			wantIDs: without(all, 2),
			want:    []badLine{{3, ReasonBadChecksum}},
		},
		{
			name:    "flipped byte in the framing",
			content: func(b []byte) []byte { return replaceInLine(b, 4, `{"v"`, `{"w"`) },
			wantIDs: without(all, 3),
			want:    []badLine{{4, ReasonBadRecord}},
		},
		{
			name: "flipped bytes in several lines",
			content: func(b []byte) []byte {
				for _, l := range []int{2, 5, 9} {
					s, e := lineSpan(b, l)
					b[(s+e)/2] ^= 0x40
				}
				return b
			},
			wantIDs: without(all, 1, 4, 8),
			want:    []badLine{{2, ""}, {5, ""}, {9, ""}},
		},
		{
			name:    "garbage appended without newline",
			content: func(b []byte) []byte { return append(b, "\x00\xffgarbage"...) },
			wantIDs: all,
			want:    []badLine{{n + 1, ReasonTorn}},
		},
		{
			name:    "garbage line appended",
			content: func(b []byte) []byte { return append(b, "garbage\n"...) },
			wantIDs: all,
			want:    []badLine{{n + 1, ReasonInvalidJSON}},
		},
		{
			name: "invalid JSON line in the middle",
			content: func(b []byte) []byte {
				s, _ := lineSpan(b, 6)
				return slices.Concat(b[:s], []byte("{\"v\":1,\n"), b[s:])
			},
			wantIDs: all,
			want:    []badLine{{6, ReasonInvalidJSON}},
		},
		{
			name:    "blank line",
			content: func(b []byte) []byte { s, _ := lineSpan(b, 2); return slices.Concat(b[:s], []byte("\n"), b[s:]) },
			wantIDs: all,
			want:    []badLine{{2, ReasonInvalidJSON}},
		},
		{
			name: "wrong crc",
			content: func(b []byte) []byte {
				s, _ := lineSpan(b, 5)
				copy(b[s+len(`{"v":1,"crc":"`):], "00000000")
				return b
			},
			wantIDs: without(all, 4),
			want:    []badLine{{5, ReasonBadChecksum}},
		},
		{
			name:    "unknown version",
			content: func(b []byte) []byte { return replaceInLine(b, 7, `"v":1`, `"v":2`) },
			wantIDs: without(all, 6),
			want:    []badLine{{7, ReasonUnknownVersion}},
		},
		{
			name:    "gzip trailer damaged",
			gz:      true,
			file:    func(b []byte) []byte { b[len(b)-6] ^= 0xff; return b },
			wantIDs: all,
			want:    []badLine{{n + 1, ReasonGzip}},
		},
		{
			name:    "gzip truncated",
			gz:      true,
			file:    func(b []byte) []byte { return b[:len(b)-12] },
			wantIDs: nil, // whatever came before the cut, checked by the invariants
			want:    []badLine{{0, ReasonGzip}},
		},
		{
			name:    "not gzip",
			gz:      true,
			file:    func(b []byte) []byte { return []byte("plain text\n") },
			wantIDs: []int{},
			want:    []badLine{{1, ReasonGzip}},
		},
		{
			name:    "empty gzip",
			gz:      true,
			file:    func(b []byte) []byte { return nil },
			wantIDs: []int{},
			want:    []badLine{{1, ReasonGzip}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := goodLines(n)
			if tt.content != nil {
				content = tt.content(content)
			}
			path := filepath.Join(t.TempDir(), "seg-20250301T120000.000000000Z-000001.jsonl")
			if tt.gz {
				path += ".gz"
			}
			writeFile(t, path, content, tt.gz)
			if tt.file != nil {
				b, _ := os.ReadFile(path)
				os.WriteFile(path, tt.file(b), fileMode)
			}

			var recs []Record
			st, err := ReadSegment(path, func(r Record) error { recs = append(recs, r); return nil })
			if err != nil {
				t.Fatalf("ReadSegment() = %v, want corruption reported, not returned", err)
			}
			got := ids(t, recs)
			if tt.wantIDs != nil && !slices.Equal(got, tt.wantIDs) {
				t.Errorf("ReadSegment() records %v, want %v", got, tt.wantIDs)
			}
			if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Errorf("ReadSegment() records %v, want increasing ids", got)
			}
			if len(st.Corrupt) != len(tt.want) || st.CorruptCount != len(tt.want) {
				t.Fatalf("ReadSegment() corrupt = %+v, want %v", st.Corrupt, tt.want)
			}
			for i, c := range st.Corrupt {
				w := tt.want[i]
				if (w.line != 0 && c.Line != w.line) || (w.reason != "" && c.Reason != w.reason) || c.Segment != filepath.Base(path) {
					t.Errorf("corrupt[%d] = line %d %s (%s), want line %d %s", i, c.Line, c.Reason, c.Detail, w.line, w.reason)
				}
				if len(c.Raw) > MaxCorruptRaw {
					t.Errorf("corrupt[%d].Raw is %d bytes, want <= %d", i, len(c.Raw), MaxCorruptRaw)
				}
			}
			if st.Records != len(recs) || st.Lines != len(recs)+len(st.Corrupt) {
				t.Errorf("ReadStats = %d lines, %d records; want %d lines, %d records", st.Lines, st.Records, len(recs)+len(st.Corrupt), len(recs))
			}
			for _, r := range recs {
				if s, _ := lineSpan(content, r.Line); !tt.gz && int64(s) != r.Offset {
					t.Errorf("record line %d offset = %d, want %d", r.Line, r.Offset, s)
				}
			}
		})
	}
}

// TestReadSegmentGzipDamagedMidStream flips bytes inside the compressed data
// of a large segment: every record returned is intact and in order, and the
// damage is reported.
func TestReadSegmentGzipDamagedMidStream(t *testing.T) {
	const n = 2000
	for _, at := range []float64{0.1, 0.5, 0.9} {
		path := filepath.Join(t.TempDir(), "seg-20250301T120000.000000000Z-000001.jsonl.gz")
		writeFile(t, path, goodLines(n), true)
		b, _ := os.ReadFile(path)
		b[int(float64(len(b))*at)] ^= 0x55
		os.WriteFile(path, b, fileMode)

		var recs []Record
		st, err := ReadSegment(path, func(r Record) error { recs = append(recs, r); return nil })
		if err != nil {
			t.Fatalf("damage at %.0f%%: ReadSegment() = %v", at*100, err)
		}
		got := ids(t, recs)
		if !slices.IsSorted(got) || len(got) >= n || st.CorruptCount == 0 {
			t.Errorf("damage at %.0f%%: %d records, %d corrupt %+v; want fewer than %d, in order, damage reported", at*100, len(got), st.CorruptCount, st.Corrupt, n)
		}
	}
}

func TestReadSegmentStopsOnCallbackError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seg-20250301T120000.000000000Z-000001.jsonl")
	writeFile(t, path, goodLines(5), false)
	stop := errors.New("stop")
	st, err := ReadSegment(path, func(r Record) error {
		if r.Line == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || st.Records != 3 {
		t.Errorf("ReadSegment() = %d records, %v; want 3, the callback's error", st.Records, err)
	}
}

func TestReadSegmentTooLongLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seg-20250301T120000.000000000Z-000001.jsonl")
	const limit = 200 << 10 // beyond bufio's buffer, so the line spans reads
	long := bytes.Repeat([]byte("x"), limit+1)
	writeFile(t, path, slices.Concat(goodLines(2), long, []byte("\n"), goodLines(1)), false)
	var recs []Record
	st, err := readSegment(path, limit, func(r Record) error { recs = append(recs, r); return nil })
	if err != nil || len(recs) != 3 || st.CorruptCount != 1 || st.Corrupt[0].Reason != ReasonTooLong ||
		st.Corrupt[0].Line != 3 || len(st.Corrupt[0].Raw) != MaxCorruptRaw || recs[2].Line != 4 ||
		recs[2].Offset != int64(2*len(goodLines(1))+limit+2) {
		t.Errorf("ReadSegment() = %d records, corrupt %+v, %v; want 3 records and line 3 too long", len(recs), st.Corrupt, err)
	}
}

func TestReadSegmentMissing(t *testing.T) {
	_, err := ReadSegment(filepath.Join(t.TempDir(), "nope.jsonl"), func(Record) error { return nil })
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadSegment(missing) = %v, want fs.ErrNotExist", err)
	}
}
