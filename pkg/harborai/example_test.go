package harborai_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go"
	"github.com/openai/openai-go/option"

	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/store"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
	"github.com/harborai/ingest/pkg/record"
)

// The examples run against the vendor emulator and an ingestor started in
// the process (embedded NATS, the spool as the store), and print what the
// ingestor stored. A real application connects to its ingestor's NATS URL
// and calls the vendors' own hosts, which need no WithBaseURL.

// Recording every call the official OpenAI Go SDK makes: give it the
// publisher's HTTP client. Streams are recorded too; the usage the
// transport asks the vendor for is recorded, and hidden from the SDK.
func ExamplePublisher_HTTPClient() {
	emu, pipe := startExample()
	defer emu.Close()
	defer pipe.stop()

	pub, err := harborai.Connect(pipe.natsURL)
	if err != nil {
		log.Fatal(err)
	}
	// For api.openai.com this is pub.HTTPClient(nil); the emulator is
	// another base URL.
	client := pub.HTTPClient(nil, harborai.WithBaseURL("openai", emu.BaseURL("openai")))
	defer client.CloseIdleConnections()

	ctx := context.Background()
	oai := openai.NewClient(
		option.WithBaseURL(emu.BaseURL("openai")),
		option.WithHTTPClient(client),
		option.WithAPIKey("sk-example"),
	)
	params := openai.ChatCompletionNewParams{
		Model:    openai.ChatModelGPT4oMini,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello.")},
	}
	completion, err := oai.Chat.Completions.New(ctx, params)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(completion.Choices[0].Message.Content)

	stream := oai.Chat.Completions.NewStreaming(ctx, params)
	var text strings.Builder
	usageChunks := 0
	for stream.Next() {
		chunk := stream.Current()
		if len(chunk.Choices) == 0 {
			usageChunks++
			continue
		}
		text.WriteString(chunk.Choices[0].Delta.Content)
	}
	if err := stream.Err(); err != nil {
		log.Fatal(err)
	}
	_ = stream.Close()
	fmt.Println(text.String(), "| usage chunks seen by the SDK:", usageChunks)

	closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = pub.Close(closeCtx)
	for _, c := range pipe.wait(2) {
		printCall(c)
	}
	// Output:
	// 你好！这是模拟的回答，
	// 你好！这是模拟的回答， | usage chunks seen by the SDK: 0
	// openai gpt-4o-mini stream=false success prompt=12 completion=5 total=17
	// openai gpt-4o-mini stream=true success prompt=12 completion=5 total=17
}

// The official Anthropic Go SDK takes the publisher's HTTP client the same
// way. Its usage, in the stream's first and last events, is recorded as
// the SDK reads them.
func ExamplePublisher_HTTPClient_anthropic() {
	emu, pipe := startExample()
	defer emu.Close()
	defer pipe.stop()

	pub, err := harborai.Connect(pipe.natsURL)
	if err != nil {
		log.Fatal(err)
	}
	// For api.anthropic.com this is pub.HTTPClient(nil).
	client := pub.HTTPClient(nil, harborai.WithBaseURL("anthropic", emu.BaseURL("anthropic")))
	defer client.CloseIdleConnections()

	ctx := context.Background()
	claude := anthropic.NewClient(
		anthropicoption.WithBaseURL(emu.BaseURL("anthropic")),
		anthropicoption.WithHTTPClient(client),
		anthropicoption.WithAPIKey("sk-ant-example"), // never published
	)
	params := anthropic.MessageNewParams{
		Model:     anthropic.ModelClaudeHaiku4_5,
		MaxTokens: 256,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Say hello."))},
	}
	message, err := claude.Messages.New(ctx, params)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(message.Content[0].Text, "| output tokens:", message.Usage.OutputTokens)

	stream := claude.Messages.NewStreaming(ctx, params)
	var streamed anthropic.Message
	for stream.Next() {
		if err := streamed.Accumulate(stream.Current()); err != nil {
			log.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		log.Fatal(err)
	}
	_ = stream.Close()
	fmt.Println(streamed.Content[0].Text, "| output tokens:", streamed.Usage.OutputTokens)

	closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = pub.Close(closeCtx)
	for _, c := range pipe.wait(2) {
		printCall(c)
	}
	// Output:
	// 你好！这是模拟的回答， | output tokens: 5
	// 你好！这是模拟的回答， | output tokens: 5
	// anthropic claude-haiku-4-5 stream=false success prompt=12 completion=5 total=17
	// anthropic claude-haiku-4-5 stream=true success prompt=12 completion=5 total=17
}

// Any client built on net/http, here plain requests to Anthropic's Messages
// API, is recorded by wrapping its transport. Tags for a call travel in the
// request's context.
func ExampleNewTransport() {
	emu, pipe := startExample()
	defer emu.Close()
	defer pipe.stop()

	pub, err := harborai.Connect(pipe.natsURL)
	if err != nil {
		log.Fatal(err)
	}
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	client := &http.Client{Transport: harborai.NewTransport(pub, base,
		harborai.WithBaseURL("anthropic", emu.BaseURL("anthropic")))}

	ctx := harborai.ContextWithCallInfo(context.Background(), harborai.CallInfo{
		Tags: event.Tags{SessionID: "session-42", UserID: "user-7"},
	})
	body := `{"model":"claude-haiku-4-5","max_tokens":256,"stream":true,` +
		`"messages":[{"role":"user","content":"Say hello."}]}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, emu.BaseURL("anthropic")+"/v1/messages", strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", "sk-ant-example") // never published
	req.Header.Set("anthropic-version", "2023-06-01")
	resp, err := client.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	events := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "event: ") {
			events++
		}
	}
	resp.Body.Close()
	fmt.Println("SSE events read:", events)

	closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = pub.Close(closeCtx)
	for _, c := range pipe.wait(1) {
		printCall(c)
		fmt.Println("session:", c.Tags.SessionID, "user:", c.Tags.UserID)
	}
	// Output:
	// SSE events read: 12
	// anthropic claude-haiku-4-5 stream=true success prompt=12 completion=5 total=17
	// session: session-42 user: user-7
}

// An application that calls the vendor its own way logs each call after
// the fact with LogCall.
func ExamplePublisher_LogCall() {
	emu, pipe := startExample()
	defer emu.Close()
	defer pipe.stop()

	pub, err := harborai.Connect(pipe.natsURL, harborai.WithEnvironment("staging"))
	if err != nil {
		log.Fatal(err)
	}
	started := time.Now()
	reply := `{"id":"chatcmpl-1","object":"chat.completion","model":"deepseek-chat",` +
		`"choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],` +
		`"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":9}}`
	err = pub.LogCall(context.Background(),
		harborai.CallInfo{Provider: "deepseek", Model: "deepseek-chat", StartedAt: started},
		event.Request{Method: http.MethodPost, URL: "https://api.deepseek.com/chat/completions",
			Body: `{"model":"deepseek-chat","messages":[{"role":"user","content":"Hi"}]}`},
		event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: reply})
	if err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = pub.Close(ctx)
	for _, c := range pipe.wait(1) {
		printCall(c)
		fmt.Println("environment:", c.Tags.Environment)
	}
	// Output:
	// deepseek deepseek-chat stream=false success prompt=9 completion=3 total=12
	// environment: staging
}

func printCall(c record.Call) {
	u := c.Usage
	fmt.Printf("%s %s stream=%v %s prompt=%d completion=%d total=%d\n",
		c.Provider, c.Model, c.Stream, c.Status, *u.PromptTokens, *u.CompletionTokens, *u.TotalTokens)
}

// examplePipeline is an ingestor running in the example's process.
type examplePipeline struct {
	natsURL, dir string
	stop         func()
}

// startExample starts the emulator (every call reports 12 prompt and 5
// completion tokens) and an ingestor.
func startExample() (*emulator.Server, *examplePipeline) {
	emu, err := emulator.Start(emulator.Options{Usage: &emulator.Usage{Prompt: 12, Completion: 5}, Chunks: 6})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "harborai-example-")
	if err != nil {
		log.Fatal(err)
	}
	cfg := ingestor.DefaultConfig()
	cfg.DataDir, cfg.NATSListen, cfg.FlushInterval = dir, "127.0.0.1:0", 10*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	started, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- ingestor.Run(ctx, cfg, ingestor.Deps{Started: func(url, _ string) { started <- url }})
	}()
	p := &examplePipeline{dir: dir, stop: func() {
		cancel()
		if err := <-done; err != nil {
			log.Print(err)
		}
		_ = os.RemoveAll(dir)
	}}
	select {
	case p.natsURL = <-started:
	case err := <-done:
		log.Fatal(err)
	}
	return emu, p
}

// wait returns the n stored calls once each has its request and response,
// oldest first.
func (p *examplePipeline) wait(n int) []record.Call {
	st := store.NewSpoolStore(ingestor.SpoolDir(p.dir))
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		calls, err := st.List(context.Background(), store.Filter{Limit: 100})
		if err != nil {
			log.Fatal(err)
		}
		complete := 0
		for i := range calls {
			if calls[i].HasRequest() && calls[i].HasResponse() {
				complete++
			}
		}
		if complete == n {
			slices.SortFunc(calls, func(a, b record.Call) int { return a.StartedAt.Compare(b.StartedAt) })
			return calls
		}
	}
	log.Fatalf("%d calls not stored within 30s", n)
	return nil
}
