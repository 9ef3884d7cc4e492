package harborai_test

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// BenchmarkIncludeUsageCost splits TransportVsPlain/stream's gap in two,
// alternating two calls as TransportVsPlain does and reporting the second's
// median latency over the first's (latency-ratio), the difference of their
// median times to the first byte, and both medians.
//
// "vendor": a plain call asking for stream_options.include_usage against
// one not asking: the emulator's own extra work for usage (a "usage": null
// in every chunk, and the usage chunk), which TransportVsPlain/stream counts
// against the Transport because the Transport asks for usage. "transport":
// a recorded call, whose body the Transport rewrites to ask for usage and
// whose usage chunk it hides, against a plain call asking for usage itself:
// the emulator works the same for both, so the figure is the recording with
// the rewrite and the filter (TransportVsPlain/stream-usage is the
// recording without them).
//
//	go test -run '^$' -bench BenchmarkIncludeUsageCost ./pkg/harborai
func BenchmarkIncludeUsageCost(b *testing.B) {
	srv := startBenchBroker(b)
	emu := startEmulator(b)
	pub := connect(b, srv.ClientURL())
	plain := &http.Client{Transport: baseTransport(b)}
	asking := &http.Client{Transport: baseTransport(b)}
	recorded := pub.HTTPClient(&http.Client{Transport: baseTransport(b)}, emulatorBases(emu)...)
	stream := vendorCall{vendor: "openai", model: models["openai"], stream: true}
	usage := stream
	usage.askUsage = true
	for _, tc := range []struct {
		name                 string
		first, other         *http.Client
		firstCall, otherCall vendorCall
	}{
		{"vendor", plain, asking, stream, usage},
		// The recorded call's body does not ask for usage: the Transport
		// adds it.
		{"transport", asking, recorded, usage, stream},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var lf, lo, tf, to []time.Duration
			timed := func(client *http.Client, req *http.Request, lat, ttfb *[]time.Duration) {
				start := time.Now()
				*ttfb = append(*ttfb, benchCall(b, client, req))
				*lat = append(*lat, time.Since(start))
			}
			for i := 0; b.Loop(); i++ {
				rf := tc.firstCall.request(b, context.Background(), emu, "benchmark")
				ro := tc.otherCall.request(b, context.Background(), emu, "benchmark")
				if i%2 == 0 {
					timed(tc.first, rf, &lf, &tf)
					timed(tc.other, ro, &lo, &to)
				} else {
					timed(tc.other, ro, &lo, &to)
					timed(tc.first, rf, &lf, &tf)
				}
			}
			b.ReportMetric(float64(median(lo))/float64(median(lf)), "latency-ratio")
			b.ReportMetric(float64((median(to)-median(tf)).Nanoseconds())/1e3, "ttfb-delta-µs")
			b.ReportMetric(float64(median(lf).Nanoseconds())/1e3, "first-µs")
			b.ReportMetric(float64(median(lo).Nanoseconds())/1e3, "other-µs")
		})
	}
}
