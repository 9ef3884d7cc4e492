package emulator

// The OpenAI-compatible vendors and what each does differently: ids, the
// usage object (which counters it carries, under which names), where a
// stream puts the usage, and the error bodies.

const azureAPIVersion = "2024-10-21"

func dialects() []dialect {
	return []dialect{
		{
			name: "openai", base: "/openai/v1", paths: []string{"/chat/completions"},
			id: func() string { return randomID("chatcmpl-", 29) }, usage: openAIUsage, placement: usageOptIn,
			fingerprint: "fp_7a1b2c3d4e", serviceTier: "default", failure: openAIFailure, idHeader: "X-Request-Id",
		},
		{
			name: "azure", base: "/azure", paths: []string{"/openai/deployments/{deployment}/chat/completions"},
			id: func() string { return randomID("chatcmpl-", 29) }, usage: openAIUsage, placement: usageOptIn,
			fingerprint: "fp_7a1b2c3d4e", azure: true, failure: azureFailure, idHeader: "Apim-Request-Id",
		},
		{
			name: "deepseek", base: "/deepseek", paths: []string{"/chat/completions", "/v1/chat/completions"},
			id: randomUUID, usage: deepSeekUsage, placement: usageOptIn,
			fingerprint: "fp_3a5770e1b4_prod0225", failure: deepSeekFailure, idHeader: "X-Ds-Trace-Id",
		},
		{
			name: "doubao", base: "/doubao/api/v3", paths: []string{"/chat/completions"},
			id: func() string { return "0217" + randomHex(40) }, usage: detailedUsage, placement: usageOptIn,
			serviceTier: "default", failure: doubaoFailure, idHeader: "X-Request-Id",
		},
		{
			name: "wenxin", base: "/wenxin/v2", paths: []string{"/chat/completions"},
			id: func() string { return randomID("as-", 10) }, usage: sparseUsage, placement: usageOptIn,
			failure: qianfanV2Failure, idHeader: "X-Request-Id",
		},
		{
			name: "qwen", base: "/qwen/compatible-mode/v1", paths: []string{"/chat/completions"},
			id: func() string { return "chatcmpl-" + randomUUID() }, usage: sparseUsage, placement: usageOptIn,
			failure: qwenCompatibleFailure, idHeader: "X-Request-Id",
		},
		{
			name: "moonshot", base: "/moonshot/v1", paths: []string{"/chat/completions"},
			id: func() string { return randomID("chatcmpl-", 24) }, usage: moonshotUsage, placement: usageInChoice,
			failure: moonshotFailure, idHeader: "Msh-Request-Id",
		},
		{
			name: "zhipu", base: "/zhipu/api/paas/v4", paths: []string{"/chat/completions"},
			id: func() string { return "2025" + randomHex(20) }, usage: zhipuUsage, placement: usageFinishChunk,
			requestID: true, failure: zhipuFailure, idHeader: "X-Log-Id",
		},
	}
}

type chatUsage struct {
	PromptTokens          int64              `json:"prompt_tokens"`
	CompletionTokens      int64              `json:"completion_tokens"`
	TotalTokens           int64              `json:"total_tokens"`
	CachedTokens          *int64             `json:"cached_tokens,omitempty"`
	PromptCacheHitTokens  *int64             `json:"prompt_cache_hit_tokens,omitempty"`
	PromptCacheMissTokens *int64             `json:"prompt_cache_miss_tokens,omitempty"`
	PromptTokensDetails   *promptDetails     `json:"prompt_tokens_details,omitempty"`
	CompletionDetails     *completionDetails `json:"completion_tokens_details,omitempty"`
}

type promptDetails struct {
	CachedTokens int64  `json:"cached_tokens"`
	AudioTokens  *int64 `json:"audio_tokens,omitempty"`
}

type completionDetails struct {
	ReasoningTokens          int64  `json:"reasoning_tokens"`
	AudioTokens              *int64 `json:"audio_tokens,omitempty"`
	AcceptedPredictionTokens *int64 `json:"accepted_prediction_tokens,omitempty"`
	RejectedPredictionTokens *int64 `json:"rejected_prediction_tokens,omitempty"`
}

func basicUsage(u Usage) chatUsage {
	return chatUsage{PromptTokens: u.Prompt, CompletionTokens: u.Completion, TotalTokens: u.Total()}
}

// openAIUsage: both details objects, always, with OpenAI's zero extras.
func openAIUsage(u Usage) any {
	var zero int64
	out := basicUsage(u)
	out.PromptTokensDetails = &promptDetails{CachedTokens: u.Cached, AudioTokens: &zero}
	out.CompletionDetails = &completionDetails{
		ReasoningTokens: u.Reasoning, AudioTokens: &zero,
		AcceptedPredictionTokens: &zero, RejectedPredictionTokens: &zero,
	}
	return out
}

// detailedUsage (Doubao): both details objects, always.
func detailedUsage(u Usage) any {
	out := basicUsage(u)
	out.PromptTokensDetails = &promptDetails{CachedTokens: u.Cached}
	out.CompletionDetails = &completionDetails{ReasoningTokens: u.Reasoning}
	return out
}

// sparseUsage (Qianfan v2, DashScope compatible mode): a details object only
// when its count is not zero.
func sparseUsage(u Usage) any {
	out := basicUsage(u)
	if u.Cached > 0 {
		out.PromptTokensDetails = &promptDetails{CachedTokens: u.Cached}
	}
	if u.Reasoning > 0 {
		out.CompletionDetails = &completionDetails{ReasoningTokens: u.Reasoning}
	}
	return out
}

// deepSeekUsage: cache hits and misses split out (a miss is not a cache
// write); reasoning details only when the model reasoned.
func deepSeekUsage(u Usage) any {
	out := basicUsage(u)
	hit, miss := u.Cached, u.Prompt-u.Cached
	out.PromptCacheHitTokens, out.PromptCacheMissTokens = &hit, &miss
	out.PromptTokensDetails = &promptDetails{CachedTokens: u.Cached}
	if u.Reasoning > 0 {
		out.CompletionDetails = &completionDetails{ReasoningTokens: u.Reasoning}
	}
	return out
}

// moonshotUsage (Kimi): cached_tokens at the top level when there are any;
// reasoning is not reported apart from completion.
func moonshotUsage(u Usage) any {
	out := basicUsage(u)
	if u.Cached > 0 {
		out.CachedTokens = &u.Cached
	}
	return out
}

// zhipuUsage (GLM): cached tokens in prompt_tokens_details when there are
// any; reasoning is not reported apart from completion.
func zhipuUsage(u Usage) any {
	out := basicUsage(u)
	if u.Cached > 0 {
		out.PromptTokensDetails = &promptDetails{CachedTokens: u.Cached}
	}
	return out
}

func openAIFailure(k errKind) any {
	switch k {
	case errRateLimit:
		return openAIError("Rate limit reached for requests. Please try again in 20ms.", "requests", "rate_limit_exceeded")
	case errInvalid:
		return openAIError("We could not parse the JSON body of your request.", "invalid_request_error", nil)
	default:
		return openAIError("The server had an error while processing your request. Sorry about that!", "server_error", nil)
	}
}

func azureFailure(k errKind) any {
	switch k {
	case errRateLimit:
		return map[string]any{"error": map[string]any{"code": "429", "message": "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version " + azureAPIVersion + " have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 1 second."}}
	case errInvalid:
		return openAIError("Invalid value for 'messages'.", "invalid_request_error", "invalid_value")
	default:
		return openAIError("The server had an error processing your request.", "server_error", nil)
	}
}

func deepSeekFailure(k errKind) any {
	switch k {
	case errRateLimit:
		return openAIError("Rate Limit Reached", "rate_limit_error", "rate_limit_reached")
	case errInvalid:
		return openAIError("Failed to deserialize the JSON body into the target type", "invalid_request_error", "invalid_request_error")
	default:
		return openAIError("Server Error", "server_error", "server_error")
	}
}

func doubaoFailure(k errKind) any {
	e := func(code, msg, typ string) any {
		return map[string]any{"error": map[string]any{"code": code, "message": msg, "param": "", "type": typ}}
	}
	switch k {
	case errRateLimit:
		return e("RateLimitExceeded.EndpointRPMExceeded", "The request rate limit of the endpoint has been exceeded. Request id: "+randomHex(20), "TooManyRequests")
	case errInvalid:
		return e("InvalidParameter", "A parameter specified in the request is not valid. Request id: "+randomHex(20), "BadRequest")
	default:
		return e("InternalServiceError", "The service encountered an unexpected internal error. Request id: "+randomHex(20), "InternalServerError")
	}
}

func qianfanV2Failure(k errKind) any {
	e := func(code, msg, typ string) any {
		return map[string]any{"id": randomID("as-", 10), "error": map[string]any{"code": code, "message": msg, "type": typ}}
	}
	switch k {
	case errRateLimit:
		return e("rpm_rate_limit_exceeded", "Rate limit reached for RPM", "rate_limit_exceeded")
	case errInvalid:
		return e("invalid_argument", "Invalid argument: messages", "invalid_request_error")
	default:
		return e("internal_error", "Internal error", "server_error")
	}
}

func qwenCompatibleFailure(k errKind) any {
	var body map[string]any
	switch k {
	case errRateLimit:
		body = openAIError("Requests rate limit exceeded, please try again later.", "limit_requests", "limit_requests")
	case errInvalid:
		body = openAIError("<400> InternalError.Algo.InvalidParameter: Input should be a valid list: messages", "invalid_request_error", "invalid_parameter_error")
	default:
		body = openAIError("An internal error has occurred, please try again later or contact service support.", "internal_error", "internal_error")
	}
	body["request_id"] = randomUUID()
	return body
}

func moonshotFailure(k errKind) any {
	switch k {
	case errRateLimit:
		return map[string]any{"error": map[string]any{"message": "Your account org-emulator request reached max request: 3, please try again after 1 seconds", "type": "rate_limit_reached_error"}}
	case errInvalid:
		return map[string]any{"error": map[string]any{"message": "Invalid request: messages must not be empty", "type": "invalid_request_error"}}
	default:
		return map[string]any{"error": map[string]any{"message": "The engine is currently overloaded, please try again later", "type": "engine_overloaded_error"}}
	}
}

func zhipuFailure(k errKind) any {
	e := func(code, msg string) any {
		return map[string]any{"error": map[string]any{"code": code, "message": msg}}
	}
	switch k {
	case errRateLimit:
		return e("1302", "您当前使用该API的并发数过高，请降低并发，或联系客服增加限额。")
	case errInvalid:
		return e("1214", "messages 参数非法。请检查文档。")
	default:
		return e("500", "内部错误，请稍后重试。")
	}
}

// azurePromptFilter is Azure's prompt_filter_results with nothing filtered.
func azurePromptFilter() any {
	return []any{map[string]any{"prompt_index": 0, "content_filter_results": azureFilterResults()}}
}

func azureFilterResults() any {
	safe := map[string]any{"filtered": false, "severity": "safe"}
	return map[string]any{"hate": safe, "self_harm": safe, "sexual": safe, "violence": safe}
}
