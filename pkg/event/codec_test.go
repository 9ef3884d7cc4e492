package event_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
)

// minimal is the smallest valid call event on the wire.
const minimal = `{"schema_version":1,"kind":"call","event_id":"e1","call_id":"c1","provider":"openai",` +
	`"started_at":"2026-11-26T08:00:00Z","request":{},"response":{"status":"success","finished_at":"2026-11-26T08:00:01Z"}}`

// withField returns minimal with key set to the raw JSON value (appended:
// the last of duplicate keys wins).
func withField(key, raw string) string {
	return strings.TrimSuffix(minimal, "}") + `,"` + key + `":` + raw + `}`
}

func TestDecode(t *testing.T) {
	cases := []struct {
		name       string
		data       string
		maxSize    int
		wantReason string // "" = accepted
		wantField  string
	}{
		{"minimal", minimal, 0, "", ""},
		{"unknown fields are ignored", withField("x_future", `{"a":[1,2]}`), 0, "", ""},
		{"null optional fields", withField("tags", "null"), 0, "", ""},
		{"surrounding white space", "\n\t " + minimal + "\n", 0, "", ""},

		{"not JSON", "schema_version=1", 0, event.ReasonInvalidJSON, ""},
		{"empty", "", 0, event.ReasonInvalidJSON, ""},
		{"truncated", minimal[:len(minimal)-1], 0, event.ReasonInvalidJSON, ""},
		{"two objects", minimal + minimal, 0, event.ReasonInvalidJSON, ""},
		{"trailing garbage", minimal + " x", 0, event.ReasonInvalidJSON, ""},
		{"an array", "[" + minimal + "]", 0, event.ReasonInvalidJSON, ""},
		{"a string", `"event"`, 0, event.ReasonInvalidJSON, ""},
		{"wrong type for stream", withField("stream", `"yes"`), 0, event.ReasonInvalidJSON, ""},
		{"wrong type for a tag", withField("tags", `{"metadata":{"n":1}}`), 0, event.ReasonInvalidJSON, ""},
		{"fractional http_status", strings.Replace(minimal, `"status":"success"`, `"status":"success","http_status":200.5`, 1), 0, event.ReasonInvalidJSON, ""},
		{"bad timestamp", strings.Replace(minimal, "2026-11-26T08:00:00Z", "2026-11-26 08:00:00", 1), 0, event.ReasonInvalidJSON, ""},
		{"impossible date", strings.Replace(minimal, "2026-11-26T08:00:00Z", "2026-02-30T08:00:00Z", 1), 0, event.ReasonInvalidJSON, ""},
		{"price neither number nor numeric string", withField("custom_pricing", `{"input_price":"cheap","output_price":1}`), 0, event.ReasonInvalidJSON, ""},
		{"price true", withField("custom_pricing", `{"input_price":true,"output_price":1}`), 0, event.ReasonInvalidJSON, ""},

		// The version is checked first, so a future format is reported as
		// such and not as whatever fields it renamed.
		{"schema_version missing", `{"kind":"call"}`, 0, event.ReasonUnknownSchema, "schema_version"},
		{"schema_version 2 with bad fields", `{"schema_version":2,"kind":7,"started_at":"soon"}`, 0, event.ReasonUnknownSchema, "schema_version"},
		{"schema_version as a string", strings.Replace(minimal, `"schema_version":1`, `"schema_version":"1"`, 1), 0, event.ReasonUnknownSchema, "schema_version"},
		{"schema_version 1.0", strings.Replace(minimal, `"schema_version":1`, `"schema_version":1.0`, 1), 0, event.ReasonUnknownSchema, "schema_version"},
		{"schema_version null", strings.Replace(minimal, `"schema_version":1`, `"schema_version":null`, 1), 0, event.ReasonUnknownSchema, "schema_version"},
		{"JSON null", "null", 0, event.ReasonUnknownSchema, "schema_version"},

		{"field problem", strings.Replace(minimal, `"provider":"openai"`, `"provider":""`, 1), 0, event.ReasonInvalidField, "provider"},
		{"kind unknown", strings.Replace(minimal, `"kind":"call"`, `"kind":"batch"`, 1), 0, event.ReasonInvalidField, "kind"},

		// Size: checked before anything else.
		{"exactly the limit", minimal, len(minimal), "", ""},
		{"one byte over the limit", minimal, len(minimal) - 1, event.ReasonOversize, ""},
		{"oversize garbage", strings.Repeat("x", 100), 10, event.ReasonOversize, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := event.Decode([]byte(tc.data), tc.maxSize)
			if tc.wantReason == "" {
				if err != nil || e == nil {
					t.Fatalf("Decode() = %v, %v, want an event", e, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Decode() = %+v, want a %s rejection", e, tc.wantReason)
			}
			if e != nil {
				t.Errorf("Decode() returned an event with error %v", err)
			}
			if !errors.Is(err, event.ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
			if got := event.RejectReason(err); got != tc.wantReason {
				t.Errorf("RejectReason(%v) = %q, want %q", err, got, tc.wantReason)
			}
			if tc.wantField != "" && !slices.Contains(fields(err), tc.wantField) {
				t.Errorf("Decode() = %v, want a problem with %q", err, tc.wantField)
			}
		})
	}
}

// TestDecodeDefaultLimit checks that maxSize <= 0 means MaxSize.
func TestDecodeDefaultLimit(t *testing.T) {
	e := newEvent(event.KindCall)
	b, err := event.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	pad := event.MaxSize - len(b)
	e.Response.Body += strings.Repeat("x", pad) // exactly MaxSize bytes
	atLimit, _ := event.Encode(e)
	if len(atLimit) != event.MaxSize {
		t.Fatalf("test event is %d bytes, want %d", len(atLimit), event.MaxSize)
	}
	e.Response.Body += "x"
	over, _ := event.Encode(e)
	for _, max := range []int{0, -1} {
		if _, err := event.Decode(atLimit, max); err != nil {
			t.Errorf("Decode(%d bytes, %d) = %v, want accepted", len(atLimit), max, err)
		}
		if _, err := event.Decode(over, max); event.RejectReason(err) != event.ReasonOversize {
			t.Errorf("Decode(%d bytes, %d) = %v, want oversize", len(over), max, err)
		}
	}
	_, err = event.Decode(over, 0)
	if msg := err.Error(); !strings.Contains(msg, "8388609 bytes") || !strings.Contains(msg, "8388608") {
		t.Errorf("Decode() = %q, want the size and the limit", msg)
	}
}

// TestDecodeKeepsPricesExactly checks that custom prices keep the exact
// decimal text they were written with, as numbers or as numeric strings,
// and that Encode writes that text back.
func TestDecodeKeepsPricesExactly(t *testing.T) {
	cases := []struct {
		name    string
		raw     string // the custom_pricing value
		want    event.CustomPricing
		encoded string // the custom_pricing Encode writes
	}{
		{"tiny number", `{"input_price":0.00000000000123,"output_price":1}`,
			event.CustomPricing{InputPrice: "0.00000000000123", OutputPrice: "1"},
			`{"input_price":0.00000000000123,"output_price":1}`},
		{"trailing zeros kept", `{"input_price":1.10,"output_price":2.000}`,
			event.CustomPricing{InputPrice: "1.10", OutputPrice: "2.000"},
			`{"input_price":1.10,"output_price":2.000}`},
		{"more digits than a float64", `{"input_price":0.1234567890123456789012345,"output_price":12345678901234567890.5}`,
			event.CustomPricing{InputPrice: "0.1234567890123456789012345", OutputPrice: "12345678901234567890.5"},
			`{"input_price":0.1234567890123456789012345,"output_price":12345678901234567890.5}`},
		{"exponent", `{"input_price":1.5e-4,"output_price":2E-3}`,
			event.CustomPricing{InputPrice: "1.5e-4", OutputPrice: "2E-3"},
			`{"input_price":1.5e-4,"output_price":2E-3}`},
		{"numeric strings", `{"input_price":"0.002","output_price":"0.00000000000123","currency":"CNY"}`,
			event.CustomPricing{InputPrice: "0.002", OutputPrice: "0.00000000000123", Currency: "CNY"},
			`{"input_price":0.002,"output_price":0.00000000000123,"currency":"CNY"}`},
		{"optional prices", `{"input_price":3,"output_price":15,"cached_input_price":"0.30","cache_write_price":3.75}`,
			event.CustomPricing{InputPrice: "3", OutputPrice: "15", CachedInputPrice: "0.30", CacheWritePrice: "3.75"},
			`{"input_price":3,"output_price":15,"cached_input_price":0.30,"cache_write_price":3.75}`},
		{"null optional prices", `{"input_price":3,"output_price":15,"cached_input_price":null,"cache_write_price":null,"currency":null}`,
			event.CustomPricing{InputPrice: "3", OutputPrice: "15"},
			`{"input_price":3,"output_price":15}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := event.Decode([]byte(withField("custom_pricing", tc.raw)), 0)
			if err != nil {
				t.Fatalf("Decode() = %v", err)
			}
			if e.CustomPricing == nil || *e.CustomPricing != tc.want {
				t.Fatalf("Decode().CustomPricing = %+v, want %+v", e.CustomPricing, tc.want)
			}
			b, err := event.Encode(e)
			if err != nil {
				t.Fatalf("Encode() = %v", err)
			}
			if !bytes.Contains(b, []byte(`"custom_pricing":`+tc.encoded)) {
				t.Errorf("Encode() = %s, want custom_pricing %s", b, tc.encoded)
			}
		})
	}
}

// TestDecodeStringPriceMustBeANumber checks what encoding/json accepts for
// a json.Number: a JSON number, or a string holding exactly a JSON number.
func TestDecodeStringPriceMustBeANumber(t *testing.T) {
	for _, raw := range []string{`""`, `"abc"`, `"+1"`, `" 1"`, `"1 "`, `".5"`, `"0x10"`, `"1,5"`, `"NaN"`, `"Infinity"`} {
		data := withField("custom_pricing", `{"input_price":`+raw+`,"output_price":1}`)
		if _, err := event.Decode([]byte(data), 0); event.RejectReason(err) != event.ReasonInvalidJSON {
			t.Errorf("Decode(input_price %s) = %v, want invalid_json", raw, err)
		}
	}
	// A string holding a negative number decodes, and Validate refuses it.
	data := withField("custom_pricing", `{"input_price":"-1","output_price":1}`)
	if _, err := event.Decode([]byte(data), 0); !slices.Equal(fields(err), []string{"custom_pricing.input_price"}) {
		t.Errorf(`Decode(input_price "-1") = %v, want a custom_pricing.input_price problem`, err)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, k := range []event.Kind{event.KindRequest, event.KindResponse, event.KindCall} {
		t.Run(string(k), func(t *testing.T) {
			want := newEvent(k)
			b, err := event.Encode(want)
			if err != nil {
				t.Fatalf("Encode() = %v", err)
			}
			got, err := event.Decode(b, 0)
			if err != nil {
				t.Fatalf("Decode(Encode()) = %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Decode(Encode(e)) = %+v, want %+v", got, want)
			}
		})
	}
}

// TestEncodeOmitsEmptyFields checks that Encode writes no empty optional
// field, so the wire form stays small and readable.
func TestEncodeOmitsEmptyFields(t *testing.T) {
	e := &event.Event{SchemaVersion: 1, Kind: event.KindRequest, EventID: "e", CallID: "c", Provider: "p", StartedAt: testStart, Request: &event.Request{}}
	b, err := event.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schema_version":1,"kind":"request","event_id":"e","call_id":"c","provider":"p","started_at":"2026-11-26T08:00:00Z","request":{}}`
	if string(b) != want {
		t.Errorf("Encode() = %s, want %s", b, want)
	}
}

func TestEncodeError(t *testing.T) {
	e := newEvent(event.KindCall)
	e.CustomPricing.InputPrice = "not a number" // json.Number refuses to marshal it
	if _, err := event.Encode(e); err == nil || !strings.Contains(err.Error(), e.EventID) {
		t.Errorf("Encode() = %v, want an error naming the event", err)
	}
}

// TestEncodeWritesUTC checks that the wire timestamps are UTC ("Z", SPEC
// §2, docs/event.schema.json) whatever zone the caller's times are in, and
// that Encode leaves the caller's event as it was.
func TestEncodeWritesUTC(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	e := newEvent(event.KindCall)
	e.StartedAt = e.StartedAt.In(shanghai)
	e.Response.FinishedAt = e.Response.FinishedAt.In(shanghai)
	first := e.Response.FirstByteAt.In(shanghai)
	e.Response.FirstByteAt = &first
	resp := e.Response
	b, err := event.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	if e.StartedAt.Location() != shanghai || e.Response != resp || e.Response.FinishedAt.Location() != shanghai ||
		e.Response.FirstByteAt != &first || first.Location() != shanghai {
		t.Errorf("Encode() modified the caller's event")
	}
	var wire struct {
		StartedAt string `json:"started_at"`
		Response  struct {
			FinishedAt  string `json:"finished_at"`
			FirstByteAt string `json:"first_byte_at"`
		} `json:"response"`
	}
	if err := json.Unmarshal(b, &wire); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{"started_at": wire.StartedAt, "finished_at": wire.Response.FinishedAt, "first_byte_at": wire.Response.FirstByteAt} {
		if !strings.HasSuffix(v, "Z") {
			t.Errorf("Encode() wrote %s %q, want UTC (Z)", name, v)
		}
	}
}

// TestDecodeReturnsUTC checks that Decode reads a numeric offset and
// returns the instant in UTC.
func TestDecodeReturnsUTC(t *testing.T) {
	data := strings.Replace(minimal, "2026-11-26T08:00:00Z", "2026-11-26T16:00:00.5+08:00", 1)
	data = strings.Replace(data, `"finished_at":"2026-11-26T08:00:01Z"`, `"finished_at":"2026-11-26T03:00:01-05:00","first_byte_at":"2026-11-26T08:00:00.7+00:00"`, 1)
	e, err := event.Decode([]byte(data), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{testStart.Add(500 * time.Millisecond), testStart.Add(time.Second), testStart.Add(700 * time.Millisecond)}
	for i, got := range []time.Time{e.StartedAt, e.Response.FinishedAt, *e.Response.FirstByteAt} {
		if !got.Equal(want[i]) || got.Location() != time.UTC {
			t.Errorf("Decode() time %d = %v, want %v in UTC", i, got, want[i])
		}
	}
}

// TestDecodeRejectsTimestampsEncodeCannotWrite: time.Time reads an offset
// of +24:00 or more (RFC 3339 allows hours 00-23) but refuses to write it;
// Decode must not hand out an event Encode (and so the publisher-sdk
// bridge, which re-encodes) cannot write. A seed of FuzzDecode's corpus too.
func TestDecodeRejectsTimestampsEncodeCannotWrite(t *testing.T) {
	for _, ts := range []string{"2026-11-26T08:00:00+24:00", "2026-11-26T08:00:00-99:59"} {
		data := strings.Replace(minimal, "2026-11-26T08:00:00Z", ts, 1)
		e, err := event.Decode([]byte(data), 0)
		if err != nil {
			continue // rejected: fine
		}
		if _, err := event.Encode(e); err != nil {
			t.Errorf("Decode(started_at %s) accepted an event Encode refuses: %v", ts, err)
		}
	}
}
