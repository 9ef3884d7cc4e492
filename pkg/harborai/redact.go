package harborai

import (
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
)

// secretWords mark a header or query parameter as a secret when its name,
// lower-cased, contains one of them: Authorization, api-key, x-api-key,
// x-goog-api-key, Cookie, X-Auth-Token, Ocp-Apim-Subscription-Key, ...
// Values are never inspected: a secret is dropped whole, name and value.
var secretWords = []string{"auth", "cookie", "key", "token", "secret", "password", "passwd", "signature", "credential", "session"}

// isSecret reports whether a header or query parameter named name may carry
// a secret.
func isSecret(name string) bool {
	if strings.EqualFold(name, "sig") || strings.EqualFold(name, "code") {
		return true
	}
	// One pass over name, trying only the words that start with each
	// letter: it runs for every header of every call.
	for i := 0; i < len(name); i++ {
		for _, w := range secretsByFirst[lower(name[i])] {
			if hasFoldAt(name, i, w) {
				return true
			}
		}
	}
	return false
}

// secretsByFirst is secretWords indexed by their first letter.
var secretsByFirst = func() (idx [256][]string) {
	for _, w := range secretWords {
		idx[w[0]] = append(idx[w[0]], w)
	}
	return idx
}()

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasFoldAt reports whether s[i:] starts with word, an ASCII lower-case
// word, in any case.
func hasFoldAt(s string, i int, word string) bool {
	if len(s)-i < len(word) {
		return false
	}
	for j := 0; j < len(word); j++ {
		if lower(s[i+j]) != word[j] {
			return false
		}
	}
	return true
}

// redactHeaders returns the request headers that are safe to publish, each
// with its values joined by ", ".
func redactHeaders(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for name, values := range h {
		if isSecret(name) {
			continue
		}
		if len(values) == 1 {
			out[name] = values[0]
		} else {
			out[name] = strings.Join(values, ", ")
		}
	}
	return out
}

// headerMemo remembers the last headers a Transport published: an SDK sends
// the same ones on every call, and a call whose headers match reuses the
// map, which is only read once made (events share it), instead of building
// one.
type headerMemo struct{ last atomic.Pointer[redacted] }

// redacted is what redactHeaders made of some headers, with their names:
// telling whether other headers are the same then takes a lookup per name,
// not an iteration over their map.
type redacted struct {
	kept   map[string]string
	names  []string // the headers': those kept first, then the secrets
	values []string // kept's values, in the order of names
}

// redact is redactHeaders(h), reusing the last result when h matches it.
func (m *headerMemo) redact(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	if r := m.last.Load(); r != nil && r.matches(h) {
		return r.kept
	}
	r := &redacted{kept: redactHeaders(h)}
	for name := range r.kept {
		r.names, r.values = append(r.names, name), append(r.values, r.kept[name])
	}
	for name := range h {
		if _, ok := r.kept[name]; !ok {
			r.names = append(r.names, name)
		}
	}
	m.last.Store(r)
	return r.kept
}

// matches reports whether redactHeaders(h) would equal r.kept: h has the
// headers r was made from (as many, with the same names), and those kept
// have the same values.
func (r *redacted) matches(h http.Header) bool {
	if len(h) != len(r.names) {
		return false
	}
	for i, name := range r.names {
		values, ok := h[name]
		if !ok || i < len(r.values) && !joinedEqual(r.values[i], values) {
			return false
		}
	}
	return true
}

// joinedEqual reports whether s == strings.Join(values, ", "), without
// joining.
func joinedEqual(s string, values []string) bool {
	if len(values) == 1 {
		return s == values[0]
	}
	for i, v := range values {
		if i > 0 {
			if !strings.HasPrefix(s, ", ") {
				return false
			}
			s = s[2:]
		}
		if !strings.HasPrefix(s, v) {
			return false
		}
		s = s[len(v):]
	}
	return s == ""
}

// redactURL returns u without user information and without the query
// parameters that may carry secrets (key=, access_token=, ...).
func redactURL(u *url.URL) string {
	if u.User == nil && (u.RawQuery == "" || !queryHasSecret(u.RawQuery)) {
		return u.String()
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		for name := range q {
			if isSecret(name) {
				q.Del(name)
			}
		}
		c.RawQuery = q.Encode()
	}
	return c.String()
}

func queryHasSecret(raw string) bool {
	for part := range strings.SplitSeq(raw, "&") {
		name, _, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if isSecret(name) {
			return true
		}
	}
	return false
}

// publishedURL is redactURL(u), reusing endpoint (endpointOf(u)) when u
// has nothing more to it, as vendor URLs usually have not.
func publishedURL(u *url.URL, endpoint string) string {
	if u.User == nil && u.RawQuery == "" && !u.ForceQuery && u.Fragment == "" && u.Opaque == "" && !u.OmitHost {
		return endpoint
	}
	return redactURL(u)
}

// endpointOf is the URL without query and user information: the call's
// endpoint.
func endpointOf(u *url.URL) string {
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return c.String()
}

// endpointMemo remembers the last endpoint a Transport saw: an application
// calls the same few, and a match costs string comparisons instead of
// building the string.
type endpointMemo struct{ last atomic.Pointer[endpoint] }

type endpoint struct{ scheme, host, path, rawPath, s string }

// of is endpointOf(u), reusing the last result when u's parts match it.
func (m *endpointMemo) of(u *url.URL) string {
	if e := m.last.Load(); e != nil && e.path == u.Path && e.host == u.Host && e.scheme == u.Scheme && e.rawPath == u.RawPath {
		return e.s
	}
	s := endpointOf(u)
	m.last.Store(&endpoint{scheme: u.Scheme, host: u.Host, path: u.Path, rawPath: u.RawPath, s: s})
	return s
}

// redactMessage removes the raw URL, which may carry secrets, from an error
// message.
func redactMessage(msg string, u *url.URL) string {
	if u == nil || (u.User == nil && u.RawQuery == "") {
		return msg
	}
	return strings.ReplaceAll(msg, u.String(), redactURL(u))
}
