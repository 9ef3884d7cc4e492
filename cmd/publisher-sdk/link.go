package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/harborai/ingest/internal/cli"
	"github.com/harborai/ingest/pkg/harborai"
)

// link watches a publisher's NATS connection: whether it is up, was ever
// established, and its last error, which harborai.Publisher does not
// report, so that a run that could not deliver its events says why.
type link struct {
	up, connected atomic.Bool
	mu            sync.Mutex
	lastErr       error
}

// dial returns a publisher connected to url by harborai.Connect, and what
// watches its connection.
func dial(url string, opts ...harborai.Option) (*harborai.Publisher, *link, error) {
	l := &link{}
	pub, err := harborai.Connect(url, append(opts, harborai.WithNATSOptions(
		nats.ConnectHandler(func(*nats.Conn) { l.connected.Store(true); l.up.Store(true) }),
		nats.ReconnectHandler(func(*nats.Conn) { l.connected.Store(true); l.up.Store(true) }),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) { l.setErr(err) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { l.up.Store(false); l.setErr(err) }),
	))...)
	if err != nil {
		return nil, nil, err
	}
	return pub, l, nil
}

func (l *link) setErr(err error) {
	if err == nil {
		return
	}
	l.mu.Lock()
	l.lastErr = err
	l.mu.Unlock()
}

// trouble says what kept events from the broker: the connection to url
// never established, or lost, with the connection's last error; nil while
// connected.
func (l *link) trouble(url string) error {
	if l.up.Load() {
		return nil
	}
	l.mu.Lock()
	last := l.lastErr
	l.mu.Unlock()
	url = cli.MaskPassword(url)
	var err error
	if l.connected.Load() {
		err = fmt.Errorf("connection to %s lost", url)
	} else {
		err = fmt.Errorf("never connected to %s", url)
	}
	if last != nil {
		err = fmt.Errorf("%w: %w", err, last)
	}
	return err
}

// checkConnFlags checks the flags both commands have.
func checkConnFlags(natsURL string, timeout time.Duration) []error {
	var errs []error
	if err := cli.CheckNATSURL(natsURL); err != nil {
		errs = append(errs, fmt.Errorf("-nats-url %w", err))
	}
	if timeout <= 0 {
		errs = append(errs, fmt.Errorf("-timeout %s: must be positive (how long to wait for the broker's acks)", timeout))
	}
	return errs
}

// usageErrors prints each of errs on its own line, after prefix.
func usageErrors(stderr io.Writer, prefix string, errs []error) {
	for _, err := range errs {
		fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
	}
}
