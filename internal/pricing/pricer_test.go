package pricing

import (
	"errors"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
)

// TestPricerPrecedence: api_parameter > dynamic > environment_variable >
// default_config; the newest effective dynamic price wins; a tombstone
// hands the call down; exact decimal costs.
func TestPricerPrecedence(t *testing.T) {
	deepseekEnv := map[string]string{"DEEPSEEK_INPUT_PRICE": "0.002", "DEEPSEEK_OUTPUT_PRICE": "0.003"}
	custom := &event.CustomPricing{InputPrice: "0.01", OutputPrice: "0.02", Currency: "CNY"}
	jan, feb, mar := day("2026-01-01"), day("2026-02-01"), day("2026-03-01")
	for _, tc := range []struct {
		name    string
		entries []Entry
		env     map[string]string
		model   string
		at      time.Time
		custom  *event.CustomPricing
		want    string
	}{
		{name: "table only", at: feb,
			want: "0.002+0.004=0.006 CNY default_config"},
		{name: "variables beat the table", env: deepseekEnv, at: feb,
			want: "0.002+0.0015=0.0035 CNY environment_variable"},
		{name: "dynamic beats variables", env: deepseekEnv, at: feb,
			entries: []Entry{price(1, "deepseek", "deepseek-chat", "0.001", "0.002", jan)},
			want:    "0.001+0.001=0.002 CNY dynamic"},
		{name: "custom pricing beats dynamic", env: deepseekEnv, at: feb, custom: custom,
			entries: []Entry{price(1, "deepseek", "deepseek-chat", "0.001", "0.002", jan)},
			want:    "0.01+0.01=0.02 CNY api_parameter"},
		{name: "the newest effective price wins", at: mar,
			entries: []Entry{price(1, "deepseek", "deepseek-chat", "0.001", "0.002", jan), price(2, "deepseek", "deepseek-chat", "0.004", "0.008", feb)},
			want:    "0.004+0.004=0.008 CNY dynamic"},
		{name: "a call before the newer price gets the older", at: feb.Add(-time.Second),
			entries: []Entry{price(1, "deepseek", "deepseek-chat", "0.001", "0.002", jan), price(2, "deepseek", "deepseek-chat", "0.004", "0.008", feb)},
			want:    "0.001+0.001=0.002 CNY dynamic"},
		{name: "a backdated price does not replace a later effective one", at: mar,
			entries: []Entry{price(1, "deepseek", "deepseek-chat", "0.004", "0.008", feb), price(2, "deepseek", "deepseek-chat", "0.001", "0.002", jan)},
			want:    "0.004+0.004=0.008 CNY dynamic"},
		{name: "same effective date: the one set last wins", at: mar,
			entries: []Entry{price(1, "deepseek", "deepseek-chat", "0.001", "0.002", jan), price(2, "deepseek", "deepseek-chat", "0.003", "0.006", jan)},
			want:    "0.003+0.003=0.006 CNY dynamic"},
		{name: "a call before every dynamic price falls through", env: deepseekEnv, at: jan.Add(-time.Hour),
			entries: []Entry{price(1, "deepseek", "deepseek-chat", "0.001", "0.002", jan)},
			want:    "0.002+0.0015=0.0035 CNY environment_variable"},
		{name: "a scheduled price is not used yet", at: feb,
			entries: []Entry{price(1, "deepseek", "deepseek-chat", "0.001", "0.002", mar)},
			want:    "0.002+0.004=0.006 CNY default_config"},
		{name: "after a tombstone the variables price", env: deepseekEnv, at: mar,
			entries: []Entry{price(1, "deepseek", "deepseek-chat", "0.001", "0.002", jan), tombstone(2, "deepseek", "deepseek-chat", feb)},
			want:    "0.002+0.0015=0.0035 CNY environment_variable"},
		{name: "before the tombstone the dynamic price stays", env: deepseekEnv, at: feb.Add(-time.Second),
			entries: []Entry{price(1, "deepseek", "deepseek-chat", "0.001", "0.002", jan), tombstone(2, "deepseek", "deepseek-chat", feb)},
			want:    "0.001+0.001=0.002 CNY dynamic"},
		{name: "a price set after a tombstone applies", at: mar,
			entries: []Entry{price(1, "deepseek", "deepseek-chat", "0.001", "0.002", jan), tombstone(2, "deepseek", "deepseek-chat", feb),
				price(3, "deepseek", "deepseek-chat", "0.005", "0.01", mar)},
			want: "0.005+0.005=0.01 CNY dynamic"},
		{name: "a tombstone does not hide custom pricing", at: mar, custom: custom,
			entries: []Entry{price(1, "deepseek", "deepseek-chat", "0.001", "0.002", jan), tombstone(2, "deepseek", "deepseek-chat", feb)},
			want:    "0.01+0.01=0.02 CNY api_parameter"},
		{name: "a dated snapshot takes its base model's dynamic price", model: "deepseek-chat-2026-01-15", at: feb,
			entries: []Entry{price(1, "deepseek", "deepseek-chat", "0.001", "0.002", jan)},
			want:    "0.001+0.001=0.002 CNY dynamic"},
		{name: "another model is not priced by it", model: "deepseek-reasoner", at: feb,
			entries: []Entry{price(1, "deepseek", "deepseek-chat", "0.001", "0.002", jan)},
			want:    "null not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := Sources{Entries: tc.entries, Lookup: env(tc.env), Table: testTable()}
			p, err := src.Pricer()
			if err != nil {
				t.Fatalf("Pricer() = %v", err)
			}
			model := tc.model
			if model == "" {
				model = "deepseek-chat"
			}
			if got := costText(p.Cost("deepseek", model, tc.at, usage(1000, 500), tc.custom)); got != tc.want {
				t.Errorf("Cost(deepseek, %s, %s) = %s, want %s", model, tc.at.Format(time.RFC3339), got, tc.want)
			}
		})
	}
}

func TestNewPricerRejectsInvalidEntries(t *testing.T) {
	bad := price(1, "deepseek", "deepseek-chat", "0.001", "0.002", day("2026-01-01"))
	bad.Currency = "XYZ"
	_, err := NewPricer(cost.Options{Table: testTable()}, []Entry{bad})
	if !errors.Is(err, cost.ErrInvalidPrice) {
		t.Fatalf("NewPricer(entry with currency XYZ) = %v, want ErrInvalidPrice", err)
	}
	if _, err := NewPricer(cost.Options{Dynamic: testTable()}, nil); err == nil {
		t.Fatal("NewPricer(opts.Dynamic set) = nil error, want one")
	}
}

func TestStatuses(t *testing.T) {
	entries := []Entry{
		price(1, "deepseek", "deepseek-chat", "0.001", "0.002", day("2026-01-01")),
		price(2, "deepseek", "deepseek-chat", "0.002", "0.004", day("2026-02-01")),
		price(3, "deepseek", "deepseek-chat", "0.003", "0.006", day("2026-02-01")),
		price(4, "deepseek", "deepseek-chat", "0.004", "0.008", day("2026-04-01")),
		tombstone(5, "deepseek", "deepseek-reasoner", day("2026-01-01")),
	}
	got := Statuses(entries, day("2026-03-01"))
	want := map[int64]string{1: StatusPast, 2: StatusSuperseded, 3: StatusCurrent, 4: StatusScheduled, 5: StatusCurrent}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("Statuses()[%d] = %q, want %q", id, got[id], w)
		}
	}
}
