package spool

import (
	"bytes"
	"encoding/json"
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
	if !json.Valid(p) {
		return fmt.Errorf("%w: not valid JSON", ErrInvalidPayload)
	}
	start := dst.Len()
	_ = json.Compact(dst, p) // cannot fail on valid JSON
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
		if _, ok := err.(*json.UnmarshalTypeError); ok {
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
