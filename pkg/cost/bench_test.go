package cost

import (
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/parse"
)

// BenchmarkCost prices calls of the models the ingest benchmark sends (the
// built-in table, no price variables or dynamic prices), dated and undated
// names, with and without cached tokens.
func BenchmarkCost(b *testing.B) {
	p, err := NewPricer(Options{})
	if err != nil {
		b.Fatal(err)
	}
	calls := []struct {
		provider, model string
		u               parse.Usage
	}{
		{"openai", "gpt-4o-mini-2024-07-18", usage(1200, 300, 0, -1, -1)},
		{"openai", "gpt-4o", usage(5123, 871, 2048, -1, -1)},
		{"anthropic", "claude-sonnet-4-20250514", usage(2200, 640, 1024, 128, -1)},
		{"deepseek", "deepseek-chat", usage(900, 120, 512, -1, -1)},
		{"gemini", "gemini-2.5-flash", usage(3100, 410, -1, -1, 90)},
		{"qwen", "qwen-plus", usage(700, 260, -1, -1, -1)},
	}
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c := calls[i%len(calls)]
		if info := p.Cost(c.provider, c.model, at, c.u, nil); info.TotalCost == nil {
			b.Fatalf("%s/%s: not priced: %+v", c.provider, c.model, info)
		}
	}
}
