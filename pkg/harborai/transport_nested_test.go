package harborai_test

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/pkg/harborai"
)

// TestClientWrappedTwiceRecordsOnce: an application whose http.Client
// records already (a shared client made with HTTPClient) and wraps it again
// (a library doing the two lines of setup on the client it is given): each
// call is stored once, its tokens and cost counted once.
func TestClientWrappedTwiceRecordsOnce(t *testing.T) {
	p := startPipeline(t)
	emu := startEmulator(t)
	pub := connect(t, p.natsURL)
	shared := pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, emulatorBases(emu)...)
	client := pub.HTTPClient(shared, emulatorBases(emu)...)
	req := newPost(t, emu.BaseURL("openai")+"/chat/completions", plainChat)
	req.Header.Set(emulator.HeaderUsage, wantUsage.String())
	req = tagCase(req, "nested", harborai.CallInfo{})
	if code, b := doPost(t, client, req); code != 200 {
		t.Fatalf("HTTP %d %s", code, b)
	}
	calls := storedByCase(t, p, 2, 3*time.Second)["nested"]
	for _, c := range calls {
		t.Log(c.CallID, describe(c))
	}
	if len(calls) != 1 {
		t.Errorf("one LLM call stored as %d calls", len(calls))
	}
}

// TestTransportOfAnotherPublisherRecordsToo: a library records the calls of
// the client it builds to its own publisher (and reads their ids with
// WithOnCall); the application wraps that client with its own publisher.
// Each publisher records the call.
func TestTransportOfAnotherPublisherRecordsToo(t *testing.T) {
	srv := startBroker(t)
	seen := subscribe(t, srv.ClientURL())
	appPub := connect(t, srv.ClientURL())
	libPub := connect(t, srv.ClientURL())
	var libSaw atomic.Int32
	libClient := libPub.HTTPClient(&http.Client{Transport: memoryTransport{body: []byte(sampleEvent().Response.Body)}},
		harborai.WithOnCall(func(*http.Request, *harborai.Call) { libSaw.Add(1) }))
	appClient := appPub.HTTPClient(libClient)
	resp, err := appClient.Post("https://api.openai.com/v1/chat/completions", "application/json", strings.NewReader(plainChat))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if libSaw.Load() != 1 {
		t.Errorf("the library's Transport saw %d calls, want 1", libSaw.Load())
	}
	if evs := publishedEvents(t, seen, 4); len(evs) != 4 {
		t.Errorf("%d events, want 4: two calls, one per publisher", len(evs))
	}
}
