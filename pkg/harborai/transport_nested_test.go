package harborai_test

import (
	"net/http"
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
