package cli

import (
	"strings"
	"testing"
)

// TestMaskPasswordNATSToken: a NATS URL may carry a token as its user
// (nats://TOKEN@host, nats.go's token authentication): MaskPassword (-h
// defaults, the ingestor's log lines, publisher-sdk's messages) masks it,
// in a list of URLs too.
func TestMaskPasswordNATSToken(t *testing.T) {
	const token = "s3cr3tT0kenValue"
	for _, in := range []string{"nats://" + token + "@127.0.0.1:4222", "nats://a:b@h1:4222,nats://" + token + "@h2:4222"} {
		if got := MaskPassword(in); strings.Contains(got, token) {
			t.Errorf("MaskPassword(%q) = %q: the token is shown", in, got)
		}
	}
}

// TestCheckNATSURLHidesPassword: the error for a mistyped -nats-url, which
// publisher-sdk and the ingestor print, does not quote the password, not
// even through url.Parse's error.
func TestCheckNATSURLHidesPassword(t *testing.T) {
	const pw = "hunter2secret"
	err := CheckNATSURL("nats://user:" + pw + "@host:42x2")
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.Contains(err.Error(), pw) {
		t.Errorf("CheckNATSURL() error shows the password: %v", err)
	}
}

// TestMaskPasswordWithComma: a NATS URL whose password has a comma is one
// URL, not a list: its password is masked whole.
func TestMaskPasswordWithComma(t *testing.T) {
	in := "nats://user:hunter2,secret@host:4222"
	got := MaskPassword(in)
	if strings.Contains(got, "hunter2") || strings.Contains(got, "secret") {
		t.Errorf("MaskPassword(%q) = %q", in, got)
	}
}
