package parse

// Confidence levels of a parsed usage.
const (
	confidenceExact    = 1.0 // read from a known vendor's format as reported
	confidenceGuessed  = 0.8 // an unknown provider read as OpenAI-compatible
	confidenceMismatch = 0.5 // factor applied when the vendor's total disagrees
)

// settle fills u's counters from c and checks them (SPEC §4.4): the vendor's
// total is kept even when it disagrees with prompt + completion, and the
// disagreement is flagged; a total the vendor did not report is derived only
// when both parts are known.
func settle(u *Usage, c counts, confidence float64) {
	u.PromptTokens, u.CompletionTokens, u.TotalTokens = c.prompt, c.completion, c.total
	u.CachedTokens, u.ReasoningTokens, u.CacheWriteTokens = c.cached, c.reasoning, c.cacheWrite
	u.Confidence = confidence
	u.Consistency = Unchecked
	if c.prompt == nil || c.completion == nil {
		return
	}
	want := sum(c.prompt, c.completion)
	switch {
	case c.total == nil:
		u.TotalTokens, u.TotalDerived = want, want != nil
		if want != nil {
			u.Consistency = Consistent
		}
	case want != nil && *want == *c.total:
		u.Consistency = Consistent
	default:
		u.Consistency = TotalMismatch
		u.Confidence = confidence * confidenceMismatch
	}
}
