package ingest_test

import (
	"testing"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/pkg/event"
)

// TestBuildKeepsTags: the tags an app sets on a call are stored with it,
// its own environment winning over the ingestor's default.
func TestBuildKeepsTags(t *testing.T) {
	ev := baseEvent(event.KindCall)
	ev.Tags.Environment = "prod"
	ev.Tags.UserID = "u-42"
	c := ingest.Build(ev, newPricer(t, nil), ingest.BuildOptions{Environment: "staging"})
	if c.Tags.Environment != "prod" || c.Tags.UserID != "u-42" {
		t.Errorf("Build().Tags = %+v, want environment prod and user u-42", c.Tags)
	}
}
