package harborai

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/harborai/ingest/pkg/event"
)

const unparsedSecret = "s3cr3tV4lue"

// TestUnparsedURLSecretsNotLeaked: a URL that does not parse, for a password
// with an unescaped "/" (base64 tokens have them) or an escape that is no
// escape in a scheme-relative URL, is left out all the same of what is
// published (withoutSecrets) and logged (quotable); and of what Connect
// returns (redactURLs).
func TestUnparsedURLSecretsNotLeaked(t *testing.T) {
	for _, raw := range []string{
		"https://user:ab/" + unparsedSecret + "@gw.example/v1/chat/completions",
		"//user:" + unparsedSecret + "%zz@gw.example/v1/chat/completions",
	} {
		if _, err := url.Parse(raw); err == nil { //nolint:staticcheck // the precondition: it does not parse
			t.Fatalf("precondition: want url.Parse(%q) to fail", raw)
		}
		ev := &event.Event{Request: &event.Request{Method: "POST", URL: raw}}
		if got := withoutSecrets(ev).Request.URL; strings.Contains(got, unparsedSecret) {
			t.Errorf("withoutSecrets published URL %q", got)
		}
		if got := quotable(raw); strings.Contains(got, unparsedSecret) {
			t.Errorf("quotable(%q) = %q", raw, got)
		}
	}
	nats := "nats://harbor:ab/" + unparsedSecret + "@127.0.0.1:4222"
	msg := "harborai: connect to " + nats + `: parse "` + nats + `": invalid port ":ab" after host`
	if got := redactURLs(msg, nats); strings.Contains(got, unparsedSecret) {
		t.Errorf("redactURLs = %q", got)
	}
}

// TestReplaceApart: each occurrence that stands apart is replaced, one
// that overlaps a touched one included; a "%XX" escape is no word; a long
// secret is replaced wherever it is.
func TestReplaceApart(t *testing.T) {
	for _, tt := range []struct{ s, old, want string }{
		{"xab-ab-ab", "ab-ab", "xab-redacted"},
		{"Xtok.tok tok.tok", "tok.tok", "Xtok.tok redacted"},
		{"compass pass", "pass", "compass redacted"},
		{"key%3Dpass%26x", "pass", "key%3Dredacted%26x"},
		{"xs3cr3tV4lue12y", "s3cr3tV4lue12", "xredactedy"},
		{"pass", "pass", "redacted"},
		{"", "pass", ""},
		{"pass", "", "pass"},
	} {
		if got := replaceApart(tt.s, tt.old, "redacted"); got != tt.want {
			t.Errorf("replaceApart(%q, %q) = %q, want %q", tt.s, tt.old, got, tt.want)
		}
	}
}

// TestRedactMessageEscapedAgain: a message that has the request URL
// escaped again ("key%3DSECRET") has the secret left out.
func TestRedactMessageEscapedAgain(t *testing.T) {
	u, _ := url.Parse("https://gw.example/v1/chat?key=" + unparsedSecret + "&alt=sse")
	for _, msg := range []string{
		"upstream rejected redirect_uri=" + url.QueryEscape(u.String()),
		"bad target " + url.PathEscape(u.String()),
	} {
		if got := redactMessage(msg, u); strings.Contains(got, unparsedSecret) {
			t.Errorf("redactMessage(%q) = %q", msg, got)
		}
	}
}

// FuzzRedactMessage: for any URL that parses and any message quoting it,
// redactMessage leaves no secret of longSecret bytes or more, and a
// message without the URL's secrets comes back as it was. quotable and
// withoutSecrets never panic, and leave out what userinfo finds.
func FuzzRedactMessage(f *testing.F) {
	f.Add("https://user:pa%2Fss-word-1234@gw.example/v1/models/m:generateContent?alt=sse&key=AIzaSyA-0123456789abcdef", "Post %q: EOF")
	f.Add("nats://tok3n-tok3n-tok3n@127.0.0.1:4222", "connect to %s: refused")
	f.Add("//u:p@h/x?api_key=abcdefghijklmnop&max_tokens=10", "%s %s")
	f.Fuzz(func(t *testing.T, raw, format string) {
		quoted := quotable(raw)
		ev := &event.Event{Request: &event.Request{URL: raw}}
		_ = withoutSecrets(ev)
		if start, _, ok := userinfo(raw); ok && !strings.HasPrefix(quoted[start:], "redacted@") {
			t.Errorf("quotable(%q) = %q keeps the user information", raw, quoted)
		}
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		msg := strings.ReplaceAll(format, "%s", u.String())
		msg = strings.ReplaceAll(msg, "%q", strconv.Quote(u.String()))
		got := redactMessage(msg, u)
		for _, s := range urlSecrets(u) {
			if len(s) >= longSecret && strings.Contains(got, s) {
				t.Errorf("redactMessage(%q) = %q keeps %q", msg, got, s)
			}
		}
		if len(urlSecrets(u)) == 0 && !strings.Contains(msg, u.String()) && got != msg {
			t.Errorf("redactMessage(%q) = %q, changed a message without the URL or its secrets", msg, got)
		}
	})
}
