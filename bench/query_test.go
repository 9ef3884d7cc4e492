package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/harborai/ingest/bench/report"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/pkg/pg"
)

// QueryRow is one query's latencies through pg.Store, on one connection:
// PostgreSQL plans a prepared statement for its parameters (a custom plan)
// for its first five executions on a connection, then may switch to one
// generic plan for all parameters; pgx prepares and caches a statement by
// default, so a long-lived connection gets the generic plan from the sixth
// execution on. A statement the store sends unprepared (Stats) is planned
// for its parameters on every run.
type QueryRow struct {
	Name        string          `json:"name"`
	Target      time.Duration   `json:"target,omitempty"`
	Prepared    bool            `json:"prepared"` // sent as a cached prepared statement
	First       time.Duration   `json:"first"`    // the first run (cold)
	Custom      time.Duration   `json:"custom"`   // median of runs 2-5
	Generic     time.Duration   `json:"generic"`  // median of runs 6 and after
	Runs        []time.Duration `json:"runs"`
	SQL         string          `json:"sql"`
	Settings    []string        `json:"settings,omitempty"`     // SET LOCAL statements of its transaction
	Plan        string          `json:"plan"`                   // EXPLAIN (ANALYZE, BUFFERS), custom plan
	GenericPlan string          `json:"generic_plan,omitempty"` // the same under plan_cache_mode = force_generic_plan, when prepared
}

// Steady is what a long-lived connection gets: the worse of the two.
func (r QueryRow) Steady() time.Duration { return max(r.Custom, r.Generic) }

// QueryData is the query section's raw figures.
type QueryData struct {
	Calls     int           `json:"calls"`
	Load      time.Duration `json:"load"`
	TableSize string        `json:"table_size"`
	HeapSize  string        `json:"heap_size"` // the table alone: what a sequential scan reads
	Rows      []QueryRow    `json:"rows"`
	// WhatIfs: when the statistics miss their target (StatsMissed), or
	// always under -quick, the same queries again after each change that
	// could fix them, one on top of the other.
	WhatIfs     []WhatIf `json:"what_ifs,omitempty"`
	StatsMissed bool     `json:"stats_missed"`
}

// WhatIf is a change tried on the loaded table and its effect.
type WhatIf struct {
	Change string            `json:"change"`
	SQL    []string          `json:"sql,omitempty"`    // run once on the table
	Params map[string]string `json:"params,omitempty"` // set on the store's sessions
	Rows   []QueryRow        `json:"rows"`
}

// whatIfs are the changes tried, in order, when the statistics are slow.
// The schema already gives them custom plans, statistics on the day
// expression and bodies out of line for rows over 2 KB
// (migrations/0005_stats.sql); a covering index was tried and read about as
// many pages as the table. What is left is the heap's width: the rows under
// 2 KB keep their bodies inline, and only moving the bodies to a table of
// their own (a writer change) would take them out; dropping the columns
// and rewriting the table measures what that would give (last: it changes
// the schema for good).
var whatIfs = []WhatIf{
	{
		Change: "bodies out of the table (what a separate bodies table would give)",
		SQL: []string{
			`ALTER TABLE calls DROP COLUMN request_body CASCADE, DROP COLUMN response_body CASCADE`, // and the api_logs view
			`VACUUM FULL calls`,
			`ANALYZE calls`,
		},
	},
}

// BenchmarkQuery loads a million generated calls spread over 30 days into
// a freshly migrated database, vacuums and analyzes it, and times the
// operator's queries through pg.Store on one connection: the newest 50, a
// call by either trace id, and the statistics by day and by model over
// the 30 days, with the plan of each (EXPLAIN (ANALYZE, BUFFERS) of the
// very SQL the store sent). Run with -benchtime 1x.
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
	if err := admin.QueryRow(ctx, "SELECT pg_size_pretty(pg_total_relation_size('calls')), pg_size_pretty(pg_relation_size('calls'))").
		Scan(&data.TableSize, &data.HeapSize); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d calls in %s (%s with indexes and TOAST, heap %s)", stored.N, data.Load, data.TableSize, data.HeapSize)

	since, until := stored.Until.Add(-stored.Period), stored.Until
	runs := scaled(11, 7)
	st, rec := storeOn(b, url, nil)
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
	// The statistics, on a fresh connection for each set (so each starts
	// with custom plans), with the session settings params.
	statsRows := func(suffix string, params map[string]string) []QueryRow {
		st, rec := storeOn(b, url, params)
		return []QueryRow{
			timeQuery(b, rec, admin, "stats by day, 30 days (Stats, GroupByDay)"+suffix, time.Second, runs, func(int) error {
				_, err := st.Stats(ctx, pg.StatsFilter{Since: since, Until: until, GroupBy: pg.GroupByDay})
				return err
			}),
			timeQuery(b, rec, admin, "stats by provider and model, 30 days (Stats, GroupByModel)"+suffix, time.Second, runs, func(int) error {
				_, err := st.Stats(ctx, pg.StatsFilter{Since: since, Until: until, GroupBy: pg.GroupByModel})
				return err
			}),
		}
	}
	stats := statsRows("", nil)
	data.Rows = append(data.Rows, stats...)
	// What would fix slow statistics: measured, not guessed (always under
	// -quick, so that the path runs).
	data.StatsMissed = stats[0].Steady() > stats[0].Target || stats[1].Steady() > stats[1].Target
	if data.StatsMissed || *flagQuick {
		for _, w := range whatIfs {
			for _, sql := range w.SQL {
				if _, err := admin.Exec(ctx, sql); err != nil {
					b.Fatalf("%s: %v", sql, err)
				}
			}
			w.Rows = statsRows(", "+w.Change, w.Params)
			data.WhatIfs = append(data.WhatIfs, w)
		}
	}
	for _, r := range data.Rows {
		b.Logf("%s: custom %s, generic %s", r.Name, r.Custom, r.Generic)
	}
	sec.finish(b, queryMarkdown(data), data)
}

// storeOn returns a pg.Store over a pool of one connection to url (so the
// executions of a statement are all on it), with the session settings
// params, recording the SQL it sends.
func storeOn(b *testing.B, url string, params map[string]string) (*pg.Store, *recorder) {
	b.Helper()
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	pc.MaxConns = 1
	rec := &recorder{}
	pc.ConnConfig.Tracer = rec
	for k, v := range params {
		pc.ConnConfig.RuntimeParams[k] = v
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pg.NewStore(pool, pg.Config{}), rec
}

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
	// VACUUM as well: autovacuum would start on the freshly loaded table
	// in the middle of the measurements (and the first reads would set the
	// hint bits of every page); this is the table as it is once autovacuum
	// has been by.
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE calls"); err != nil {
		b.Fatal(err)
	}
}

// pick spreads the k-th lookup over the table.
func pick(k, n int) int { return int(mix(uint64(k)+7) % uint64(n)) }

// timeQuery runs q runs times (k = 0, 1, ...) on one connection, then
// explains the SQL of its last run, with its parameters and, for a
// statement with parameters, as a generic plan.
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
	row.Custom = report.Summarize(row.Runs[1:min(5, runs)]).P50
	if runs > 5 {
		row.Generic = report.Summarize(row.Runs[5:]).P50
	}
	ctx := context.Background()
	st := rec.last()
	values, prepared := statementArgs(st.args)
	row.SQL, row.Settings, row.Prepared = st.sql, st.settings, prepared
	var err error
	if row.Plan, err = explainPlan(ctx, explain, st, false); err != nil {
		b.Fatalf("explain %s: %v", name, err)
	}
	if prepared && len(values) > 0 {
		if row.GenericPlan, err = explainPlan(ctx, explain, st, true); err != nil {
			b.Fatalf("explain %s, generic plan: %v", name, err)
		}
	}
	return row
}

// statementArgs splits a statement's arguments into its values (pgx's
// options dropped) and says whether pgx sent it as a cached prepared
// statement (the pools here keep pgx's default mode).
func statementArgs(args []any) (values []any, prepared bool) {
	prepared = true
	for len(args) > 0 {
		switch a := args[0].(type) {
		case pgx.QueryExecMode:
			prepared = a == pgx.QueryExecModeCacheStatement
		case pgx.QueryResultFormats, pgx.QueryResultFormatsByOID:
		default:
			return args, prepared
		}
		args = args[1:]
	}
	return nil, prepared
}

// explainPlan returns EXPLAIN (ANALYZE, BUFFERS) of a statement, in a
// transaction with the statement's settings, as a custom plan, or as the
// generic plan PostgreSQL 15 would cache: the statement prepared, then
// executed under force_generic_plan with the same values as literals
// (EXPLAIN (GENERIC_PLAN) is PostgreSQL 16).
func explainPlan(ctx context.Context, pool *pgxpool.Pool, st statement, generic bool) (string, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer func() { _ = tx.Rollback(ctx) }() // EXPLAIN ANALYZE of a read; nothing to keep
	for _, s := range st.settings {
		if _, err := tx.Exec(ctx, s); err != nil {
			return "", fmt.Errorf("%s: %w", s, err)
		}
	}
	query, qargs := "EXPLAIN (ANALYZE, BUFFERS) "+st.sql, st.args
	if generic {
		sql, args := st.sql, st.args
		args, _ = statementArgs(args)
		if len(args) > 0 {
			if na, ok := args[0].(pgx.NamedArgs); ok {
				if sql, args, err = na.RewriteQuery(ctx, conn.Conn(), sql, args); err != nil {
					return "", err
				}
			}
		}
		lits := make([]string, len(args))
		for i, a := range args {
			if lits[i], err = literal(a); err != nil {
				return "", err
			}
		}
		name := fmt.Sprintf("bench_generic_%d", preparedN.Add(1))
		for _, s := range []string{"PREPARE " + name + " AS " + sql, "SET LOCAL plan_cache_mode = force_generic_plan"} {
			if _, err := tx.Exec(ctx, s); err != nil {
				return "", fmt.Errorf("%s: %w", s, err)
			}
		}
		// Best effort: the connection is the benchmark's own. A prepared
		// statement outlives the transaction.
		defer func() { _, _ = conn.Exec(ctx, "DEALLOCATE "+name) }()
		query, qargs = "EXPLAIN (ANALYZE, BUFFERS) EXECUTE "+name+"("+strings.Join(lits, ", ")+")", nil
	}
	rows, err := tx.Query(ctx, query, qargs...)
	if err != nil {
		return "", err
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return strings.Join(lines, "\n"), err
}

// preparedN numbers the statements explainPlan prepares.
var preparedN atomic.Int64

// literal renders a statement argument as SQL text.
func literal(v any) (string, error) {
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	switch v := v.(type) {
	case time.Time:
		return quote(v.UTC().Format(time.RFC3339Nano)) + "::timestamptz", nil
	case string:
		return quote(v), nil
	case int, int32, int64:
		return fmt.Sprint(v), nil
	default:
		return "", fmt.Errorf("literal of %T: not supported", v)
	}
}

// statement is a query a pool sent: its SQL, its arguments as passed to
// pgx (options included) and the SET LOCAL statements run before it in its
// transaction.
type statement struct {
	sql      string
	args     []any
	settings []string
}

// recorder remembers the last query a pool sent, leaving out transaction
// control and settings, which it keeps with the query they apply to.
type recorder struct {
	mu       sync.Mutex
	lastSt   statement
	settings []string // of the open transaction
}

func (r *recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := strings.ToLower(strings.TrimSpace(d.SQL))
	switch {
	case strings.HasPrefix(s, "begin"), s == "commit", s == "rollback":
		r.settings = nil
	case strings.HasPrefix(s, "set local "):
		r.settings = append(r.settings, d.SQL)
	default:
		r.lastSt = statement{sql: d.SQL, args: d.Args, settings: r.settings}
	}
	return ctx
}

func (r *recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *recorder) last() statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastSt
}

func queryMarkdown(d QueryData) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s calls over 30 days (8 models of 6 providers, USD and CNY, ~5%% errors, 1.5 KB bodies), loaded with CopyFrom in %s "+
		"(secondary indexes rebuilt after), then `VACUUM ANALYZE` (as autovacuum would leave it); table with indexes and TOAST: %s, "+
		"of which the heap a sequential scan reads: %s. "+
		"Each query through `pg.Store` on a one-connection pool, %d runs: the first (cold), the median of runs 2–5 "+
		"(PostgreSQL plans the prepared statement for its parameters) and of runs 6 and after (it may switch to one generic plan: "+
		"what a long-lived connection gets; a statement the store sends unprepared, marked \"custom\", is planned for its "+
		"parameters on every run). The verdict is on the worse of the two.\n\n",
		report.Num(float64(d.Calls), 0), report.Dur(d.Load), d.TableSize, d.HeapSize, len(d.Rows[0].Runs))
	rowsTable := func(rows []QueryRow) string {
		t := report.NewTable("query", "first run", "runs 2–5 (custom plans)", "runs 6+ (generic plan)", "target", "")
		for _, r := range rows {
			target, verdict := "", ""
			if r.Target > 0 {
				target, verdict = "<= "+report.Dur(r.Target), report.Verdict(r.Steady() <= r.Target)
			}
			later := report.Dur(r.Generic)
			if !r.Prepared {
				later += " (custom)"
			}
			t.Row(r.Name, report.Dur(r.First), report.Dur(r.Custom), later, target, verdict)
		}
		return t.String()
	}
	b.WriteString(rowsTable(d.Rows))
	for k, w := range d.WhatIfs {
		switch {
		case k > 0:
		case d.StatsMissed:
			b.WriteString("\nThe statistics missed their target, so they were run again, on a fresh connection each time, after each of these changes, one on top of the other:\n")
		default:
			b.WriteString("\nThe statistics met their target; under `-quick` they were run again anyway (so that the path runs), on a fresh connection each time, after each of these changes, one on top of the other:\n")
		}
		fmt.Fprintf(&b, "\n%d. %s", k+1, w.Change)
		if len(w.SQL) > 0 {
			fmt.Fprintf(&b, ":\n\n```sql\n%s;\n```\n\n", strings.Join(w.SQL, ";\n"))
		} else {
			b.WriteString(" (a session setting, no schema change):\n\n")
		}
		b.WriteString(rowsTable(w.Rows))
	}
	b.WriteString("\n<details>\n<summary>Plans: EXPLAIN (ANALYZE, BUFFERS) of the SQL each query sent, and of its generic plan</summary>\n\n")
	all := append([]QueryRow{}, d.Rows...)
	for _, w := range d.WhatIfs {
		all = append(all, w.Rows...)
	}
	for _, r := range all {
		sql := strings.TrimSpace(r.SQL)
		if len(r.Settings) > 0 {
			sql = strings.Join(r.Settings, ";\n") + ";\n" + sql
		}
		fmt.Fprintf(&b, "**%s**\n\n```sql\n%s\n```\n\n```\n%s\n```\n\n", r.Name, sql, r.Plan)
		if r.GenericPlan != "" {
			fmt.Fprintf(&b, "Generic plan:\n\n```\n%s\n```\n\n", r.GenericPlan)
		}
	}
	b.WriteString("</details>\n")
	return b.String()
}
