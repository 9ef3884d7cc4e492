package pg

import (
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
	"github.com/harborai/ingest/pkg/record"
)

func TestInsertAndListPrices(t *testing.T) {
	w, _ := setup(t, Config{})
	p := w.Pool()
	rows := []PriceRow{
		{Provider: "deepseek", Model: "deepseek-chat", Currency: "CNY", Unit: 1000, Input: dec("0.001"), Output: dec("0.002"),
			CachedInput: dec("0.000100000000"), EffectiveFrom: at("2026-02-01T00:00:00Z"), Note: "促销"},
		{Provider: "deepseek", Model: "deepseek-chat", Currency: "CNY", Unit: 1000, Input: dec("0.002"), Output: dec("0.004"),
			EffectiveFrom: at("2026-01-01T00:00:00Z")},
		{Provider: "deepseek", Model: "deepseek-chat", EffectiveFrom: at("2026-03-01T00:00:00Z"), Removed: true},
		{Provider: "openai", Model: "gpt-4o", Currency: "USD", Unit: 1000000, Input: dec("2.5"), Output: dec("10"),
			CacheWrite: dec("3.125"), EffectiveFrom: at("2026-01-01T00:00:00.123456Z")},
	}
	var stored []PriceRow
	for _, r := range rows {
		s, err := InsertPrice(t.Context(), p, r)
		if err != nil {
			t.Fatalf("InsertPrice(%+v) = %v", r, err)
		}
		if s.ID == 0 || s.SetAt.IsZero() {
			t.Errorf("InsertPrice() = id %d set_at %v, want both set", s.ID, s.SetAt)
		}
		stored = append(stored, s)
	}
	got, err := ListPrices(t.Context(), p, "deepseek", "deepseek-chat")
	if err != nil {
		t.Fatal(err)
	}
	// Ordered by effective date.
	wantOrder := []int64{stored[1].ID, stored[0].ID, stored[2].ID}
	if len(got) != 3 || got[0].ID != wantOrder[0] || got[1].ID != wantOrder[1] || got[2].ID != wantOrder[2] {
		t.Fatalf("ListPrices(deepseek-chat) = %+v, want ids %v", got, wantOrder)
	}
	r := got[1]
	if r.Input.String() != "0.001" || r.CachedInput.Exponent() != -12 || r.CacheWrite != nil || r.Note != "促销" ||
		r.Currency != "CNY" || r.Unit != 1000 || !r.EffectiveFrom.Equal(rows[0].EffectiveFrom) {
		t.Errorf("ListPrices()[1] = %+v, want row 0 as inserted (cached price with its scale)", r)
	}
	if tomb := got[2]; !tomb.Removed || tomb.Input != nil || tomb.Currency != "" || tomb.Unit != 0 {
		t.Errorf("ListPrices()[2] = %+v, want a tombstone without prices", tomb)
	}
	all, err := ListPrices(t.Context(), p, "", "")
	if err != nil || len(all) != 4 || all[3].Provider != "openai" || !all[3].EffectiveFrom.Equal(rows[3].EffectiveFrom) {
		t.Errorf("ListPrices(all) = %+v, %v, want 4 rows, openai last with its microseconds", all, err)
	}
}

func TestPriceRowsChecked(t *testing.T) {
	w, _ := setup(t, Config{})
	p := w.Pool()
	ok := PriceRow{Provider: "deepseek", Model: "deepseek-chat", Currency: "CNY", Unit: 1000,
		Input: dec("0.001"), Output: dec("0.002"), EffectiveFrom: at("2026-01-01T00:00:00Z")}
	for _, tc := range []struct {
		name string
		edit func(r *PriceRow)
	}{
		{"upper-case model", func(r *PriceRow) { r.Model = "DeepSeek-Chat" }},
		{"empty provider", func(r *PriceRow) { r.Provider = "" }},
		{"negative price", func(r *PriceRow) { r.Output = dec("-0.1") }},
		{"negative cached price", func(r *PriceRow) { r.CachedInput = dec("-0.1") }},
		{"lower-case currency", func(r *PriceRow) { r.Currency = "cny" }},
		{"no unit", func(r *PriceRow) { r.Unit = 0 }},
		{"tombstone with a price", func(r *PriceRow) { r.Removed = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			_, err := InsertPrice(t.Context(), p, r)
			if err == nil || IsRetryable(err) {
				t.Errorf("InsertPrice(%s) = %v, want a permanent error", tc.name, err)
			}
		})
	}
	s, err := InsertPrice(t.Context(), p, ok)
	if err != nil {
		t.Fatal(err)
	}
	// The history is append-only.
	for _, sql := range []string{
		"UPDATE dynamic_prices SET input_price = 0 WHERE id = $1",
		"DELETE FROM dynamic_prices WHERE id = $1",
	} {
		if _, err := p.Exec(t.Context(), sql, s.ID); err == nil {
			t.Errorf("%s = nil error, want the append-only trigger to refuse", sql)
		}
	}
}

// TestPricedCallsAndUpdateCosts: the selection of re-pricing (range,
// provider, model falling back to the served model, cursor order), and an
// update that applies only to calls still as read.
func TestPricedCallsAndUpdateCosts(t *testing.T) {
	w, s := setup(t, Config{})
	p := w.Pool()
	priced := func(id, provider, model, usageModel string, startedAt time.Time) record.Call {
		in, out := int64(1000), int64(500)
		info := cost.Info{InputCost: dec("0.002"), OutputCost: dec("0.004"), TotalCost: dec("0.006"), Currency: "CNY",
			PricingSource: cost.SourceDefaultConfig, PricingTimestamp: startedAt, Unit: 1000000, InputPrice: dec("2"), OutputPrice: dec("8")}
		return record.Call{CallID: id, Provider: provider, Model: model, StartedAt: startedAt,
			ResponseEventID: "resp-" + id, Status: event.StatusSuccess,
			Usage: &parse.Usage{PromptTokens: &in, CompletionTokens: &out, Model: usageModel}, Cost: &info}
	}
	t0 := at("2026-01-10T00:00:00Z")
	write(t, w,
		priced("a", "deepseek", "deepseek-chat", "", t0),
		priced("b", "DeepSeek", "", "deepseek-chat", t0), // same time: ordered by call id
		priced("c", "deepseek", "deepseek-chat", "", t0.Add(time.Hour)),
		priced("d", "deepseek", "deepseek-reasoner", "", t0.Add(time.Hour)),
		priced("e", "deepseek", "deepseek-chat", "", t0.Add(2*time.Hour)), // at until: excluded
		record.Call{CallID: "pending", Provider: "deepseek", Model: "deepseek-chat", StartedAt: t0, RequestEventID: "req-pending"},
	)
	f := RepriceFilter{Since: t0, Until: t0.Add(2 * time.Hour), Provider: "deepseek", Model: "DeepSeek-Chat"}
	n, err := CountPricedCalls(t.Context(), p, f)
	if err != nil || n != 3 {
		t.Fatalf("CountPricedCalls() = %d, %v, want 3 (a, b, c)", n, err)
	}
	var ids []string
	var after *Cursor
	var got []PricedCall
	for {
		page, err := ListPricedCalls(t.Context(), p, f, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, c := range page {
			ids = append(ids, c.CallID)
		}
		got = append(got, page...)
		last := page[len(page)-1]
		after = &Cursor{StartedAt: last.StartedAt, CallID: last.CallID}
	}
	if len(ids) != 3 || ids[0] != "a" || ids[1] != "b" || ids[2] != "c" {
		t.Fatalf("ListPricedCalls() pages = %v, want a, b, c", ids)
	}
	if b := got[1]; b.Model != "deepseek-chat" || *b.Usage.PromptTokens != 1000 || b.Cost.TotalCost.String() != "0.006" || b.ResponseEventID != "resp-b" {
		t.Errorf("ListPricedCalls()[1] = %+v, want model from usage, counters and cost as stored", b)
	}

	newInfo := func(c PricedCall) cost.Info {
		k := c.Cost
		k.InputCost, k.OutputCost, k.TotalCost = dec("0.001"), dec("0.001"), dec("0.002")
		k.PricingSource, k.Unit, k.InputPrice, k.OutputPrice = cost.SourceDynamic, 1000, dec("0.001"), dec("0.002")
		return k
	}
	stale := got[2]
	stale.Cost.TotalCost = dec("0.5") // not what is stored: someone changed it since
	applied, err := UpdateCosts(t.Context(), p, []CostUpdate{
		{Call: got[0], New: newInfo(got[0])},
		{Call: stale, New: newInfo(got[2])},
	}, AuditNote{RunID: "run-1", Reason: "test"})
	if err != nil {
		t.Fatalf("UpdateCosts() = %v", err)
	}
	if len(applied) != 2 || !applied[0] || applied[1] {
		t.Errorf("UpdateCosts() applied = %v, want [true false]", applied)
	}
	if k := get(t, s, "a").Cost; k.PricingSource != cost.SourceDynamic || k.TotalCost.String() != "0.002" {
		t.Errorf("call a after UpdateCosts = %+v, want dynamic 0.002", k)
	}
	if k := get(t, s, "c").Cost; k.PricingSource != cost.SourceDefaultConfig {
		t.Errorf("call c (stale) after UpdateCosts = %s, want unchanged", k.PricingSource)
	}
	var audits int
	var oldTotal, newTotal string
	if err := p.QueryRow(t.Context(), `SELECT count(*) OVER (), old_total_cost::text, new_total_cost::text
		FROM reprice_audit WHERE run_id = 'run-1'`).Scan(&audits, &oldTotal, &newTotal); err != nil {
		t.Fatal(err)
	}
	if audits != 1 || oldTotal != "0.006" || newTotal != "0.002" {
		t.Errorf("reprice_audit = %d rows, %s -> %s; want 1 row, 0.006 -> 0.002", audits, oldTotal, newTotal)
	}
}
