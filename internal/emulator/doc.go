// Package emulator is a vendor emulator for tests, the demo and benchmarks:
// a real HTTP/1.1 server on loopback that answers chat calls the way the LLM
// vendors do, streams included, with the token usage the caller asks for.
//
// # Lifecycle
//
// Start listens (127.0.0.1:0 unless Options.Addr says otherwise) and serves
// until Close. Close is graceful: it waits for in-flight requests (up to
// Options.ShutdownTimeout, then cuts their connections) and for every
// handler, and may be called more than once. Requests counts the requests
// received. Authentication headers and query parameters (api keys,
// access_token, api-version, key) are accepted and ignored.
//
// # Vendors, base URLs and endpoints
//
// BaseURL(vendor) is what an SDK is configured with; Endpoint(vendor, model,
// stream) is the full URL of a chat call. With U = URL():
//
//	vendor            BaseURL                      chat call
//	openai            U/openai/v1                  POST {base}/chat/completions
//	openai_responses  U/openai/v1                  POST {base}/responses
//	azure             U/azure (the endpoint)       POST {base}/openai/deployments/{deployment}/chat/completions?api-version=...
//	deepseek          U/deepseek                   POST {base}/chat/completions (or {base}/v1/chat/completions)
//	doubao            U/doubao/api/v3              POST {base}/chat/completions
//	wenxin            U/wenxin/v2                  POST {base}/chat/completions (Qianfan v2)
//	wenxin_v1         U/wenxin_v1                  POST {base}/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/{endpoint}
//	qwen              U/qwen/compatible-mode/v1    POST {base}/chat/completions
//	qwen_native       U/qwen/api/v1                POST {base}/services/aigc/text-generation/generation
//	moonshot          U/moonshot/v1                POST {base}/chat/completions
//	zhipu             U/zhipu/api/paas/v4          POST {base}/chat/completions
//	anthropic         U/anthropic                  POST {base}/v1/messages
//	gemini            U/gemini                     POST {base}/v1beta/models/{model}:generateContent
//	                                               POST {base}/v1beta/models/{model}:streamGenerateContent?alt=sse
//
// A call streams when its JSON body has "stream": true, except Gemini
// (streamGenerateContent: SSE with alt=sse, else one JSON array written
// element by element) and qwen_native (the header X-DashScope-SSE: enable).
// Replies echo the requested model (Azure: the deployment; Qianfan v1
// replies have no model field). Stream chunks are flushed one by one, so
// the time to the first byte is observable.
//
// # Usage on the wire
//
// Usage is in the pipeline's terms: Prompt includes Cached and CacheWrite,
// Completion includes Reasoning. Each vendor carries it in its own fields;
// a count a vendor has no field for stays folded into its parent count:
//
//	openai, azure     prompt_tokens, completion_tokens, total_tokens,
//	                  prompt_tokens_details.cached_tokens, completion_tokens_details.reasoning_tokens (always)
//	doubao            as openai, without OpenAI's audio/prediction extras
//	wenxin, qwen      as openai, each details object only when its count is not 0
//	deepseek          as openai plus prompt_cache_hit_tokens = Cached, prompt_cache_miss_tokens = Prompt-Cached;
//	                  completion_tokens_details only when Reasoning > 0
//	moonshot          prompt/completion/total_tokens, cached_tokens when not 0; no reasoning count
//	zhipu             prompt/completion/total_tokens, prompt_tokens_details.cached_tokens when not 0; no reasoning count
//	openai_responses  input_tokens, input_tokens_details.cached_tokens, output_tokens,
//	                  output_tokens_details.reasoning_tokens, total_tokens
//	anthropic         input_tokens = Prompt-Cached-CacheWrite, cache_read_input_tokens = Cached,
//	                  cache_creation_input_tokens = CacheWrite, output_tokens = Completion; no total
//	gemini            promptTokenCount = Prompt, cachedContentTokenCount = Cached,
//	                  candidatesTokenCount = Completion-Reasoning, thoughtsTokenCount = Reasoning,
//	                  totalTokenCount = Prompt+Completion; zero counts left out
//	wenxin_v1         prompt_tokens, completion_tokens, total_tokens only
//	qwen_native       input_tokens, output_tokens, total_tokens, prompt_tokens_details.cached_tokens and
//	                  output_tokens_details.reasoning_tokens when not 0
//
// CacheWrite is reported by anthropic only. In streams:
//
//   - openai, azure, deepseek, doubao, wenxin, qwen send usage only when the
//     body has stream_options.include_usage = true: every chunk then has
//     "usage": null and an extra chunk with empty choices carries the usage
//     before data: [DONE]; zhipu always puts it in the finish_reason chunk;
//     moonshot always in choices[0].usage of that chunk. azure starts with a
//     chunk with empty choices and prompt_filter_results.
//   - openai_responses: response.completed carries it.
//   - anthropic: message_start has the input counts and output_tokens 1,
//     message_delta has the final output_tokens; ping after content_block_start.
//   - gemini and qwen_native: every chunk has running totals (the input
//     counts, and output counts growing to the final ones on the last chunk).
//   - wenxin_v1: every data: line has usage with completion_tokens 0 until
//     the last (is_end: true), which has the full counts.
//
// # Controls
//
// Per request, by headers, over the defaults in Options (concurrent tests
// do not interfere):
//
//	X-Emulator-Usage: prompt=10,completion=5,cached=2,reasoning=1,cache_write=0   (Usage.String)
//	X-Emulator-Latency: 50ms        delay before the response headers
//	X-Emulator-Chunk-Delay: 5ms     delay between stream chunks
//	X-Emulator-Chunks: 8            content chunks of the reply (1..10000)
//	X-Emulator-Error: rate_limit | server | invalid_request | http200
//	X-Emulator-Fail: reset | reset_early
//	X-Emulator-Omit-Usage: 1        no usage anywhere in the response
//
// Errors are the vendor's own error bodies with status 429, 500, 400; http200
// is the vendor's server error with status 200 (inside the SSE stream, in the
// vendor's stream framing, when the call streams; Anthropic's is
// overloaded_error). wenxin_v1 sends every error as error_code/error_msg
// with status 200, as Qianfan v1 does (18 rate limit, 336000 server, 336003
// invalid request). A body that is not valid JSON, or lacks the model, gets
// the vendor's invalid_request error. reset sends the headers and part of
// the body (half of the stream's chunks) and then closes the connection with
// a TCP RST; reset_early does so before any byte of the response. A bad
// control header is answered 400 with a text/plain "emulator: ..." body.
//
// Without X-Emulator-Usage and without Options.Usage, the usage is derived
// from the request, deterministically: Prompt is the number of bytes of the
// request's input fields as sent (messages; plus system for anthropic and
// wenxin_v1; input and instructions for openai_responses; contents and
// systemInstruction for gemini; input for qwen_native) divided by 4, rounded
// up, at least 1; Completion is Options.Completion (DefaultCompletion when
// 0); nothing is cached, written to a cache or reasoning.
package emulator
