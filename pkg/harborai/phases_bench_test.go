package harborai_test

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// phaseRT times the base transport under a client: from entering it to the
// response headers.
type phaseRT struct {
	base         http.RoundTripper
	enter, leave time.Time
}

func (t *phaseRT) RoundTrip(req *http.Request) (*http.Response, error) {
	t.enter = time.Now()
	resp, err := t.base.RoundTrip(req)
	t.leave = time.Now()
	return resp, err
}

// phaseSide is one side of a pair: a client (recording or plain) and the
// call it makes, with each call's phases.
type phaseSide struct {
	rt                            *phaseRT
	client                        *http.Client
	vc                            vendorCall
	pre, base, first, rest, total []time.Duration
}

// BenchmarkTransportPhases splits calls into phases and compares two
// clients' medians, alternating their calls in pairs: before the base
// transport (the Transport's work on the request), in it (to the response
// headers: the vendor), from there to the first body byte at the caller,
// and the rest of the body. Pairs:
//
//   - chat: recorded against plain;
//   - stream-vendor: two plain streams, the second asking for the usage
//     chunk, as the Transport makes every stream do: the vendor's own work;
//   - stream-usage: a recorded stream against a plain one, both asking for
//     usage: what recording adds to a stream;
//   - stream-rewrite: a recorded stream whose request the Transport rewrites
//     to ask for usage (hiding the chunk) against a plain one that asks;
//   - stream: the recorded stream against a plain one that does not ask
//     (BenchmarkTransportVsPlain/stream).
//
// d*-µs are the second side's median minus the first's; ratio is the
// medians' ratio of the whole call.
//
//	go test -run '^$' -bench BenchmarkTransportPhases -count 3 ./pkg/harborai
func BenchmarkTransportPhases(b *testing.B) {
	srv := startBenchBroker(b)
	emu := startEmulator(b)
	pub := connect(b, srv.ClientURL())
	side := func(record, stream, askUsage bool) *phaseSide {
		rt := &phaseRT{base: baseTransport(b)}
		c := &http.Client{Transport: rt}
		if record {
			c = pub.HTTPClient(c, emulatorBases(emu)...)
		}
		return &phaseSide{rt: rt, client: c, vc: vendorCall{vendor: "openai", model: models["openai"], stream: stream, askUsage: askUsage}}
	}
	for _, p := range []struct {
		name string
		a, b *phaseSide
	}{
		{"chat", side(false, false, false), side(true, false, false)},
		{"stream-vendor", side(false, true, false), side(false, true, true)},
		{"stream-usage", side(false, true, true), side(true, true, true)},
		{"stream-rewrite", side(false, true, true), side(true, true, false)},
		{"stream", side(false, true, false), side(true, true, false)},
	} {
		b.Run(p.name, func(b *testing.B) {
			call := func(s *phaseSide, req *http.Request) {
				start := time.Now()
				first := start.Add(benchCall(b, s.client, req))
				end := time.Now()
				s.pre = append(s.pre, s.rt.enter.Sub(start))
				s.base = append(s.base, s.rt.leave.Sub(s.rt.enter))
				s.first = append(s.first, first.Sub(s.rt.leave))
				s.rest = append(s.rest, end.Sub(first))
				s.total = append(s.total, end.Sub(start))
			}
			for _, s := range []*phaseSide{p.a, p.b} {
				s.pre, s.base, s.first, s.rest, s.total = nil, nil, nil, nil, nil
			}
			for i := 0; b.Loop(); i++ {
				ra := p.a.vc.request(b, context.Background(), emu, "benchmark")
				rb := p.b.vc.request(b, context.Background(), emu, "benchmark")
				if i%2 == 0 {
					call(p.a, ra)
					call(p.b, rb)
				} else {
					call(p.b, rb)
					call(p.a, ra)
				}
			}
			us := func(d []time.Duration) float64 { return float64(median(d).Nanoseconds()) / 1e3 }
			for _, ph := range []struct {
				name string
				a, b []time.Duration
			}{{"pre", p.a.pre, p.b.pre}, {"base", p.a.base, p.b.base}, {"first", p.a.first, p.b.first}, {"rest", p.a.rest, p.b.rest}, {"total", p.a.total, p.b.total}} {
				b.ReportMetric(us(ph.b)-us(ph.a), "d"+ph.name+"-µs")
			}
			b.ReportMetric(us(p.a.total), "first-side-µs")
			b.ReportMetric(float64(median(p.b.total))/float64(median(p.a.total)), "ratio")
		})
	}
}
