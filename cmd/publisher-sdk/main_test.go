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

// TestHelpMasksPassword: -h shows the NATS URL from the environment
// without its password.
func TestHelpMasksPassword(t *testing.T) {
	t.Setenv("HARBORAI_NATS_URL", "nats://app:n4ts-s3cret@nats.internal:4222")
	for _, cmd := range []string{"publish", "demo"} {
		var out, errb bytes.Buffer
		if code := run([]string{cmd, "-h"}, strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("%s -h = %d, want 0", cmd, code)
		}
		help := out.String() + errb.String()
		if strings.Contains(help, "s3cret") || !strings.Contains(help, "nats://app:xxxxx@nats.internal:4222") {
			t.Errorf("%s -h shows the password, or not the masked URL:\n%s", cmd, help)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	t.Setenv("HARBORAI_NATS_URL", "")
	cases := []struct {
		args []string
		want string // in stderr
	}{
		{[]string{}, "usage:"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"demo", "-calls", "0"}, "-calls"},
		{[]string{"publish", "-nope"}, "-nope"},
		{[]string{"publish", "-nats-url", "garbage"}, `publisher-sdk publish: -nats-url "garbage": no scheme; want a URL such as nats://host:4222`},
		{[]string{"demo", "-nats-url", "garbage", "-timeout", "1s"}, `publisher-sdk demo: -nats-url "garbage"`},
		{[]string{"publish", "-nats-url", "nats://host:port"}, `-nats-url "nats://host:port"`},
		{[]string{"publish", "-timeout", "0"}, "publisher-sdk publish: -timeout 0s: must be positive"},
		{[]string{"demo", "-timeout", "-1s"}, "publisher-sdk demo: -timeout -1s: must be positive"},
		{[]string{"demo", "-timeout", "1s", "extra"}, `publisher-sdk demo: unexpected argument "extra"`},
		{[]string{"demo", "-chunk-delay", "-1s", "-timeout", "1s"}, "publisher-sdk demo: -chunk-delay -1s: must be >= 0"},
	}
	for _, tc := range cases {
		var out, errb bytes.Buffer
		if code := run(tc.args, strings.NewReader(""), &out, &errb); code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("run(%q) = %d, stderr %q; want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
}

// TestNeverConnected: when nothing listens at the NATS URL, the message at
// the end of -timeout says the connection was never established, and why.
func TestNeverConnected(t *testing.T) {
	b, err := event.Encode(testutil.CallEvents(1)[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"publish", "-nats-url", "nats://127.0.0.1:1", "-timeout", "1s"},
		{"demo", "-nats-url", "nats://127.0.0.1:1", "-timeout", "1s", "-calls", "2", "-chunk-delay", "0s"},
	} {
		var out, errb bytes.Buffer
		code := run(args, bytes.NewReader(append(b, '\n')), &out, &errb)
		want := " within 1s: never connected to nats://127.0.0.1:1: "
		if code != 1 || !strings.Contains(errb.String(), want) || !strings.Contains(errb.String(), "connection refused") {
			t.Errorf("run(%q) = %d, stderr %q; want 1, %q and the connection's error", args, code, errb.String(), want)
		}
	}
}
