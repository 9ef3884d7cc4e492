package harborai_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/harborai/ingest/internal/broker"
	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/internal/natstest"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// The client's benchmarks (SPEC §13): the caller-side cost of Publish, and
// calls through the Transport against calls through a plain http.Client,
// both to the loopback emulator, with events published to an in-process
// NATS server in the background.
//
//	go test -run '^$' -bench 'Publish|Transport|PlainClient' -benchmem ./pkg/harborai

func sampleEvent() *event.Event {
	body := `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"你好！这是模拟的回答，used by HarborAI to test token usage."},"finish_reason":"stop"}],"usage":{"prompt_tokens":40,"completion_tokens":12,"total_tokens":52}}`
	now := time.Now().UTC()
	return &event.Event{
		SchemaVersion: event.SchemaVersion, Kind: event.KindResponse,
		EventID: event.NewID(), CallID: event.NewID(), HBTraceID: event.NewHBTraceID(now),
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7",
		Provider: "openai", Model: "gpt-4o-mini", StartedAt: now,
		Response: &event.Response{Status: event.StatusSuccess, HTTPStatus: 200, FinishedAt: now, Body: body},
	}
}

// startBenchBroker is an in-process NATS server whose events stream keeps
// the newest 256 MiB: nothing consumes it, and the benchmarks publish more
// than the ingestor's stream (4 GiB, refusing publishes when full) holds.
func startBenchBroker(b *testing.B) *natstest.Server {
	b.Helper()
	srv := natstest.Start(b)
	js, err := jetstream.New(srv.Conn(b))
	if err != nil {
		b.Fatalf("jetstream.New() = %v", err)
	}
	_, err = js.CreateOrUpdateStream(context.Background(), jetstream.StreamConfig{
		Name: broker.DefaultStreamConfig().Stream, Subjects: []string{event.SubjectWildcard},
		Storage: jetstream.FileStorage, MaxBytes: 256 << 20, Discard: jetstream.DiscardOld,
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		b.Fatalf("create stream: %v", err)
	}
	return srv
}

// BenchmarkPublish is the cost of Publish on the caller's goroutine.
// "enqueue" paces the calls so the queue never fills (the normal case) and
// reports the p50 and p99 of single calls; "saturated" publishes as fast as
// it can, so most calls find the queue full and take the drop path.
func BenchmarkPublish(b *testing.B) {
	srv := startBenchBroker(b)
	tmpl := sampleEvent()

	b.Run("enqueue", func(b *testing.B) {
		pub := connect(b, srv.ClientURL())
		lat := make([]time.Duration, 0, 1<<16)
		b.ReportAllocs()
		for b.Loop() {
			for pub.Stats().Buffered > 2000 { // let the background catch up, untimed
				b.StopTimer()
				time.Sleep(100 * time.Microsecond)
				b.StartTimer()
			}
			ev := *tmpl
			ev.EventID = event.NewID()
			start := time.Now()
			_ = pub.Publish(&ev)
			lat = append(lat, time.Since(start))
		}
		b.StopTimer()
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
		st := pub.Stats()
		b.ReportMetric(float64(st.Dropped), "dropped")
	})

	b.Run("saturated", func(b *testing.B) {
		pub := connect(b, srv.ClientURL())
		b.ReportAllocs()
		for b.Loop() {
			ev := *tmpl
			_ = pub.Publish(&ev)
		}
		b.StopTimer()
		st := pub.Stats()
		b.ReportMetric(float64(st.Dropped)/float64(st.Attempted), "dropped/op")
	})
}

// BenchmarkTransport calls the emulator through the Transport; compare with
// BenchmarkPlainClient. ttfb-µs is the mean time to the first body byte.
func BenchmarkTransport(b *testing.B) {
	srv := startBenchBroker(b)
	emu := startEmulator(b)
	pub := connect(b, srv.ClientURL())
	client := pub.HTTPClient(&http.Client{Transport: baseTransport(b)}, emulatorBases(emu)...)
	benchCalls(b, client, emu)
}

// BenchmarkPlainClient is BenchmarkTransport's baseline.
func BenchmarkPlainClient(b *testing.B) {
	emu := startEmulator(b)
	benchCalls(b, &http.Client{Transport: baseTransport(b)}, emu)
}

func benchCalls(b *testing.B, client *http.Client, emu *emulator.Server) {
	for _, stream := range []bool{false, true} {
		name := "chat"
		if stream {
			name = "stream"
		}
		b.Run(name, func(b *testing.B) {
			vc := vendorCall{vendor: "openai", model: models["openai"], stream: stream}
			var ttfb time.Duration
			b.ReportAllocs()
			for b.Loop() {
				ttfb += benchCall(b, client, vc.request(b, context.Background(), emu, "benchmark"))
			}
			b.ReportMetric(float64(ttfb.Microseconds())/float64(b.N), "ttfb-µs")
		})
	}
}

// BenchmarkTransportVsPlain alternates calls through the Transport and
// through a plain client, so both see the same machine (each call's request
// is built before its clock starts, and the two take turns going first, so
// neither always follows the other's work), and reports the
// ratio of their median latencies and the difference of their median
// times to the first byte, with the two medians (plain-µs, recorded-µs).
// The background work a recorded call brings (encoding, publishing, the
// in-process NATS server storing the events) runs on the same two cores
// and lands on whichever calls it overlaps, plain ones included.
//
// In "stream" the Transport adds stream_options.include_usage to the
// request, as it does for every OpenAI-compatible stream, so the emulator
// also writes "usage": null in each chunk and a usage chunk, which the plain
// call does not ask for: the figure includes that extra work of the vendor.
// "stream-usage" has the plain call ask for usage itself, so both calls
// cost the emulator the same and the figure is the recording alone (the
// Transport does not rewrite a body that asks already).
// BenchmarkIncludeUsageCost measures the two parts of "stream"'s gap apart:
// the emulator's work for usage, and the recording with the rewrite and the
// filter.
//
// "chat-unrecognised" goes through a Transport that recognises no call of
// the emulator's, so records nothing: its ratio is what the harness itself
// gives two clients that do the same work (1.00 within the noise), and
// added-µs (the difference of the medians) is then what recording costs a
// call in the other rows.
//
// "chat-copy-only" goes through copyOnly, a RoundTripper that does the
// least any recorder at the HTTP layer must: it copies the request body and
// the response bytes as the caller reads them, and publishes nothing. Its
// ratio is the floor under the "chat" row's.
//
// "chat" also times, in the same loop and taking turns with the other two,
// floorRecorder: the least a recorder that publishes must do, copyOnly's
// copies and a request and a response event that say no more than the
// schema requires (ids from a counter; no header, vendor, model or
// redaction), published through the same Publisher. floor-ratio is its
// ratio, the floor under latency-ratio; over-floor-µs is what the
// Transport adds to it.
func BenchmarkTransportVsPlain(b *testing.B) {
	srv := startBenchBroker(b)
	emu := startEmulator(b)
	pub := connect(b, srv.ClientURL())
	plain := &http.Client{Transport: baseTransport(b)}
	recorded := pub.HTTPClient(&http.Client{Transport: baseTransport(b)}, emulatorBases(emu)...)
	// Without the emulator's base URLs the Transport recognises none of its
	// calls and passes them through: the harness's own floor.
	unrecorded := pub.HTTPClient(&http.Client{Transport: baseTransport(b)})
	copier := &copyOnly{base: baseTransport(b)}
	copied := &http.Client{Transport: copier}
	floor := &http.Client{Transport: &floorRecorder{base: baseTransport(b), pub: pub}}
	for _, tc := range []struct {
		name                   string
		stream, plainAsksUsage bool
		through                *http.Client
		events                 int64 // published a call
		floor                  bool  // floorRecorder's calls too
	}{
		{"chat", false, false, recorded, 2, true},
		{"stream", true, false, recorded, 2, false},
		{"stream-usage", true, true, recorded, 2, false},
		{"chat-unrecognised", false, false, unrecorded, 0, false},
		{"chat-copy-only", false, false, copied, 0, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			recorded := tc.through
			before := pub.Stats()
			calls, bytes := copier.calls.Load(), copier.bytes.Load()
			vc := vendorCall{vendor: "openai", model: models["openai"], stream: tc.stream}
			vp := vc
			vp.askUsage = tc.plainAsksUsage
			var lp, lr, lf, tp, tr, tf []time.Duration
			type timedCall struct {
				client    *http.Client
				call      vendorCall
				lat, ttfb *[]time.Duration
			}
			clients := []timedCall{{plain, vp, &lp, &tp}, {recorded, vc, &lr, &tr}}
			events := tc.events
			if tc.floor {
				clients, events = append(clients, timedCall{floor, vc, &lf, &tf}), events+2
			}
			reqs := make([]*http.Request, len(clients))
			for i := 0; b.Loop(); i++ {
				// The requests are built before the clock starts, and the
				// calls take turns going first.
				for j, c := range clients {
					reqs[j] = c.call.request(b, context.Background(), emu, "benchmark")
				}
				for j := range clients {
					k := (i + j) % len(clients)
					c := clients[k]
					start := time.Now()
					*c.ttfb = append(*c.ttfb, benchCall(b, c.client, reqs[k]))
					*c.lat = append(*c.lat, time.Since(start))
				}
			}
			after := pub.Stats()
			if got, want := after.Attempted-before.Attempted, events*int64(b.N); got != want {
				b.Fatalf("%d events for %d calls, want %d", got, b.N, want)
			}
			if after.Dropped != before.Dropped {
				b.Fatalf("%d events dropped", after.Dropped-before.Dropped)
			}
			if recorded == copied {
				// Each call's request and response, whole.
				n, size := copier.calls.Load()-calls, copier.bytes.Load()-bytes
				if n != int64(b.N) || size < int64(b.N)*(int64(len(`{"model":""}`))+int64(len(`{"choices":[]}`))) {
					b.Fatalf("copyOnly copied %d calls, %d bytes, for %d calls", n, size, b.N)
				}
			}
			b.ReportMetric(float64(median(lr))/float64(median(lp)), "latency-ratio")
			b.ReportMetric(float64((median(lr)-median(lp)).Nanoseconds())/1e3, "added-µs")
			b.ReportMetric(float64((median(tr)-median(tp)).Nanoseconds())/1e3, "ttfb-delta-µs")
			b.ReportMetric(float64(median(lp).Nanoseconds())/1e3, "plain-µs")
			b.ReportMetric(float64(median(lr).Nanoseconds())/1e3, "recorded-µs")
			if tc.floor {
				b.ReportMetric(float64(median(lf))/float64(median(lp)), "floor-ratio")
				b.ReportMetric(float64((median(lr)-median(lf)).Nanoseconds())/1e3, "over-floor-µs")
			}
		})
	}
}

// copyOnly is the least a recorder at the HTTP layer does: it copies the
// request body (through GetBody, as the Transport does) and the response
// body as the caller reads it, into buffers of the bodies' lengths, and
// counts the calls and the bytes when a body ends. No event, id, header or
// publisher.
type copyOnly struct {
	base         http.RoundTripper
	calls, bytes atomic.Int64
}

func (c *copyOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	sent, err := sentBody(req)
	if err != nil {
		return nil, err
	}
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = newCopiedBody(resp, sent, c)
	return resp, nil
}

// bodyEnded counts a copied call (copyOnly).
func (c *copyOnly) bodyEnded(b *copiedBody) {
	c.calls.Add(1)
	c.bytes.Add(int64(len(b.sent) + len(b.got)))
}

// sentBody is a copy of req's body, read through GetBody as the Transport
// reads it; nil without GetBody.
func sentBody(req *http.Request) ([]byte, error) {
	if req.GetBody == nil {
		return nil, nil
	}
	rc, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	if req.ContentLength <= 0 {
		return io.ReadAll(rc)
	}
	sent := make([]byte, req.ContentLength)
	_, err = io.ReadFull(rc, sent)
	return sent, err
}

// copiedBody passes a response body on and copies it as the caller reads
// it; at its end (EOF, a read error or Close) it tells done, once.
type copiedBody struct {
	rc        io.ReadCloser
	sent, got []byte
	status    int
	done      interface{ bodyEnded(*copiedBody) } // nil once told
}

func newCopiedBody(resp *http.Response, sent []byte, done interface{ bodyEnded(*copiedBody) }) *copiedBody {
	return &copiedBody{rc: resp.Body, sent: sent, status: resp.StatusCode, done: done, got: make([]byte, 0, max(resp.ContentLength, 512))}
}

func (b *copiedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.got = append(b.got, p[:n]...)
	if err != nil {
		b.end()
	}
	return n, err
}

func (b *copiedBody) Close() error {
	b.end()
	return b.rc.Close()
}

func (b *copiedBody) end() {
	if b.done != nil {
		b.done.bodyEnded(b)
		b.done = nil
	}
}

// floorRecorder is the least a recorder that publishes does (see
// BenchmarkTransportVsPlain): copyOnly's copies, and for each call a request
// and a response event with what the schema requires, in one allocation,
// published as the call starts and ends.
type floorRecorder struct {
	base  http.RoundTripper
	pub   *harborai.Publisher
	calls atomic.Int64
}

// floorEvents are a call's two events.
type floorEvents struct {
	pub       *harborai.Publisher
	req, resp event.Event
	request   event.Request
	response  event.Response
}

func (f *floorRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	started := time.Now()
	sent, err := sentBody(req)
	if err != nil {
		return nil, err
	}
	evs := &floorEvents{pub: f.pub}
	n := strconv.FormatInt(f.calls.Add(1), 10)
	evs.request = event.Request{Method: req.Method, URL: req.URL.Path, Body: unsafe.String(unsafe.SliceData(sent), len(sent))}
	evs.req = event.Event{SchemaVersion: event.SchemaVersion, Kind: event.KindRequest, EventID: "q" + n, CallID: n,
		Provider: "openai", StartedAt: started, Request: &evs.request}
	_ = f.pub.Publish(&evs.req) // counted, as the benchmark checks
	resp, err := f.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = newCopiedBody(resp, sent, evs)
	return resp, nil
}

// bodyEnded publishes the response event.
func (evs *floorEvents) bodyEnded(b *copiedBody) {
	evs.response = event.Response{Status: event.StatusSuccess, HTTPStatus: b.status, FinishedAt: time.Now(),
		Body: unsafe.String(unsafe.SliceData(b.got), len(b.got))}
	evs.resp = evs.req
	evs.resp.Kind, evs.resp.EventID, evs.resp.Request, evs.resp.Response = event.KindResponse, "r"+evs.req.CallID, nil, &evs.response
	_ = evs.pub.Publish(&evs.resp)
}

// benchCall makes one call, reads it whole and returns the time to its
// first body byte.
func benchCall(b *testing.B, client *http.Client, req *http.Request) time.Duration {
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		b.Fatalf("Do() = %v", err)
	}
	var one [1]byte
	if _, err := io.ReadFull(resp.Body, one[:]); err != nil {
		b.Fatalf("read = %v", err)
	}
	ttfb := time.Since(start)
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		b.Fatalf("read = %v", err)
	}
	resp.Body.Close()
	return ttfb
}

var _ = harborai.DefaultMaxBodyBytes

// memoryTransport answers every request at once with a canned chat
// completion, from memory: no network, no server.
type memoryTransport struct{ body []byte }

func (m memoryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return answer(req, "application/json", io.NopCloser(bytes.NewReader(m.body)), int64(len(m.body))), nil
}

// answer is the 200 response an in-memory base gives req: body, of
// contentType and length (-1: unknown, a stream).
func answer(req *http.Request, contentType string, body io.ReadCloser, length int64) *http.Response {
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {contentType}},
		Body:          body,
		ContentLength: length,
		Request:       req,
	}
}

// memoryStream answers every request at once with a canned chat completion
// stream, from memory, one SSE event per Read as a vendor flushes them;
// with the usage-only chunk when the request asks for it.
type memoryStream struct{ events, usage []string }

func (m memoryStream) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		_ = req.Body.Close()
	}
	events := m.events
	if bytes.Contains(body, []byte(`"include_usage":true`)) {
		events = m.usage
	}
	return answer(req, "text/event-stream; charset=utf-8", &eventReader{events: events}, -1), nil
}

// eventReader returns one event per Read.
type eventReader struct {
	events []string
	off    int
}

func (r *eventReader) Read(p []byte) (int, error) {
	if len(r.events) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.events[0][r.off:])
	if r.off += n; r.off == len(r.events[0]) {
		r.events, r.off = r.events[1:], 0
	}
	return n, nil
}

func (r *eventReader) Close() error { return nil }

// sampleStream is an OpenAI chat completion stream of a few chunks, without
// and with stream_options.include_usage.
func sampleStream() memoryStream {
	var plain, usage []string
	chunk := func(delta, finish, u string) string {
		return `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":"fp_1","choices":[{"index":0,"delta":` +
			delta + `,"logprobs":null,"finish_reason":` + finish + `}]` + u + "}\n\n"
	}
	deltas := []string{`{"role":"assistant","content":""}`, `{"content":"你好！"}`, `{"content":"这是模拟的回答，"}`, `{"content":"used by HarborAI "}`, `{"content":"to test token usage."}`}
	for _, d := range deltas {
		plain = append(plain, chunk(d, "null", ""))
		usage = append(usage, chunk(d, "null", `,"usage":null`))
	}
	plain = append(plain, chunk("{}", `"stop"`, ""), "data: [DONE]\n\n")
	usage = append(usage, chunk("{}", `"stop"`, `,"usage":null`),
		`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":"fp_1","choices":[],"usage":{"prompt_tokens":40,"completion_tokens":12,"total_tokens":52}}`+"\n\n",
		"data: [DONE]\n\n")
	return memoryStream{events: plain, usage: usage}
}

// BenchmarkTransportOverhead is the Transport's own cost on the caller's
// goroutine: calls answered from memory (memoryTransport, memoryStream),
// through the Transport and directly, alternated. overhead-ns is the
// difference of the medians: what recording adds to a call, whatever the
// vendor's latency (the background publisher runs meanwhile, on the other
// core). In "stream" the Transport adds stream_options.include_usage and
// hides the usage-only chunk; the plain call does not ask for it, so its
// stream is one chunk shorter.
//
// "chat-cold" writes to every cache line of 8 MiB before each call, so that
// both calls find the caches as a call over the network leaves them (net/http,
// the kernel and other goroutines run between two calls of an application):
// a quiet stand-in, without the network's noise, for BenchmarkTransportVsPlain,
// where the Transport costs about twice what it costs in the warm loop.
//
//	go test -run '^$' -bench BenchmarkTransportOverhead -benchmem ./pkg/harborai
func BenchmarkTransportOverhead(b *testing.B) {
	srv := startBenchBroker(b)
	pub := connect(b, srv.ClientURL())
	const chat = `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Where is my order 4521?"}]}`
	for _, tc := range []struct {
		name string
		base http.RoundTripper
		body string
		cold bool
	}{
		{"chat", memoryTransport{body: []byte(sampleEvent().Response.Body)}, chat, false},
		{"stream", sampleStream(), `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Where is my order 4521?"}],"stream":true}`, false},
		{"chat-cold", memoryTransport{body: []byte(sampleEvent().Response.Body)}, chat, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var evict func()
			if tc.cold {
				lines := make([]byte, 8<<20)
				evict = func() {
					for i := 0; i < len(lines); i += 64 {
						lines[i]++
					}
				}
			}
			benchOverhead(b, pub, tc.base, []byte(tc.body), evict)
		})
	}
}

// benchOverhead times calls through base with and without the Transport;
// evict, when not nil, runs before each call, untimed.
func benchOverhead(b *testing.B, pub *harborai.Publisher, base http.RoundTripper, body []byte, evict func()) {
	plain := &http.Client{Transport: base}
	recorded := pub.HTTPClient(&http.Client{Transport: base})
	newRequest := func() *http.Request {
		req, err := http.NewRequest(http.MethodPost, "https://api.openai.com/v1/chat/completions", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer sk-test")
		req.Header.Set("Content-Type", "application/json")
		return req
	}
	call := func(client *http.Client, req *http.Request, lat, ttfb *[]time.Duration) {
		if evict != nil {
			evict()
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var one [1]byte
		if _, err := io.ReadFull(resp.Body, one[:]); err != nil {
			b.Fatal(err)
		}
		*ttfb = append(*ttfb, time.Since(start))
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		*lat = append(*lat, time.Since(start))
	}
	var lp, lr, tp, tr []time.Duration
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rp, rr := newRequest(), newRequest()
		if i%2 == 0 {
			call(plain, rp, &lp, &tp)
			call(recorded, rr, &lr, &tr)
		} else {
			call(recorded, rr, &lr, &tr)
			call(plain, rp, &lp, &tp)
		}
		for pub.Stats().Buffered > 2000 { // let the background catch up, untimed
			b.StopTimer()
			time.Sleep(100 * time.Microsecond)
			b.StartTimer()
		}
	}
	b.ReportMetric(float64((median(lr) - median(lp)).Nanoseconds()), "overhead-ns")
	b.ReportMetric(float64((median(tr) - median(tp)).Nanoseconds()), "ttfb-overhead-ns")
	b.ReportMetric(float64(median(lp).Nanoseconds()), "plain-ns")
}
