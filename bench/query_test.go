package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/harborai/ingest/bench/report"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/pkg/pg"
)

// QueryRow is one query's latencies through pg.Store.
type QueryRow struct {
	Name   string          `json:"name"`
	Target time.Duration   `json:"target,omitempty"`
	First  time.Duration   `json:"first"`  // the first run (cold cache)
	Median time.Duration   `json:"median"` // of the runs after it
	Runs   []time.Duration `json:"runs"`
	Plan   string          `json:"plan"`
	SQL    string          `json:"sql"`
}

// QueryData is the query section's raw figures.
type QueryData struct {
	Calls     int           `json:"calls"`
	Load      time.Duration `json:"load"`
	TableSize string        `json:"table_size"`
	Rows      []QueryRow    `json:"rows"`
	// WhatIfs: when the statistics miss their target, the same queries
	// again after each change that could fix them, one on top of the other.
	WhatIfs []WhatIf `json:"what_ifs,omitempty"`
}

// WhatIf is a schema change tried on the loaded table and its effect.
type WhatIf struct {
	Change string     `json:"change"`
	SQL    []string   `json:"sql"`
	Rows   []QueryRow `json:"rows"`
}

// whatIfs are the changes tried, in order, when the statistics are slow:
// first let the planner know how many days there are (without it, it
// expects a group per row and sorts the whole table instead of hashing),
// then let it read a narrow covering index instead of the table.
var whatIfs = []WhatIf{
	{
		Change: "statistics on the day expression",
		SQL: []string{
			`CREATE STATISTICS calls_day_stats ON (date_trunc('day', started_at AT TIME ZONE 'UTC')) FROM calls`,
			`ANALYZE calls`,
		},
	},
	{
		Change: "and a covering index (index-only scans)",
		SQL: []string{
			`CREATE INDEX calls_stats_covering_idx ON calls (started_at) INCLUDE (provider, model, currency, status, ` +
				`prompt_tokens, completion_tokens, total_tokens, cached_tokens, reasoning_tokens, cache_write_tokens, ` +
				`latency_ms, input_cost, output_cost, total_cost)`,
			`VACUUM ANALYZE calls`,
		},
	},
}

// BenchmarkQuery loads a million generated calls spread over 30 days into
// a freshly migrated database, analyzes it, and times the operator's
// queries through pg.Store: the newest 50, a call by either trace id, and
// the statistics by day and by model over the 30 days, with the plan of
// each (EXPLAIN (ANALYZE, BUFFERS) of the very SQL the store sent). Run
// with -benchtime 1x.
func BenchmarkQuery(b *testing.B) {
	sec := newSection("query")
	ctx := context.Background()
	stored := Stored{N: scaled(1_000_000, 50_000), Until: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), Period: 30 * 24 * time.Hour}
	data := QueryData{Calls: stored.N}
	cluster := pgtest.Start(b)
	url := cluster.NewDB(b)
	admin := Migrated(b, url)
	sec.s.Env.PostgreSQL = ServerVersion(ctx, admin)

	start := time.Now()
	load(b, admin, stored)
	data.Load = time.Since(start)
	if err := admin.QueryRow(ctx, "SELECT pg_size_pretty(pg_total_relation_size('calls'))").Scan(&data.TableSize); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d calls in %s (%s with indexes and TOAST)", stored.N, data.Load, data.TableSize)

	rec := &recorder{}
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	pc.ConnConfig.Tracer = rec
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	st := pg.NewStore(pool, pg.Config{})
	since, until := stored.Until.Add(-stored.Period), stored.Until
	runs := scaled(11, 3)

	data.Rows = []QueryRow{
		timeQuery(b, rec, admin, "newest 50 (List, Limit 50)", 50*time.Millisecond, runs, func(int) error {
			_, _, err := st.List(ctx, pg.Filter{Limit: 50})
			return err
		}),
		timeQuery(b, rec, admin, "newest 50 of one provider (List, Provider, Limit 50)", 0, runs, func(int) error {
			_, _, err := st.List(ctx, pg.Filter{Provider: "deepseek", Limit: 50})
			return err
		}),
		timeQuery(b, rec, admin, "newest 50 errors (List, ErrorsOnly, Limit 50)", 0, runs, func(int) error {
			_, _, err := st.List(ctx, pg.Filter{ErrorsOnly: true, Limit: 50})
			return err
		}),
		timeQuery(b, rec, admin, "one call by hb_trace_id (Get)", 10*time.Millisecond, runs, func(k int) error {
			_, err := st.Get(ctx, stored.HBTraceID(pick(k, stored.N)))
			return err
		}),
		timeQuery(b, rec, admin, "one call by OpenTelemetry trace id (Get)", 10*time.Millisecond, runs, func(k int) error {
			_, err := st.Get(ctx, stored.TraceID(pick(k, stored.N)))
			return err
		}),
	}
	statsRows := func(suffix string) []QueryRow {
		return []QueryRow{
			timeQuery(b, rec, admin, "stats by day, 30 days (Stats, GroupByDay)"+suffix, time.Second, scaled(5, 2), func(int) error {
				_, err := st.Stats(ctx, pg.StatsFilter{Since: since, Until: until, GroupBy: pg.GroupByDay})
				return err
			}),
			timeQuery(b, rec, admin, "stats by provider and model, 30 days (Stats, GroupByModel)"+suffix, time.Second, scaled(5, 2), func(int) error {
				_, err := st.Stats(ctx, pg.StatsFilter{Since: since, Until: until, GroupBy: pg.GroupByModel})
				return err
			}),
		}
	}
	stats := statsRows("")
	data.Rows = append(data.Rows, stats...)
	// What would fix slow statistics: measured, not guessed (always under
	// -quick, so that the path runs).
	if stats[0].Median > stats[0].Target || stats[1].Median > stats[1].Target || *flagQuick {
		for _, w := range whatIfs {
			for _, sql := range w.SQL {
				if _, err := admin.Exec(ctx, sql); err != nil {
					b.Fatalf("%s: %v", sql, err)
				}
			}
			w.Rows = statsRows(", " + w.Change)
			data.WhatIfs = append(data.WhatIfs, w)
		}
	}
	for _, r := range data.Rows {
		b.Logf("%s: median %s", r.Name, r.Median)
	}
	sec.finish(b, queryMarkdown(data), data)
}

// load copies the calls in, the secondary indexes dropped meanwhile and
// rebuilt after (faster than maintaining them row by row; the schema ends
// as migrated), then analyzes the table.
func load(b *testing.B, pool *pgxpool.Pool, s Stored) {
	b.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = 'calls' AND indexname <> 'calls_pkey'`)
	if err != nil {
		b.Fatal(err)
	}
	type index struct{ name, def string }
	idx, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var i index
		return i, r.Scan(&i.name, &i.def)
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, i := range idx {
		if _, err := pool.Exec(ctx, "DROP INDEX "+pgx.Identifier{i.name}.Sanitize()); err != nil {
			b.Fatal(err)
		}
	}
	// Two connections, two halves: the machine has two cores.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for half := range 2 {
		wg.Go(func() {
			from, to := half*s.N/2, (half+1)*s.N/2
			i := from
			_, errs[half] = pool.CopyFrom(ctx, pgx.Identifier{"calls"}, StoredColumns, pgx.CopyFromFunc(func() ([]any, error) {
				if i == to {
					return nil, nil
				}
				i++
				return s.Row(i - 1), nil
			}))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatalf("load calls: %v", err)
		}
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()
	for _, sql := range []string{"SET maintenance_work_mem = '512MB'"} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			b.Fatal(err)
		}
	}
	for _, i := range idx {
		if _, err := conn.Exec(ctx, i.def); err != nil {
			b.Fatalf("%s: %v", i.def, err)
		}
	}
	if _, err := conn.Exec(ctx, "ANALYZE calls"); err != nil {
		b.Fatal(err)
	}
}

// pick spreads the k-th lookup over the table.
func pick(k, n int) int { return int(mix(uint64(k)+7) % uint64(n)) }

// timeQuery runs q runs times (k = 0, 1, ...), then explains the SQL of
// its last run.
func timeQuery(b *testing.B, rec *recorder, explain *pgxpool.Pool, name string, target time.Duration, runs int, q func(k int) error) QueryRow {
	b.Helper()
	row := QueryRow{Name: name, Target: target}
	for k := range runs {
		start := time.Now()
		if err := q(k); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		row.Runs = append(row.Runs, time.Since(start))
	}
	row.First = row.Runs[0]
	row.Median = report.Summarize(row.Runs[1:]).P50
	sql, args := rec.last()
	row.SQL = sql
	rows, err := explain.Query(context.Background(), "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
	if err != nil {
		b.Fatalf("explain %s: %v", name, err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatalf("explain %s: %v", name, err)
	}
	row.Plan = strings.Join(lines, "\n")
	return row
}

// recorder remembers the last statement a pool sent, with its arguments.
type recorder struct {
	mu   sync.Mutex
	sql  string
	args []any
}

func (r *recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sql, r.args = d.SQL, d.Args
	return ctx
}

func (r *recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *recorder) last() (string, []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sql, r.args
}

func queryMarkdown(d QueryData) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s calls over 30 days (8 models of 6 providers, USD and CNY, ~5%% errors, 1.5 KB bodies), loaded with CopyFrom in %s "+
		"(secondary indexes rebuilt after), then `ANALYZE`; table with indexes and TOAST: %s. "+
		"Through `pg.Store` on a fresh pool; the first run apart, the median of the others.\n\n",
		report.Num(float64(d.Calls), 0), report.Dur(d.Load), d.TableSize)
	rowsTable := func(rows []QueryRow) string {
		t := report.NewTable("query", "first run", "median", "runs", "target", "")
		for _, r := range rows {
			target, verdict := "", ""
			if r.Target > 0 {
				target, verdict = "<= "+report.Dur(r.Target), report.Verdict(r.Median <= r.Target)
			}
			t.Row(r.Name, report.Dur(r.First), report.Dur(r.Median), fmt.Sprint(len(r.Runs)), target, verdict)
		}
		return t.String()
	}
	b.WriteString(rowsTable(d.Rows))
	for k, w := range d.WhatIfs {
		if k == 0 {
			b.WriteString("\nThe statistics missed their target, so they were run again after each of these changes, one on top of the other:\n")
		}
		fmt.Fprintf(&b, "\n%d. %s:\n\n```sql\n%s;\n```\n\n", k+1, w.Change, strings.Join(w.SQL, ";\n"))
		b.WriteString(rowsTable(w.Rows))
	}
	b.WriteString("\n<details>\n<summary>Plans: EXPLAIN (ANALYZE, BUFFERS) of the SQL each query sent</summary>\n\n")
	all := append([]QueryRow{}, d.Rows...)
	for _, w := range d.WhatIfs {
		all = append(all, w.Rows...)
	}
	for _, r := range all {
		fmt.Fprintf(&b, "**%s**\n\n```sql\n%s\n```\n\n```\n%s\n```\n\n", r.Name, strings.TrimSpace(r.SQL), r.Plan)
	}
	b.WriteString("</details>\n")
	return b.String()
}
