package event_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
)

const (
	schemaPath = "../../docs/event.schema.json"
	docPath    = "../../docs/events.md"
)

// loadSchema compiles docs/event.schema.json, asserting formats.
func loadSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("event.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("event.schema.json")
	if err != nil {
		t.Fatalf("compile %s: %v", schemaPath, err)
	}
	return sch
}

// schemaCheck validates one JSON document against the schema.
func schemaCheck(sch *jsonschema.Schema, data []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

// docExamples returns the events shown in docs/events.md: every ```json
// block, and every line of every ```jsonl block.
func docExamples(t *testing.T) []string {
	t.Helper()
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile("(?ms)^```(json|jsonl)\n(.*?)^```").FindAllStringSubmatch(string(doc), -1) {
		if m[1] == "json" {
			out = append(out, m[2])
			continue
		}
		for _, line := range strings.Split(m[2], "\n") {
			if strings.TrimSpace(line) != "" {
				out = append(out, line)
			}
		}
	}
	if len(out) < 7 {
		t.Fatalf("%s has %d example events, want the 4 json blocks and the 3 jsonl lines", docPath, len(out))
	}
	return out
}

// TestDocExamples checks that every example event in docs/events.md is
// accepted by the ingestor's decoder and by the JSON Schema, and that the
// usage the page says is stored is what the parser reads.
func TestDocExamples(t *testing.T) {
	sch := loadSchema(t)
	// What docs/events.md says the ingestor reads from these bodies.
	wantUsage := map[string][2]int64{ // event_id: prompt, completion
		"01a216de-617f-7a08-b6e4-91c35d2f7e88": {52, 17},
		"01a216e3-2616-7d5e-8c3a-6f1b2e9a4c77": {10496, 46},
		"01a216e6-0000-7000-8000-000000000002": {9, 11},
		"01a216e6-0000-7000-8000-000000000003": {31, 120},
	}
	kinds := map[event.Kind]int{}
	for _, ex := range docExamples(t) {
		e, err := event.Decode([]byte(ex), 0)
		if err != nil {
			t.Errorf("Decode(example) = %v\n%s", err, ex)
			continue
		}
		kinds[e.Kind]++
		if err := schemaCheck(sch, []byte(ex)); err != nil {
			t.Errorf("example %s fails the schema: %v", e.EventID, err)
		}
		if r := e.Response; r != nil && r.Status == event.StatusSuccess {
			u := parse.Parse(e.Provider, []byte(r.Body))
			want, ok := wantUsage[e.EventID]
			if !ok {
				t.Errorf("example %s: no expected usage in this test", e.EventID)
				continue
			}
			if u.UsageMissing || u.PromptTokens == nil || u.CompletionTokens == nil ||
				*u.PromptTokens != want[0] || *u.CompletionTokens != want[1] {
				t.Errorf("parse.Parse(example %s body) = %+v, want %d prompt and %d completion tokens", e.EventID, u, want[0], want[1])
			}
		}
	}
	for _, k := range []event.Kind{event.KindRequest, event.KindResponse, event.KindCall} {
		if kinds[k] == 0 {
			t.Errorf("docs/events.md has no %s example", k)
		}
	}
}

// doc is a JSON event being edited by a test case.
type doc map[string]any

// baseDoc returns the minimal valid call event as a map.
func baseDoc(t *testing.T) doc {
	t.Helper()
	var d doc
	if err := json.Unmarshal([]byte(minimal), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// set sets the value at a dotted path ("response.status"); del removes it.
func (d doc) set(path string, v any) doc {
	keys := strings.Split(path, ".")
	m := map[string]any(d)
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
	return d
}

func (d doc) del(path string) doc {
	keys := strings.Split(path, ".")
	m := map[string]any(d)
	for _, k := range keys[:len(keys)-1] {
		m = m[k].(map[string]any)
	}
	delete(m, keys[len(keys)-1])
	return d
}

// raw is a JSON number or literal kept as written.
type raw string

func (r raw) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func mustJSON(t *testing.T, d doc) []byte {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSchemaAndDecoderAgree checks that the JSON Schema and the Go decoder
// accept and refuse the same events.
func TestSchemaAndDecoderAgree(t *testing.T) {
	sch := loadSchema(t)
	valid := []struct {
		name string
		edit func(d doc) doc
	}{
		{"minimal call", func(d doc) doc { return d }},
		{"minimal request", func(d doc) doc { return d.set("kind", "request").del("response") }},
		{"minimal response", func(d doc) doc { return d.set("kind", "response").del("request") }},
		{"request event with response null", func(d doc) doc { return d.set("kind", "request").set("response", nil) }},
		{"every optional field null", func(d doc) doc {
			for _, k := range []string{"hb_trace_id", "trace_id", "span_id", "parent_span_id", "model", "endpoint", "stream", "custom_pricing", "tags",
				"request.method", "request.url", "request.headers", "request.body", "request.body_omitted",
				"response.http_status", "response.first_byte_at", "response.body", "response.body_omitted", "response.error_type", "response.error_message"} {
				d.set(k, nil)
			}
			return d
		}},
		{"all ids", func(d doc) doc {
			return d.set("hb_trace_id", "hb_1795680000000_3fa9c2e1").set("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736").
				set("span_id", "53995c3f42cd8ad8").set("parent_span_id", "00f067aa0ba902b7")
		}},
		{"id of 128 characters", func(d doc) doc { return d.set("event_id", strings.Repeat("e", 128)) }},
		{"prices as numbers", func(d doc) doc {
			return d.set("custom_pricing", map[string]any{"input_price": raw("0.00000000000123"), "output_price": raw("2"), "cached_input_price": raw("1.5e-4"), "cache_write_price": raw("0")})
		}},
		{"prices as strings", func(d doc) doc {
			return d.set("custom_pricing", map[string]any{"input_price": "0.002", "output_price": "1E-3", "currency": "rmb"})
		}},
		{"null optional prices", func(d doc) doc {
			return d.set("custom_pricing", map[string]any{"input_price": 1, "output_price": 1, "cached_input_price": nil, "cache_write_price": nil, "currency": nil})
		}},
		{"tags", func(d doc) doc {
			return d.set("tags", map[string]any{"environment": "prod", "service": "s", "session_id": "x", "user_id": "u", "request_id": "r", "metadata": map[string]any{"a": "b"}})
		}},
		{"headers", func(d doc) doc { return d.set("request.headers", map[string]any{"Content-Type": "application/json"}) }},
		{"unknown fields everywhere", func(d doc) doc {
			return d.set("x_new", []any{1, "two"}).set("request.x_new", true).set("response.x_new", nil).set("tags.x_new", 3)
		}},
		{"fraction of a second", func(d doc) doc { return d.set("response.first_byte_at", "2026-11-26T08:00:00.123456789Z") }},
		{"status error and abandoned", func(d doc) doc { return d.set("response.status", "abandoned").set("response.http_status", 0) }},
		{"http_status 999", func(d doc) doc { return d.set("response.http_status", 999) }},
		{"stream false", func(d doc) doc { return d.set("stream", false) }},
	}
	for _, tc := range valid {
		t.Run("valid/"+tc.name, func(t *testing.T) {
			data := mustJSON(t, tc.edit(baseDoc(t)))
			if _, err := event.Decode(data, 0); err != nil {
				t.Errorf("Decode(%s) = %v, want accepted", data, err)
			}
			if err := schemaCheck(sch, data); err != nil {
				t.Errorf("schema refuses %s: %v", data, err)
			}
		})
	}

	invalid := []struct {
		name string
		edit func(d doc) doc
	}{
		{"schema_version missing", func(d doc) doc { return d.del("schema_version") }},
		{"schema_version 2", func(d doc) doc { return d.set("schema_version", 2) }},
		{"schema_version as a string", func(d doc) doc { return d.set("schema_version", "1") }},
		{"kind missing", func(d doc) doc { return d.del("kind") }},
		{"kind unknown", func(d doc) doc { return d.set("kind", "batch") }},
		{"kind in upper case", func(d doc) doc { return d.set("kind", "CALL") }},
		{"event_id missing", func(d doc) doc { return d.del("event_id") }},
		{"event_id empty", func(d doc) doc { return d.set("event_id", "") }},
		{"event_id with a space", func(d doc) doc { return d.set("event_id", "e 1") }},
		{"event_id with a newline", func(d doc) doc { return d.set("event_id", "e\n1") }},
		{"event_id of 129 characters", func(d doc) doc { return d.set("event_id", strings.Repeat("e", 129)) }},
		{"event_id a number", func(d doc) doc { return d.set("event_id", 17) }},
		{"call_id missing", func(d doc) doc { return d.del("call_id") }},
		{"call_id null", func(d doc) doc { return d.set("call_id", nil) }},
		{"hb_trace_id malformed", func(d doc) doc { return d.set("hb_trace_id", "hb_1_2") }},
		{"trace_id all zero", func(d doc) doc { return d.set("trace_id", strings.Repeat("0", 32)) }},
		{"trace_id upper case", func(d doc) doc { return d.set("trace_id", "4BF92F3577B34DA6A3CE929D0E0E4736") }},
		{"span_id of 15 hex", func(d doc) doc { return d.set("span_id", "53995c3f42cd8ad") }},
		{"span_id all zero", func(d doc) doc { return d.set("span_id", strings.Repeat("0", 16)) }},
		{"parent_span_id malformed", func(d doc) doc { return d.set("parent_span_id", "parent") }},
		{"provider missing", func(d doc) doc { return d.del("provider") }},
		{"provider empty", func(d doc) doc { return d.set("provider", "") }},
		{"provider blank", func(d doc) doc { return d.set("provider", "  \t") }},
		{"started_at missing", func(d doc) doc { return d.del("started_at") }},
		{"started_at null", func(d doc) doc { return d.set("started_at", nil) }},
		{"started_at not a time", func(d doc) doc { return d.set("started_at", "yesterday") }},
		{"started_at without seconds", func(d doc) doc { return d.set("started_at", "2026-11-26T08:00Z") }},
		{"started_at with a space", func(d doc) doc { return d.set("started_at", "2026-11-26 08:00:00Z") }},
		{"started_at 30 February", func(d doc) doc { return d.set("started_at", "2026-02-30T08:00:00Z") }},
		{"started_at 25 o'clock", func(d doc) doc { return d.set("started_at", "2026-11-26T25:00:00Z") }},
		{"started_at in epoch seconds", func(d doc) doc { return d.set("started_at", 1795680000) }},
		{"started_at in 1999", func(d doc) doc { return d.set("started_at", "1999-12-31T23:59:59Z") }},
		{"started_at in 2300", func(d doc) doc { return d.set("started_at", "2300-01-01T00:00:00Z") }},
		{"request event with a response", func(d doc) doc { return d.set("kind", "request") }},
		{"request event with an empty response", func(d doc) doc { return d.set("kind", "request").set("response", map[string]any{}) }},
		{"response event with a request", func(d doc) doc { return d.set("kind", "response") }},
		{"event_id with a control character", func(d doc) doc { return d.set("event_id", "e\u00011") }},
		{"stream a string", func(d doc) doc { return d.set("stream", "yes") }},
		{"model a number", func(d doc) doc { return d.set("model", 4) }},
		{"request event without request", func(d doc) doc { return d.set("kind", "request").del("request").del("response") }},
		{"response event without response", func(d doc) doc { return d.set("kind", "response").del("request").del("response") }},
		{"call event without response", func(d doc) doc { return d.del("response") }},
		{"call event with request null", func(d doc) doc { return d.set("request", nil) }},
		{"request a string", func(d doc) doc { return d.set("request", "POST /v1/chat") }},
		{"request body an object", func(d doc) doc { return d.set("request.body", map[string]any{"model": "x"}) }},
		{"header value a list", func(d doc) doc { return d.set("request.headers", map[string]any{"Accept": []any{"a", "b"}}) }},
		{"status missing", func(d doc) doc { return d.del("response.status") }},
		{"status unknown", func(d doc) doc { return d.set("response.status", "ok") }},
		{"status pending", func(d doc) doc { return d.set("response.status", "pending") }},
		{"finished_at missing", func(d doc) doc { return d.del("response.finished_at") }},
		{"first_byte_at not a time", func(d doc) doc { return d.set("response.first_byte_at", "soon") }},
		{"http_status 1000", func(d doc) doc { return d.set("response.http_status", 1000) }},
		{"http_status negative", func(d doc) doc { return d.set("response.http_status", -1) }},
		{"http_status fractional", func(d doc) doc { return d.set("response.http_status", raw("200.5")) }},
		{"http_status a string", func(d doc) doc { return d.set("response.http_status", "200") }},
		{"output_price missing", func(d doc) doc { return d.set("custom_pricing", map[string]any{"input_price": 1}) }},
		{"input_price null", func(d doc) doc { return d.set("custom_pricing", map[string]any{"input_price": nil, "output_price": 1}) }},
		{"negative price", func(d doc) doc {
			return d.set("custom_pricing", map[string]any{"input_price": raw("-0.5"), "output_price": 1})
		}},
		{"negative price string", func(d doc) doc {
			return d.set("custom_pricing", map[string]any{"input_price": "-0.5", "output_price": 1})
		}},
		{"price word", func(d doc) doc {
			return d.set("custom_pricing", map[string]any{"input_price": "cheap", "output_price": 1})
		}},
		{"price with a plus", func(d doc) doc {
			return d.set("custom_pricing", map[string]any{"input_price": "+1", "output_price": 1})
		}},
		{"price with spaces", func(d doc) doc {
			return d.set("custom_pricing", map[string]any{"input_price": " 1", "output_price": 1})
		}},
		{"price empty string", func(d doc) doc { return d.set("custom_pricing", map[string]any{"input_price": "", "output_price": 1}) }},
		{"price a bool", func(d doc) doc {
			return d.set("custom_pricing", map[string]any{"input_price": true, "output_price": 1})
		}},
		{"custom_pricing a number", func(d doc) doc { return d.set("custom_pricing", 0.002) }},
		{"tags a string", func(d doc) doc { return d.set("tags", "prod") }},
		{"tag a number", func(d doc) doc { return d.set("tags.user_id", 1007) }},
		{"metadata value a number", func(d doc) doc { return d.set("tags.metadata", map[string]any{"n": 1}) }},
	}
	for _, tc := range invalid {
		t.Run("invalid/"+tc.name, func(t *testing.T) {
			data := mustJSON(t, tc.edit(baseDoc(t)))
			if e, err := event.Decode(data, 0); err == nil {
				t.Errorf("Decode(%s) = %+v, want rejected", data, e)
			}
			if err := schemaCheck(sch, data); err == nil {
				t.Errorf("schema accepts %s, want refused", data)
			}
		})
	}
	for _, data := range []string{"null", "[]", `"event"`, "17", "{}"} {
		if _, err := event.Decode([]byte(data), 0); err == nil {
			t.Errorf("Decode(%s) accepted", data)
		}
		if err := schemaCheck(sch, []byte(data)); err == nil {
			t.Errorf("schema accepts %s", data)
		}
	}
}

// TestSchemaIsStricter lists what the ingestor reads leniently but the
// schema, the contract for publishers, refuses (docs/events.md says so).
func TestSchemaIsStricter(t *testing.T) {
	sch := loadSchema(t)
	cases := []struct {
		name string
		edit func(d doc) doc
	}{
		{"timestamp with an offset", func(d doc) doc { return d.set("started_at", "2026-11-26T16:00:00+08:00") }},
		{"offset +00:00", func(d doc) doc { return d.set("started_at", "2026-11-26T08:00:00.5+00:00") }},
		{"non-ASCII id", func(d doc) doc { return d.set("call_id", "呼叫-1") }},
		{"started_at late in 2001", func(d doc) doc { return d.set("started_at", "2001-12-31T00:00:00Z") }},
		{"empty optional id", func(d doc) doc { return d.set("hb_trace_id", "") }},
		{"price -0", func(d doc) doc {
			return d.set("custom_pricing", map[string]any{"input_price": "-0", "output_price": 1})
		}},
		{"null metadata value", func(d doc) doc { return d.set("tags.metadata", map[string]any{"k": nil}) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := mustJSON(t, tc.edit(baseDoc(t)))
			if _, err := event.Decode(data, 0); err != nil {
				t.Errorf("Decode(%s) = %v, want accepted", data, err)
			}
			if err := schemaCheck(sch, data); err == nil {
				t.Errorf("schema accepts %s, want refused", data)
			}
		})
	}
}

// TestSchemaGaps lists what JSON Schema cannot express: events the schema
// accepts and the ingestor refuses. docs/events.md warns about each; if
// one starts to pass both, update the page.
func TestSchemaGaps(t *testing.T) {
	sch := loadSchema(t)
	cases := []struct {
		name string
		data string
	}{
		// JSON Schema compares numbers by value; the decoder wants an integer literal.
		{"schema_version 1.0", strings.Replace(minimal, `"schema_version":1`, `"schema_version":1.0`, 1)},
		{"http_status 200.0", strings.Replace(minimal, `"status":"success"`, `"status":"success","http_status":200.0`, 1)},
		// encoding/json matches field names case-insensitively; the last wins.
		{"a field name differing in case", withField("KIND", `"batch"`)},
		// The zero time is "missing" to the decoder.
		{"zero finished_at", strings.Replace(minimal, "2026-11-26T08:00:01Z", "0001-01-01T00:00:00Z", 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := event.Decode([]byte(tc.data), 0); err == nil {
				t.Errorf("Decode(%s) accepted; the gap is closed, update docs/events.md and this test", tc.data)
			}
			if err := schemaCheck(sch, []byte(tc.data)); err != nil {
				t.Errorf("schema refuses %s (%v); the gap is closed, update docs/events.md and this test", tc.data, err)
			}
		})
	}
}

// TestSchemaAndDocsCoverEveryField checks that every field of the Go types
// is in the schema and in docs/events.md, and that the schema has no field
// the Go types lack.
func TestSchemaAndDocsCoverEveryField(t *testing.T) {
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties map[string]any `json:"properties"`
		Defs       map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		typ    reflect.Type
		schema map[string]any
	}{
		{reflect.TypeFor[event.Event](), schema.Properties},
		{reflect.TypeFor[event.Request](), schema.Defs["request"].Properties},
		{reflect.TypeFor[event.Response](), schema.Defs["response"].Properties},
		{reflect.TypeFor[event.CustomPricing](), schema.Defs["customPricing"].Properties},
		{reflect.TypeFor[event.Tags](), schema.Defs["tags"].Properties},
	}
	for _, tc := range cases {
		var goFields []string
		for f := range tc.typ.Fields() {
			goFields = append(goFields, strings.Split(f.Tag.Get("json"), ",")[0])
		}
		var schemaFields []string
		for k := range tc.schema {
			schemaFields = append(schemaFields, k)
		}
		slices.Sort(goFields)
		slices.Sort(schemaFields)
		if !slices.Equal(goFields, schemaFields) {
			t.Errorf("%s fields %v, schema properties %v", tc.typ.Name(), goFields, schemaFields)
		}
		for _, f := range goFields {
			if !bytes.Contains(page, []byte("| `"+f+"` |")) {
				t.Errorf("docs/events.md has no table row for %s field %q", tc.typ.Name(), f)
			}
		}
	}
}
