package parse

// Parse returns the token usage in body, a response of provider's API: a JSON
// document, or the raw text of a stream (SSE or NDJSON). provider may be a
// canonical name or an alias (see CanonicalProvider). An unknown provider's
// body is read as OpenAI-compatible, with a lower confidence. Parse never
// fails: what it cannot find it reports as missing, and it never invents a
// number.
func Parse(provider string, body []byte) Usage {
	a, known := lookup(provider)
	name, confidence := "", confidenceExact
	if known {
		name = a.name()
	} else {
		a, confidence = compatible{}, confidenceGuessed
		name, _ = CanonicalProvider(provider)
	}
	u := Usage{Provider: name, Consistency: Unchecked}

	docs, stream := split(body)
	var t tally
	for _, d := range docs {
		if msg, ok := vendorError(d); ok {
			if !u.IsError {
				u.ErrorMessage = msg
			}
			u.IsError = true
		}
		if !d.ok {
			continue
		}
		if r, ok := a.read(d); ok {
			t.add(r)
		}
	}
	u.Model = t.model
	if !t.found {
		u.UsageMissing = true
		return u
	}
	u.Raw = t.raw()
	u.Method = a.name() + "." + t.format
	if stream {
		u.Method += ".stream"
	}
	settle(&u, t.counts(), confidence)
	return u
}
