package cli

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// CheckNATSURL reports an error unless s is a NATS server URL, or a
// comma-separated list of them, with a scheme (nats, tls, ws or wss), a
// host and, if any, a port. nats.go itself would take "garbage" for a
// host of that name on the default port, and a publisher would retry it
// for ever.
func CheckNATSURL(s string) error {
	n := 0
	for u := range strings.SplitSeq(s, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue // nats.go skips empty entries
		}
		n++
		if err := checkServerURL(u); err != nil {
			return fmt.Errorf("%q: %w; want a URL such as nats://host:4222", MaskPassword(u), err)
		}
	}
	if n == 0 {
		return fmt.Errorf("%q: no server; want a URL such as nats://host:4222", MaskPassword(s))
	}
	return nil
}

func checkServerURL(s string) error {
	if !strings.Contains(s, "://") {
		return errors.New("no scheme")
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Error quotes the URL, password included: only why.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("not a URL (%w)", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "nats", "tls", "ws", "wss":
	default:
		return fmt.Errorf("scheme %q is not nats, tls, ws or wss", u.Scheme)
	}
	if u.Hostname() == "" {
		return errors.New("no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q is not 1..65535", p)
		}
	}
	return nil
}
