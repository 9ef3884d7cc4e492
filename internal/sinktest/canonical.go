package sinktest

import (
	"bytes"
	"encoding/json"

	"github.com/harborai/ingest/pkg/record"
)

// canonical renders a call as indented JSON with decimals and times in
// their canonical text, so calls compare by value, not representation.
func canonical(c record.Call) string {
	b, err := json.Marshal(c)
	if err != nil {
		return err.Error()
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	_ = d.Decode(&v)
	out, _ := json.MarshalIndent(v, "", " ")
	return string(out)
}
