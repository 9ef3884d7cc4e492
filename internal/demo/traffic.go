package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// Emulator is where the demo sends its calls (*emulator.Server).
type Emulator interface {
	Endpoint(vendor, model string, stream bool) string
}

// Options shape the traffic.
type Options struct {
	Calls       int
	Concurrency int
	// ErrorEvery makes every n-th call fail with a vendor error (0 = never).
	ErrorEvery int
	Client     *http.Client
}

// Summary counts what the demo did.
type Summary struct {
	Calls            int   `json:"calls"`
	Errors           int64 `json:"errors"`
	Streams          int64 `json:"streams"`
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
}

// Run makes opts.Calls calls and records each with pub.
func Run(ctx context.Context, pub *harborai.Publisher, emu Emulator, opts Options) (Summary, error) {
	if opts.Concurrency < 1 {
		opts.Concurrency = 1
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second}
	}
	var sum Summary
	sum.Calls = opts.Calls
	var next atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	for range opts.Concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= opts.Calls || ctx.Err() != nil {
					return
				}
				if err := oneCall(ctx, pub, emu, opts, i, &sum); err != nil {
					errOnce.Do(func() { firstErr = err })
				}
			}
		})
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return sum, firstErr
}

// Usage returns the usage the demo asks the emulator to report for call i.
func Usage(i int) (prompt, completion, cached, reasoning int64) {
	prompt = int64(120 + (i*37)%900)
	completion = int64(40 + (i*53)%400)
	if i%4 == 0 {
		cached = prompt / 2
	}
	if i%5 == 0 {
		reasoning = completion / 3
	}
	return
}

func oneCall(ctx context.Context, pub *harborai.Publisher, emu Emulator, opts Options, i int, sum *Summary) error {
	ts := targets()
	t := ts[i%len(ts)]
	stream := (i/len(ts))%2 == 1
	body := t.body(t.model, promptFor(i), stream)
	url := emu.Endpoint(t.vendor, t.model, stream)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	p, c, cached, reasoning := Usage(i)
	req.Header.Set("X-Emulator-Usage", fmt.Sprintf("prompt=%d,completion=%d,cached=%d,reasoning=%d", p, c, cached, reasoning))
	failing := opts.ErrorEvery > 0 && i%opts.ErrorEvery == opts.ErrorEvery-1
	if failing {
		req.Header.Set("X-Emulator-Error", []string{"rate_limit", "server"}[i%2])
	}

	call := pub.NewCall(ctx, harborai.CallInfo{Provider: t.provider, Model: t.model, Endpoint: url, Stream: stream,
		Tags: event.Tags{SessionID: fmt.Sprintf("demo-session-%d", i%7)}})
	_ = call.Request(event.Request{Method: http.MethodPost, URL: url, Body: string(body)})

	resp, err := opts.Client.Do(req)
	if err != nil {
		_ = call.Response(event.Response{Status: event.StatusError, ErrorType: "transport", ErrorMessage: err.Error()})
		atomic.AddInt64(&sum.Errors, 1)
		return nil
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	first := make([]byte, 1)
	var firstAt *time.Time
	if n, _ := io.ReadFull(resp.Body, first); n == 1 {
		now := time.Now().UTC()
		firstAt = &now
		buf.Write(first)
	}
	_, rerr := io.Copy(&buf, resp.Body)
	r := event.Response{Status: event.StatusSuccess, HTTPStatus: resp.StatusCode, FirstByteAt: firstAt, Body: buf.String()}
	switch {
	case rerr != nil:
		r.Status, r.ErrorType, r.ErrorMessage = event.StatusError, "transport", rerr.Error()
	case resp.StatusCode >= 400:
		r.Status, r.ErrorType = event.StatusError, fmt.Sprintf("http_%d", resp.StatusCode)
	}
	if r.Status == event.StatusError {
		atomic.AddInt64(&sum.Errors, 1)
	} else {
		atomic.AddInt64(&sum.PromptTokens, p)
		atomic.AddInt64(&sum.CompletionTokens, c)
	}
	if stream {
		atomic.AddInt64(&sum.Streams, 1)
	}
	_ = call.Response(r)
	return nil
}
