package parse

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"
)

// scanInputs are JSON texts, valid or not, on the scanner's edges.
var scanInputs = []string{
	`{}`, `[]`, ` {} `, "\t{\n}\r\n", `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{"a":}`, `{,}`, `{"a":1 "b":2}`,
	`[1,2]`, `[1,]`, `[,1]`, `[1 2]`, `{"a":[1,{"b":null}]}`, `{"a":[1,{"b":nul}]}`,
	`0`, `-0`, `01`, `-`, `1.`, `.5`, `1.5`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`, `-1.5e10`, `2.e3`, `1.5x`,
	`99999999999999999999999999999999`, `true`, `tru`, `truex`, `false`, `null`, `nul`, `NULL`,
	`""`, `"a"`, `"\""`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\u00e9"`, `"\u00E9"`, `"\u00g9"`, `"\u00"`, `"\x"`, `"\'"`,
	"\"a\x00b\"", "\"a\x1fb\"", "\"a\x7fb\"", "\"\xff\xfe\"", "\"é中文\"", `"abc`, `"`, `{"a":"b}`,
	"{\"\xff\":1}", `{"\u0061":1}`, `{"é":1}`, `{"a":1,"a":2}`, `{"a":1}x`, `{"a":1}{}`, "\f{}", "{}\f", "\u00a0{}",
	`{"a":{"b":{"c":[[[[]]]]}}}`, `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	strings.Repeat("[", maxScanDepth) + strings.Repeat("]", maxScanDepth),
	strings.Repeat("[", maxScanDepth+1) + strings.Repeat("]", maxScanDepth+1),
	`{"a":` + strings.Repeat(`{"a":`, maxScanDepth) + `1` + strings.Repeat(`}`, maxScanDepth+1),
	``, ` `, `{`, `}`, `[`, `]`, `:`, `,`,
}

// TestScanMatchesDecoder holds the scanner to the decoder on scanInputs; see
// checkScan.
func TestScanMatchesDecoder(t *testing.T) {
	for _, in := range scanInputs {
		checkScan(t, []byte(in))
	}
}

// FuzzScanMatchesDecoder holds the scanner to the decoder on any text; see
// checkScan. Run with
//
//	go test -run='^$' -fuzz='^FuzzScanMatchesDecoder$' -fuzztime=1m ./pkg/parse
func FuzzScanMatchesDecoder(f *testing.F) {
	for _, in := range scanInputs {
		f.Add([]byte(in))
	}
	for _, fx := range loadFixtures(f) {
		f.Add(fx.body)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkScan(t, b)
	})
}

// checkScan checks what the scanner promises its callers (scan.go): it
// accepts only valid JSON (as encoding/json and the fast decoder judge it),
// rejects only what is invalid or too deep, and reads an object's members and
// an array's elements as the decoder reads them.
func checkScan(t *testing.T, b []byte) {
	t.Helper()
	std := json.Valid(b)
	if scanValid(b) {
		if !std || !valid(b) {
			t.Fatalf("scanValid(%q) = true, encoding/json %v, fast decoder %v", b, std, valid(b))
		}
	} else if std && depth(b) <= maxScanDepth {
		t.Fatalf("scanValid(%q) = false for valid JSON", b)
	}
	if members, ok := scanObject(b); ok {
		var want map[string]json.RawMessage
		if err := unmarshal(b, &want); err != nil || want == nil {
			t.Fatalf("scanObject(%q) accepted what the decoder does not read as an object: %v", b, err)
		}
		got := object{raw: b, members: members}.fieldMap()
		if len(got) != len(want) {
			t.Fatalf("scanObject(%q) = %d keys, decoder %d", b, len(got), len(want))
		}
		for k, v := range want {
			if !bytes.Equal(got[k], v) {
				t.Fatalf("scanObject(%q)[%q] = %q, decoder %q", b, k, got[k], v)
			}
			if g, _ := memberOf(b, k); !bytes.Equal(g, v) {
				t.Fatalf("memberOf(%q, %q) = %q, decoder %q", b, k, g, v)
			}
		}
	}
	if elems, ok := scanElements(b); ok {
		var want []json.RawMessage
		if err := unmarshal(b, &want); err != nil || len(want) != len(elems) {
			t.Fatalf("scanElements(%q) = %d elements, decoder %d (%v)", b, len(elems), len(want), err)
		}
		for i := range want {
			if !bytes.Equal(elems[i], want[i]) {
				t.Fatalf("scanElements(%q)[%d] = %q, decoder %q", b, i, elems[i], want[i])
			}
		}
	}
}

// depth returns how deeply b's brackets nest, counting those in strings too
// (an over-estimate, which only excuses the scanner more often).
func depth(b []byte) int {
	d, deepest := 0, 0
	for _, c := range b {
		switch c {
		case '{', '[':
			d++
			deepest = max(deepest, d)
		case '}', ']':
			d--
		}
	}
	return deepest
}

// referenceCases are bodies on the edges of the JSON reading, each parsed
// for every provider by TestParseMatchesReferenceCases.
var referenceCases = []string{
	// duplicate keys: the last wins, at the top, in usage and in details
	`{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},"usage":null,"choices":[]}`,
	`{"usage":null,"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},"object":"chat.completion"}`,
	`{"object":"chat.completion","usage":{"prompt_tokens":1,"prompt_tokens":7,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":1},"prompt_tokens_details":{"cached_tokens":5,"cached_tokens":4}}}`,
	`{"object":"chat.completion","usage":{"prompt_tokens":1,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":1},"prompt_tokens_details":null}}`,
	// keys the scanner leaves to the decoder
	`{"us\u0061ge":{"prompt_tokens":1,"completion_tokens":2},"object":"chat.completion"}`,
	`{"usage":{"pr\u006fmpt_tokens":1,"completion_tokens":2},"choices":[]}`,
	`{"ü":1,"usage":{"prompt_tokens":1,"completion_tokens":2},"choices":[]}`,
	"{\"\xff\":1,\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2},\"choices\":[]}",
	"{\"usage\\u0000\":1,\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2},\"choices\":[]}",
	// strings that need decoding
	`{"object":"chat.completion","model":"gpt\u002d4o","usage":{"prompt_tokens":"1\u0032","completion_tokens":"7"}}`,
	"{\"object\":\"chat.completion\",\"model\":\"gpt-4o\xff\",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}",
	`{"object":"chat.completion","model":"模型","usage":{"prompt_tokens":1,"completion_tokens":2}}`,
	`{"object":"chat.c\u006fmpletion","usage":{"prompt_tokens":1}}`,
	`{"object":"resp\u006fnse","model":"x","usage":{"input_tokens":1,"output_tokens":2}}`,
	// numbers
	`{"choices":[],"usage":{"prompt_tokens":9223372036854775807,"completion_tokens":1}}`,
	`{"choices":[],"usage":{"prompt_tokens":9223372036854775808,"completion_tokens":-0,"total_tokens":1e3}}`,
	`{"choices":[],"usage":{"prompt_tokens":" 5","completion_tokens":"5 ","total_tokens":"1.0"}}`,
	`{"choices":[],"usage":{"prompt_tokens":00,"completion_tokens":1}}`,
	// white space, inside and around
	" \t\r\n{ \"choices\" : [ ] , \"usage\" : { \"prompt_tokens\" : 1 , \"completion_tokens\" : 2 } } \n",
	"\f{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}",
	"\u00a0{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\u00a0",
	"\xef\xbb\xbf{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}",
	"\xef\xbb\xbf\xef\xbb\xbf{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}",
	// invalid somewhere
	`{"choices":[1 2],"usage":{"prompt_tokens":1,"completion_tokens":2}}`,
	`{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}} trailing`,
	`{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}{"usage":{"prompt_tokens":5}}`,
	"{\"choices\":[\"\x01\"],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}",
	`{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}`,
	// deep nesting, beyond the scanner's bound
	`{"choices":[` + strings.Repeat("[", 2*maxScanDepth) + strings.Repeat("]", 2*maxScanDepth) + `],"usage":{"prompt_tokens":1,"completion_tokens":2}}`,
	`{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"x":` + strings.Repeat("[", 2*maxScanDepth) + strings.Repeat("]", 2*maxScanDepth) + `}}`,
	// bodies that are not one object
	`"usage"`, `123`, `null`, `[]`, `[1,{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}},"x"]`,
	`[{"usageMetadata":{"promptTokenCount":3}},{"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":1}}`,
	`[{"usageMetadata":{"promptTokenCount":3}} {"usageMetadata":{"promptTokenCount":4}}]`,
	"data: [{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}]\n\n",
	// streams
	"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}",
	"data: {\"choices\":[],\"usage\":\ndata: {\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n",
	"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"m\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":9,\"output_tokens\":null,\"input_tokens\":null}}\n\n",
	"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5,\"input_tokens\":6,\"output_tokens\":1}}}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":9}}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":12,\"cache_read_input_tokens\":3}}\n\n",
	"event: message_delta\ndata: {\"usage\":{\"output_tokens\":9}}\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"message\":\"overloaded\"}}\n\n",
	"event: error\ndata: not json\n\n",
	"event:content_block_delta\ndata:{\"type\":\"content_block_delta\"}\nevent:content_block_delta\ndata:{}\n",
	"{\"done\":false,\"model\":\"llama\"}\n{\"done\":true,\"prompt_eval_count\":3,\"eval_count\":\"4\",\"eval_count\":5}\n",
	"{\"done\":true,\"prompt_eval_count\":3,\"prompt_eval_count\":null,\"eval_count\":5}",
	// errors
	`{"error":{"code":0,"message":"success"},"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}`,
	`{"error":{},"error":{"message":"late"}}`,
	`{"error":{"message":"x"},"error":{}}`,
	`{"throttlingException":{"message":"slow"},"throttlingException":{"Message":"slower"}}`,
	`{"throttlingException":{"message":"slow"},"otherException":{"message":"x"}}`,
	`{"code":"Throttling","message":"rate","code":"200"}`,
	`{"code":"Throttling","message":"rate","extra":1}`,
	`{"error_code":110,"error_msg":"token invalid","error_code":0}`,
	`{"error_code":"\u0030","error_msg":"x"}`,
	`{"type":"response.failed","response":{"error":{"message":"boom"},"usage":{"input_tokens":1,"output_tokens":2}}}`,
	`{"chunk":{"bytes":"eyJ0eXBlIjoibWVzc2FnZV9zdGFydCIsIm1lc3NhZ2UiOnsidXNhZ2UiOnsiaW5wdXRfdG9rZW5zIjo1LCJvdXRwdXRfdG9rZW5zIjoxfX19"}}`,
	`{"metadata":{"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7},"usage":null}}`,
	`{"candidates":[],"usageMetadata":{"promptTokenCount":3,"promptTokenCount":null,"candidatesTokenCount":"2"}}`,
	`{"output":{"text":"x"},"usage":{"input_tokens":3,"output_tokens":4},"request_id":"r"}`,
	`{"result":"x","is_end":true,"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`,
	`{"choices":[{"usage":{"prompt_tokens":3,"completion_tokens":4}},{"usage":{"prompt_tokens":5}}],"object":"chat.completion.chunk"}`,
	`{"choices":[{"usage":null},1,{"usage":{"prompt_tokens":3,"completion_tokens":4,"prompt_tokens":6}}],"object":"chat.completion.chunk"}`,
}

// TestParseMatchesReferenceCases holds Parse to parseReference on
// referenceCases, for every provider and an unknown one.
func TestParseMatchesReferenceCases(t *testing.T) {
	providers := append(Providers(), "mistral")
	for _, body := range referenceCases {
		for _, p := range providers {
			assertSameUsage(t, p, []byte(body), "Parse", Parse(p, []byte(body)), "parseReference", parseReference(p, []byte(body)))
		}
	}
}

// TestParseMatchesReferenceTruncated holds Parse to parseReference on every
// prefix of every fixture body, and on every fifth prefix of the (longer)
// benchmark bodies: streams and documents cut anywhere.
func TestParseMatchesReferenceTruncated(t *testing.T) {
	type input struct {
		provider string
		body     []byte
		step     int
	}
	inputs := []input{
		{"openai", []byte(benchOpenAIChat), 5},
		{"anthropic", []byte(benchAnthropicMessage), 5},
		{"openai", []byte(benchOpenAIStream()), 5},
		{"anthropic", []byte(benchAnthropicStream()), 5},
	}
	for _, fx := range loadFixtures(t) {
		inputs = append(inputs, input{fx.provider, fx.body, 1})
	}
	for _, in := range inputs {
		step := in.step
		if testing.Short() {
			step = 7
		}
		for n := 0; n <= len(in.body); n += step {
			b := in.body[:n]
			assertSameUsage(t, in.provider, b, "Parse", Parse(in.provider, b), "parseReference", parseReference(in.provider, b))
		}
	}
}

// TestHasStringStop checks the word-at-a-time test against the byte table
// (stringByte): every byte value in every position among plain fillers, and
// every pair of byte values in every pair of positions, where a borrow from
// one byte could hide or fake the other.
func TestHasStringStop(t *testing.T) {
	want := func(w [8]byte) bool {
		for _, c := range w {
			if !stringByte[c] {
				return true
			}
		}
		return false
	}
	check := func(w [8]byte) {
		if got := hasStringStop(binary.LittleEndian.Uint64(w[:])); got != want(w) {
			t.Fatalf("hasStringStop(% x) = %v, want %v", w, got, want(w))
		}
	}
	for _, filler := range []byte{'a', ' ', '!', 0x7f, 0x80, 0xff} {
		for p := range 8 {
			for c := range 256 {
				var w [8]byte
				for i := range w {
					w[i] = filler
				}
				w[p] = byte(c)
				check(w)
			}
		}
	}
	for p := range 8 {
		for q := p + 1; q < 8; q++ {
			for a := range 256 {
				for b := range 256 {
					w := [8]byte{'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'}
					w[p], w[q] = byte(a), byte(b)
					check(w)
				}
			}
		}
	}
}
