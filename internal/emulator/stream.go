package emulator

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"time"
)

// stream writes one streamed reply: it frames events, flushes each chunk to
// the client as it is written and paces chunks by the chunk delay.
type stream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	gone    <-chan struct{} // the request context's Done: the client left
	quit    <-chan struct{} // closed when the server stops waiting for handlers
	delay   time.Duration
	resetAt int  // step at which the connection is reset; 0 means never
	broken  bool // the client is gone or the connection was reset
}

// start sends the status line and headers.
func (s *stream) start(contentType string) {
	h := s.w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	s.w.WriteHeader(http.StatusOK)
}

// step is called before content chunk i (0-based) and, with i equal to the
// chunk count, before the closing events. From the second chunk on it
// flushes what was written and waits the chunk delay. It reports false when
// the stream must stop.
func (s *stream) step(i int) bool {
	if s.broken {
		return false
	}
	if i == 0 {
		return true
	}
	s.flush()
	if i == s.resetAt {
		reset(s.w)
		s.broken = true
		return false
	}
	if !wait(s.gone, s.quit, s.delay) {
		// Cut the connection rather than end the stream cleanly, so a
		// client still reading sees the stream did not finish.
		reset(s.w)
		s.broken = true
	}
	return !s.broken
}

// write writes raw bytes of the stream.
func (s *stream) write(p string) {
	if s.broken {
		return
	}
	if _, err := s.w.Write([]byte(p)); err != nil {
		s.broken = true
	}
}

// data writes one SSE event with only a data field.
func (s *stream) data(v any) { s.write("data: " + mustJSON(v) + "\n\n") }

// event writes one SSE event with an event name and a data field.
func (s *stream) event(name string, v any) {
	s.write("event: " + name + "\ndata: " + mustJSON(v) + "\n\n")
}

// flush pushes everything written so far to the client.
func (s *stream) flush() {
	if !s.broken && s.rc.Flush() != nil {
		s.broken = true
	}
}

// wait sleeps d unless gone or quit is closed first; it reports whether
// the full delay passed.
func wait(gone, quit <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		select {
		case <-gone:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-gone:
		return false
	case <-quit:
		return false
	}
}

// reset takes the connection over and closes it with a TCP RST, so the
// client sees a transport error. What was written and flushed has been
// sent; what was not flushed is sent by Hijack too, except the headers when
// nothing was written at all.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// mustJSON encodes v compactly without HTML escaping, as the vendors do.
// v is always one of the emulator's own response values (no channels,
// functions or NaNs), which always encode.
func mustJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}
