package ingestor_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/pkg/event"
)

// TestKeepBodies: HARBORAI_KEEP_BODIES decides whether the request and
// response bodies are stored; the call and its usage are stored either way.
func TestKeepBodies(t *testing.T) {
	for _, keep := range []bool{true, false} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			cfg := ingestor.DefaultConfig()
			cfg.KeepBodies = keep
			r := startIngestor(t, cfg, nil)
			body, prompt, _ := openAIBody(1)
			if err := r.conn(t).Publish(event.Subject(event.KindCall), callEvent(t, "c-1", body)); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 15*time.Second, "the call stored", func() (bool, string) {
				n := len(r.calls(t))
				return n == 1, fmt.Sprintf("%d calls", n)
			})
			c := r.calls(t)[0]
			if c.Usage == nil || c.Usage.PromptTokens == nil || *c.Usage.PromptTokens != prompt {
				t.Errorf("stored usage %+v, want %d prompt tokens", c.Usage, prompt)
			}
			if got := c.RequestBody != nil && c.ResponseBody != nil; got != keep {
				t.Errorf("bodies stored: request %v, response %v; want both %v", c.RequestBody != nil, c.ResponseBody != nil, keep)
			}
			if !keep && (c.RequestBody != nil || c.ResponseBody != nil) {
				t.Errorf("a body was stored with KeepBodies false")
			}
		})
	}
}
