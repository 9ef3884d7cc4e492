package harborai_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/harborai"
	"github.com/harborai/ingest/pkg/record"
)

// step is one answer of a scripted server: an httptest server that plays
// the vendors for the official SDKs, attempt by attempt (retries).
type step struct {
	status     int
	header     map[string]string
	body       string   // whole body (Content-Length set by net/http)
	chunks     []string // else: a stream, flushed chunk by chunk
	chunkDelay time.Duration
	delay      time.Duration // before the headers
	usage      string        // for OpenAI streams: the usage chunk, sent only if include_usage was asked
}

// seen is one attempt the server received.
type seen struct {
	at     time.Time
	header http.Header
	body   []byte
}

// scripted answers its steps in order, the last repeated; reset between
// the plain and the recorded runs.
type scripted struct {
	srv   *httptest.Server
	mu    sync.Mutex
	steps []step
	seen  []seen
	done  chan struct{} // a handler ended
}

func newScripted(t *testing.T, steps ...step) *scripted {
	s := &scripted{steps: steps, done: make(chan struct{}, 100)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *scripted) reset() {
	s.mu.Lock()
	s.seen = nil
	s.mu.Unlock()
}

func (s *scripted) attempts() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.seen...)
}

func (s *scripted) serve(w http.ResponseWriter, r *http.Request) {
	defer func() {
		select {
		case s.done <- struct{}{}:
		default:
		}
	}()
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.seen = append(s.seen, seen{at: time.Now(), header: r.Header.Clone(), body: body})
	st := s.steps[min(len(s.seen)-1, len(s.steps)-1)]
	s.mu.Unlock()
	if st.delay > 0 {
		select {
		case <-time.After(st.delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range st.header {
		w.Header().Set(k, v)
	}
	if st.chunks == nil {
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(st.status)
		_, _ = io.WriteString(w, st.body)
		return
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/event-stream")
	}
	w.WriteHeader(st.status)
	f := w.(http.Flusher)
	f.Flush()
	chunks := st.chunks
	if st.usage != "" && strings.Contains(string(body), `"include_usage":true`) {
		last := chunks[len(chunks)-1]
		chunks = append(append(append([]string(nil), chunks[:len(chunks)-1]...), st.usage), last)
	}
	for i, c := range chunks {
		if i > 0 && st.chunkDelay > 0 {
			select {
			case <-time.After(st.chunkDelay):
			case <-r.Context().Done():
				return
			}
		}
		if _, err := io.WriteString(w, c); err != nil {
			return
		}
		f.Flush()
	}
}

// recordedClient is a client recording to pub calls to s as both vendors.
func recordedClient(pub *harborai.Publisher, s *scripted, base *http.Client, opts ...harborai.TransportOption) *http.Client {
	opts = append([]harborai.TransportOption{
		harborai.WithBaseURL("openai", s.srv.URL+"/v1"),
		harborai.WithBaseURL("anthropic", s.srv.URL+"/ant"),
	}, opts...)
	return pub.HTTPClient(base, opts...)
}

// callsAt waits until n calls to s are stored complete, then a little
// longer (a duplicate would show), and returns them by start time.
func callsAt(t *testing.T, p *pipeline, s *scripted, n int) []record.Call {
	t.Helper()
	var mine []record.Call
	collect := func() (int, int) {
		mine = mine[:0]
		complete := 0
		for _, c := range p.calls(t) {
			if strings.HasPrefix(c.Endpoint, s.srv.URL) {
				mine = append(mine, c)
				if c.HasRequest() && c.HasResponse() {
					complete++
				}
			}
		}
		return len(mine), complete
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		all, complete := collect()
		if complete >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d calls to %s stored (%d complete), want %d complete:\n%s", all, s.srv.URL, complete, n, describeCalls(mine))
			return mine
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	collect()
	sort.Slice(mine, func(i, j int) bool { return mine[i].StartedAt.Before(mine[j].StartedAt) })
	return mine
}

func describeCalls(cs []record.Call) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "  %s\n", describeCall(c))
	}
	return b.String()
}

func describeCall(c record.Call) string {
	hs := 0
	if c.HTTPStatus != nil {
		hs = *c.HTTPStatus
	}
	u := "no usage"
	if c.Usage != nil && c.Usage.PromptTokens != nil && c.Usage.CompletionTokens != nil {
		u = fmt.Sprintf("prompt=%d completion=%d", *c.Usage.PromptTokens, *c.Usage.CompletionTokens)
	}
	rb := "<nil>"
	if c.ResponseBody != nil {
		rb = *c.ResponseBody
		if len(rb) > 80 {
			rb = rb[:80] + "..."
		}
	}
	cost := "no cost"
	if c.Cost != nil && c.Cost.TotalCost != nil {
		cost = "cost=" + c.Cost.TotalCost.String()
	}
	return fmt.Sprintf("served=%q %s provider=%s model=%s stream=%v status=%s http=%d error_type=%q usage=%s msg=%q body=%q",
		c.ServedModel, cost, c.Provider, c.Model, c.Stream, c.DisplayStatus(), hs, c.ErrorType, u, c.ErrorMessage, rb)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "marshal: " + err.Error()
	}
	return string(b)
}
