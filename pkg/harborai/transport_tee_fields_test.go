package harborai_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
)

// A stream request whose body is copied as sent (io.Pipe): both events say
// what the body says, the model and that it asks for a stream, as for a
// body read before the call.
func TestTransportRequestBodyCopiedModelAndStream(t *testing.T) {
	pub, published := httpPub(t)
	srv := httpServer(t, false)
	tr, _ := httpTransport(t, pub, srv)
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, `{"model":"gpt-4o-mini","stream":true,"messages":[]}`)
		_ = pw.Close()
	}()
	resp, err := (&http.Client{Transport: tr}).Do(httpReq(t, context.Background(), srv, "stream", pr))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	var evs []*event.Event
	waitFor(t, 10*time.Second, "two events", func() (bool, string) {
		evs = decoded(t, published)
		return len(evs) >= 2, ""
	})
	for _, ev := range evs {
		if ev.Kind == event.KindRequest && ev.Request.Body == "" {
			t.Fatalf("request event without its body (%s)", ev.Request.BodyOmitted)
		}
		if ev.Model != "gpt-4o-mini" || !ev.Stream {
			t.Errorf("%s event: model %q stream %v; the body copied says gpt-4o-mini, stream true", ev.Kind, ev.Model, ev.Stream)
		}
	}
}
