package parse

import "strings"

// readResponses reads the OpenAI Responses API format
// (https://platform.openai.com/docs/api-reference/responses/object), also
// served by Azure OpenAI, Volcengine Ark and DashScope: a response object, or
// a stream of typed events of which response.completed (or
// response.incomplete, response.failed) carries the response with its usage.
func readResponses(d doc) (reading, bool) {
	o := d.obj
	resp := o
	if typ := o.str("type"); strings.HasPrefix(typ, "response.") {
		inner, ok := o.object("response")
		if !ok {
			return reading{format: "responses", count: responsesCounts}, true // e.g. response.output_text.delta
		}
		resp = inner
	} else if o.str("object") != "response" {
		return reading{}, false
	}
	r := reading{format: "responses", model: resp.str("model"), count: responsesCounts}
	return r.withUsage(resp.object("usage")), true
}

// responsesCounts reads the Responses API usage object: input_tokens includes
// input_tokens_details.cached_tokens, output_tokens includes
// output_tokens_details.reasoning_tokens.
func responsesCounts(u object) counts {
	return counts{
		prompt:     u.count("input_tokens"),
		completion: u.count("output_tokens"),
		total:      u.count("total_tokens"),
		cached:     u.path("input_tokens_details", "cached_tokens"),
		reasoning:  u.path("output_tokens_details", "reasoning_tokens"),
	}
}
