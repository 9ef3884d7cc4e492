package harborai

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/harborai/ingest/pkg/event"
)

// secretWords mark a header or query parameter as a secret when its name,
// lower-cased, contains one of them: Authorization, api-key, x-api-key,
// x-goog-api-key, Cookie, X-Auth-Token, Ocp-Apim-Subscription-Key, ...
// Values are never inspected: a secret is dropped whole, name and value.
var secretWords = []string{"auth", "cookie", "key", "token", "secret", "password", "passwd", "signature", "credential", "session"}

// notSecrets are the ends of names that contain a secret word but name no
// secret (SPEC §12: no false positive on max_tokens): counts of tokens,
// and a few words. They are compared in lower case and without "-" and
// "_": "max_tokens", "maxTokens", "X-Max-Tokens" and "max_output_tokens"
// end with one; "access_tokens" and "api_keys" do not.
var notSecrets = []string{
	"maxtokens", "mintokens", "numtokens", "newtokens", "inputtokens", "outputtokens", "prompttokens",
	"completiontokens", "totaltokens", "budgettokens", "reasoningtokens", "thinkingtokens", "cachedtokens",
	"tokenstosample", "tokenizer", "keyword", "keywords",
}

// looseSuffix reports whether name ends with suffix, a lower-case word
// without separators, in any case and skipping "-" and "_" in name.
func looseSuffix(name, suffix string) bool {
	i := len(name)
	for j := len(suffix) - 1; j >= 0; j-- {
		for i > 0 && (name[i-1] == '-' || name[i-1] == '_') {
			i--
		}
		if i == 0 || lower(name[i-1]) != suffix[j] {
			return false
		}
		i--
	}
	return true
}

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
				return !slices.ContainsFunc(notSecrets, func(n string) bool { return looseSuffix(name, n) })
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

// redactMessage removes the secrets of u, a URL that may carry some, from
// an error message: the URL as u.String() writes it becomes the URL
// without them, and in the rest of the message each secret itself (a
// password or token in the user information, the value of a secret query
// parameter), as written in the URL and unescaped, becomes "redacted"
// where it stands apart (not inside a longer word): a message may print
// the URL in another form (a password masked by net/http, a query escaped
// again).
func redactMessage(msg string, u *url.URL) string {
	if u == nil || (u.User == nil && u.RawQuery == "") {
		return msg
	}
	secrets := urlSecrets(u)
	parts := strings.Split(msg, u.String())
	for i, p := range parts {
		for _, s := range secrets {
			p = replaceApart(p, s, "redacted")
		}
		parts[i] = p
	}
	return strings.Join(parts, redactURL(u))
}

// replaceApart replaces with by each occurrence of old in s that stands
// apart: no letter or digit touches it on either side but as part of a
// "%XX" escape. A secret of at least longSecret bytes is replaced wherever
// it is: a value that long is no part of a word.
func replaceApart(s, old, with string) string {
	if old == "" {
		return s
	}
	var b strings.Builder
	done := 0 // s[:done] is in b, or to be
	for from := 0; ; {
		i := strings.Index(s[from:], old)
		if i < 0 {
			break
		}
		i += from
		end := i + len(old)
		if len(old) >= longSecret || apartBefore(s, i) && apartAfter(s, end) {
			b.WriteString(s[done:i])
			b.WriteString(with)
			done, from = end, end
		} else {
			from = i + 1 // another occurrence may start inside this one
		}
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// longSecret is the length from which replaceApart replaces a secret
// wherever it is.
const longSecret = 12

// apartBefore reports whether s[i:] starts apart from what precedes it.
func apartBefore(s string, i int) bool {
	return i == 0 || !isWordByte(s[i-1]) || i >= 3 && s[i-3] == '%' && isHex(s[i-2]) && isHex(s[i-1])
}

// apartAfter reports whether s[:end] ends apart from what follows it.
func apartAfter(s string, end int) bool {
	return end == len(s) || !isWordByte(s[end]) || end+3 <= len(s) && s[end] == '%' && isHex(s[end+1]) && isHex(s[end+2])
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// minSecret is the length under which a value is not looked for in a
// message: a value that short is no secret worth the words it would cut.
const minSecret = 4

// urlSecrets are the secrets of u, each as written in the URL and
// unescaped: the user information's password, or its user name when it
// has no password (a token), and the values of the query parameters that
// may carry secrets (isSecret). The longest come first, so that a secret
// inside another is replaced after it.
func urlSecrets(u *url.URL) []string {
	var out []string
	add := func(raw string, unescape func(string) (string, error)) {
		if len(raw) >= minSecret {
			out = append(out, raw)
		}
		if v, err := unescape(raw); err == nil && v != raw && len(v) >= minSecret {
			out = append(out, v)
		}
	}
	if u.User != nil {
		info := u.User.String() // escaped as in the URL
		name, pass, hasPass := strings.Cut(info, ":")
		if hasPass {
			add(pass, url.PathUnescape)
		} else {
			add(name, url.PathUnescape)
		}
	}
	for part := range strings.SplitSeq(u.RawQuery, "&") {
		name, value, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if value != "" && isSecret(name) {
			add(value, url.QueryUnescape)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// redactURLs is text with the secrets of every URL in urls (nats.go's
// comma-separated list, or one URL) redacted (redactMessage); a URL that
// does not parse is looked for whole, and written with its user
// information redacted.
func redactURLs(text, urls string) string {
	for raw := range strings.SplitSeq(urls, ",") {
		raw = strings.TrimSpace(raw)
		if u, err := url.Parse(raw); err == nil {
			text = redactMessage(text, u)
		} else if start, end, ok := userinfo(raw); ok {
			text = strings.ReplaceAll(text, raw, raw[:start]+"redacted"+raw[end:])
		}
	}
	return text
}

// quotable is raw, a URL as the application gave it, fit for a message
// whatever it holds: without its query, and with its user information
// (what its authority has before an "@") written "redacted". It need not
// parse.
func quotable(raw string) string {
	raw, _, _ = strings.Cut(raw, "?")
	if start, end, ok := userinfo(raw); ok {
		raw = raw[:start] + "redacted" + raw[end:]
	}
	return raw
}

// userinfo finds the user information of raw, a URL that need not parse:
// raw[start:end], before the last "@" of the authority (after "://" or a
// leading "//", up to the next "/"). A password may hold a "/"
// ("user:pa/ss@host", which does not parse): when what precedes the first
// "/" has a ":" followed by no port, and no "@", the authority is taken
// to run to the query, so that a secret is rather cut too wide than left.
func userinfo(raw string) (start, end int, ok bool) {
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + 3
	} else if strings.HasPrefix(raw, "//") {
		start = 2
	}
	rest := raw[start:]
	if j := strings.IndexAny(rest, "?#"); j >= 0 {
		rest = rest[:j]
	}
	authority := rest
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		authority = rest[:j]
		if c := strings.IndexByte(authority, ':'); c >= 0 && !strings.HasPrefix(authority, "[") &&
			!strings.Contains(authority, "@") && !isPort(authority[c+1:]) {
			authority = rest
		}
	}
	at := strings.LastIndexByte(authority, '@')
	return start, start + at, at >= 0
}

// isPort reports whether s is a port: digits, or nothing.
func isPort(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// withoutSecrets is ev without the secrets an application may have put in
// its request (the Transport's never has any): the headers that may carry
// them, and its URL's user information and secret query parameters
// (redactURL). ev is copied, not changed, when it has some: its maps may
// be shared with another event, encoded on another goroutine.
func withoutSecrets(ev *event.Event) *event.Event {
	r := ev.Request
	if r == nil {
		return ev
	}
	secretHeader := false
	for name := range r.Headers {
		if isSecret(name) {
			secretHeader = true
			break
		}
	}
	// A URL with nothing to remove is kept as written, not as net/url
	// would write it again.
	u := r.URL
	if strings.ContainsAny(u, "@?") { // user information, a query
		if parsed, err := url.Parse(u); err != nil {
			if _, _, ok := userinfo(u); ok || strings.Contains(u, "?") {
				u = quotable(u)
			}
		} else if parsed.User != nil || queryHasSecret(parsed.RawQuery) {
			u = redactURL(parsed)
		}
	}
	if !secretHeader && u == r.URL {
		return ev
	}
	c, x := *ev, *r
	x.URL = u
	if secretHeader {
		x.Headers = make(map[string]string, len(r.Headers))
		for name, v := range r.Headers {
			if !isSecret(name) {
				x.Headers[name] = v
			}
		}
	}
	c.Request = &x
	return &c
}
