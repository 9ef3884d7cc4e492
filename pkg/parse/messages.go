package parse

// readMessages reads the Anthropic Messages format
// (https://docs.anthropic.com/en/api/messages), also served by Amazon Bedrock's
// InvokeModel and by the Anthropic-compatible endpoints of DeepSeek, Moonshot
// and Zhipu. A stream (https://docs.anthropic.com/en/docs/build-with-claude/streaming)
// reports usage in message_start, then each message_delta's usage overwrites
// it field by field (its counts are cumulative, and may include the input
// fields again).
func readMessages(d doc) (reading, bool) {
	o := d.obj
	typ := o.str("type")
	if typ == "" {
		typ = d.event
	}
	r := reading{format: "messages", count: messagesCounts}
	switch typ {
	case "message":
		r.model = o.str("model")
		return r.withUsage(o.object("usage")), true
	case "message_start":
		m, _ := o.object("message")
		r.model = m.str("model")
		return r.withUsage(m.object("usage")), true
	case "message_delta":
		r.overlay = true
		return r.withUsage(o.object("usage")), true
	case "message_stop", "content_block_start", "content_block_delta", "content_block_stop", "ping":
		return r, true
	}
	return reading{}, false
}

// messagesCounts reads the Anthropic usage object. input_tokens EXCLUDES
// cache_read_input_tokens and cache_creation_input_tokens, so the prompt is
// their sum; output_tokens includes thinking, which is not reported
// separately. The cache write appears as cache_creation_input_tokens and
// again, split by TTL, in cache_creation: it is taken once. No total.
func messagesCounts(u object) counts {
	read := u.count("cache_read_input_tokens")
	write := u.count("cache_creation_input_tokens")
	if write == nil {
		if cc, ok := u.object("cache_creation"); ok {
			write = sum(cc.countOrZero("ephemeral_5m_input_tokens"), cc.countOrZero("ephemeral_1h_input_tokens"))
		}
	}
	var prompt *int64
	if in := u.count("input_tokens"); in != nil {
		prompt = sum(in, orZero(read), orZero(write))
	}
	return counts{
		prompt:     prompt,
		completion: u.count("output_tokens"),
		cached:     read,
		cacheWrite: write,
	}
}
