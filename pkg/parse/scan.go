package parse

import (
	"encoding/binary"
	"encoding/json"
)

// The scanner walks JSON text once, by the grammar encoding/json checks, and
// decodes nothing: it finds where an object's members (or an array's
// elements) lie, so that Parse reads the few members it needs without
// building a map or copying values, and the same walk proves the text valid.
//
// It only ever accepts: when it cannot vouch for a text (invalid, nested
// deeper than maxScanDepth, a key that needs decoding), its callers hand the
// text to the decoder (unmarshal, valid in json.go) exactly as before, so that
// such inputs are read as they always were. What it accepts the decoder
// accepts too, and reads the same way (FuzzParseMatchesReference).

// maxScanDepth bounds how deeply the scanner follows nested objects and
// arrays. Vendor bodies nest a few levels; deeper text is left to the decoder,
// whose own limit (10000) is far above, so that nothing the scanner accepts
// is too deep for the decoder.
const maxScanDepth = 128

// member is one member of a scanned object: where its key (between the
// quotes) and its value (without white space) lie in the object's bytes.
// Offsets rather than slices: a member holds no pointer, so a []member costs
// the garbage collector nothing to scan.
type member struct {
	keyStart, keyEnd     int
	valueStart, valueEnd int
}

// smallObject is how many members scanObject collects on the stack before it
// copies them to the heap; vendor objects have about a dozen at the top
// level and fewer below.
const smallObject = 16

// scanObject reads b as one JSON object between optional white space and
// returns its members in order, duplicates included. ok is false when b is
// anything else, nests deeper than maxScanDepth, or has a key that is not
// plain (see plainKey): b is then the decoder's to read.
func scanObject(b []byte) (members []member, ok bool) {
	var stack [smallObject]member
	found, ok := scanMembers(b, stack[:0])
	if !ok || len(found) == 0 {
		return nil, ok
	}
	return append([]member(nil), found...), true
}

// scanMember reads b as scanObject does and returns the value of its member
// key (the last, when repeated); found is false when it has none, ok is
// false when scanObject's would be. The members stay on the stack, so that a
// lookup in a nested object (path) allocates nothing.
func scanMember(b []byte, key string) (value []byte, found, ok bool) {
	var stack [smallObject]member
	members, ok := scanMembers(b, stack[:0])
	if !ok {
		return nil, false, false
	}
	value, found = findMember(b, members, key)
	return value, found, true
}

// scanMembers is scanObject appending the members to dst, which the callers
// keep on their stacks.
func scanMembers(b []byte, dst []member) ([]member, bool) {
	s := scanner{b: b}
	s.skipSpace()
	if s.peek() != '{' {
		return dst, false
	}
	dst, ok := s.members(dst)
	return dst, ok && s.atEnd()
}

// findMember returns the value of the last of members (of the object raw)
// whose key is key.
func findMember(raw []byte, members []member, key string) ([]byte, bool) {
	for i := len(members) - 1; i >= 0; i-- {
		m := &members[i]
		if m.keyEnd-m.keyStart == len(key) && string(raw[m.keyStart:m.keyEnd]) == key {
			return raw[m.valueStart:m.valueEnd:m.valueEnd], true
		}
	}
	return nil, false
}

// scanElements reads b as one JSON array between optional white space and
// returns its elements. ok is false when b is anything else or nests deeper
// than maxScanDepth.
func scanElements(b []byte) (elems []json.RawMessage, ok bool) {
	s := scanner{b: b}
	s.skipSpace()
	if s.peek() != '[' {
		return nil, false
	}
	elems, ok = s.elements()
	if !ok || !s.atEnd() {
		return nil, false
	}
	return elems, true
}

// scanValid reports whether b is one valid JSON value between optional white
// space, nested no deeper than maxScanDepth.
func scanValid(b []byte) bool {
	s := scanner{b: b}
	s.skipSpace()
	return s.value() && s.atEnd()
}

// plainKey reports whether a key's bytes (between its quotes) are its value:
// ASCII without escapes. Other keys are rare in vendor bodies and are left to
// the decoder, which unescapes them and replaces invalid UTF-8.
func plainKey(k []byte) bool {
	for _, c := range k {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// plainString returns the contents of v when v is a JSON string whose bytes
// are its value (printable ASCII, no escapes), which is what decoding it
// would give; ok is false for any other v, to be decoded.
func plainString(v []byte) (s []byte, ok bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, false
	}
	s = v[1 : len(v)-1]
	for _, c := range s {
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return nil, false
		}
	}
	return s, true
}

// scanner is a position in JSON text being checked, and how many objects
// and arrays around it are open. Its methods move past one piece of the
// grammar at the position and report whether it was there; on false, the
// position is wherever the text went wrong, and the scan is abandoned.
type scanner struct {
	b     []byte
	pos   int
	depth int
}

// peek returns the byte at the position, 0 at the end (0 is valid nowhere
// in JSON, so the end fails wherever a byte is needed).
func (s *scanner) peek() byte {
	if s.pos < len(s.b) {
		return s.b[s.pos]
	}
	return 0
}

// skipSpace moves past JSON white space: space, tab, line feed, carriage
// return (not the other Unicode spaces).
func (s *scanner) skipSpace() {
	// every white space byte is at most ' ': most positions are decided by
	// one comparison
	for s.pos < len(s.b) && s.b[s.pos] <= ' ' {
		switch s.b[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// atEnd reports whether only white space is left.
func (s *scanner) atEnd() bool {
	s.skipSpace()
	return s.pos == len(s.b)
}

// value moves past the value at the position, reporting whether it is one.
func (s *scanner) value() bool {
	switch c := s.peek(); {
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == '"':
		return s.str()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || isDigit(c):
		return s.number()
	}
	return false
}

// enter notes one more level of nesting, reporting whether it is allowed.
func (s *scanner) enter() bool {
	s.depth++
	return s.depth <= maxScanDepth
}

// object moves past the object at the position (at its '{').
func (s *scanner) object() bool {
	if !s.enter() {
		return false
	}
	more, ok := s.open('}'), true
	for ok && more {
		if _, ok = s.member(); ok {
			more, ok = s.next('}')
		}
	}
	s.depth--
	return ok
}

// members moves past the object at the position (at its '{'), appending its
// members to dst; every key must be plain. It is object recording what it
// passes, kept apart so that dst, which the caller keeps on its stack, is
// not handed down the recursion (the compiler would move it to the heap).
func (s *scanner) members(dst []member) ([]member, bool) {
	if !s.enter() {
		return dst, false
	}
	more, ok := s.open('}'), true
	for ok && more {
		var m member
		if m, ok = s.member(); ok && plainKey(s.b[m.keyStart:m.keyEnd]) {
			dst = append(dst, m)
			more, ok = s.next('}')
		} else {
			ok = false
		}
	}
	s.depth--
	return dst, ok
}

// member moves past one "key": value member of an object, returning where
// its key and value lie.
func (s *scanner) member() (m member, ok bool) {
	if s.peek() != '"' {
		return m, false
	}
	m.keyStart = s.pos + 1
	if !s.str() {
		return m, false
	}
	m.keyEnd = s.pos - 1
	s.skipSpace()
	if s.peek() != ':' {
		return m, false
	}
	s.pos++
	s.skipSpace()
	m.valueStart = s.pos
	if !s.value() {
		return m, false
	}
	m.valueEnd = s.pos
	return m, true
}

// array moves past the array at the position (at its '[').
func (s *scanner) array() bool {
	if !s.enter() {
		return false
	}
	more, ok := s.open(']'), true
	for ok && more {
		if ok = s.value(); ok {
			more, ok = s.next(']')
		}
	}
	s.depth--
	return ok
}

// elements moves past the array at the position (at its '['), returning its
// elements.
func (s *scanner) elements() (elems []json.RawMessage, ok bool) {
	if !s.enter() {
		return nil, false
	}
	more, ok := s.open(']'), true
	for ok && more {
		start := s.pos
		if ok = s.value(); ok {
			elems = append(elems, s.b[start:s.pos:s.pos])
			more, ok = s.next(']')
		}
	}
	s.depth--
	return elems, ok
}

// open moves past the opening bracket at the position and white space;
// more reports whether a member or element follows, rather than the closing
// bracket close, which it then moves past.
func (s *scanner) open(close byte) (more bool) {
	s.pos++
	s.skipSpace()
	if s.peek() == close {
		s.pos++
		return false
	}
	return true
}

// next moves past what follows a member or element: a comma and white space
// (more follows) or the closing bracket close.
func (s *scanner) next(close byte) (more, ok bool) {
	s.skipSpace()
	switch s.peek() {
	case ',':
		s.pos++
		s.skipSpace()
		return true, true
	case close:
		s.pos++
		return false, true
	}
	return false, false
}

// stringByte marks the bytes that stand for themselves inside a JSON string:
// all but the quote, the backslash and the control characters below 0x20.
// Bytes of invalid UTF-8 are accepted, as encoding/json accepts them.
var stringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str moves past the string at the position (at its opening quote).
func (s *scanner) str() bool {
	i := s.pos + 1
	for {
		for i+8 <= len(s.b) && !hasStringStop(binary.LittleEndian.Uint64(s.b[i:])) {
			i += 8
		}
		for i < len(s.b) && stringByte[s.b[i]] {
			i++
		}
		if i == len(s.b) {
			return false
		}
		switch s.b[i] {
		case '"':
			s.pos = i + 1
			return true
		case '\\':
			n := escapeLen(s.b[i:])
			if n == 0 {
				return false
			}
			i += n
		default: // a control character
			return false
		}
	}
}

// lows and highs serve the word-at-a-time test of hasStringStop, from "Bit
// Twiddling Hacks" (https://graphics.stanford.edu/~seander/bithacks.html#HasLessInWord):
// for n <= 0x80, (w - n*lows) &^ w & highs is non-zero exactly when some
// byte of w is below n; a byte equal to c is a zero byte of w ^ c*lows.
// TestHasStringStop checks it against the byte table.
const (
	lows  = 0x0101010101010101 // 0x01 in every byte
	highs = 0x8080808080808080 // 0x80 in every byte
)

// hasStringStop reports whether any of the eight bytes in w (read from a
// string's contents) ends the plain run str skips: a quote, a backslash or a
// control character. Long strings (message content) are skipped eight bytes
// at a time.
func hasStringStop(w uint64) bool {
	quote := w ^ ('"' * lows)
	backslash := w ^ ('\\' * lows)
	return (hasByteBelow(w, 0x20)|hasByteBelow(quote, 1)|hasByteBelow(backslash, 1))&highs != 0
}

// hasByteBelow returns a word whose high bits (highs) are not all zero
// exactly when some byte of w is below n, for n <= 0x80; see lows.
func hasByteBelow(w uint64, n uint64) uint64 {
	return (w - n*lows) &^ w
}

// escapeLen returns the length of the escape sequence at the start of b
// (at its backslash), 0 when it is not one.
func escapeLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if len(b) < 6 {
			return 0
		}
		for _, c := range b[2:6] {
			if !isHex(c) {
				return 0
			}
		}
		return 6
	}
	return 0
}

// number moves past the number at the position: an optional minus, an
// integer part without leading zeros, an optional fraction and exponent.
func (s *scanner) number() bool {
	i := s.pos
	if i < len(s.b) && s.b[i] == '-' {
		i++
	}
	switch {
	case i < len(s.b) && s.b[i] == '0':
		i++
	case i < len(s.b) && isDigit(s.b[i]):
		i = skipDigits(s.b, i)
	default:
		return false
	}
	if i < len(s.b) && s.b[i] == '.' {
		i++
		if i == len(s.b) || !isDigit(s.b[i]) {
			return false
		}
		i = skipDigits(s.b, i)
	}
	if i < len(s.b) && (s.b[i] == 'e' || s.b[i] == 'E') {
		i++
		if i < len(s.b) && (s.b[i] == '+' || s.b[i] == '-') {
			i++
		}
		if i == len(s.b) || !isDigit(s.b[i]) {
			return false
		}
		i = skipDigits(s.b, i)
	}
	s.pos = i
	return true
}

// literal moves past the literal lit (true, false, null) at the position.
func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.pos < len(lit) || string(s.b[s.pos:s.pos+len(lit)]) != lit {
		return false
	}
	s.pos += len(lit)
	return true
}

// skipDigits returns the position after the run of digits at b[i:].
func skipDigits(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

// isDigit reports whether c is an ASCII digit, the only digits in JSON.
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isHex reports whether c is a hexadecimal digit, as \u escapes have.
func isHex(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
