package harborai_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go"
	"github.com/openai/openai-go/option"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
	"github.com/harborai/ingest/pkg/record"
)

const (
	oaiChatJSON = `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"hi there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}`
	oaiErr429   = `{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}`
	oaiErr500   = `{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}`
	oaiErr503   = `{"error":{"message":"Service unavailable","type":"server_error","param":null,"code":null}}`
	antMsgJSON  = `{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"hi there"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":11,"output_tokens":7}}`
	antErr429   = `{"type":"error","error":{"type":"rate_limit_error","message":"Rate limited"}}`
	antErr500   = `{"type":"error","error":{"type":"api_error","message":"Internal server error"}}`
	antErr529   = `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`
)

func oaiChunks(n int) []string {
	var cs []string
	cs = append(cs, `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`+"\n\n")
	for i := range n {
		cs = append(cs, fmt.Sprintf(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"tok%d "},"finish_reason":null}]}`+"\n\n", i))
	}
	cs = append(cs, `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n")
	cs = append(cs, "data: [DONE]\n\n")
	return cs
}

const oaiUsageChunk = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}` + "\n\n"

func antChunks(n int) []string {
	cs := []string{
		"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-haiku-4-5\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":11,\"output_tokens\":1}}}\n\n",
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
		"event: ping\ndata: {\"type\":\"ping\"}\n\n",
	}
	for i := range n {
		cs = append(cs, fmt.Sprintf("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"tok%d \"}}\n\n", i))
	}
	cs = append(cs,
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":7}}\n\n",
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
	)
	return cs
}

func oaiClient(s *scripted, c *http.Client, opts ...option.RequestOption) *openai.Client {
	cl := openai.NewClient(append([]option.RequestOption{
		option.WithBaseURL(s.srv.URL + "/v1"), option.WithHTTPClient(c), option.WithAPIKey("sk-" + secret),
	}, opts...)...)
	return &cl
}

func antClient(s *scripted, c *http.Client, opts ...anthropicoption.RequestOption) *anthropic.Client {
	cl := anthropic.NewClient(append([]anthropicoption.RequestOption{
		anthropicoption.WithBaseURL(s.srv.URL + "/ant/"), anthropicoption.WithHTTPClient(c), anthropicoption.WithAPIKey("sk-ant-" + secret),
	}, opts...)...)
	return &cl
}

var oaiParams = openai.ChatCompletionNewParams{
	Model:    openai.ChatModelGPT4oMini,
	Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello.")},
}

var antParams = anthropic.MessageNewParams{
	Model:     anthropic.ModelClaudeHaiku4_5,
	MaxTokens: 256,
	Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Say hello."))},
}

// describeErr is what the application can see of an SDK error.
func describeErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	var oe *openai.Error
	var ae *anthropic.Error
	switch {
	case errors.As(err, &oe):
		return fmt.Sprintf("openai.Error status=%d type=%q code=%q msg=%q err=%q", oe.StatusCode, oe.Type, oe.Code, oe.Message, err.Error())
	case errors.As(err, &ae):
		return fmt.Sprintf("anthropic.Error status=%d req=%q err=%q", ae.StatusCode, ae.RequestID, err.Error())
	}
	return fmt.Sprintf("%T %q deadline=%v canceled=%v", err, err.Error(), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled))
}

// outcome is what one SDK call gave the application and what the server saw.
type outcome struct {
	value    string
	err      string
	attempts []seen
}

func gaps(as []seen) []time.Duration {
	var ds []time.Duration
	for i := 1; i < len(as); i++ {
		ds = append(ds, as[i].at.Sub(as[i-1].at))
	}
	return ds
}

func retryCounts(as []seen) []string {
	var rs []string
	for _, a := range as {
		rs = append(rs, a.header.Get("X-Stainless-Retry-Count"))
	}
	return rs
}

// sideBySide makes the SDK call run once through a plain client and once
// through the Transport, against s, and checks they gave the application
// the same (compareOutcomes). The context ends after each: openai-go drops
// the responses it retries unread and unclosed, whose connections it frees.
func sideBySide(t *testing.T, pub *harborai.Publisher, s *scripted, run func(ctx context.Context, c *http.Client) outcome) {
	t.Helper()
	do := func(c *http.Client) outcome {
		s.reset()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		o := run(ctx, c)
		o.attempts = s.attempts()
		return o
	}
	plain := do(&http.Client{Transport: baseTransport(t)})
	rec := do(recordedClient(pub, s, &http.Client{Transport: baseTransport(t)}))
	compareOutcomes(t, plain, rec)
}

// compareOutcomes checks the recorded call gave what the plain one did: the
// value, the error, the attempts and their retry counts. The delays
// between attempts are logged, not compared: timing is the machine's.
func compareOutcomes(t *testing.T, plain, rec outcome) {
	t.Helper()
	if plain.value != rec.value {
		t.Errorf("value differs:\n plain    %s\n recorded %s", plain.value, rec.value)
	}
	if plain.err != rec.err {
		t.Errorf("error differs:\n plain    %s\n recorded %s", plain.err, rec.err)
	}
	if len(plain.attempts) != len(rec.attempts) {
		t.Errorf("attempts: plain %d, recorded %d", len(plain.attempts), len(rec.attempts))
		return
	}
	if p, r := retryCounts(plain.attempts), retryCounts(rec.attempts); strings.Join(p, ",") != strings.Join(r, ",") {
		t.Errorf("X-Stainless-Retry-Count: plain %v, recorded %v", p, r)
	}
	t.Logf("attempts %d, delays plain %v recorded %v", len(rec.attempts), gaps(plain.attempts), gaps(rec.attempts))
}

// wantCalls checks the stored calls, in order, against want (status,
// error type, http status, usage present).
type wantCall struct {
	status, errType string
	http            int
	usage           bool
	stream          bool
}

func checkCalls(t *testing.T, calls []record.Call, provider string, want []wantCall) {
	t.Helper()
	if len(calls) != len(want) {
		t.Errorf("stored %d calls, want %d:\n%s", len(calls), len(want), describeCalls(calls))
		return
	}
	for i, w := range want {
		c := calls[i]
		hs := 0
		if c.HTTPStatus != nil {
			hs = *c.HTTPStatus
		}
		hasUsage := c.Usage != nil && c.Usage.PromptTokens != nil && *c.Usage.PromptTokens == 11 && c.Usage.CompletionTokens != nil && *c.Usage.CompletionTokens == 7
		t.Logf("call %d: %s", i, describeCall(c))
		if c.Provider != provider || c.DisplayStatus() != w.status || c.ErrorType != w.errType || hs != w.http || hasUsage != w.usage || c.Stream != w.stream {
			t.Errorf("call %d: %s\n want provider=%s stream=%v status=%s error_type=%q http=%d usage=%v", i, describeCall(c), provider, w.stream, w.status, w.errType, w.http, w.usage)
		}
	}
}

// TestSDKRetries: each SDK retries 429/5xx/529 then gets a 200, with
// and without the Transport.
func TestSDKRetries(t *testing.T) {
	p := startPipeline(t)
	pub := connect(t, p.natsURL)

	t.Run("openai", func(t *testing.T) {
		s := newScripted(t,
			step{status: 429, header: map[string]string{"retry-after-ms": "40"}, body: oaiErr429},
			step{status: 500, header: map[string]string{"retry-after": "1"}, body: oaiErr500},
			step{status: 503, body: oaiErr503}, // SDK's own backoff
			step{status: 200, body: oaiChatJSON},
		)
		sideBySide(t, pub, s, func(ctx context.Context, c *http.Client) outcome {
			cl := oaiClient(s, c, option.WithMaxRetries(3))
			res, err := cl.Chat.Completions.New(ctx, oaiParams)
			v := ""
			if res != nil {
				v = res.RawJSON()
			}
			return outcome{value: v, err: describeErr(err)}
		})
		checkCalls(t, callsAt(t, p, s, 4), "openai", []wantCall{
			{status: "error", errType: "http_429", http: 429},
			{status: "error", errType: "http_500", http: 500},
			{status: "error", errType: "http_503", http: 503},
			{status: "success", http: 200, usage: true},
		})
	})

	t.Run("openai-exhausted", func(t *testing.T) {
		s := newScripted(t, step{status: 429, header: map[string]string{"retry-after-ms": "20"}, body: oaiErr429})
		sideBySide(t, pub, s, func(ctx context.Context, c *http.Client) outcome {
			cl := oaiClient(s, c, option.WithMaxRetries(2))
			_, err := cl.Chat.Completions.New(ctx, oaiParams)
			return outcome{err: describeErr(err)}
		})
		checkCalls(t, callsAt(t, p, s, 3), "openai", []wantCall{
			{status: "error", errType: "http_429", http: 429},
			{status: "error", errType: "http_429", http: 429},
			{status: "error", errType: "http_429", http: 429},
		})
	})

	t.Run("openai-stream", func(t *testing.T) {
		s := newScripted(t,
			step{status: 429, header: map[string]string{"retry-after-ms": "30"}, body: oaiErr429},
			step{status: 200, chunks: oaiChunks(4), usage: oaiUsageChunk},
		)
		sideBySide(t, pub, s, func(ctx context.Context, c *http.Client) outcome {
			cl := oaiClient(s, c, option.WithMaxRetries(3))
			st := cl.Chat.Completions.NewStreaming(ctx, oaiParams)
			acc := openai.ChatCompletionAccumulator{}
			for st.Next() {
				acc.AddChunk(st.Current())
			}
			err := st.Err()
			_ = st.Close()
			return outcome{value: mustJSON(acc.ChatCompletion), err: describeErr(err)}
		})
		checkCalls(t, callsAt(t, p, s, 2), "openai", []wantCall{
			{status: "error", errType: "http_429", http: 429, stream: true},
			{status: "success", http: 200, usage: true, stream: true},
		})
	})

	t.Run("anthropic", func(t *testing.T) {
		s := newScripted(t,
			step{status: 429, header: map[string]string{"retry-after-ms": "40"}, body: antErr429},
			step{status: 500, header: map[string]string{"retry-after": "1"}, body: antErr500},
			step{status: 529, body: antErr529},
			step{status: 200, body: antMsgJSON},
		)
		sideBySide(t, pub, s, func(ctx context.Context, c *http.Client) outcome {
			cl := antClient(s, c, anthropicoption.WithMaxRetries(3))
			res, err := cl.Messages.New(ctx, antParams)
			v := ""
			if res != nil {
				v = res.RawJSON()
			}
			return outcome{value: v, err: describeErr(err)}
		})
		checkCalls(t, callsAt(t, p, s, 4), "anthropic", []wantCall{
			{status: "error", errType: "http_429", http: 429},
			{status: "error", errType: "http_500", http: 500},
			{status: "error", errType: "http_529", http: 529},
			{status: "success", http: 200, usage: true},
		})
	})

	t.Run("anthropic-exhausted-529", func(t *testing.T) {
		s := newScripted(t, step{status: 529, header: map[string]string{"retry-after-ms": "20"}, body: antErr529})
		sideBySide(t, pub, s, func(ctx context.Context, c *http.Client) outcome {
			cl := antClient(s, c, anthropicoption.WithMaxRetries(2))
			_, err := cl.Messages.New(ctx, antParams)
			return outcome{err: describeErr(err)}
		})
		checkCalls(t, callsAt(t, p, s, 3), "anthropic", []wantCall{
			{status: "error", errType: "http_529", http: 529},
			{status: "error", errType: "http_529", http: 529},
			{status: "error", errType: "http_529", http: 529},
		})
	})

	t.Run("anthropic-stream", func(t *testing.T) {
		s := newScripted(t,
			step{status: 529, header: map[string]string{"retry-after-ms": "30"}, body: antErr529},
			step{status: 200, chunks: antChunks(4)},
		)
		sideBySide(t, pub, s, func(ctx context.Context, c *http.Client) outcome {
			cl := antClient(s, c, anthropicoption.WithMaxRetries(3))
			st := cl.Messages.NewStreaming(ctx, antParams)
			var msg anthropic.Message
			var accErr error
			for st.Next() {
				if err := msg.Accumulate(st.Current()); err != nil && accErr == nil {
					accErr = err
				}
			}
			err := st.Err()
			_ = st.Close()
			return outcome{value: mustJSON(msg) + fmt.Sprint(accErr), err: describeErr(err)}
		})
		checkCalls(t, callsAt(t, p, s, 2), "anthropic", []wantCall{
			{status: "error", errType: "http_529", http: 529, stream: true},
			{status: "success", http: 200, usage: true, stream: true},
		})
	})
}

var _ = event.StatusSuccess
