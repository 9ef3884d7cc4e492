package event

import (
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
