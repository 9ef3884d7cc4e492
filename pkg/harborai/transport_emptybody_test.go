package harborai_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/harborai/ingest/pkg/harborai"
)

// A base RoundTripper that builds its responses by hand (a test double, a
// cache: &http.Response{...} without ContentLength, whose zero value is 0)
// hands over a body with bytes in it; the application reads them through
// the Transport as without it.
func TestTransportHTTPZeroContentLengthBodyKept(t *testing.T) {
	pub, _ := httpPub(t)
	base := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(httpAnswer)), Request: req}, nil
	})
	for _, recorded := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "recorded"}[recorded]
		var rt http.RoundTripper = base
		if recorded {
			rt = harborai.NewTransport(pub, base)
		}
		client := &http.Client{Transport: rt}
		resp, err := client.Post("https://api.openai.com/v1/chat/completions", "application/json", strings.NewReader(httpChat))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != httpAnswer {
			t.Errorf("%s: the application read %q (%v), body %T; want the body the base returned", name, b, err, resp.Body)
		}
	}
}
