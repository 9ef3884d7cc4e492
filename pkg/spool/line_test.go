package spool

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestLineRoundTrip(t *testing.T) {
	ts := time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	tests := []struct {
		name    string
		payload string
		want    string
	}{
		{"object", `{"a":1}`, `{"a":1}`},
		{"compacted", "{\n  \"a\" : [1, 2],\n\t\"b\": \"x\\ny\"\n}", `{"a":[1,2],"b":"x\ny"}`},
		{"html kept as is", `{"h":"<b>&</b>"}`, `{"h":"<b>&</b>"}`},
		{"unicode", `{"zh":"你好","e":"\u2028"}`, `{"zh":"你好","e":"\u2028"}`},
		{"string", `"just a string"`, `"just a string"`},
		{"null", `null`, `null`},
		{"number", ` 42 `, `42`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, err := encodeBatch(ts, [][]byte{[]byte(tt.payload)})
			if err != nil {
				t.Fatalf("encodeBatch(%q) = %v", tt.payload, err)
			}
			if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
				t.Fatalf("encodeBatch(%q) = %q, want one line", tt.payload, line)
			}
			if _, _, ok := parseCanonical(line[:len(line)-1]); !ok {
				t.Errorf("parseCanonical(%s) rejected a line as Append writes it", line)
			}
			data, got, lerr := parseLine(line[:len(line)-1])
			if lerr != nil {
				t.Fatalf("parseLine(%s) = %v", line, lerr)
			}
			if string(data) != tt.want || !got.Equal(ts) || got.Location() != time.UTC {
				t.Errorf("parseLine(%s) = %s, %v, want %s, %v UTC", line, data, got, tt.want, ts)
			}
		})
	}
}

func TestParseLineRejects(t *testing.T) {
	good := string(appendLine(nil, time.Unix(0, 0), []byte(`{"a":1}`)))
	good = good[:len(good)-1]
	tests := []struct {
		name   string
		line   string
		reason string
	}{
		{"empty", ``, ReasonInvalidJSON},
		{"garbage", `\x00\x01garbage`, ReasonInvalidJSON},
		{"truncated", good[:len(good)-5], ReasonInvalidJSON},
		{"not an object", `[1,2]`, ReasonBadRecord},
		{"null", `null`, ReasonBadRecord},
		{"no version", `{"crc":"00000000","ts":"2025-01-01T00:00:00Z","data":1}`, ReasonBadRecord},
		{"version 2", `{"v":2,"crc":"00000000","ts":"2025-01-01T00:00:00Z","data":1}`, ReasonUnknownVersion},
		{"version as string", `{"v":"1","crc":"00000000","ts":"2025-01-01T00:00:00Z","data":1}`, ReasonUnknownVersion},
		{"no data", `{"v":1,"crc":"00000000","ts":"2025-01-01T00:00:00Z"}`, ReasonBadRecord},
		{"no crc", `{"v":1,"ts":"2025-01-01T00:00:00Z","data":1}`, ReasonBadRecord},
		{"crc not hex", `{"v":1,"crc":"0000000g","ts":"2025-01-01T00:00:00Z","data":1}`, ReasonBadRecord},
		{"crc upper case", `{"v":1,"crc":"ABCDEF01","ts":"2025-01-01T00:00:00Z","data":1}`, ReasonBadRecord},
		{"crc number", `{"v":1,"crc":12,"ts":"2025-01-01T00:00:00Z","data":1}`, ReasonBadRecord},
		{"wrong crc", `{"v":1,"crc":"00000000","ts":"2025-01-01T00:00:00Z","data":1}`, ReasonBadChecksum},
		{"data changed", bytesReplace(good, `"a":1`, `"a":2`), ReasonBadChecksum},
		{"no ts", bytesReplace(good, `"ts":"1970-01-01T00:00:00Z",`, ``), ReasonBadRecord},
		{"bad ts", bytesReplace(good, `1970-01-01`, `1970-13-01`), ReasonBadRecord},
		{"raw newline", bytesReplace(good, `{"a":1}`, "{\"a\":\n1}"), ReasonInvalidJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, _, lerr := parseLine([]byte(tt.line))
			if lerr == nil {
				t.Fatalf("parseLine(%s) = %s, want reason %s", tt.line, data, tt.reason)
			}
			if lerr.reason != tt.reason {
				t.Errorf("parseLine(%s) reason = %s (%s), want %s", tt.line, lerr.reason, lerr.detail, tt.reason)
			}
		})
	}
}

func bytesReplace(s, old, new string) string {
	return string(bytes.Replace([]byte(s), []byte(old), []byte(new), 1))
}

func TestAppendHex32(t *testing.T) {
	for _, v := range []uint32{0, 1, 0xdeadbeef, 0xffffffff} {
		s := string(appendHex32(nil, v))
		got, ok := parseHex32(s)
		if len(s) != 8 || !ok || got != v {
			t.Errorf("parseHex32(appendHex32(%x) = %q) = %x, %v", v, s, got, ok)
		}
	}
}

// FuzzReadLine: parseLine never panics; a line it accepts encodes again to
// a line with the same data and time; any valid JSON payload round-trips.
func FuzzReadLine(f *testing.F) {
	f.Add([]byte(`{"v":1,"crc":"00000000","ts":"2025-01-01T00:00:00Z","data":{}}`))
	f.Add(goodLines(1))
	f.Add([]byte(`{"a":[1,2,{"b":null}],"c":"\u00e9\n"}`))
	f.Add([]byte(`{"v":2}`))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if data, ts, ok := parseCanonical(in); ok {
			gdata, gts, lerr := parseGeneral(in)
			if lerr != nil || !bytes.Equal(data, gdata) || !ts.Equal(gts) {
				t.Fatalf("%q: fast path = %s, %v; general = %s, %v, %v", in, data, ts, gdata, gts, lerr)
			}
		}
		if data, ts, lerr := parseLine(in); lerr == nil {
			line := appendLine(nil, ts, data)
			data2, ts2, lerr2 := parseLine(line[:len(line)-1])
			if lerr2 != nil || !bytes.Equal(data, data2) || !ts.Equal(ts2) {
				t.Fatalf("re-encoded %q: parseLine = %s, %v, %v; want %s, %v", line, data2, ts2, lerr2, data, ts)
			}
		}
		if !json.Valid(in) {
			return
		}
		ts := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
		line, err := encodeBatch(ts, [][]byte{in})
		if len(in) > MaxRecordBytes {
			return
		}
		if err != nil {
			t.Fatalf("encodeBatch(%q) = %v", in, err)
		}
		var want bytes.Buffer
		json.Compact(&want, in)
		data, got, lerr := parseLine(line[:len(line)-1])
		if lerr != nil || !bytes.Equal(data, want.Bytes()) || !got.Equal(ts) {
			t.Fatalf("parseLine(encode(%q)) = %s, %v, %v; want %s", in, data, got, lerr, want.Bytes())
		}
	})
}
