package emulator

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a running vendor emulator. Its methods are safe for concurrent
// use.
type Server struct {
	opts    Options
	url     string
	srv     *http.Server
	vendors map[string]*vendor

	requests atomic.Int64
	quit     chan struct{} // closed when Close stops waiting for handlers
	served   chan struct{} // closed when Serve has returned
	once     sync.Once

	mu       sync.Mutex
	closing  bool
	handlers sync.WaitGroup // Add only under mu and while !closing
}

// Start listens on opts.Addr (127.0.0.1:0 by default) and serves every
// vendor until Close.
func Start(opts Options) (*Server, error) {
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("emulator: invalid options: %w", err)
	}
	opts = opts.withDefaults()
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("emulator: listen: %w", err)
	}
	s := &Server{
		opts:    opts,
		url:     "http://" + ln.Addr().String(),
		vendors: make(map[string]*vendor),
		quit:    make(chan struct{}),
		served:  make(chan struct{}),
	}
	mux := http.NewServeMux()
	for _, v := range registry() {
		s.vendors[v.name] = v
		for _, pattern := range v.routes {
			mux.Handle(pattern, s.handler(v))
		}
	}
	s.srv = &http.Server{
		Handler:           s.track(mux),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// URL is the server's base URL, without a trailing slash.
func (s *Server) URL() string { return s.url }

// BaseURL is the base URL an SDK for vendor is configured with (the
// package documentation lists them), or "" for a vendor not in Vendors.
func (s *Server) BaseURL(vendor string) string {
	v, ok := s.vendors[vendor]
	if !ok {
		return ""
	}
	return s.url + v.base
}

// Endpoint is the URL a chat call to model is posted to, or "" for a vendor
// not in Vendors. model is the Azure deployment for azure and the endpoint
// name (e.g. completions_pro) for wenxin_v1. stream only changes the URL for
// Gemini; qwen_native streams when the request has X-DashScope-SSE: enable,
// the others when the body has "stream": true.
func (s *Server) Endpoint(vendor, model string, stream bool) string {
	v, ok := s.vendors[vendor]
	if !ok {
		return ""
	}
	return v.endpoint(s.url+v.base, model, stream)
}

// Requests is the number of requests the server has received.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Close stops the server: it stops accepting connections, lets in-flight
// requests finish for up to Options.ShutdownTimeout, then cuts the
// connections of those still running, and returns once every handler has
// returned. Calling it again does nothing.
func (s *Server) Close() {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
		defer cancel()
		err := s.srv.Shutdown(ctx)
		close(s.quit)
		if err != nil { // the deadline passed: cut the remaining connections
			_ = s.srv.Close()
		}
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		s.handlers.Wait()
		<-s.served
	})
}

// track counts requests and lets Close wait for every handler, hijacked
// connections included (http.Server.Shutdown does not wait for those).
func (s *Server) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			http.Error(w, "emulator: server closed", http.StatusServiceUnavailable)
			return
		}
		s.handlers.Add(1)
		s.mu.Unlock()
		defer s.handlers.Done()
		s.requests.Add(1)
		next.ServeHTTP(w, r)
	})
}

// handler answers one call to v.
func (s *Server) handler(v *vendor) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := planFor(r.Header, s.opts)
		if err != nil {
			http.Error(w, "emulator: "+err.Error(), http.StatusBadRequest)
			return
		}
		var c *call
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyLen))
		if err == nil {
			c, err = v.decode(r, body)
		}
		if err != nil {
			c = &call{}
			if p.fault == "" {
				p.fault = errInvalid
			}
		}
		c.created = time.Now()
		c.pieces = pieces(p.chunks)
		c.omitUsage = p.omitUsage
		c.usage = derivedUsage(c.inputBytes, s.opts.Completion)
		if p.usage != nil {
			c.usage = *p.usage
		}

		if !wait(r.Context().Done(), s.quit, p.latency) {
			reset(w) // not an empty 200
			return
		}
		if p.fail == failResetEarly {
			reset(w)
			return
		}
		if v.idHeader != "" {
			w.Header().Set(v.idHeader, randomID("req_", 24))
		}
		switch {
		case p.fault != "":
			s.fail(w, r, v, c, p)
		case c.stream:
			v.stream(s.newStream(w, r, p), c)
		default:
			writeJSON(w, http.StatusOK, v.reply(c), p.fail == failReset)
		}
	}
}

func (s *Server) newStream(w http.ResponseWriter, r *http.Request, p plan) *stream {
	st := &stream{w: w, rc: http.NewResponseController(w), gone: r.Context().Done(), quit: s.quit, delay: p.chunkDelay}
	if p.fail == failReset {
		st.resetAt = max(1, p.chunks/2)
	}
	return st
}

// fail answers with v's error of kind p.fault.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, v *vendor, c *call, p plan) {
	body := v.failure(p.fault)
	if p.fault == errHTTP200 && c.stream && v.streamFailure != nil {
		st := s.newStream(w, r, p)
		v.streamFailure(st, body)
		st.flush()
		return
	}
	status := p.fault.status()
	if v.status != nil {
		status = v.status(p.fault)
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, body, p.fail == failReset)
}

// writeJSON writes body as the whole response; with cut it sends the
// headers and half the body, then resets the connection.
func writeJSON(w http.ResponseWriter, status int, body any, cut bool) {
	b := mustJSON(body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	if cut {
		_, _ = io.WriteString(w, b[:len(b)/2])
		_ = http.NewResponseController(w).Flush()
		reset(w)
		return
	}
	_, _ = io.WriteString(w, b)
}
