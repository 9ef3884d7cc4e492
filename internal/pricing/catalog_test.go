package pricing

import (
	"strings"
	"testing"

	"github.com/harborai/ingest/pkg/cost"
)

// TestList: every source's prices are listed, and each model's row says
// which source wins for it.
func TestList(t *testing.T) {
	src := Sources{
		Entries: []Entry{
			price(1, "deepseek", "deepseek-chat", "0.001", "0.002", day("2026-01-01")),
			price(2, "deepseek", "deepseek-chat", "0.003", "0.004", day("2026-02-01")), // current at 03-01
			price(3, "qwen", "qwen-max", "0.02", "0.06", day("2026-01-01")),
			tombstone(4, "qwen", "qwen-max", day("2026-02-01")), // removed by 03-01
		},
		Lookup: env(map[string]string{
			"DEEPSEEK_INPUT_PRICE": "0.002", "DEEPSEEK_OUTPUT_PRICE": "0.003",
			"OPENAI_GPT_4O_INPUT_PRICE": "0.1", "OPENAI_GPT_4O_OUTPUT_PRICE": "0.2", "COST_CURRENCY": "USD",
			"OPENAI_GPT_5_5_INPUT_PRICE": "1", "OPENAI_GPT_5_5_OUTPUT_PRICE": "2",
		}),
		Environ: []string{"OPENAI_GPT_5_5_INPUT_PRICE=1", "OPENAI_GPT_5_5_OUTPUT_PRICE=2"},
		Table:   testTable(),
	}
	rows, err := src.List(day("2026-03-01"), "", "")
	if err != nil {
		t.Fatalf("List() = %v", err)
	}
	var got []string
	for _, r := range rows {
		model := r.Model
		if model == "" {
			model = r.Match
		}
		got = append(got, strings.Join([]string{r.Provider, model, r.Source, r.Winner, yes(r.Wins), r.Input.String(), r.Currency}, " "))
	}
	want := []string{
		"deepseek * environment_variable  no 0.002 USD",
		"deepseek deepseek-chat dynamic dynamic yes 0.003 CNY",
		"deepseek deepseek-chat default_config dynamic no 2 CNY",
		"openai key GPT_5_5 environment_variable  no 1 USD",
		"openai gpt-4o environment_variable environment_variable yes 0.1 USD",
		"openai gpt-4o default_config environment_variable no 2.5 USD",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("List() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	rows, err = src.List(day("2026-03-01"), "openai", "gpt-4o")
	if err != nil || len(rows) != 3 { // the model's two rows and the provider's variables for unlisted models
		t.Errorf("List(openai, gpt-4o) = %d rows, %v, want 3", len(rows), err)
	}
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// TestExplain: the winner, each source's candidate and the reason.
func TestExplain(t *testing.T) {
	entries := []Entry{
		price(1, "deepseek", "deepseek-chat", "0.001", "0.002", day("2026-01-01")),
		tombstone(2, "deepseek", "deepseek-chat", day("2026-02-01")),
	}
	deepseekEnv := env(map[string]string{"DEEPSEEK_INPUT_PRICE": "0.002", "DEEPSEEK_OUTPUT_PRICE": "0.003"})
	for _, tc := range []struct {
		name       string
		src        Sources
		model      string
		at         string
		winner     string
		found      string // the candidates found, in precedence order
		reasonHas  string
		priceInput string
	}{
		{name: "dynamic", src: Sources{Entries: entries, Lookup: deepseekEnv, Table: testTable()}, at: "2026-01-15",
			winner: cost.SourceDynamic, found: "dynamic environment_variable default_config", reasonHas: "#1", priceInput: "0.001"},
		{name: "after unset, the variables", src: Sources{Entries: entries, Lookup: deepseekEnv, Table: testTable()}, at: "2026-02-15",
			winner: cost.SourceEnvironmentVariable, found: "environment_variable default_config", reasonHas: "removed by #2", priceInput: "0.002"},
		{name: "the table", src: Sources{Table: testTable()}, at: "2026-02-15",
			winner: cost.SourceDefaultConfig, found: "default_config", reasonHas: "builtin table", priceInput: "2"},
		{name: "a dated snapshot of a table model", src: Sources{Table: testTable()}, model: "deepseek-chat-2026-01-15", at: "2026-02-15",
			winner: cost.SourceDefaultConfig, found: "default_config", reasonHas: "builtin table", priceInput: "2"},
		{name: "nowhere", src: Sources{Table: testTable()}, model: "deepseek-reasoner", at: "2026-02-15",
			winner: cost.SourceNotFound, found: "", reasonHas: "null cost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model := tc.model
			if model == "" {
				model = "deepseek-chat"
			}
			x, err := tc.src.Explain("DeepSeek", model, day(tc.at))
			if err != nil {
				t.Fatalf("Explain() = %v", err)
			}
			var found []string
			wins := 0
			for _, c := range x.Candidates {
				if c.Found {
					found = append(found, c.Source)
				}
				if c.Wins {
					wins++
				}
			}
			if x.Winner != tc.winner || strings.Join(found, " ") != tc.found || !strings.Contains(x.Reason, tc.reasonHas) {
				t.Errorf("Explain() = winner %s, found %v, reason %q; want %s, %q, a reason naming %q", x.Winner, found, x.Reason, tc.winner, tc.found, tc.reasonHas)
			}
			if tc.priceInput != "" && (x.Price.Input == nil || x.Price.Input.String() != tc.priceInput || wins != 1) {
				t.Errorf("Explain() price = %+v (%d winners), want input %s and one winner", x.Price, wins, tc.priceInput)
			}
		})
	}
}
