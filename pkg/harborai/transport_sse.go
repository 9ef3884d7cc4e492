package harborai

import (
	"bytes"
	"strings"
	"sync/atomic"
)

// usageFilter removes from an OpenAI-compatible SSE stream the chunk that
// stream_options.include_usage adds when the transport, not the caller,
// asked for it: a data line whose JSON has an empty "choices" and a
// "usage" object, with the blank line that ends its event. Every other byte
// passes unchanged. Lines are passed on whole: a line waits for its line
// ending, LF, CRLF or a lone CR, as SSE has them (vendors flush whole
// events, so nothing waits in practice), and a line longer than maxHeldLine
// is passed on without waiting. A CR that ends what was read ends its line
// at once: an LF that then comes first belongs to it (afterCR).
type usageFilter struct {
	err       error       // what the vendor's body ended with, to return once drained
	line      []byte      // the current line, until its newline
	out       []byte      // bytes for the caller
	part      []byte      // after out, for the caller: the end of a line fill had no room for, where it was read
	buf       []byte      // what the vendor's bytes are read into, when not the event's buffer
	rest      []byte      // read and not yet looked at
	off       int         // of out, already given
	dropBlank bool        // the next line ends a dropped event
	afterCR   bool        // the last line ended with CR: an LF next is its CRLF's
	crKept    bool        // and that line was passed on
	closed    atomic.Bool // the caller's Close: what the filter holds is not given any more
	// given[markerWindow-givenN:] is the last bytes given to the caller,
	// where complete looks for a stream's end: the filter reads ahead of
	// the caller. In the filter's allocation, not one more per call; under
	// the body's mu.
	given  [markerWindow]byte
	givenN int
	// gaveAll counts the bytes given to the caller (under the body's mu),
	// hidden those the filter dropped (the reading goroutine's; read by
	// Close): together they are every byte read once the caller has all.
	gaveAll int64
	hidden  atomic.Int64
}

// gave keeps the end of p, bytes just given to the caller, in given.
func (f *usageFilter) gave(p []byte) {
	f.gaveAll += int64(len(p))
	if len(p) >= markerWindow {
		f.givenN = copy(f.given[:], p[len(p)-markerWindow:])
		return
	}
	keep := min(f.givenN, markerWindow-len(p))
	copy(f.given[markerWindow-len(p)-keep:], f.given[markerWindow-keep:])
	copy(f.given[markerWindow-len(p):], p)
	f.givenN = keep + len(p)
}

// lastGiven returns the last bytes given to the caller, markerWindow at
// most.
func (f *usageFilter) lastGiven() []byte { return f.given[markerWindow-f.givenN:] }

const maxHeldLine = 1 << 20

// scratch returns a buffer of n bytes to read the vendor's bytes into.
func (f *usageFilter) scratch(n int) []byte {
	if cap(f.buf) < n {
		f.buf = make([]byte, n)
	}
	return f.buf[:n]
}

// write takes bytes read from the vendor.
func (f *usageFilter) write(p []byte) {
	for len(p) > 0 {
		p = f.writeSome(p)
	}
}

// writeSome takes bytes read from the vendor up to the first line it passes
// on, and returns the rest.
func (f *usageFilter) writeSome(p []byte) []byte {
	for len(p) > 0 {
		if f.afterCR {
			f.afterCR = false
			if p[0] == '\n' {
				p = p[1:]
				if f.crKept {
					f.out = append(f.out, '\n')
					return p
				}
				f.hidden.Add(1)
				continue
			}
		}
		i, ok := lineEnd(p)
		if !ok {
			f.line = append(f.line, p...)
			if len(f.line) > maxHeldLine {
				f.out = append(f.out, f.line...)
				f.line = f.line[:0]
				f.dropBlank = false
			}
			return nil
		}
		had := len(f.out)
		if len(f.line) == 0 {
			f.endLine(p[:i])
		} else {
			f.line = append(f.line, p[:i]...)
			f.endLine(f.line)
			f.line = f.line[:0]
		}
		p = p[i:]
		if len(f.out) > had {
			return p
		}
	}
	return nil
}

// fill copies into p the filtered bytes held and those of rest, looking at
// lines only as far as p has room (a caller after the first byte gets it
// once one line was looked at), and returns how many. Whole lines go from
// rest to p directly (the end of one p has no room for waits in part: rest
// is not read into again before it is given); a line cut between reads goes
// through line and out.
func (f *usageFilter) fill(p []byte) int {
	n := f.drain(p)
	for n < len(p) && len(f.rest) > 0 { // out and part are empty here
		i := bytes.IndexByte(f.rest, '\n')
		if i < 0 || len(f.line) > 0 || f.afterCR || loneCR(f.rest[:i]) {
			f.rest = f.writeSome(f.rest)
			n += f.drain(p[n:])
			continue
		}
		line := f.rest[:i+1]
		f.rest = f.rest[i+1:]
		if f.keep(line) {
			k := copy(p[n:], line)
			n += k
			f.part = line[k:] // what p has no room for, left where it is
		}
	}
	return n
}

// endLine passes on or drops one whole line.
func (f *usageFilter) endLine(line []byte) {
	kept := f.keep(line)
	if kept {
		f.out = append(f.out, line...)
	}
	f.afterCR, f.crKept = len(line) > 0 && line[len(line)-1] == '\r', kept
}

// lineEnd returns the length of p's first line, its line ending included,
// and false when p has none: LF, CRLF, or a CR that is not before an LF
// (at p's end too: see afterCR).
func lineEnd(p []byte) (int, bool) {
	i := bytes.IndexByte(p, '\n')
	q := p
	if i >= 0 {
		q = p[:i]
	}
	if j := bytes.IndexByte(q, '\r'); j >= 0 && (i < 0 || j < i-1) {
		return j + 1, true
	}
	return i + 1, i >= 0
}

// loneCR reports whether line, up to its LF, has a CR that does not end it
// (CRLF): a line ending of its own.
func loneCR(line []byte) bool {
	j := bytes.IndexByte(line, '\r')
	return j >= 0 && j < len(line)-1
}

// keep reports whether a whole line passes: not the usage chunk's data
// line, nor the blank line that ends its event.
func (f *usageFilter) keep(line []byte) bool {
	switch {
	case f.dropBlank && blank(line):
		f.dropBlank = false
	case usageOnly(line):
		f.dropBlank = true
	default:
		f.dropBlank = false
		return true
	}
	f.hidden.Add(int64(len(line)))
	return false
}

// blank reports whether line is only a line ending.
func blank(line []byte) bool {
	for _, c := range line {
		if c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// flush passes on a last line without a newline.
func (f *usageFilter) flush() {
	if len(f.line) > 0 {
		f.endLine(f.line)
		f.line = f.line[:0]
	}
}

// drain copies bytes for the caller into p: those of out, then of part.
func (f *usageFilter) drain(p []byte) int {
	n := copy(p, f.out[f.off:])
	f.off += n
	if f.off == len(f.out) {
		f.out, f.off = f.out[:0], 0
	}
	if n < len(p) && len(f.part) > 0 {
		k := copy(p[n:], f.part)
		f.part = f.part[k:]
		n += k
	}
	return n
}

// usageOnly reports whether line is "data: {...}" whose object has a usage
// object and no choices: an empty array, null, or none at all, as servers
// write the usage chunk; and no error but null. Other lines, nearly all of
// them, are told apart without decoding, by their "usage": null in every
// chunk but the usage chunk, or absent. "choices" and "error" are taken as a
// JSON decoder reading into a struct takes them, in any case, so that a
// line a decoder reads with choices or an error is kept; "usage" as
// written; a key written with an escape keeps the line (no server writes
// one).
func usageOnly(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("data:"))
	if !ok || !usageObject(rest) {
		return false
	}
	s := bytesToString(bytes.TrimSpace(rest)) // read only, here
	var array [16]member
	ms, ok := appendMembers(array[:0], s)
	if !ok {
		return false
	}
	none, usage := true, false
	for _, m := range ms {
		v := s[m.start:m.end]
		switch {
		case strings.IndexByte(m.key, '\\') >= 0:
			return false
		case strings.EqualFold(m.key, "choices"):
			none = v == "null" || v[0] == '[' && skipSpace(v, 1) == len(v)-1
		case m.key == "usage":
			usage = v[0] == '{'
		case strings.EqualFold(m.key, "error") && v != "null":
			return false
		}
	}
	return none && usage
}

// usageObject reports whether p has `"usage"` followed by an object.
func usageObject(p []byte) bool {
	for {
		rest, ok := afterKey(p, `usage"`)
		if !ok {
			return false
		}
		p = skipSep(rest)
		if len(p) > 0 && p[0] == '{' {
			return true
		}
	}
}

// afterKey returns what follows the first `"` + key in p (key ends with
// its closing quote; it is looked for without the opening one, a byte too
// common in JSON for bytes.Index to skip ahead).
func afterKey(p []byte, key string) ([]byte, bool) {
	for {
		i := bytes.Index(p, []byte(key))
		if i < 0 {
			return nil, false
		}
		if i > 0 && p[i-1] == '"' {
			return p[i+len(key):], true
		}
		p = p[i+len(key):]
	}
}

// skipSep skips the spaces and colon between a key and its value.
func skipSep(p []byte) []byte {
	j := 0
	for j < len(p) && (p[j] == ' ' || p[j] == ':' || p[j] == '\t') {
		j++
	}
	return p[j:]
}
