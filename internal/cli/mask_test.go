package cli

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestMaskPassword(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"URL with password", "postgres://user:secret@host/db", "postgres://user:xxxxx@host/db"},
		{"URL with password and query", "postgres://user:secret@host:5432/db?sslmode=disable", "postgres://user:xxxxx@host:5432/db?sslmode=disable"},
		{"URL without password", "postgres://user@host/db", "postgres://user@host/db"},
		{"URL without user", "postgres://host/db", "postgres://host/db"},
		{"URL with empty password", "postgres://user:@host/db", "postgres://user:xxxxx@host/db"},
		{"escaped @ in password", "postgres://user:p%40ss@host/db", "postgres://user:xxxxx@host/db"},
		{"bare @ in password", "postgres://user:p@ss@host/db", "postgres://user:xxxxx@host/db"},
		{"several hosts", "postgresql://user:secret@h1:5432,h2:5433/db", "postgresql://user:xxxxx@h1:5432,h2:5433/db"},
		{"password in the query", "postgres://host/db?sslmode=disable&password=secret&x=1", "postgres://host/db?sslmode=disable&password=xxxxx&x=1"},
		{"sslpassword in the query", "postgres://u@host/db?sslpassword=secret", "postgres://u@host/db?sslpassword=xxxxx"},
		{"nats URL", "nats://user:secret@host:4222", "nats://user:xxxxx@host:4222"},
		{"keyword/value", "host=h user=u password=secret dbname=d", "host=h user=u password=xxxxx dbname=d"},
		{"keyword/value last", "host=h password=secret", "host=h password=xxxxx"},
		{"keyword/value spaced", "host=h password = secret dbname=d", "host=h password = xxxxx dbname=d"},
		{"keyword/value quoted", `password='se cret \' x' host=h`, "password=xxxxx host=h"},
		{"keyword/value escaped space", `password=se\ cret host=h`, "password=xxxxx host=h"},
		{"keyword/value unterminated quote", `host=h password='secret`, "host=h password=xxxxx"},
		{"keyword/value capitals", "host=h PASSWORD=secret", "host=h PASSWORD=xxxxx"},
		{"keyword/value without password", "host=h user=u dbname=d", "host=h user=u dbname=d"},
		{"keyword/value empty password", "host=h password='' dbname=d", "host=h password=xxxxx dbname=d"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := MaskPassword(tc.in); got != tc.want {
				t.Errorf("MaskPassword(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestMaskDefault: the help shows the masked default; the flag's value,
// parsed or not, stays the real one.
func TestMaskDefault(t *testing.T) {
	const url = "postgres://user:secret@host/db"
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var help strings.Builder
	fs.SetOutput(&help)
	v := fs.String("postgres-url", url, "PostgreSQL URL")
	MaskDefault(fs, "postgres-url")
	MaskDefault(fs, "no-such-flag") // nothing to do
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	fs.PrintDefaults()
	if *v != url {
		t.Errorf("value after MaskDefault = %q, want %q", *v, url)
	}
	if got := help.String(); strings.Contains(got, "secret") || !strings.Contains(got, `(default "postgres://user:xxxxx@host/db")`) {
		t.Errorf("help = %q, want the default with its password masked", got)
	}
	fs.SetOutput(io.Discard)
}
