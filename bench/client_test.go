package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/bench/report"
	"github.com/harborai/ingest/pkg/harborai"
)

// ClientRow is the caller-side cost of one way of recording calls.
type ClientRow struct {
	Name       string           `json:"name"`
	Rate       float64          `json:"rate"` // calls/s asked
	GOMAXPROCS int              `json:"gomaxprocs"`
	Calls      int              `json:"calls"`
	PerCall    report.Durations `json:"per_call"`
	// Parts: NewCall, Request, Response apart (recordCall only).
	Parts     [3]report.Durations `json:"parts"`
	Allocs    float64             `json:"allocs"` // per call, whole process
	Dropped   int64               `json:"dropped"`
	Published int64               `json:"published"`
}

// ClientData is the figures of the client section measured here; the
// driver adds pkg/harborai's own benchmarks (BenchmarkPublish,
// BenchmarkTransport...) to the section.
type ClientData struct {
	Timer time.Duration `json:"timer"` // cost of the two time.Now calls around each call
	Rows  []ClientRow   `json:"rows"`
}

// BenchmarkClient measures what the README's example costs the caller:
// NewCall + Request + Response (or LogCall), with this package's 1.5 KB
// bodies, paced, publishing to bin/ingestor's embedded JetStream over
// loopback TCP (the broker in its own process, as deployed; spool sink),
// timed call by call on the caller's goroutine. A control row times an
// empty call in the same paced loop: the floor the scheduler and the clock
// put under any figure here. The cost of Publish alone is pkg/harborai's
// BenchmarkPublish, which the driver runs next to this. Run with
// -benchtime 1x.
func BenchmarkClient(b *testing.B) {
	sec := newSection("client")
	in := StartIngestor(b, filepath.Join(BinDir(), "ingestor"), nil)
	data := ClientData{Timer: timerCost()}
	d := scaled(10*time.Second, 2*time.Second)
	for _, m := range []struct {
		mode  recordMode
		rate  float64
		procs int
		note  string // added to the row's name
		opts  []harborai.Option
	}{
		{recordNothing, 1000, 0, "", nil}, {recordCall, 1000, 0, "", nil}, {recordCall, 2000, 0, "", nil}, {recordLogCall, 2000, 0, "", nil},
		{recordCall, 1000, 1, "", nil}, // one P: no other thread to wake
		// Every Publish wakes the background publisher, as before
		// WithFlushInterval: what the wake-up costs the caller.
		{recordCall, 1000, 0, "WithFlushInterval(0)", []harborai.Option{harborai.WithFlushInterval(0)}},
	} {
		row := callAPI(b, in.NATSURL, m.rate, d, m.mode, m.procs, m.opts...)
		if m.note != "" {
			row.Name += ", " + m.note
		}
		data.Rows = append(data.Rows, row)
	}
	sec.finish(b, clientMarkdown(data), data)
}

// recordMode is how callAPI records each call.
type recordMode int

const (
	recordNothing recordMode = iota // the control: an empty call
	recordCall                      // NewCall + Request + Response
	recordLogCall                   // LogCall
)

func (m recordMode) String() string {
	switch m {
	case recordCall:
		return "NewCall + Request + Response (2 events)"
	case recordLogCall:
		return "LogCall (1 call event)"
	default:
		return "control: an empty call, same loop"
	}
}

// callAPI records calls through the Call API at rate calls/s for d, the
// way mode says, with GOMAXPROCS procs (0 = as it is) and the publisher
// options opts.
func callAPI(b *testing.B, url string, rate float64, d time.Duration, mode recordMode, procs int, opts ...harborai.Option) ClientRow {
	b.Helper()
	ctx := context.Background()
	if procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	}
	pub, err := harborai.Connect(url, opts...)
	if err != nil {
		b.Fatal(err)
	}
	gen := Gen{Run: fmt.Sprintf("api%d-%.0f-%d", mode, rate, procs)}
	var per []time.Duration
	var parts [3][]time.Duration
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	for i := 0; time.Since(start) < d; i++ {
		req, resp := gen.Call(i, time.Now()) // bodies made before the clock starts
		t0 := time.Now()
		info := harborai.CallInfo{Provider: req.Provider, Model: req.Model, Endpoint: req.Endpoint, Stream: req.Stream, Tags: req.Tags}
		switch mode {
		case recordCall:
			call := pub.NewCall(ctx, info)
			t1 := time.Now()
			_ = call.Request(*req.Request)
			t2 := time.Now()
			_ = call.Response(*resp.Response)
			t3 := time.Now()
			parts[0], parts[1], parts[2] = append(parts[0], t1.Sub(t0)), append(parts[1], t2.Sub(t1)), append(parts[2], t3.Sub(t2))
		case recordLogCall:
			_ = pub.LogCall(ctx, info, *req.Request, *resp.Response)
		case recordNothing:
			nothing(info)
		}
		per = append(per, time.Since(t0))
		if wait := time.Duration(float64(i+1)/rate*float64(time.Second)) - time.Since(start); wait > 0 {
			time.Sleep(wait)
		}
	}
	runtime.ReadMemStats(&ms1)
	if err := WaitPublished(ctx, pub); err != nil {
		b.Fatal(err)
	}
	st := pub.Stats()
	if err := pub.Close(ctx); err != nil {
		b.Fatal(err)
	}
	return ClientRow{
		Name: mode.String(), Rate: rate, GOMAXPROCS: runtime.GOMAXPROCS(0), Calls: len(per), PerCall: report.Summarize(per),
		Parts:   [3]report.Durations{report.Summarize(parts[0]), report.Summarize(parts[1]), report.Summarize(parts[2])},
		Allocs:  float64(ms1.Mallocs-ms0.Mallocs) / float64(len(per)),
		Dropped: st.Dropped, Published: st.Published,
	}
}

// nothing is the control's call: it does nothing, out of line.
//
//go:noinline
func nothing(harborai.CallInfo) {}

// timerCost is the median cost of the time.Now pair that brackets each
// measured call.
func timerCost() time.Duration {
	ds := make([]time.Duration, 10000)
	for i := range ds {
		t0 := time.Now()
		ds[i] = time.Since(t0)
	}
	return report.Summarize(ds).P50
}

func clientMarkdown(d ClientData) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The README's way of recording a call, on the caller's goroutine: `NewCall` (ids: UUIDv7, hb_trace_id, trace and span ids) + `Request` + `Response`, "+
		"or `LogCall`, with %s-byte bodies, paced (a sleep between calls, as an application that waits for its vendor), publisher connected over loopback TCP to bin/ingestor's embedded JetStream (another process, spool sink, consuming on the same two cores: the rates stay below the pipeline's maximum). "+
		"The control row times an empty call in the same loop: the floor that waking from sleep, the scheduler and the clock put under every figure. "+
		"With WithFlushInterval(0) every Publish wakes the background publisher (the behaviour before the flush interval): the difference is what waking another thread costs the caller. "+
		"Allocations are the whole process's per call: the background publisher's encoding and the benchmark's own making of the bodies included (the control row has the latter alone). Clock overhead per sample: %s.\n\n",
		report.Num(1500, 0), report.Dur(d.Timer))
	t := report.NewTable("calls through", "paced (calls/s)", "GOMAXPROCS", "calls", "p50", "p90", "p99", "max", "p99 of NewCall / Request / Response", "allocs/call (process)", "dropped")
	for _, r := range d.Rows {
		parts := ""
		if r.Parts[0].N > 0 {
			parts = report.Dur(r.Parts[0].P99) + " / " + report.Dur(r.Parts[1].P99) + " / " + report.Dur(r.Parts[2].P99)
		}
		t.Row(r.Name, report.Num(r.Rate, 0), fmt.Sprint(r.GOMAXPROCS), report.Num(float64(r.Calls), 0), report.Dur(r.PerCall.P50), report.Dur(r.PerCall.P90),
			report.Dur(r.PerCall.P99), report.Dur(r.PerCall.Max), parts, report.Num(r.Allocs, 0), fmt.Sprint(r.Dropped))
	}
	b.WriteString(t.String())
	return b.String()
}
