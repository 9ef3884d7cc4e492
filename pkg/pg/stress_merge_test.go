package pg

// A concurrency stress test of Writer's merge: several writers (separate
// pools, as separate processes would have) and several goroutines sharing
// one writer write, at the same time, the fragments of the same calls, each
// in its own order and batch composition, some batches twice. Every call
// must end as one row equal to the row writing its fragments one by one in
// one writer gives.
//
//	go test -count=1 -run TestStressMerge -v ./pkg/pg
//
// Writers lock rows in call id order whatever order their caller gives
// (Write sorts its batch, the merge reads the staging table in that order),
// so no scenario may deadlock. STRESS_RUNS (default 1) repeats each
// scenario with new seeds; STRESS_SEED fixes the first seed; STRESS_CALLS
// overrides the number of calls; STRESS_ONLY runs only the scenarios whose
// names start with one of its comma-separated prefixes (e.g.
// STRESS_ONLY=sorted,one-writer).

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/harborai/ingest/pkg/record"
)

// stressScenario is one concurrent run.
type stressScenario struct {
	name       string
	calls      int
	writers    int  // separate Writers, each its own pool
	goroutines int  // per writer, sharing it
	shareAll   bool // every goroutine of a writer writes all the fragments (else they share the writer's stream)
	sorted     bool // each batch sorted by call id, as the ingestor and the replayer do
	mixed      bool // each batch sorted or not, at random (sorted is then ignored)
	maxBatch   int
	maxConns   int32
	// statement timeout and a per-row delay on calls, to force the
	// write-in-parts path.
	stmtTimeout time.Duration
	rowDelay    time.Duration
}

// stressSubsets are which of fragments()' four pieces a call has (0
// request, 1 response, 2 late call event, 3 early response), by call index:
// most calls have all, some only a request (pending), some no request at
// all (the row is created by the merge path), some only the call event.
var stressSubsets = [][]int{
	{0, 1, 2, 3}, {0, 1, 2, 3}, {0, 1, 2, 3}, {0, 1, 2, 3},
	{0}, {1, 3}, {2}, {1, 2}, {0, 3}, {3, 1, 0}, {2, 0},
}

func stressID(i int) string { return fmt.Sprintf("stress-%04d", i) }

// stressFragments returns the fragments of call i, once each.
func stressFragments(i int) []record.Call {
	all := fragments(stressID(i))
	var out []record.Call
	for _, k := range stressSubsets[i%len(stressSubsets)] {
		out = append(out, all[k])
	}
	return out
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// stressRows returns every row of calls as jsonb text without the write
// times, by call id.
func stressRows(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT call_id, (to_jsonb(c) - 'ingested_at' - 'updated_at')::text FROM calls c`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, row string
		if err := rows.Scan(&id, &row); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[id]; dup {
			t.Errorf("call %s stored twice", id)
		}
		out[id] = row
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// stressReference writes the fragments of calls 0 to n-1 sequentially, one
// fragment per Write, in one writer, and returns the rows.
func stressReference(t *testing.T, n int) map[string]string {
	t.Helper()
	w, _ := setup(t, Config{})
	for i := range n {
		for _, f := range stressFragments(i) {
			write(t, w, f)
		}
	}
	ref := stressRows(t, w.Pool())
	if len(ref) != n {
		t.Fatalf("reference: %d rows, want %d", len(ref), n)
	}
	return ref
}

// stressBatches arranges fragments into batches by one of four strategies,
// each batch of 1 to maxBatch fragments; some batches are repeated, next to
// each other or later.
func stressBatches(r *rand.Rand, frags []record.Call, strategy, maxBatch int, sorted, mixed bool) [][]record.Call {
	frags = slices.Clone(frags)
	hasReq := func(c record.Call) bool { return c.RequestEventID != "" }
	switch strategy {
	case 0: // shuffled: batches mix calls and kinds at random
		r.Shuffle(len(frags), func(i, j int) { frags[i], frags[j] = frags[j], frags[i] })
	case 1: // by call: a call's fragments next to each other (its request and response often in one batch)
		byCall := map[string][]record.Call{}
		var ids []string
		for _, f := range frags {
			if byCall[f.CallID] == nil {
				ids = append(ids, f.CallID)
			}
			byCall[f.CallID] = append(byCall[f.CallID], f)
		}
		r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		frags = frags[:0]
		for _, id := range ids {
			fs := byCall[id]
			r.Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
			frags = append(frags, fs...)
		}
	case 2, 3: // requests first (the usual) or responses first (a replay, a slow request stream)
		r.Shuffle(len(frags), func(i, j int) { frags[i], frags[j] = frags[j], frags[i] })
		slices.SortStableFunc(frags, func(a, b record.Call) int {
			x, y := hasReq(a), hasReq(b)
			if strategy == 3 {
				x, y = !x, !y
			}
			switch {
			case x == y:
				return 0
			case x:
				return -1
			}
			return 1
		})
	}
	var batches [][]record.Call
	var later [][]record.Call
	for len(frags) > 0 {
		n := min(len(frags), 1+r.IntN(maxBatch))
		b := slices.Clone(frags[:n])
		frags = frags[n:]
		if sorted && !mixed || mixed && r.IntN(2) == 0 {
			slices.SortStableFunc(b, func(a, b record.Call) int { return cmp.Compare(a.CallID, b.CallID) })
		}
		batches = append(batches, b)
		switch r.IntN(20) {
		case 0:
			batches = append(batches, b) // again at once (a redelivery)
		case 1:
			later = append(later, b) // again at the end (a replay)
		}
	}
	return append(batches, later...)
}

// stressStats collects the outcome of a run.
type stressStats struct {
	mu        sync.Mutex
	errs      map[string]int // retryable errors by SQLSTATE (or Go error kind)
	fatal     []string       // non-retryable errors, give-ups
	writes    int            // batches
	attempts  int            // Write calls
	fragments int
}

func (s *stressStats) retryable(err error) {
	code := SQLState(err)
	if code == "" {
		code = "go:" + strings.SplitN(err.Error(), ":", 2)[0]
		if errors.Is(err, errStreamClosed) {
			code = "go:stream closed"
		}
	}
	s.mu.Lock()
	s.errs[code]++
	s.mu.Unlock()
}

func (s *stressStats) fail(msg string) {
	s.mu.Lock()
	s.fatal = append(s.fatal, msg)
	s.mu.Unlock()
}

// writerBook is what one Writer was asked to write, in distinct calls per
// Write (after the batch's own merge): ok sums the Writes that returned nil,
// tried all of them, failed ones included.
type writerBook struct {
	mu        sync.Mutex
	ok, tried int64
	failed    int // Writes that returned an error
}

func runStress(t *testing.T, sc stressScenario, seed uint64, ref map[string]string) {
	master := rand.New(rand.NewPCG(seed, 0x5eed))
	url := newDB(t)
	base, _ := setup(t, Config{URL: url, MaxConns: 2})
	if sc.rowDelay > 0 {
		for _, sql := range []string{
			fmt.Sprintf(`CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(%g); RETURN NEW; END $$`, sc.rowDelay.Seconds()),
			`CREATE TRIGGER slow_row BEFORE INSERT ON calls FOR EACH ROW EXECUTE FUNCTION slow_row()`,
		} {
			if _, err := base.Pool().Exec(t.Context(), sql); err != nil {
				t.Fatal(err)
			}
		}
	}
	cfg := Config{URL: url, MaxConns: sc.maxConns, StatementTimeout: sc.stmtTimeout}
	writers := make([]*Writer, sc.writers)
	for i := range writers {
		w, err := NewWriter(t.Context(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = w.Close() })
		writers[i] = w
	}

	// Every writer writes every fragment, some of them twice.
	stats := &stressStats{errs: map[string]int{}}
	books := make([]writerBook, sc.writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for wi, w := range writers {
		streams := 1
		if sc.shareAll {
			streams = sc.goroutines
		}
		queue := make(chan []record.Call, 1<<16)
		for s := range streams {
			r := rand.New(rand.NewPCG(master.Uint64(), uint64(wi*100+s)))
			var frags []record.Call
			for i := range sc.calls {
				for _, f := range stressFragments(i) {
					frags = append(frags, f)
					if r.IntN(4) == 0 {
						frags = append(frags, f) // a repeat
					}
				}
			}
			for _, b := range stressBatches(r, frags, (wi+s)%4, sc.maxBatch, sc.sorted, sc.mixed) {
				queue <- b
			}
		}
		close(queue)
		for g := range sc.goroutines {
			wg.Add(1)
			seed := master.Uint64() ^ uint64(g) // master is this goroutine's
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(seed, uint64(wi)))
				<-start
				for b := range queue {
					distinct := int64(len(record.MergeBatch(b, cleanText)))
					for attempt := 0; ; attempt++ {
						err := w.Write(t.Context(), b)
						stats.mu.Lock()
						stats.attempts++
						stats.mu.Unlock()
						book := &books[wi]
						book.mu.Lock()
						book.tried += distinct
						if err == nil {
							book.ok += distinct
						} else {
							book.failed++
						}
						book.mu.Unlock()
						if err == nil {
							break
						}
						if !IsRetryable(err) {
							stats.fail(fmt.Sprintf("writer %d: non-retryable: %v", wi, err))
							break
						}
						stats.retryable(err)
						if attempt == 100 {
							stats.fail(fmt.Sprintf("writer %d: gave up after %d attempts: %v", wi, attempt+1, err))
							break
						}
						time.Sleep(time.Duration(1+r.IntN(20)) * time.Millisecond)
					}
					stats.mu.Lock()
					stats.writes++
					stats.fragments += len(b)
					stats.mu.Unlock()
				}
			}()
		}
	}
	began := time.Now()
	close(start)
	wg.Wait()
	took := time.Since(began)

	for _, f := range stats.fatal {
		t.Error(f)
	}
	// Rows: each call once, each equal to the sequential writer's.
	got := stressRows(t, base.Pool())
	if len(got) != sc.calls {
		t.Errorf("%d rows, want %d", len(got), sc.calls)
	}
	differ := 0
	for i := range sc.calls {
		id := stressID(i)
		g, ok := got[id]
		switch {
		case !ok:
			t.Errorf("call %s lost", id)
		case g != ref[id]:
			differ++
			if differ <= 3 {
				t.Errorf("call %s (fragments %v) differs from the sequential write:\n got %s\nwant %s", id, stressSubsets[i%len(stressSubsets)], g, ref[id])
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d of %d rows differ", differ, sc.calls)
	}

	// Counters: a Write that succeeded counted each of its distinct calls
	// once, by one path; one that failed at most once.
	var total WriteCounts
	for i, w := range writers {
		c := w.Counts()
		b := &books[i]
		total.Inserted += c.Inserted
		total.Merged += c.Merged
		total.Refused += c.Refused
		if c.Inserted < 0 || c.Merged < 0 || c.Refused < 0 {
			t.Errorf("writer %d: negative counts %+v", i, c)
		}
		if n := c.Inserted + c.Merged; n < b.ok || n > b.tried {
			t.Errorf("writer %d: counts %+v: inserted+merged %d, want between %d (calls of the writes that succeeded) and %d (of all tried)", i, c, n, b.ok, b.tried)
		}
		if b.failed == 0 && c.Inserted+c.Merged != b.ok {
			t.Errorf("writer %d: no write failed, counts %+v, inserted+merged %d, want %d", i, c, c.Inserted+c.Merged, b.ok)
		}
	}
	// The write-in-parts path: which writers write in parts now.
	inParts := 0
	for _, w := range writers {
		if w.callsPerStatement(1<<20) < 1<<20 {
			inParts++
		}
	}
	if sc.stmtTimeout > 0 && inParts == 0 {
		t.Errorf("statement timeout %v: no writer went to writing in parts", sc.stmtTimeout)
	}
	withRequest := 0
	for i := range sc.calls {
		if slices.ContainsFunc(stressFragments(i), func(c record.Call) bool { return c.RequestEventID != "" }) {
			withRequest++
		}
	}
	// A direct copy commits only calls not stored yet: each call at most
	// once over all writers.
	if total.Inserted > int64(withRequest) {
		t.Errorf("%d calls inserted directly over all writers, more than the %d calls with a request", total.Inserted, withRequest)
	}

	codes := make([]string, 0, len(stats.errs))
	for c, n := range stats.errs {
		codes = append(codes, fmt.Sprintf("%s=%d", c, n))
	}
	sort.Strings(codes)
	t.Logf("seed %d: %d calls, %d writers x %d goroutines, %d batches (%d Write calls) of %d fragments in %v; retryable errors: %v; counts over all writers %+v (%d calls have a request); %d writers in parts (per statement: %v)",
		seed, sc.calls, sc.writers, sc.goroutines, stats.writes, stats.attempts, stats.fragments, took.Round(time.Millisecond), codes, total, withRequest, inParts, perStatement(writers))
	// Before Write sorted its batches and the merge read staging in call
	// id order, unsorted batches deadlocked 11-46 times a run, and sorted
	// ones about once in 150 runs (staging rows stored out of order).
	if dl := stats.errs["40P01"]; dl > 0 {
		t.Errorf("%d deadlocks (40P01) in %d Write calls of %d batches", dl, stats.attempts, stats.writes)
	}
}

func perStatement(ws []*Writer) []int {
	var out []int
	for _, w := range ws {
		out = append(out, w.callsPerStatement(1<<20))
	}
	return out
}

func TestStressMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("stress test: about 20 s")
	}
	calls := envInt("STRESS_CALLS", 200)
	runs := envInt("STRESS_RUNS", 1)
	seed := uint64(envInt("STRESS_SEED", int(time.Now().UnixNano()%1e9)))
	ref := stressReference(t, calls)
	scenarios := []stressScenario{
		{name: "sorted", calls: calls, writers: 3, goroutines: 2, sorted: true, maxBatch: 64, maxConns: 4},
		{name: "sorted-small", calls: calls, writers: 4, goroutines: 2, sorted: true, maxBatch: 8, maxConns: 4},
		{name: "sorted-many", calls: calls, writers: 6, goroutines: 3, sorted: true, maxBatch: 32, maxConns: 4},
		{name: "unsorted", calls: calls, writers: 3, goroutines: 2, sorted: false, maxBatch: 64, maxConns: 4},
		{name: "unsorted-small", calls: calls, writers: 4, goroutines: 2, sorted: false, maxBatch: 8, maxConns: 4},
		{name: "mixed", calls: calls, writers: 3, goroutines: 2, mixed: true, maxBatch: 64, maxConns: 4},
		{name: "one-writer-goroutines-all", calls: calls, writers: 1, goroutines: 4, shareAll: true, sorted: true, maxBatch: 64, maxConns: 4},
		{name: "one-writer-goroutines-all-unsorted", calls: calls, writers: 1, goroutines: 4, shareAll: true, sorted: false, maxBatch: 64, maxConns: 4},
		{name: "sorted-timeout", calls: min(calls, 100), writers: 3, goroutines: 2, sorted: true, maxBatch: 64, maxConns: 4,
			stmtTimeout: 250 * time.Millisecond, rowDelay: 5 * time.Millisecond},
		{name: "sorted-timeout-tight", calls: min(calls, 100), writers: 3, goroutines: 2, sorted: true, maxBatch: 64, maxConns: 4,
			stmtTimeout: 60 * time.Millisecond, rowDelay: 5 * time.Millisecond},
		{name: "sorted-timeout-many", calls: min(calls, 100), writers: 6, goroutines: 3, sorted: true, maxBatch: 32, maxConns: 4,
			stmtTimeout: 60 * time.Millisecond, rowDelay: 5 * time.Millisecond},
		{name: "unsorted-timeout", calls: min(calls, 100), writers: 3, goroutines: 2, sorted: false, maxBatch: 64, maxConns: 4,
			stmtTimeout: 250 * time.Millisecond, rowDelay: 5 * time.Millisecond},
	}
	for run := range runs {
		for _, sc := range scenarios {
			if f := os.Getenv("STRESS_ONLY"); f != "" && !slices.ContainsFunc(strings.Split(f, ","), func(p string) bool { return strings.HasPrefix(sc.name, p) }) {
				continue
			}
			s := seed + uint64(run)
			t.Run(fmt.Sprintf("%s/run%d", sc.name, run), func(t *testing.T) { runStress(t, sc, s, ref) })
		}
	}
}
