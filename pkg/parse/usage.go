package parse

import "encoding/json"

// Consistency statuses of a parsed usage (SPEC §4.4).
const (
	Consistent    = "consistent"     // total == prompt + completion
	TotalMismatch = "total_mismatch" // the vendor's total differs; kept as reported
	Unchecked     = "unchecked"      // not enough counters to check
)

// Usage is the token usage of one call, with the vendor's numbers exactly as
// reported. A nil counter was not reported; a reported 0 stays 0.
type Usage struct {
	PromptTokens     *int64 `json:"prompt_tokens"`
	CompletionTokens *int64 `json:"completion_tokens"`
	TotalTokens      *int64 `json:"total_tokens"`
	CachedTokens     *int64 `json:"cached_tokens"`
	ReasoningTokens  *int64 `json:"reasoning_tokens"`
	CacheWriteTokens *int64 `json:"cache_write_tokens"`

	// TotalDerived is true when the vendor reported no total and TotalTokens
	// is prompt + completion.
	TotalDerived bool `json:"total_derived,omitempty"`

	UsageMissing bool `json:"usage_missing"`
	IsError      bool `json:"is_error"`

	// Provider is the canonical provider name the body was parsed as.
	Provider string `json:"provider,omitempty"`
	// Model is the model the vendor says served the call, when it says.
	Model string `json:"model,omitempty"`
	// Raw is the vendor's usage object the counters came from, untouched (the
	// last one of a stream), or a JSON array of the objects combined when a
	// stream updates usage field by field (Anthropic's message_start and
	// message_delta).
	Raw json.RawMessage `json:"raw_usage,omitempty"`
	// Method says how the numbers were obtained: the adapter, the format and
	// ".stream" for streams, e.g. "openai.chat", "openai.responses.stream",
	// "anthropic.messages.stream", "openai_compatible.chat" (an unknown
	// provider read as OpenAI-compatible). Empty when UsageMissing.
	Method string `json:"parsing_method,omitempty"`
	// Confidence is 1 for numbers read as reported and consistent, lower
	// when the vendor's total disagrees or the format was guessed.
	Confidence  float64 `json:"confidence"`
	Consistency string  `json:"consistency,omitempty"`
	// ErrorMessage is the vendor's error message when IsError.
	ErrorMessage string `json:"error_message,omitempty"`
}
