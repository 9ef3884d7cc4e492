package spool

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// formatVersion is the value of "v" this package writes and the only one it
// reads.
const formatVersion = 1

// Reasons a line is reported corrupt (CorruptLine.Reason).
const (
	ReasonTorn           = "torn"            // the last line has no newline: a write cut short
	ReasonInvalidJSON    = "invalid_json"    // the line is not one JSON object
	ReasonBadRecord      = "bad_record"      // a field is missing or malformed
	ReasonUnknownVersion = "unknown_version" // "v" is not 1
	ReasonBadChecksum    = "bad_checksum"    // "crc" does not match the data bytes
	ReasonTooLong        = "too_long"        // longer than any line Append writes
	ReasonGzip           = "gzip"            // the compressed stream is damaged; the rest of the segment is unreadable
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// lineEnvelope is the most a line adds around its payload.
const lineEnvelope = 128

// compactPayload validates p and appends its compact form to dst. Compact
// JSON has no raw newline, so one payload is always one line.
func compactPayload(dst *bytes.Buffer, p []byte) error {
	start := dst.Len()
	// Compact validates as json.Valid does, in the same pass, and leaves dst
	// unchanged on invalid input.
	if err := json.Compact(dst, p); err != nil {
		return fmt.Errorf("%w: not valid JSON: %w", ErrInvalidPayload, err)
	}
	if n := dst.Len() - start; n > MaxRecordBytes {
		dst.Truncate(start)
		return fmt.Errorf("%w: %d bytes, limit %d", ErrInvalidPayload, n, MaxRecordBytes)
	}
	return nil
}

// appendLine appends the line of one record, newline included. data must be
// compact JSON; the checksum covers exactly these bytes.
func appendLine(dst []byte, ts time.Time, data []byte) []byte {
	dst = append(dst, `{"v":1,"crc":"`...)
	dst = appendHex32(dst, crc32.Checksum(data, castagnoli))
	dst = append(dst, `","ts":"`...)
	dst = ts.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","data":`...)
	dst = append(dst, data...)
	return append(dst, "}\n"...)
}

// lineError says why a line was rejected.
type lineError struct {
	reason string
	detail string
}

// parseLine decodes one line without its newline. The returned data is a
// copy holding the exact bytes the checksum covers.
func parseLine(line []byte) (json.RawMessage, time.Time, *lineError) {
	if data, ts, ok := parseCanonical(line); ok {
		return data, ts, nil
	}
	return parseGeneral(line)
}

// The fixed parts of a line as appendLine writes it.
const (
	canonicalHead = `{"v":1,"crc":"`
	canonicalTS   = `","ts":"`
	canonicalData = `","data":`
)

// parseCanonical is the fast path for lines exactly as appendLine writes
// them: one scan of the data instead of json.Unmarshal's two. It accepts a
// line only if parseGeneral would return the same data and time; anything
// else, corrupt lines included, goes to parseGeneral.
func parseCanonical(line []byte) (json.RawMessage, time.Time, bool) {
	const tsAt = len(canonicalHead) + 8 + len(canonicalTS)
	if len(line) < tsAt+len(canonicalData)+2 || string(line[:len(canonicalHead)]) != canonicalHead ||
		string(line[len(canonicalHead)+8:tsAt]) != canonicalTS || line[len(line)-1] != '}' {
		return nil, time.Time{}, false
	}
	want, ok := parseHex32(string(line[len(canonicalHead) : len(canonicalHead)+8]))
	if !ok {
		return nil, time.Time{}, false
	}
	end := bytes.Index(line[tsAt:], []byte(canonicalData))
	if end < 0 {
		return nil, time.Time{}, false
	}
	ts, err := time.Parse(time.RFC3339Nano, string(line[tsAt:tsAt+end]))
	data := line[tsAt+end+len(canonicalData) : len(line)-1]
	if err != nil || len(data) == 0 || isSpace(data[0]) || isSpace(data[len(data)-1]) ||
		crc32.Checksum(data, castagnoli) != want || !json.Valid(data) {
		return nil, time.Time{}, false
	}
	return bytes.Clone(data), ts.UTC(), true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// parseGeneral decodes any JSON object line, and says why one is rejected.
func parseGeneral(line []byte) (json.RawMessage, time.Time, *lineError) {
	if bytes.IndexByte(line, '\n') >= 0 {
		return nil, time.Time{}, &lineError{ReasonInvalidJSON, "raw newline inside the line"}
	}
	var l struct {
		V    json.RawMessage `json:"v"`
		CRC  *string         `json:"crc"`
		TS   *string         `json:"ts"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(line, &l); err != nil {
		if typeErr := (*json.UnmarshalTypeError)(nil); errors.As(err, &typeErr) {
			return nil, time.Time{}, &lineError{ReasonBadRecord, err.Error()}
		}
		return nil, time.Time{}, &lineError{ReasonInvalidJSON, err.Error()}
	}
	switch {
	case l.V == nil:
		return nil, time.Time{}, &lineError{ReasonBadRecord, `missing "v"`}
	case string(l.V) != "1":
		return nil, time.Time{}, &lineError{ReasonUnknownVersion, fmt.Sprintf("v=%.20s, this build reads %d", l.V, formatVersion)}
	case l.Data == nil:
		return nil, time.Time{}, &lineError{ReasonBadRecord, `missing "data"`}
	case l.CRC == nil:
		return nil, time.Time{}, &lineError{ReasonBadRecord, `missing "crc"`}
	case l.TS == nil:
		return nil, time.Time{}, &lineError{ReasonBadRecord, `missing "ts"`}
	}
	want, ok := parseHex32(*l.CRC)
	if !ok {
		return nil, time.Time{}, &lineError{ReasonBadRecord, fmt.Sprintf("crc %.20q is not 8 lowercase hex digits", *l.CRC)}
	}
	if got := crc32.Checksum(l.Data, castagnoli); got != want {
		return nil, time.Time{}, &lineError{ReasonBadChecksum, fmt.Sprintf("crc %08x, data hashes to %08x", want, got)}
	}
	ts, err := time.Parse(time.RFC3339Nano, *l.TS)
	if err != nil {
		return nil, time.Time{}, &lineError{ReasonBadRecord, "ts: " + err.Error()}
	}
	return l.Data, ts.UTC(), nil
}

const hexDigits = "0123456789abcdef"

// appendHex32 appends v as 8 lowercase hex digits.
func appendHex32(dst []byte, v uint32) []byte {
	for shift := 28; shift >= 0; shift -= 4 {
		dst = append(dst, hexDigits[v>>uint(shift)&0xf])
	}
	return dst
}

// parseHex32 parses exactly 8 lowercase hex digits.
func parseHex32(s string) (uint32, bool) {
	if len(s) != 8 {
		return 0, false
	}
	var v uint32
	for i := range len(s) {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint32(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint32(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}
