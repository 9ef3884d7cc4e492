package parse

import "encoding/json"

// tally combines the readings of a response's documents, in order. Streams
// report usage once at the end or as running totals, so the last usage wins
// and nothing is ever summed; a reading marked overlay (Anthropic's
// message_delta) instead updates the previous usage field by field.
//
// The usage objects are kept as read and combined once, in counts, rather
// than copied into a map at every document: most responses have a single
// usage, and a stream's running totals replace one another.
type tally struct {
	found  bool
	format string
	model  string
	count  func(object) counts
	// usage is the winning usage object, read is its counters; overlays are
	// the objects written over it field by field, in order.
	usage    object
	read     counts
	overlays []object
}

func (t *tally) add(r reading) {
	if r.model != "" {
		t.model = r.model
	}
	if !r.hasUsage {
		return
	}
	c := r.count(r.usage)
	if c.empty() {
		return
	}
	if r.overlay && t.found && t.format == r.format {
		t.overlays = append(t.overlays, r.usage)
		return
	}
	t.found, t.format, t.count = true, r.format, r.count
	t.usage, t.read, t.overlays = r.usage, c, nil
}

// counts returns the counters of the winning usage.
func (t *tally) counts() counts {
	if len(t.overlays) == 0 {
		return t.read
	}
	return t.count(t.usage.merged(t.overlays))
}

// raw returns the usage object(s) the counters came from, untouched: the one
// object, or a JSON array of the objects an overlay combined. It is a copy,
// so that a Usage does not keep the body alive nor change with it.
func (t *tally) raw() json.RawMessage {
	if len(t.overlays) == 0 {
		return append(json.RawMessage(nil), t.usage.raw...)
	}
	out := append([]byte{'['}, t.usage.raw...)
	for _, o := range t.overlays {
		out = append(out, ',')
		out = append(out, o.raw...)
	}
	return append(out, ']')
}
