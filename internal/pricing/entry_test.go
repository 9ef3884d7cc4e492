package pricing

import (
	"errors"
	"slices"
	"testing"
)

func TestSetRequestEntry(t *testing.T) {
	at := day("2026-01-01")
	ok := SetRequest{Provider: "deepseek", Model: "deepseek-chat", Input: "0.001", Output: "0.002", EffectiveFrom: at}
	for _, tc := range []struct {
		name      string
		edit      func(r *SetRequest)
		badFields []string // the fields named by the error, in any order; nil = valid
		check     func(t *testing.T, e Entry)
	}{
		{name: "defaults: CNY per 1,000 tokens", edit: func(*SetRequest) {}, check: func(t *testing.T, e Entry) {
			if e.Currency != "CNY" || e.Unit != 1000 || e.Input.String() != "0.001" || e.CachedInput != nil {
				t.Errorf("Entry() = %+v, want CNY, unit 1000, input 0.001, no cached price", e)
			}
		}},
		{name: "names lower-cased, RMB is CNY", edit: func(r *SetRequest) {
			r.Provider, r.Model, r.Currency, r.CachedInput = " DeepSeek ", "DeepSeek-Chat", "rmb", "0.0001"
		}, check: func(t *testing.T, e Entry) {
			if e.Provider != "deepseek" || e.Model != "deepseek-chat" || e.Currency != "CNY" || e.CachedInput.String() != "0.0001" {
				t.Errorf("Entry() = %+v, want deepseek/deepseek-chat CNY cached 0.0001", e)
			}
		}},
		{name: "negative price", edit: func(r *SetRequest) { r.Input = "-0.001" }, badFields: []string{"input"}},
		{name: "negative cached price", edit: func(r *SetRequest) { r.CachedInput = "-1" }, badFields: []string{"cached-input"}},
		{name: "not a number", edit: func(r *SetRequest) { r.Output = "cheap" }, badFields: []string{"output"}},
		{name: "float syntax abuse", edit: func(r *SetRequest) { r.Output = "1e999999" }, badFields: []string{"output"}},
		{name: "unknown currency", edit: func(r *SetRequest) { r.Currency = "BTC" }, badFields: []string{"currency"}},
		{name: "missing model", edit: func(r *SetRequest) { r.Model = "" }, badFields: []string{"model"}},
		{name: "missing provider and prices", edit: func(r *SetRequest) { r.Provider, r.Input, r.Output = "", "", "" },
			badFields: []string{"provider", "input", "output"}},
		{name: "negative unit", edit: func(r *SetRequest) { r.Unit = -1000 }, badFields: []string{"unit"}},
		{name: "no effective date", edit: func(r *SetRequest) { r.EffectiveFrom = zeroTime }, badFields: []string{"effective-from"}},
		{name: "unset has no prices", edit: func(r *SetRequest) { r.Removed = true }, badFields: []string{"input", "output"}},
		{name: "unset", edit: func(r *SetRequest) { r.Removed, r.Input, r.Output = true, "", "" }, check: func(t *testing.T, e Entry) {
			if !e.Removed || e.Currency != "" || e.Unit != 0 || e.Input != nil {
				t.Errorf("Entry() = %+v, want a tombstone without prices", e)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			e, err := r.Entry()
			if tc.badFields == nil {
				if err != nil {
					t.Fatalf("Entry() = %v, want no error", err)
				}
				tc.check(t, e)
				return
			}
			var fields []string
			for _, u := range unwrapAll(err) {
				if fe, ok := errors.AsType[*FieldError](u); ok {
					fields = append(fields, fe.Field)
				}
			}
			slices.Sort(fields)
			want := slices.Sorted(slices.Values(tc.badFields))
			if !slices.Equal(fields, want) {
				t.Errorf("Entry() error = %v (fields %v), want fields %v", err, fields, want)
			}
		})
	}
}

var zeroTime = day("0001-01-01")

// unwrapAll flattens an errors.Join tree.
func unwrapAll(err error) []error {
	var j interface{ Unwrap() []error }
	if errors.As(err, &j) {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unwrapAll(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}
