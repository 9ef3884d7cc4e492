package harborai_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// The real-host vendor matrix, stream and not, plus errors, through
// PostgreSQL.
func TestEveryVendorAtItsRealHostInPostgres(t *testing.T) {
	cfg := ingestor.DefaultConfig()
	cfg.FlushInterval = 20 * time.Millisecond
	cfg.PostgresURL = pgtest.Start(t).NewDB(t)
	in := testutil.StartIngestor(t, cfg, nil)
	p := &pipeline{Ingestor: in, natsURL: in.NATSURL}
	emu := startEmulator(t)
	pub := connect(t, p.natsURL)
	target, _ := url.Parse(emu.URL())
	client := pub.HTTPClient(&http.Client{Transport: &rewrite{base: baseTransport(t), target: target, prefix: emulatorPrefix}})

	type tc struct {
		name string
		vc   vendorCall
		fail string
	}
	var cases []tc
	for _, v := range emulator.Vendors() {
		for _, stream := range []bool{false, true} {
			for _, fail := range []string{"", "rate_limit", "http200"} {
				name := v
				if stream {
					name += "/stream"
				}
				if fail != "" {
					name += "/" + fail
				}
				cases = append(cases, tc{name, vendorCall{vendor: v, model: models[v], stream: stream}, fail})
			}
		}
	}
	for _, c := range cases {
		req := c.vc.request(t, context.Background(), emu, "real host "+c.name)
		toRealHost(t, emu, c.vc.vendor, req)
		if c.vc.vendor == "azure" {
			q := req.URL.Query()
			q.Set("api-version", "2024-10-21")
			req.URL.RawQuery = q.Encode()
		}
		req.Header.Set(emulator.HeaderUsage, wantUsage.String())
		if c.fail != "" {
			req.Header.Set("X-Emulator-Error", c.fail)
		}
		req = tagCase(req, c.name, harborai.CallInfo{})
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: Do() = %v", c.name, err)
		}
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	stored := storedByCase(t, p, len(cases), 20*time.Second)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls := stored[c.name]
			if len(calls) != 1 {
				t.Fatalf("stored %d calls, want 1", len(calls))
			}
			got := calls[0]
			wantStatus := event.StatusSuccess
			if c.fail != "" {
				wantStatus = event.StatusError
			}
			if got.Provider != providerOf(c.vc.vendor) || got.Model != c.vc.model || got.Stream != c.vc.stream || got.Status != wantStatus {
				t.Errorf("%s", describe(got))
			}
			if c.fail == "" {
				checkUsage(t, c.vc.vendor, got)
			} else if got.Cost != nil && got.Cost.TotalCost != nil && !got.Cost.TotalCost.IsZero() {
				t.Errorf("error call has a cost: %s", describe(got))
			}
		})
	}
}
