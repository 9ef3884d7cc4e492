// Package harborai is HarborAI's client: it records an application's LLM
// calls by publishing request and response events to NATS JetStream, where
// the HarborAI ingestor picks them up.
//
// Publishing never blocks the caller beyond putting the event on a bounded
// in-memory queue, and never returns the broker's trouble as the
// application's error: a background goroutine, which takes the queue every
// flush interval rather than being woken by each event, publishes, retries with
// backoff while the broker is unreachable (events keep their id, so
// JetStream drops repeats), and counts what it had to drop when the queue
// is full. Close flushes within the caller's deadline.
//
// Most applications need two lines: a publisher, and an *http.Client whose
// transport records every call to an LLM vendor (OpenAI, Azure OpenAI,
// Anthropic, DeepSeek, Doubao, Qianfan, Gemini, Qwen, Moonshot, Zhipu, or any
// base URL given with WithBaseURL), streams included, for any SDK that
// accepts an *http.Client:
//
//	pub, err := harborai.Connect("nats://127.0.0.1:4222")
//	if err != nil { ... }
//	defer pub.Close(shutdownCtx) // flushes until shutdownCtx ends: give it a deadline
//	client := pub.HTTPClient(nil) // hand it to the OpenAI/Anthropic SDK
//
// Applications that log after the fact use the explicit API:
//
//	call := pub.NewCall(ctx, harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"})
//	call.Request(event.Request{Body: reqBody})
//	call.Response(event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: respBody})
//
// docs/client.md has the whole story: options, metrics, the local spool,
// tracing, and what is and is not recorded.
package harborai
