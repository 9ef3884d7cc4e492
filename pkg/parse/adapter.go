package parse

// An adapter reads one vendor's responses. Each vendor has its own file
// stating, in one place, what its counters include and how its streams
// report usage; the adapters are listed in adapters.
type adapter interface {
	// name is the vendor's canonical provider name.
	name() string
	// aliases are the other names callers use for the vendor, normalised
	// (see normalise).
	aliases() []string
	// read recognises one document of a response (the whole body, or one
	// stream event). ok is false when the document is in none of the
	// vendor's formats.
	read(d doc) (r reading, ok bool)
}

// reading is what one document says.
type reading struct {
	// format names the API format the document was recognised as, e.g.
	// "chat", "responses", "messages"; it becomes part of Usage.Method.
	format string
	// model is the model the vendor says served the call, "" if not said.
	model string
	// usage is the vendor's usage object as sent; hasUsage is false when the
	// document carries none (e.g. "usage": null in a chat chunk).
	usage    object
	hasUsage bool
	// overlay says usage updates the previous usage of the same format field
	// by field instead of replacing it (Anthropic's message_delta).
	overlay bool
	// count turns a usage object of this format into counters.
	count func(object) counts
}

// counts are the counters of one usage object; nil is not reported.
type counts struct {
	prompt, completion, total     *int64
	cached, reasoning, cacheWrite *int64
}

func (c counts) empty() bool {
	return c.prompt == nil && c.completion == nil && c.total == nil &&
		c.cached == nil && c.reasoning == nil && c.cacheWrite == nil
}

// withUsage returns r carrying usage object u when the document has one.
func (r reading) withUsage(u object, ok bool) reading {
	r.usage, r.hasUsage = u, ok
	return r
}
