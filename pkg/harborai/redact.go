package harborai

import (
	"net/http"
	"net/url"
	"strings"
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
	for _, w := range secretWords {
		if containsFold(name, w) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains word, an ASCII lower-case word,
// in any case. It does not allocate: it runs for every header of every call.
func containsFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		j := 0
		for j < len(word) {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != word[j] {
				break
			}
			j++
		}
		if j == len(word) {
			return true
		}
	}
	return false
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

// redactMessage removes the raw URL, which may carry secrets, from an error
// message.
func redactMessage(msg string, u *url.URL) string {
	if u == nil || (u.User == nil && u.RawQuery == "") {
		return msg
	}
	return strings.ReplaceAll(msg, u.String(), redactURL(u))
}
