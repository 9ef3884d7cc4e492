// Package harborai is HarborAI's client: it records an application's LLM
// calls by publishing request and response events to NATS JetStream, where
// the HarborAI ingestor picks them up.
//
// Publishing never blocks the caller beyond putting the event on a bounded
// in-memory queue, and never returns the broker's trouble as the
// application's error: a background goroutine publishes, retries with
// backoff while the broker is unreachable (events keep their id, so
// JetStream drops repeats), and counts what it had to drop when the queue
// is full. Close flushes within the caller's deadline.
//
//	pub, err := harborai.Connect("nats://127.0.0.1:4222")
//	if err != nil { ... }
//	defer pub.Close(context.Background())
//	call := pub.NewCall(ctx, harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"})
//	call.Request(event.Request{Body: reqBody})
//	call.Response(event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: respBody})
package harborai
