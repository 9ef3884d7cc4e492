package parse

import (
	"encoding/json"
	"testing"
)

func TestCountOf(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"integer", `42`, "42"},
		{"zero stays zero", `0`, "0"},
		{"above 2^53", `9007199254740993`, "9007199254740993"},
		{"max int64", `9223372036854775807`, "9223372036854775807"},
		{"overflow", `9223372036854775808`, "nil"},
		{"digit string", `"123"`, "123"},
		{"digit string above 2^53", `"9007199254740993"`, "9007199254740993"},
		{"escaped digit string", `"\u0031\u0032"`, "12"},
		{"empty string", `""`, "nil"},
		{"signed string", `"+5"`, "nil"},
		{"padded string", `" 5"`, "nil"},
		{"decimal string", `"5.0"`, "nil"},
		{"negative", `-1`, "nil"},
		{"negative zero", `-0`, "nil"},
		{"fraction", `10.5`, "nil"},
		{"integral fraction", `12.0`, "nil"},
		{"exponent", `1e3`, "nil"},
		{"true", `true`, "nil"},
		{"null", `null`, "nil"},
		{"object", `{"n":1}`, "nil"},
		{"array", `[1]`, "nil"},
		{"surrounding space", ` 7 `, "7"},
		{"empty", ``, "nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := show(countOf(json.RawMessage(tt.raw))); got != tt.want {
				t.Errorf("countOf(%q) = %s, want %s", tt.raw, got, tt.want)
			}
		})
	}
}

func TestSum(t *testing.T) {
	tests := []struct {
		name string
		in   []*int64
		want string
	}{
		{"two", []*int64{ptr(1), ptr(2)}, "3"},
		{"none", nil, "0"},
		{"a nil part", []*int64{ptr(1), nil}, "nil"},
		{"overflow", []*int64{ptr(1 << 62), ptr(1 << 62)}, "nil"},
		{"at the limit", []*int64{ptr(9223372036854775806), ptr(1)}, "9223372036854775807"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := show(sum(tt.in...)); got != tt.want {
				t.Errorf("sum(%v) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}
