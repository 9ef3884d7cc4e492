package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/harborai/ingest/internal/flock"
)

// EmbeddedConfig configures the in-process NATS server.
type EmbeddedConfig struct {
	// Listen is the client address, host:port ("127.0.0.1:4222"). Port 0
	// picks a free port; "-1" disables the listener (in-process clients only).
	Listen string
	// StoreDir holds the JetStream file store.
	StoreDir string
	// MaxPayload is the largest message accepted, in bytes.
	MaxPayload int32
	// SyncInterval is how often the file store is fsynced; SyncAlways
	// fsyncs every write. What survives a power loss depends on it.
	SyncInterval time.Duration
	SyncAlways   bool
	// MaxStore bounds JetStream's disk use, in bytes (0 = server default).
	MaxStore int64
}

// Embedded is a running in-process NATS server.
type Embedded struct {
	srv  *server.Server
	lock *os.File // the store's lock, held while the server runs
}

// ErrStoreInUse means another process runs a server on the same store.
var ErrStoreInUse = errors.New("JetStream store in use by another process")

// lockStore takes the store's lock, creating the store, so that two
// ingestors never write one JetStream store at once (nats-server does not
// stop them). The lock goes with the process.
func lockStore(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded nats: store %s: %w", dir, err)
	}
	f, holder, err := flock.LockPID(filepath.Join(dir, ".harborai.lock"))
	if errors.Is(err, flock.ErrWouldBlock) {
		return nil, fmt.Errorf("embedded nats: store %s: %w (pid %s); give each ingestor a data dir of its own", dir, ErrStoreInUse, holder)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded nats: lock store %s: %w", dir, err)
	}
	return f, nil
}

// StartEmbedded starts the server and waits until it accepts connections.
func StartEmbedded(cfg EmbeddedConfig, log *slog.Logger) (*Embedded, error) {
	if cfg.StoreDir == "" {
		return nil, errors.New("embedded nats: store dir is required")
	}
	opts := &server.Options{
		ServerName:        "harborai-embedded",
		JetStream:         true,
		StoreDir:          filepath.Clean(cfg.StoreDir),
		NoSigs:            true, // the ingestor owns signals; the server must not os.Exit
		MaxPayload:        cfg.MaxPayload,
		SyncInterval:      cfg.SyncInterval,
		SyncAlways:        cfg.SyncAlways,
		JetStreamMaxStore: cfg.MaxStore,
	}
	// The store first: a second ingestor on the same data dir is told so,
	// rather than that the address is taken.
	lock, err := lockStore(opts.StoreDir)
	if err != nil {
		return nil, err
	}
	if cfg.Listen == "-1" {
		opts.DontListen = true
	} else {
		host, port, err := splitHostPort(cfg.Listen)
		if err != nil {
			lock.Close()
			return nil, fmt.Errorf("embedded nats: listen address %q: %w", cfg.Listen, err)
		}
		opts.Host, opts.Port = host, port
		if port == 0 {
			opts.Port = server.RANDOM_PORT
		} else if ln, err := net.Listen("tcp", cfg.Listen); err != nil {
			// At once and saying why, rather than the server's log and
			// a wait for readiness.
			lock.Close()
			return nil, fmt.Errorf("embedded nats: %w", err)
		} else {
			_ = ln.Close()
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	if log != nil {
		srv.SetLoggerV2(&slogAdapter{log: log.With("component", "nats")}, false, false, false)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		srv.WaitForShutdown()
		lock.Close()
		return nil, fmt.Errorf("embedded nats: not ready within 10s on %s (the server's log above says why)", cfg.Listen)
	}
	return &Embedded{srv: srv, lock: lock}, nil
}

// ClientURL is the URL other processes connect to ("" when not listening).
func (e *Embedded) ClientURL() string {
	if addr := e.srv.Addr(); addr != nil {
		return "nats://" + addr.String()
	}
	return ""
}

// Connect returns an in-process client connection (no TCP).
func (e *Embedded) Connect(opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.InProcessServer(e.srv), nats.Name("harborai-ingestor")}, opts...)
	return nats.Connect("", opts...)
}

// Shutdown stops the server and waits for it.
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	_ = e.lock.Close()
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return host, port, nil
}

// slogAdapter routes the server's log lines to slog.
type slogAdapter struct{ log *slog.Logger }

func (a *slogAdapter) Noticef(format string, v ...any) { a.log.Debug(fmt.Sprintf(format, v...)) }
func (a *slogAdapter) Warnf(format string, v ...any)   { a.log.Warn(fmt.Sprintf(format, v...)) }
func (a *slogAdapter) Fatalf(format string, v ...any)  { a.log.Error(fmt.Sprintf(format, v...)) }
func (a *slogAdapter) Errorf(format string, v ...any)  { a.log.Error(fmt.Sprintf(format, v...)) }
func (a *slogAdapter) Debugf(format string, v ...any)  { a.log.Debug(fmt.Sprintf(format, v...)) }
func (a *slogAdapter) Tracef(format string, v ...any)  {}
