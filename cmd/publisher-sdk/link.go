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

// link is a publisher's NATS connection, watched: whether it was ever
// established and its last error, which harborai.Publisher does not
// report, so that a run that could not deliver its events says why.
type link struct {
	nc        *nats.Conn
	connected atomic.Bool
	mu        sync.Mutex
	lastErr   error
}

// dial connects to url with harborai.Connect's connection options and
// returns a publisher over the connection. The caller closes the link
// after the publisher.
func dial(url string, opts ...harborai.Option) (*harborai.Publisher, *link, error) {
	l := &link{}
	nc, err := nats.Connect(url,
		// As harborai.Connect: never give up, no reconnect buffer (events
		// wait in the publisher's own bounded queue).
		nats.Name("harborai-publisher"),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.ReconnectBufSize(-1),
		// What link watches.
		nats.ConnectHandler(func(*nats.Conn) { l.connected.Store(true) }),
		nats.ReconnectHandler(func(*nats.Conn) { l.connected.Store(true) }),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) { l.setErr(err) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { l.setErr(err) }),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	pub, err := harborai.New(nc, opts...)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	l.nc = nc
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

// close closes the connection.
func (l *link) close() { l.nc.Close() }

// trouble says what kept events from the broker: the connection to url
// never established, or lost, with the connection's last error; nil while
// connected.
func (l *link) trouble(url string) error {
	if l.nc.IsConnected() {
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
