package pricing

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
)

// storedCall is a call with a response, priced by p as the ingestor would.
func storedCall(p Coster, id, provider, model string, at time.Time, u parse.Usage, custom *event.CustomPricing) record.Call {
	info := p.Cost(provider, model, at, u, custom)
	return record.Call{
		CallID: id, Provider: provider, Model: model, StartedAt: at,
		RequestEventID: "req-" + id, ResponseEventID: "resp-" + id, Status: event.StatusSuccess,
		Usage: &u, Cost: &info,
	}
}

// setPrices stores entries as dynamic prices in PostgreSQL, as `harborctl
// pricing set` does, and returns a pricer over them and testTable.
func setPrices(t *testing.T, pool *pgxpool.Pool, entries ...Entry) *Pricer {
	t.Helper()
	st := NewPostgresStore(pool)
	appendAll(t, st, entries...)
	stored, err := st.History(t.Context(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Sources{Entries: stored, Table: testTable()}.Pricer()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// costs returns each call's stored cost as costText, by call id.
func costs(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	calls, err := pg.ListPricedCalls(t.Context(), pool, pg.RepriceFilter{}, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range calls {
		out[c.CallID] = costText(c.Cost)
	}
	return out
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// TestReprice: re-pricing changes the stored cost of the calls in range
// only, writes one audit row per changed call with the previous figures,
// keeps total = input + output, leaves custom-priced and unpriced calls
// alone, and a second run changes nothing.
func TestReprice(t *testing.T) {
	w := migrated(t)
	pool := w.Pool()
	before, err := Sources{Table: testTable()}.Pricer()
	if err != nil {
		t.Fatal(err)
	}
	t0 := day("2026-01-10")
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Hour) }
	var calls []record.Call
	for i := range 6 {
		calls = append(calls, storedCall(before, fmt.Sprintf("call-%d", i), "deepseek", "deepseek-chat", at(i), usage(1000, 500), nil))
	}
	custom := &event.CustomPricing{InputPrice: "0.01", OutputPrice: "0.02", Currency: "CNY"}
	calls = append(calls,
		storedCall(before, "custom", "deepseek", "deepseek-chat", at(2), usage(1000, 500), custom),
		storedCall(before, "no-usage", "deepseek", "deepseek-chat", at(2), parse.Usage{UsageMissing: true}, nil),
		storedCall(before, "other-provider", "openai", "gpt-4o", at(2), usage(1000, 500), nil),
	)
	if err := w.Write(t.Context(), calls); err != nil {
		t.Fatal(err)
	}
	const old = "0.002+0.004=0.006 CNY default_config"
	if got := costs(t, pool)["call-1"]; got != old {
		t.Fatalf("stored cost before = %s, want %s", got, old)
	}

	// The operator sets a dynamic price, effective before the calls.
	now := setPrices(t, pool, price(0, "deepseek", "deepseek-chat", "0.001", "0.002", day("2026-01-01")))
	filter := pg.RepriceFilter{Since: at(1), Until: at(4), Provider: "DeepSeek"}
	run := func(t *testing.T, opts RepriceOptions) (Summary, []Change, int) {
		t.Helper()
		opts.Filter, opts.BatchSize = filter, 2 // several batches
		var changes []Change
		progress := 0
		opts.OnChange = func(c Change) { changes = append(changes, c) }
		opts.Progress = func(n int) { progress += n }
		sum, err := Reprice(t.Context(), pool, now, opts)
		if err != nil {
			t.Fatalf("Reprice() = %v", err)
		}
		return sum, changes, progress
	}
	summary := func(s Summary) string {
		return fmt.Sprintf("examined %d repriced %d unchanged %d unpriced %d custom %d conflicts %d",
			s.Examined, s.Repriced, s.Unchanged, s.Unpriced, s.SkippedCustom, s.Conflicts)
	}

	t.Run("dry run writes nothing", func(t *testing.T) {
		sum, changes, _ := run(t, RepriceOptions{DryRun: true})
		if got, want := summary(sum), "examined 5 repriced 3 unchanged 0 unpriced 1 custom 1 conflicts 0"; got != want || len(changes) != 3 {
			t.Errorf("Reprice(dry run) = %s, %d changes; want %s, 3", got, len(changes), want)
		}
		if got := costs(t, pool)["call-1"]; got != old {
			t.Errorf("after a dry run, call-1 = %s, want %s", got, old)
		}
		if n := count(t, pool, "SELECT count(*) FROM reprice_audit"); n != 0 {
			t.Errorf("audit rows after a dry run = %d, want 0", n)
		}
	})

	t.Run("reprice", func(t *testing.T) {
		sum, changes, progress := run(t, RepriceOptions{Reason: "price cut"})
		if got, want := summary(sum), "examined 5 repriced 3 unchanged 0 unpriced 1 custom 1 conflicts 0"; got != want {
			t.Errorf("Reprice() = %s, want %s", got, want)
		}
		if progress != 5 || len(changes) != 3 {
			t.Errorf("progress %d, %d changes; want 5, 3", progress, len(changes))
		}
		if tot := sum.Totals["CNY"]; tot == nil || tot.Old.String() != "0.018" || tot.New.String() != "0.006" {
			t.Errorf("Totals[CNY] = %+v, want 0.018 -> 0.006", tot)
		}
		const repriced = "0.001+0.001=0.002 CNY dynamic"
		got := costs(t, pool)
		for id, want := range map[string]string{
			"call-0": old, "call-1": repriced, "call-2": repriced, "call-3": repriced, "call-4": old, "call-5": old,
			"custom":         "0.01+0.01=0.02 CNY api_parameter",
			"no-usage":       "null default_config",
			"other-provider": "0.0025+0.005=0.0075 USD default_config",
		} {
			if got[id] != want {
				t.Errorf("stored cost of %s = %s, want %s", id, got[id], want)
			}
		}
		if n := count(t, pool, "SELECT count(*) FROM calls WHERE total_cost <> input_cost + output_cost"); n != 0 {
			t.Errorf("%d calls with total_cost <> input_cost + output_cost", n)
		}
		if n := count(t, pool, "SELECT count(*) FROM calls WHERE pricing_source = 'dynamic' AND pricing_timestamp <> started_at"); n != 0 {
			t.Errorf("%d repriced calls whose pricing_timestamp is not their start", n)
		}
		// One audit row per changed call, with the previous and new figures.
		rows, err := pool.Query(t.Context(), `SELECT call_id, reason, run_id,
				old_input_cost::text, old_output_cost::text, old_total_cost::text, old_currency, old_pricing_source,
				old_unit, old_input_price::text, old_output_price::text,
				new_total_cost::text, new_pricing_source, new_unit, new_input_price::text
			FROM reprice_audit ORDER BY call_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var audit []string
		for rows.Next() {
			var id, reason, runID, oin, oout, ototal, ocur, osrc, oinp, ooutp, ntotal, nsrc, ninp string
			var ounit, nunit int64
			if err := rows.Scan(&id, &reason, &runID, &oin, &oout, &ototal, &ocur, &osrc, &ounit, &oinp, &ooutp, &ntotal, &nsrc, &nunit, &ninp); err != nil {
				t.Fatal(err)
			}
			if runID != sum.RunID {
				t.Errorf("audit run_id = %q, want %q", runID, sum.RunID)
			}
			audit = append(audit, fmt.Sprintf("%s %s: %s+%s=%s %s %s unit %d in %s out %s -> %s %s unit %d in %s",
				id, reason, oin, oout, ototal, ocur, osrc, ounit, oinp, ooutp, ntotal, nsrc, nunit, ninp))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		want := []string{}
		for _, id := range []string{"call-1", "call-2", "call-3"} {
			want = append(want, id+" price cut: 0.002000000000+0.004000000000=0.006000000000 CNY default_config unit 1000000 in 2 out 8"+
				" -> 0.002000000000 dynamic unit 1000 in 0.001")
		}
		if fmt.Sprint(audit) != fmt.Sprint(want) {
			t.Errorf("reprice_audit =\n%v\nwant\n%v", audit, want)
		}
	})

	t.Run("a second run is a no-op", func(t *testing.T) {
		beforeUpdated := count(t, pool, "SELECT count(*) FROM calls WHERE updated_at > ingested_at")
		sum, changes, _ := run(t, RepriceOptions{})
		if got, want := summary(sum), "examined 5 repriced 0 unchanged 3 unpriced 1 custom 1 conflicts 0"; got != want || len(changes) != 0 {
			t.Errorf("Reprice() again = %s, %d changes; want %s, none", got, len(changes), want)
		}
		if n := count(t, pool, "SELECT count(*) FROM reprice_audit"); n != 3 {
			t.Errorf("audit rows after a second run = %d, want 3", n)
		}
		if n := count(t, pool, "SELECT count(*) FROM calls WHERE updated_at > ingested_at"); n != beforeUpdated {
			t.Errorf("calls touched by a no-op run: %d updated, was %d", n, beforeUpdated)
		}
	})

	t.Run("include custom pricing", func(t *testing.T) {
		sum, changes, _ := run(t, RepriceOptions{IncludeCustom: true})
		if sum.Repriced != 1 || len(changes) != 1 || changes[0].CallID != "custom" || changes[0].Old.PricingSource != cost.SourceAPIParameter {
			t.Fatalf("Reprice(include custom) = %+v, %+v; want the custom call re-priced", sum, changes)
		}
		if got := costs(t, pool)["custom"]; got != "0.001+0.001=0.002 CNY dynamic" {
			t.Errorf("custom call after --include-custom = %s, want the dynamic price", got)
		}
	})

	t.Run("bad options", func(t *testing.T) {
		for _, opts := range []RepriceOptions{
			{Filter: pg.RepriceFilter{Since: at(4), Until: at(1)}},
			{Filter: filter, BatchSize: MaxBatchSize + 1},
		} {
			if _, err := Reprice(t.Context(), pool, now, opts); err == nil {
				t.Errorf("Reprice(%+v) = nil error, want one", opts)
			}
		}
		if _, err := Reprice(t.Context(), nil, now, RepriceOptions{Filter: filter}); err == nil {
			t.Error("Reprice(no pool) = nil error, want ErrNoPostgres")
		}
	})
}

// TestRepriceByServedModel: a call whose requested name no source prices
// (an Azure deployment the app named) was stored unpriced; once the model
// the vendor reported serving it has a price, re-pricing selected by that
// model prices it by that model, as the ingestor now would.
func TestRepriceByServedModel(t *testing.T) {
	w := migrated(t)
	pool := w.Pool()
	before, err := Sources{Table: testTable()}.Pricer()
	if err != nil {
		t.Fatal(err)
	}
	at := day("2026-01-10")
	c := storedCall(before, "azure-1", "azure", "prod-chat", at, usage(1000, 500), nil)
	c.ServedModel = "gpt-4o-2024-08-06"
	if err := w.Write(t.Context(), []record.Call{c}); err != nil {
		t.Fatal(err)
	}
	if got := costs(t, pool)["azure-1"]; got != "null not_found" {
		t.Fatalf("stored cost before = %s, want null not_found", got)
	}
	now := setPrices(t, pool, price(0, "azure", "gpt-4o", "0.001", "0.002", day("2026-01-01")))
	// Selected by the model that served it, as an operator re-pricing that
	// model would.
	opts := RepriceOptions{Filter: pg.RepriceFilter{Model: "gpt-4o-2024-08-06"}}
	if sum, err := Reprice(t.Context(), pool, now, opts); err != nil || sum.Examined != 1 {
		t.Fatalf("Reprice(-model gpt-4o-2024-08-06) = %+v, %v; want the call examined", sum, err)
	}
	// 1000 × 0.001/1000 + 500 × 0.002/1000
	if got, want := costs(t, pool)["azure-1"], "0.001+0.001=0.002 CNY dynamic"; got != want {
		t.Errorf("cost after re-pricing = %s, want %s", got, want)
	}
}
