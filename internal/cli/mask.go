package cli

import (
	"flag"
	"regexp"
	"slices"
	"strings"
)

// masked replaces a password in what MaskPassword returns.
const masked = "xxxxx"

// queryPassword matches a password parameter of a URL's query
// (password=, sslpassword=), up to the next parameter.
var queryPassword = regexp.MustCompile(`(?i)([?&][a-z_]*password=)[^&#]*`)

// MaskPassword returns a connection string with its passwords replaced by
// xxxxx, for help text and messages: the password of a URL's user
// (postgres://user:xxxxx@host/db, as url.URL.Redacted does, but also for
// the multi-host URLs net/url cannot parse), password parameters of its
// query, and the password of a keyword/value DSN (host=h password=xxxxx).
// A NATS URL (nats, tls, ws, wss) whose user information has no password
// carries a token there (nats://TOKEN@host): it is masked whole. A
// comma-separated list of NATS URLs, as nats.go takes, is masked URL by
// URL. Anything else is returned as it is.
func MaskPassword(s string) string {
	if parts := strings.Split(s, ","); len(parts) > 1 && !slices.ContainsFunc(parts, func(p string) bool { return !isNATSURL(p) }) {
		// A list: each part a URL of its own (a comma in a password is
		// not a list).
		for i, p := range parts {
			parts[i] = maskOne(p)
		}
		return strings.Join(parts, ",")
	}
	return maskOne(s)
}

func maskOne(s string) string {
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		return s[:len(s)-len(rest)] + maskURL(rest, isNATSURL(scheme+"://"))
	}
	return maskKeywords(s)
}

// isNATSURL reports whether s starts with a scheme of nats.go's.
func isNATSURL(s string) bool {
	scheme, _, ok := strings.Cut(strings.TrimSpace(s), "://")
	switch strings.ToLower(scheme) {
	case "nats", "tls", "ws", "wss":
		return ok
	}
	return false
}

// maskURL masks what follows a URL's "://". The user's password is
// between the first ':' of the user information and its last '@' (a bare
// '@' in the password is then masked too); with token, a user information
// without a password is masked whole. The query starts at the first '?'
// after the user information.
func maskURL(rest string, token bool) string {
	head, query, hasQuery := strings.Cut(rest, "?")
	if at := strings.LastIndex(head, "@"); at >= 0 {
		if colon := strings.Index(head[:at], ":"); colon >= 0 {
			head = head[:colon+1] + masked + head[at:]
		} else if token {
			head = masked + head[at:]
		}
	}
	if !hasQuery {
		return head
	}
	return head + queryPassword.ReplaceAllString("?"+query, "${1}"+masked)
}

// maskKeywords masks the password values of a keyword/value DSN as
// libpq and pgx read it: keyword = value pairs separated by spaces, a
// value quoted with ' or not, a backslash escaping the next character.
func maskKeywords(s string) string {
	var b strings.Builder
	i := 0
	for i < len(s) {
		// keyword
		start := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[start:i]
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) || s[i] != '=' {
			b.WriteString(s[start:i]) // not keyword=value: left as it is
			continue
		}
		i++ // '='
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		b.WriteString(s[start:i])
		// value
		start = i
		quoted := i < len(s) && s[i] == '\''
		if quoted {
			i++
		}
		for i < len(s) {
			c := s[i]
			if c == '\\' {
				i += 2
				continue
			}
			if quoted && c == '\'' || !quoted && isSpace(c) {
				break
			}
			i++
		}
		if quoted && i < len(s) {
			i++ // the closing quote
		}
		i = min(i, len(s))
		if strings.HasSuffix(strings.ToLower(key), "password") {
			b.WriteString(masked)
		} else {
			b.WriteString(s[start:i])
		}
		// the spaces before the next keyword
		start = i
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		b.WriteString(s[start:i])
	}
	return b.String()
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// MaskDefault makes the help of fs (PrintDefaults) show the default of
// the flag name with MaskPassword, for a URL taken from the environment:
// the flag's value, the one used, stays the real one.
func MaskDefault(fs *flag.FlagSet, name string) {
	if f := fs.Lookup(name); f != nil {
		f.DefValue = MaskPassword(f.DefValue)
	}
}
