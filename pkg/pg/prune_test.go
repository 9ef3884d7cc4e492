package pg

import (
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
	"github.com/harborai/ingest/pkg/record"
)

func TestPrune(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{})
	now := at("2025-06-01T00:00:00Z")
	day := 24 * time.Hour
	type spec struct {
		age     time.Duration
		err     bool
		billed  bool // an error call with tokens and a cost
		tokens  bool // an error call with tokens but no cost (the model not priced)
		wantRow bool // kept
		bodies  bool // bodies kept
	}
	specs := map[string]spec{
		"fresh":          {age: day, wantRow: true, bodies: true},
		"fresh-error":    {age: day, err: true, wantRow: true, bodies: true},
		"month":          {age: 29 * day, wantRow: true, bodies: true},
		"old-body":       {age: 31 * day, wantRow: true},
		"old-body-2":     {age: 45 * day, wantRow: true},
		"old-body-3":     {age: 60 * day, wantRow: true},
		"old-error":      {age: 89 * day, err: true, wantRow: true},
		"expired-error":  {age: 91 * day, err: true},
		"expired-error2": {age: 200 * day, err: true},
		"billed-error":   {age: 200 * day, err: true, billed: true, wantRow: true},
		"unpriced-error": {age: 200 * day, err: true, tokens: true, wantRow: true},
		"billed-expired": {age: 400 * day, err: true, billed: true},
		"year":           {age: 364 * day, wantRow: true},
		"expired":        {age: 366 * day},
		"expired-2":      {age: 700 * day},
		"expired-3":      {age: 800 * day},
	}
	var calls []record.Call
	for id, sp := range specs {
		c := fullCall(id)
		c.StartedAt = now.Add(-sp.age)
		if sp.err {
			c.Status = event.StatusError
			switch {
			case sp.tokens:
				c.Cost = &cost.Info{PricingSource: cost.SourceNotFound}
			case !sp.billed: // a 429: no usage; a cost of 0 or none
				c.Usage = &parse.Usage{PromptTokens: ptr(int64(0)), CompletionTokens: ptr(int64(0)), Method: "openai.chat", Confidence: 1, Raw: []byte(`{}`)}
				zero := *c.Cost // priced: 0 tokens cost 0
				zero.InputCost, zero.OutputCost, zero.TotalCost = dec("0"), dec("0"), dec("0")
				c.Cost = &zero
				if len(id)%2 == 0 {
					c.Usage, c.Cost = nil, nil
				}
			}
		}
		calls = append(calls, c)
	}
	write(t, w, calls...)

	r := DefaultRetention()
	r.BatchSize = 2 // several batches of each kind
	want := PruneResult{BodiesCleared: 7, ErrorsDeleted: 2, CallsDeleted: 4}
	if plan, err := PrunePlan(t.Context(), w.Pool(), r, now); err != nil || plan != want {
		t.Fatalf("PrunePlan() = %+v, %v; want %+v", plan, err, want)
	}
	got, err := Prune(t.Context(), w.Pool(), r, now)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("Prune() = %+v, want %+v", got, want)
	}
	if plan, err := PrunePlan(t.Context(), w.Pool(), r, now); err != nil || plan != (PruneResult{}) {
		t.Fatalf("PrunePlan() after Prune = %+v, %v; want nothing left", plan, err)
	}
	for id, sp := range specs {
		c, err := s.Get(t.Context(), id)
		if (err == nil) != sp.wantRow {
			t.Errorf("Get(%s) after Prune = %v, want kept %v", id, err, sp.wantRow)
			continue
		}
		if c != nil && (c.RequestBody != nil) != sp.bodies {
			t.Errorf("%s after Prune: request body kept %v, want %v", id, c.RequestBody != nil, sp.bodies)
		}
		if c != nil && (c.ResponseBody != nil) != sp.bodies {
			t.Errorf("%s after Prune: response body kept %v, want %v", id, c.ResponseBody != nil, sp.bodies)
		}
	}
	again, err := Prune(t.Context(), w.Pool(), r, now)
	if err != nil || again != (PruneResult{}) {
		t.Fatalf("Prune() again = %+v, %v, want nothing to do", again, err)
	}
	// A redelivered fragment does not bring a pruned body back.
	write(t, w, calls...)
	if c := get(t, s, "old-body"); c.RequestBody != nil {
		t.Fatalf("old-body after rewriting its fragments: request body %q, want still pruned", *c.RequestBody)
	}
}

func TestPruneZeroKeepsForever(t *testing.T) {
	t.Parallel()
	w, _ := setup(t, Config{})
	now := at("2025-06-01T00:00:00Z")
	c := fullCall("ancient")
	c.StartedAt = now.Add(-10 * 365 * 24 * time.Hour)
	write(t, w, c)
	got, err := Prune(t.Context(), w.Pool(), Retention{}, now)
	if err != nil || got != (PruneResult{}) {
		t.Fatalf("Prune(zero retention) = %+v, %v, want nothing pruned", got, err)
	}
}

// TestPruneLocksInCallIDOrder: Prune locks the calls it deletes or clears in
// call id order, the order every writer locks rows in, so a prune and a
// write (a late event merged into an old call) cannot deadlock. A
// transaction holding the call with the smaller id, then taking the other,
// as a writer would, meets a prune of both: neither fails, and the prune
// waits for it, then does its work.
func TestPruneLocksInCallIDOrder(t *testing.T) {
	t.Parallel()
	now := at("2025-06-01T00:00:00Z")
	day := 24 * time.Hour
	for _, tc := range []struct {
		name string
		r    Retention
		age  time.Duration
		want func(PruneResult) bool
	}{
		{"calls", Retention{Calls: 365 * day}, 400 * day, func(r PruneResult) bool { return r.CallsDeleted == 2 }},
		{"bodies", Retention{Bodies: 30 * day}, 40 * day, func(r PruneResult) bool { return r.BodiesCleared == 2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w, _ := setup(t, Config{})
			// Older first, written first: by start time and on disk the
			// larger id comes first.
			for i, id := range []string{"z-older", "a-newer"} {
				c := fullCall(id)
				c.StartedAt = now.Add(-tc.age - time.Duration(1-i)*day)
				write(t, w, c)
			}
			pool := w.Pool()
			tx, err := pool.Begin(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tx.Rollback(t.Context()) }()
			if _, err := tx.Exec(t.Context(), `UPDATE calls SET model = model WHERE call_id = 'a-newer'`); err != nil {
				t.Fatal(err)
			}
			type result struct {
				res PruneResult
				err error
			}
			done := make(chan result, 1)
			go func() {
				res, err := Prune(t.Context(), pool, tc.r, now)
				done <- result{res, err}
			}()
			// Until the prune waits for the call held.
			deadline := time.Now().Add(10 * time.Second)
			for {
				var waiting int
				if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
					WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
					t.Fatal(err)
				}
				if waiting > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the prune never waited for the call held")
				}
				time.Sleep(10 * time.Millisecond)
			}
			// The writer's next row: it must not wait for the prune.
			if _, err := tx.Exec(t.Context(), `UPDATE calls SET model = model WHERE call_id = 'z-older'`); err != nil {
				t.Fatalf("the transaction holding a-newer, taking z-older: %v", err)
			}
			if err := tx.Commit(t.Context()); err != nil {
				t.Fatal(err)
			}
			got := <-done
			if got.err != nil || !tc.want(got.res) {
				t.Fatalf("Prune = %+v, %v; want both calls pruned, no error", got.res, got.err)
			}
		})
	}
}
