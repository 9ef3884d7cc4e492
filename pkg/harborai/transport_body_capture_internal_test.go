package harborai

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/harborai/ingest/pkg/event"
)

// jaggedReader gives s in reads of random sizes, up to max bytes, as a
// vendor's body arrives; with eofNow, the last bytes come with io.EOF.
type jaggedReader struct {
	s      string
	r      *rand.Rand
	max    int
	eofNow bool // return EOF with the last bytes
}

func (r *jaggedReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), 1+r.r.IntN(r.max))], r.s)
	r.s = r.s[k:]
	if r.s == "" && r.eofNow {
		return k, io.EOF
	}
	return k, nil
}

// sseOf is a stream of size bytes, its last line possibly cut.
func sseOf(r *rand.Rand, size int) string {
	var b strings.Builder
	for b.Len() < size {
		fmt.Fprintf(&b, "data: {\"choices\":[{\"delta\":{\"content\":%q}}],\"usage\":null}\n\n", strings.Repeat("x", r.IntN(300)))
	}
	b.WriteString("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1}}\n\n")
	s := b.String()
	if len(s) > size { // cut to exactly size (may cut a line)
		s = s[:size]
	}
	return s
}

// TestEventBodyMatchesRead: whatever the sizes of the body, of the reads,
// of the limit and of recent streams (the copy's growth, grow), with and
// without the usage filter, of known or unknown length, the application
// reads the body as the vendor sent it (filtered when asked), and the
// event keeps it whole, or its head and last lines within the limit.
func TestEventBodyMatchesRead(t *testing.T) {
	seed := uint64(1)
	sizes := []int{1, 100, 3583, 3584, 4095, 4096, 4097, 4608, 8191, 8192, 8193, 9000, 16384, 65536, 70000, 262143, 262144, 262145, 300000}
	limits := []int{1000, 4096, 5000, 8192, 10000, 65536, 262144, 300000, DefaultMaxBodyBytes}
	hints := []int64{0, 5000, 240_000, 1 << 30} // the sizes of recent streams
	fails := 0
	for _, size := range sizes {
		for _, limit := range limits {
			for _, hint := range hints {
				for _, hide := range []bool{false, true} {
					for _, known := range []bool{false, true} {
						for _, status := range []int{200, 503} {
							if hide && status != 200 {
								continue // the filter is for a 200's stream only
							}
							seed++
							r := rand.New(rand.NewPCG(seed, 7))
							in := sseOf(r, size)
							p := queuePublisher()
							p.streamSize.Store(hint)
							var f *usageFilter
							if hide {
								f = new(usageFilter)
							}
							cl := int64(-1)
							if known {
								cl = int64(len(in))
							}
							rr := &jaggedReader{s: in, r: rand.New(rand.NewPCG(seed, 9)), max: 1 + r.IntN(20000), eofNow: r.IntN(2) == 0}
							resp := &http.Response{StatusCode: status, ContentLength: cl, Header: http.Header{}, Body: io.NopCloser(rr)}
							resp = wrap(p, resp, limit, f)
							var got strings.Builder
							buf := make([]byte, 70000)
							var err error
							for {
								var n int
								n, err = resp.Body.Read(buf[:1+r.IntN(len(buf)-1)])
								got.WriteString(string(buf[:n]))
								if err != nil {
									break
								}
							}
							_ = resp.Body.Close()
							want := in
							if hide && status == 200 {
								want = filterWhole(in)
							}
							name := fmt.Sprintf("size=%d limit=%d hint=%d hide=%v known=%v status=%d", size, limit, hint, hide, known, status)
							if err != io.EOF || got.String() != want {
								t.Errorf("%s: app read %d bytes, %v; want %d", name, got.Len(), err, len(want))
								fails++
								continue
							}
							ev := queuedResponse(t, p).Response
							if len(in) <= limit {
								if ev.BodyOmitted != "" || ev.Body != in {
									t.Errorf("%s: event body %d bytes omitted %q, want %d bytes whole; firstdiff=%d", name, len(ev.Body), ev.BodyOmitted, len(in), firstDiff(ev.Body, in))
									fails++
								}
							} else {
								if ev.BodyOmitted != "truncated" || len(ev.Body) > limit {
									t.Errorf("%s: event body %d omitted %q, want truncated <= limit", name, len(ev.Body), ev.BodyOmitted)
									fails++
								} else {
									// The head, then the last whole lines.
									over := in[limit:]
									t2 := over[len(over)-min(tailKeep(limit), len(over)):]
									if j := strings.IndexByte(t2, '\n'); j >= 0 {
										t2 = t2[j+1:]
									}
									wantB := in[:max(0, limit-len(t2)-1)] + "\n" + t2
									if ev.Body != wantB {
										t.Errorf("%s: truncated event body differs at %d (len %d want %d)", name, firstDiff(ev.Body, wantB), len(ev.Body), len(wantB))
										fails++
									}
								}
							}
							if status == 200 && ev.Status != event.StatusSuccess {
								t.Errorf("%s: status %s", name, ev.Status)
								fails++
							}
							if fails > 30 {
								t.Fatal("more than 30 failures: stopping")
							}
						}
					}
				}
			}
		}
	}
}

func firstDiff(a, b string) int {
	for i := 0; i < min(len(a), len(b)); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
