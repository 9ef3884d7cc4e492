package harborai_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
)

// TestBaseReturnsRespAndErr: a base returning both a response and an
// error (against RoundTripper's contract) has both handed on as it gave
// them, and the call is recorded as failed.
func TestBaseReturnsRespAndErr(t *testing.T) {
	pub, published := httpPub(t)
	errBase := errors.New("base: both a response and an error")
	base := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 502, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("x")), Request: req}, errBase
	})
	plainAndRecordedRT(t, pub, base, func(t *testing.T, name string, rt http.RoundTripper) {
		req, _ := http.NewRequest(http.MethodPost, "https://api.openai.com/v1/chat/completions", strings.NewReader(httpChat))
		resp, err := rt.RoundTrip(req)
		if resp == nil || !errors.Is(err, errBase) {
			t.Errorf("%s: RoundTrip = %v, %v; want the base's response and error", name, resp, err)
		}
		if resp != nil {
			_ = resp.Body.Close()
		}
	})
	waitFor(t, 5*time.Second, "the recorded call's two events", func() (bool, string) {
		evs := decoded(t, published)
		return len(evs) == 2, fmt.Sprint(len(evs))
	})
	for _, ev := range decoded(t, published) {
		if ev.Response != nil && (ev.Response.Status != event.StatusError || ev.Response.ErrorType != "transport") {
			t.Errorf("response event %+v, want an error of type transport", *ev.Response)
		}
	}
}
