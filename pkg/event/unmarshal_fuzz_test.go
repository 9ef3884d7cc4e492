package event

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// FuzzUnmarshalMatchesStdlib holds Decode's fast decoder to encoding/json:
// for any input, both accept it or both refuse it, and what they accept
// decodes to the same event. Seeds: FuzzDecode's corpus. Run with
//
//	go test -run='^$' -fuzz=FuzzUnmarshalMatchesStdlib -fuzztime=3m ./pkg/event
func FuzzUnmarshalMatchesStdlib(f *testing.F) {
	addDecodeCorpus(f)
	f.Add([]byte(`{"schema_version":1,"kind":"response","response":{"body":"\ud800 \u0000 \xff"}}`))
	f.Add([]byte(`{"schema_version":1,"SCHEMA_VERSION":2,"kind":"request"} trailing`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast, std Event
		errFast, errStd := unmarshal(data, &fast), json.Unmarshal(data, &std)
		if (errFast == nil) != (errStd == nil) {
			t.Fatalf("input %q: fast decoder error %v, encoding/json error %v", data, errFast, errStd)
		}
		if errStd == nil && !reflect.DeepEqual(fast, std) {
			t.Fatalf("input %q: decoders disagree:\nfast: %+v\nstd:  %+v", data, fast, std)
		}
	})
}

// FuzzMarshalMatchesStdlib holds Encode's encoder (append.go) to
// encoding/json: every event encoding/json can read from the input, and one
// with the input's raw bytes in every free-text field, is written byte for
// byte the same by both (times in UTC, as Encode writes them). Seeds: FuzzDecode's corpus. Run with
//
//	go test -run='^$' -fuzz=FuzzMarshalMatchesStdlib -fuzztime=3m ./pkg/event
func FuzzMarshalMatchesStdlib(f *testing.F) {
	addDecodeCorpus(f)
	f.Add([]byte(`{"schema_version":1,"kind":"call","request":{"body":"<a&b> \u2028 \u2029 \ud800 \u0000 \u007f é 你好 \ud83d\ude00"},"tags":{"metadata":{"b":"1","a":"\u003c"}}}`))
	f.Add([]byte("{\"schema_version\":1,\"request\":{\"body\":\"\xff\xfe invalid utf-8\"},\"started_at\":\"2026-11-26T09:00:00.123456789+08:00\"}"))
	same := func(t *testing.T, e *Event) {
		t.Helper()
		fast, errFast := AppendEncode(nil, e)
		c := *e
		c.toUTC()
		std, errStd := json.Marshal(&c)
		if (errFast == nil) != (errStd == nil) {
			t.Fatalf("event %+v: fast encoder error %v, encoding/json error %v", e, errFast, errStd)
		}
		if !bytes.Equal(fast, std) {
			t.Fatalf("encoders disagree:\nfast: %s\nstd:  %s", fast, std)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var e Event
		if json.Unmarshal(data, &e) == nil {
			e.toUTC()
			same(t, &e)
		}
		// Decoding never leaves invalid UTF-8 in a string, but a captured
		// body or a caller's tag may hold any bytes.
		raw := string(data)
		same(t, &Event{SchemaVersion: 1, Kind: KindCall, Model: raw,
			Request:  &Request{Body: raw, Headers: map[string]string{raw: raw, "b": "1"}},
			Response: &Response{Body: raw, ErrorMessage: raw},
			Tags:     Tags{Metadata: map[string]string{raw: raw, "a": raw}}})
	})
}

// addDecodeCorpus seeds f with FuzzDecode's corpus.
func addDecodeCorpus(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/fuzz/FuzzDecode/*")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		// The corpus file format: a header line, then []byte("...").
		if _, v, ok := strings.Cut(string(b), "[]byte("); ok {
			if s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(v), ")")); err == nil {
				f.Add([]byte(s))
			}
		}
	}
}
