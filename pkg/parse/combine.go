package parse

import "encoding/json"

// tally combines the readings of a response's documents, in order. Streams
// report usage once at the end or as running totals, so the last usage wins
// and nothing is ever summed; a reading marked overlay (Anthropic's
// message_delta) instead updates the previous usage field by field.
type tally struct {
	found  bool
	format string
	model  string
	count  func(object) counts
	merged map[string]json.RawMessage
	raws   []json.RawMessage
}

func (t *tally) add(r reading) {
	if r.model != "" {
		t.model = r.model
	}
	if !r.hasUsage || r.count(r.usage).empty() {
		return
	}
	if r.overlay && t.found && t.format == r.format {
		for k, v := range r.usage.fields {
			if !isNull(v) { // an unreported field does not erase a reported one
				t.merged[k] = v
			}
		}
		t.raws = append(t.raws, r.usage.raw)
		return
	}
	t.found, t.format, t.count = true, r.format, r.count
	t.merged = make(map[string]json.RawMessage, len(r.usage.fields))
	for k, v := range r.usage.fields {
		t.merged[k] = v
	}
	t.raws = []json.RawMessage{r.usage.raw}
}

// counts returns the counters of the winning usage.
func (t *tally) counts() counts {
	return t.count(object{fields: t.merged})
}

// raw returns the usage object(s) the counters came from, untouched: the one
// object, or a JSON array of the objects an overlay combined.
func (t *tally) raw() json.RawMessage {
	if len(t.raws) == 1 {
		return t.raws[0]
	}
	out := []byte{'['}
	for i, r := range t.raws {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, r...)
	}
	return append(out, ']')
}
