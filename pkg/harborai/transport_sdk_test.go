package harborai_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go"
	"github.com/openai/openai-go/option"

	"github.com/harborai/ingest/pkg/harborai"
)

// TestSDKBodyOverTheLimitKeepsModelAndUsage: an SDK request whose body is
// longer than WithMaxBodyBytes (a long conversation, an image) is stored
// with its model, as streamed, and an OpenAI stream with its usage: both
// SDKs write "model" after "messages" and "stream": true last, and the
// body, of known length with GetBody, is read whole (the event keeps the
// limit's bytes).
func TestSDKBodyOverTheLimitKeepsModelAndUsage(t *testing.T) {
	p := startPipeline(t)
	pub := connect(t, p.natsURL)
	big := strings.Repeat("x", 300<<10) // 300 KiB of conversation
	lim := harborai.WithMaxBodyBytes(256 << 10)

	t.Run("openai-stream", func(t *testing.T) {
		s := newScripted(t, step{status: 200, chunks: oaiChunks(3), usage: oaiUsageChunk})
		cl := oaiClient(s, recordedClient(pub, s, &http.Client{Transport: baseTransport(t)}, lim))
		st := cl.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
			Model: openai.ChatModelGPT4oMini, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(big)}})
		for st.Next() {
		}
		if err := st.Err(); err != nil {
			t.Fatal(err)
		}
		_ = st.Close()
		calls := callsAt(t, p, s, 1)
		checkCalls(t, calls, "openai", []wantCall{{status: "success", http: 200, usage: true, stream: true}})
		for _, c := range calls {
			if c.Model != "gpt-4o-mini" {
				t.Errorf("stored model %q, want gpt-4o-mini", c.Model)
			}
		}
	})
	t.Run("openai-stream-default-limit-image", func(t *testing.T) {
		// A 4.5 MiB base64 image, under the default 4 MiB limit.
		img := "data:image/png;base64," + strings.Repeat("QUJD", (9<<20)/8)
		s := newScripted(t, step{status: 200, chunks: oaiChunks(3), usage: oaiUsageChunk})
		cl := oaiClient(s, recordedClient(pub, s, &http.Client{Transport: baseTransport(t)}))
		st := cl.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
			Model: openai.ChatModelGPT4oMini, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(
				[]openai.ChatCompletionContentPartUnionParam{openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: img})})}})
		for st.Next() {
		}
		if err := st.Err(); err != nil {
			t.Fatal(err)
		}
		_ = st.Close()
		t.Logf("request body %d bytes", len(s.attempts()[0].body))
		calls := callsAt(t, p, s, 1)
		checkCalls(t, calls, "openai", []wantCall{{status: "success", http: 200, usage: true, stream: true}})
		for _, c := range calls {
			if c.Model != "gpt-4o-mini" {
				t.Errorf("stored model %q, want gpt-4o-mini", c.Model)
			}
		}
	})
	t.Run("anthropic", func(t *testing.T) {
		s := newScripted(t, step{status: 200, body: antMsgJSON})
		cl := antClient(s, recordedClient(pub, s, &http.Client{Transport: baseTransport(t)}, lim))
		if _, err := cl.Messages.New(context.Background(), anthropic.MessageNewParams{Model: anthropic.ModelClaudeHaiku4_5, MaxTokens: 256,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(big))}}); err != nil {
			t.Fatal(err)
		}
		calls := callsAt(t, p, s, 1)
		checkCalls(t, calls, "anthropic", []wantCall{{status: "success", http: 200, usage: true}})
		for _, c := range calls {
			if c.Model != "claude-haiku-4-5" {
				t.Errorf("stored model %q, want claude-haiku-4-5", c.Model)
			}
		}
	})
}

// TestSDKRetriedErrorBodyKept: the Anthropic SDK closes each response it
// retries at once, unread; the stored attempt keeps the vendor's error
// object and message all the same (closeGrace). openai-go drops them
// unclosed.
func TestSDKRetriedErrorBodyKept(t *testing.T) {
	p := startPipeline(t)
	pub := connect(t, p.natsURL)
	s := newScripted(t,
		step{status: 529, header: map[string]string{"retry-after-ms": "5"}, body: antErr529},
		step{status: 429, header: map[string]string{"retry-after-ms": "5"}, body: antErr429},
		step{status: 200, body: antMsgJSON})
	cl := antClient(s, recordedClient(pub, s, &http.Client{Transport: baseTransport(t)}), anthropicoption.WithMaxRetries(3))
	if _, err := cl.Messages.New(context.Background(), antParams); err != nil {
		t.Fatal(err)
	}
	calls := callsAt(t, p, s, 3)
	for i, c := range calls[:min(2, len(calls))] {
		if c.ResponseBody == nil || c.ErrorMessage == "" {
			t.Errorf("retried attempt %d stored without the vendor's error object: %s", i, describeCall(c))
		}
	}
}

// TestSDKParallelRetries: many concurrent SDK calls, each retried once, are
// each stored once per attempt.
func TestSDKParallelRetries(t *testing.T) {
	p := startPipeline(t)
	pub := connect(t, p.natsURL)
	srv := newScripted(t, step{status: 200, body: oaiChatJSON})
	// First attempt of every call 429, retry 200.
	srv.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("X-Stainless-Retry-Count") == "0" {
			w.Header().Set("retry-after-ms", "5")
			w.WriteHeader(429)
			_, _ = w.Write([]byte(oaiErr429))
			return
		}
		_, _ = w.Write([]byte(oaiChatJSON))
	})
	client := recordedClient(pub, srv, &http.Client{Transport: baseTransport(t)})
	cl := oaiClient(srv, client)
	var wg sync.WaitGroup
	const n = 40
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := cl.Chat.Completions.New(context.Background(), oaiParams, option.WithMaxRetries(2)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	calls := callsAt(t, p, srv, 2*n)
	ok, e429 := 0, 0
	for _, c := range calls {
		switch {
		case c.Status == "success" && c.Usage != nil:
			ok++
		case c.ErrorType == "http_429":
			e429++
		default:
			t.Errorf("unexpected %s", describeCall(c))
		}
	}
	if ok != n || e429 != n || len(calls) != 2*n {
		t.Errorf("stored %d calls: %d success, %d http_429; want %d each", len(calls), ok, e429, n)
	}
}

// TestSDKStreamVendorErrorIsAnError: a vendor error inside an HTTP 200
// stream. The SDKs stop at the error event and close the body before its
// end, so the Transport records "abandoned"; the ingestor stores the call
// error / vendor_error, as it does a success whose body says error.
func TestSDKStreamVendorErrorIsAnError(t *testing.T) {
	p := startPipeline(t)
	pub := connect(t, p.natsURL)
	oaiErrEvent := `data: {"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}` + "\n\n"
	antErrEvent := "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
	t.Run("openai", func(t *testing.T) {
		s := newScripted(t, step{status: 200, chunks: append(oaiChunks(2)[:2], oaiErrEvent, ""), chunkDelay: 50e6})
		for _, c := range []*http.Client{{Transport: baseTransport(t)}, recordedClient(pub, s, &http.Client{Transport: baseTransport(t)})} {
			st := oaiClient(s, c).Chat.Completions.NewStreaming(context.Background(), oaiParams)
			for st.Next() {
			}
			t.Logf("SDK: %v", st.Err())
			_ = st.Close()
		}
		checkCalls(t, callsAt(t, p, s, 1), "openai", []wantCall{{status: "error", errType: "vendor_error", http: 200, stream: true}})
	})
	t.Run("anthropic", func(t *testing.T) {
		s := newScripted(t, step{status: 200, chunks: append(antChunks(2)[:3], antErrEvent, ""), chunkDelay: 50e6})
		for _, c := range []*http.Client{{Transport: baseTransport(t)}, recordedClient(pub, s, &http.Client{Transport: baseTransport(t)})} {
			st := antClient(s, c).Messages.NewStreaming(context.Background(), antParams)
			for st.Next() {
			}
			t.Logf("SDK: %v", st.Err())
			_ = st.Close()
		}
		checkCalls(t, callsAt(t, p, s, 1), "anthropic", []wantCall{{status: "error", errType: "vendor_error", http: 200, stream: true}})
	})
}
