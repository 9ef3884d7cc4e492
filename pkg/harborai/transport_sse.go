package harborai

import "bytes"

// usageFilter removes from an OpenAI-compatible SSE stream the chunk that
// stream_options.include_usage adds when the transport, not the caller,
// asked for it: a data line whose JSON has an empty "choices" and a
// "usage" object, with the blank line that ends its event. Every other byte
// passes unchanged. Lines are passed on whole: a line waits for its newline
// (vendors flush whole events, so nothing waits in practice), and a line
// longer than maxHeldLine is passed on without waiting.
type usageFilter struct {
	line      []byte // the current line, until its newline
	out       []byte // bytes for the caller
	buf       []byte // what the vendor's bytes are read into
	off       int    // of out, already given
	dropBlank bool   // the next line ends a dropped event
}

const maxHeldLine = 1 << 20

// scratch returns the buffer to read the vendor's bytes into: the caller's
// size, between 4 and 64 KiB.
func (f *usageFilter) scratch(n int) []byte {
	n = min(max(n, 4<<10), 64<<10)
	if cap(f.buf) < n {
		f.buf = make([]byte, n)
	}
	return f.buf[:n]
}

// write takes bytes read from the vendor.
func (f *usageFilter) write(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			f.line = append(f.line, p...)
			if len(f.line) > maxHeldLine {
				f.out = append(f.out, f.line...)
				f.line = f.line[:0]
				f.dropBlank = false
			}
			return
		}
		if len(f.line) == 0 {
			f.endLine(p[:i+1])
		} else {
			f.line = append(f.line, p[:i+1]...)
			f.endLine(f.line)
			f.line = f.line[:0]
		}
		p = p[i+1:]
	}
}

// endLine passes on or drops one whole line.
func (f *usageFilter) endLine(line []byte) {
	blank := len(bytes.TrimRight(line, "\r\n")) == 0
	switch {
	case f.dropBlank && blank:
		f.dropBlank = false
	case usageOnly(line):
		f.dropBlank = true
	default:
		f.dropBlank = false
		f.out = append(f.out, line...)
	}
}

// flush passes on a last line without a newline.
func (f *usageFilter) flush() {
	if len(f.line) > 0 {
		f.endLine(f.line)
		f.line = f.line[:0]
	}
}

// drain copies bytes for the caller into p.
func (f *usageFilter) drain(p []byte) int {
	n := copy(p, f.out[f.off:])
	f.off += n
	if f.off == len(f.out) {
		f.out, f.off = f.out[:0], 0
	}
	return n
}

// usageOnly reports whether line is "data: {...}" whose object has an empty
// choices array and a usage object. Lines with a non-empty choices array,
// nearly all of them, are told apart without decoding.
func usageOnly(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("data:"))
	if !ok || !emptyChoices(rest) || !bytes.Contains(rest, []byte(`"usage"`)) {
		return false
	}
	s := string(bytes.TrimSpace(rest))
	ms, ok := scanObject(s)
	if !ok {
		return false
	}
	empty, usage := false, false
	for _, m := range ms {
		v := s[m.start:m.end]
		switch m.key {
		case "choices":
			empty = v[0] == '[' && skipSpace(v, 1) == len(v)-1
		case "usage":
			usage = v[0] == '{'
		}
	}
	return empty && usage
}

// emptyChoices reports whether p has `"choices"` followed by an empty array.
func emptyChoices(p []byte) bool {
	for {
		i := bytes.Index(p, []byte(`"choices"`))
		if i < 0 {
			return false
		}
		p = p[i+len(`"choices"`):]
		j := 0
		for j < len(p) && (p[j] == ' ' || p[j] == ':' || p[j] == '\t') {
			j++
		}
		if j < len(p) && p[j] == '[' {
			j++
			for j < len(p) && (p[j] == ' ' || p[j] == '\t') {
				j++
			}
			if j < len(p) && p[j] == ']' {
				return true
			}
		}
	}
}
