package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/event"
)

// TestPublishJSONL: good lines are published and stored; a malformed line,
// an invalid event and an oversize line are each reported with their line
// number and skipped, and the exit code says something was rejected.
func TestPublishJSONL(t *testing.T) {
	in := testutil.StartIngestor(t, ingestor.DefaultConfig(), nil)
	var file strings.Builder
	evs := testutil.CallEvents(20)
	for i, ev := range evs {
		b, err := event.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		file.Write(b)
		file.WriteString("\n")
		if i == 3 {
			file.WriteString("{not json\n")
			file.WriteString(`{"schema_version":1,"kind":"request","event_id":"x","provider":"openai","started_at":"2026-11-26T00:00:00Z","request":{}}` + "\n")
			file.WriteString(`{"pad":"` + strings.Repeat("x", event.MaxSize+10) + "\"}\n")
			file.WriteString("\n")
		}
	}
	path := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(path, []byte(file.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"publish", "-nats-url", in.NATSURL, path}, nil, &out, &errb)
	var sum publishSummary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("summary %q: %v", out.String(), err)
	}
	if code != 1 || sum.Published != int64(len(evs)) || sum.Rejected != 3 || sum.Lines != len(evs)+3 {
		t.Fatalf("publish = exit %d, %+v; want exit 1, %d published, 3 rejected", code, sum, len(evs))
	}
	for _, want := range []string{":5: invalid event: invalid_json", ":6: invalid event: invalid_field: call_id", ":7: event larger than"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb.String())
		}
	}
	testutil.WaitComplete(t, in.Store(t), len(evs)/2)
}

// TestDemo: the demo makes calls against the emulator for several vendors
// and every one of them is stored, none pending.
func TestDemo(t *testing.T) {
	in := testutil.StartIngestor(t, ingestor.DefaultConfig(), nil)
	var out, errb bytes.Buffer
	if code := run([]string{"demo", "-calls", "36", "-nats-url", in.NATSURL, "-chunk-delay", "0s"}, nil, &out, &errb); code != 0 {
		t.Fatalf("demo = exit %d: %s", code, errb.String())
	}
	var sum demoSummary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Calls != 36 || sum.EventsPublished != 72 || sum.EventsDropped != 0 || sum.Errors == 0 || sum.Streams == 0 {
		t.Fatalf("demo summary = %+v", sum)
	}
	calls := testutil.WaitComplete(t, in.Store(t), 36)
	providers := map[string]bool{}
	for _, c := range calls {
		providers[c.Provider] = true
		if c.Status == "success" && (c.Usage == nil || c.Usage.UsageMissing) {
			t.Errorf("call %s (%s, stream %v) stored without usage", c.CallID, c.Provider, c.Stream)
		}
	}
	if len(providers) < 9 {
		t.Errorf("demo called %d providers, want 9", len(providers))
	}
}

// TestHelpFlag: -h prints a command's flags and exits 0, publishing
// nothing.
func TestHelpFlag(t *testing.T) {
	for _, args := range [][]string{{"publish", "-h"}, {"demo", "--help"}} {
		var out, errb bytes.Buffer
		if code := run(args, strings.NewReader(""), &out, &errb); code != 0 || !strings.Contains(errb.String(), "-timeout") {
			t.Errorf("run(%q) = %d, stderr %q; want 0 and the flags", args, code, errb.String())
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"demo", "-calls", "0"}, {"publish", "-nope"}} {
		var out, errb bytes.Buffer
		if code := run(args, nil, &out, &errb); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
	}
}
