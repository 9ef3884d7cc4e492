package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/store"
	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
	"github.com/harborai/ingest/pkg/spool"
)

// Flags of TestStoresAnswerAlikeRandomly, e.g.
//
//	go test -count=1 -run TestStoresAnswerAlikeRandomly ./internal/store -args -differential.seeds=50
var (
	diffSeed  = flag.Uint64("differential.seed", 0, "TestStoresAnswerAlikeRandomly: run this seed only (0: seeds 1 to -differential.seeds)")
	diffSeeds = flag.Int("differential.seeds", 2, "TestStoresAnswerAlikeRandomly: how many seeds to run, from 1")
	diffCalls = flag.Int("differential.calls", 150, "TestStoresAnswerAlikeRandomly: calls per seed")
)

// TestStoresAnswerAlikeRandomly is a differential test: for each seed it
// generates calls (-differential.calls) with the variety of real traffic, as
// events (request, response or call; out of order, redelivered, some
// without their other half), builds their fragments as the ingestor does
// (ingest.Build, ingest.MergeBatch), writes the batches both to a spool
// through the spool sink and to PostgreSQL through pg.Writer, and then asks
// both stores the operator's questions: every page of keyset-paginated
// listings under random filters, Get by call id and either trace id, and
// Stats under every grouping. Answers are compared as harborctl prints them
// (logs --json, logs show --json, stats --json), and then field by field.
// Each seed gives the same calls and questions; a failure names its seed,
// which -differential.seed runs again alone.
func TestStoresAnswerAlikeRandomly(t *testing.T) {
	for _, seed := range diffSeedList() {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			runDifferential(t, seed, *diffCalls, func(t *testing.T) string { return pgtest.Start(t).NewDB(t) })
		})
	}
}

// TestStoresAnswerAlikeRandomlyICU is the same comparison against a
// database whose default collation is not "C": ICU's en-US, with a
// Unicode LC_CTYPE, as a server initialised in an en_US.UTF-8 locale (the
// postgres image of docker-compose.yml) has. Skipped when the server has
// no ICU (fails under CI=true). It runs the even seeds of -differential.seeds (those without
// absurd token counts, so that the statistics are PostgreSQL's own
// aggregation), or -differential.seed.
func TestStoresAnswerAlikeRandomlyICU(t *testing.T) {
	for _, seed := range diffSeedList() {
		if *diffSeed == 0 && seed%2 == 1 {
			continue
		}
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			runDifferential(t, seed, *diffCalls, icuDB)
		})
	}
}

func diffSeedList() []uint64 {
	if *diffSeed != 0 {
		return []uint64{*diffSeed}
	}
	var seeds []uint64
	for s := 1; s <= *diffSeeds; s++ {
		seeds = append(seeds, uint64(s))
	}
	return seeds
}

// icuDB creates a database with ICU's en-US collation for t, dropped when
// t ends, and returns its URL; it skips t when the server cannot.
func icuDB(t *testing.T) string {
	t.Helper()
	c := pgtest.Start(t)
	name := "diff_icu_" + sanitizeName(t.Name())
	if len(name) > 63 { // PostgreSQL's longest name
		name = fmt.Sprintf("%s_%08x", name[:54], crc32.ChecksumIEEE([]byte(t.Name())))
	}
	admin := func(sql string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	id := pgx.Identifier{name}.Sanitize()
	if err := admin("CREATE DATABASE " + id + " TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no database with ICU's en-US collation: %v (CI=true: PostgreSQL tests must run, not skip)", err)
		}
		t.Skipf("no database with ICU's en-US collation: %v", err)
	}
	t.Cleanup(func() {
		if err := admin("DROP DATABASE IF EXISTS " + id + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return c.URL(name)
}

func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '_'
	}, s)
}

// TestStoresAnswerAlikeMinimal holds the smallest cases of what
// TestStoresAnswerAlikeRandomly found: each subtest stores a call or two
// in both stores and asks one question.
func TestStoresAnswerAlikeMinimal(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	call := func(id, provider string, minute int) record.Call {
		return record.Call{CallID: id, Provider: provider, Model: "m", StartedAt: at.Add(time.Duration(minute) * time.Minute),
			RequestEventID: "req-" + id, ResponseEventID: "resp-" + id, Status: "success",
			Usage: &parse.Usage{PromptTokens: ptr(int64(1)), CompletionTokens: ptr(int64(2)), TotalTokens: ptr(int64(3)), Confidence: 1}}
	}
	inC := func(t *testing.T) string { return pgtest.Start(t).NewDB(t) }
	storesAt := func(t *testing.T, url string, calls ...record.Call) map[string]store.Store {
		return writeBatches(t, rand.New(rand.NewPCG(1, 1)), [][]record.Call{calls}, url)
	}

	// The text filter is "case-insensitive" (store.Filter.Match, pg.Filter):
	// the spool folds every letter (strings.ToLower), PostgreSQL's ILIKE
	// only ASCII ones when the database's LC_CTYPE is C, as in pgtest's and
	// scripts/demo-postgres.sh's clusters.
	t.Run("text search, letters beyond ASCII", func(t *testing.T) {
		c := call("c1", "openai", 0)
		c.Status, c.ErrorMessage = "error", "Grüße aus KÖLN"
		got := map[string]string{}
		for name, s := range storesAt(t, inC(t), c) {
			calls, err := s.List(t.Context(), store.Filter{Text: "köln"})
			if err != nil {
				t.Fatal(err)
			}
			got[name] = ids(calls)
		}
		if got["postgres"] != got["spool"] {
			t.Errorf("List(text köln) over a call whose error is %q: postgres [%s], spool [%s]", c.ErrorMessage, got["postgres"], got["spool"])
		}
	})

	// With ICU, PostgreSQL lower-cases by ICU's full mapping (İ is i and a
	// combining dot; a final Σ is ς), the spool by Go's simple one (İ is i,
	// Σ is σ).
	t.Run("text search, ICU's case mapping", func(t *testing.T) {
		c := call("c1", "openai", 0)
		c.Status, c.ErrorMessage = "error", "İstanbul ΟΔΟΣ"
		stores := storesAt(t, icuDB(t), c)
		for _, text := range []string{"istanbul", "οδοσ", "οδος"} {
			got := map[string]string{}
			for name, s := range stores {
				calls, err := s.List(t.Context(), store.Filter{Text: text})
				if err != nil {
					t.Fatal(err)
				}
				got[name] = ids(calls)
			}
			if got["postgres"] != got["spool"] {
				t.Errorf("List(text %s) over a call whose error is %q: postgres [%s], spool [%s]", text, c.ErrorMessage, got["postgres"], got["spool"])
			}
		}
	})

	// Stats rows come "in group order": the spool's (store.Aggregate) and
	// PGStore's own fallback for sums beyond int64 sort providers and
	// models byte-wise, pg.Store.Stats by the database's collation.
	t.Run("stats order, database collation not C", func(t *testing.T) {
		huge := call("huge", "anthropic", 10)
		huge.Usage = &parse.Usage{PromptTokens: ptr(int64(1) << 62), CompletionTokens: ptr(int64(1) << 62), TotalTokens: ptr(int64(1) << 62), Confidence: 1}
		huge2 := huge
		huge2.CallID, huge2.RequestEventID, huge2.ResponseEventID = "huge2", "req-huge2", "resp-huge2"
		stores := storesAt(t, icuDB(t), call("c1", "OpenAI", 0), call("c2", "anthropic", 1), call("c3", "openai", 2), huge, huge2)
		order := func(s store.Store, f store.Filter) string {
			rows, err := s.Stats(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range rows {
				names = append(names, r.Provider)
			}
			return strings.Join(names, " ")
		}
		small := store.Filter{GroupBy: store.GroupByProvider, Until: at.Add(5 * time.Minute)} // without the huge calls
		all := store.Filter{GroupBy: store.GroupByProvider}                                   // token sums beyond int64
		p, sp := order(stores["postgres"], small), order(stores["spool"], small)
		if p != sp {
			t.Errorf("Stats(by provider, until %s): postgres [%s], spool [%s]", small.Until.Format(time.RFC3339), p, sp)
		}
		if pAll := order(stores["postgres"], all); pAll != p {
			t.Logf("postgres alone: [%s] without the huge calls, [%s] with them (PGStore.aggregate)", p, pAll)
		}
	})

	// parse.Usage.TotalDerived (no vendor total; total = prompt +
	// completion) has no column: PostgreSQL answers false, the spool true.
	t.Run("usage total_derived", func(t *testing.T) {
		c := call("c1", "anthropic", 0)
		c.Usage.TotalDerived = true
		got := map[string]bool{}
		for name, s := range storesAt(t, inC(t), c) {
			g, err := s.Get(t.Context(), "c1")
			if err != nil {
				t.Fatal(err)
			}
			got[name] = g.Usage.TotalDerived
		}
		if got["postgres"] != got["spool"] {
			t.Errorf("Get(c1).Usage.TotalDerived: postgres %v, spool %v", got["postgres"], got["spool"])
		}
	})

	// A cursor is compared as stored in the spool; PostgreSQL is sent it
	// as given (pg.Filter.where cleans the other filters, not the cursor).
	t.Run("cursor with bytes PostgreSQL cannot hold", func(t *testing.T) {
		got := map[string]string{}
		for name, s := range storesAt(t, inC(t), call("a", "openai", 0), call("b", "openai", 0)) {
			calls, err := s.List(t.Context(), store.Filter{After: &pg.Cursor{StartedAt: at, CallID: "b\xff"}})
			got[name] = fmt.Sprintf("[%s] %v", ids(calls), err)
		}
		if got["postgres"] != got["spool"] {
			t.Errorf("List(after %s/b\\xff): postgres %s, spool %s", at.Format(time.RFC3339), got["postgres"], got["spool"])
		}
	})

	// logs show --json prints raw_usage as each store holds it: jsonb's
	// form (keys by length, numbers as numeric writes them) against the
	// vendor's text. The same JSON value: noted, not failed.
	t.Run("raw usage as logs show --json prints it", func(t *testing.T) {
		c := call("c1", "acme-proxy", 0)
		c.Usage.Raw = json.RawMessage(`{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"cost":1.95e-05}`)
		got := map[string]string{}
		for name, s := range storesAt(t, inC(t), c) {
			g, err := s.Get(t.Context(), "c1")
			if err != nil {
				t.Fatal(err)
			}
			got[name] = string(g.Usage.Raw)
			if fields := diffFields(showJSON(g), showJSON(&c)); len(fields) > 1 || len(fields) == 1 && fields[0] != "spool_reason" {
				t.Errorf("%s: raw usage %s, want the value %s", name, g.Usage.Raw, c.Usage.Raw)
			}
		}
		if got["postgres"] != got["spool"] {
			t.Logf("raw_usage: postgres %s, spool %s", got["postgres"], got["spool"])
		}
	})
}

func runDifferential(t *testing.T, seed uint64, n int, newDB func(t *testing.T) string) {
	g := newDiffGen(seed)
	batches := g.batches(t, n)
	stores := writeBatches(t, g.r, batches, newDB(t))
	pgs, sps := stores["postgres"], stores["spool"]
	d := &diffReport{t: t, seed: seed}

	// Every call, as each store has it: the ids and values to ask about.
	all, err := pgs.List(t.Context(), store.Filter{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	spAll, err := sps.List(t.Context(), store.Filter{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	d.compareLists("List(all)", store.Filter{Limit: 1 << 20}, all, spAll)
	if len(all) == 0 {
		t.Fatal("no calls stored")
	}

	// Listings, paged as harborctl pages them: each store's pages are
	// also its whole listing, in order.
	for range 40 {
		f := g.filter(all)
		whole := map[string][]record.Call{}
		for name, s := range stores {
			wf := f
			wf.Limit = 1 << 20
			list, err := s.List(t.Context(), wf)
			if err != nil {
				t.Fatal(err)
			}
			whole[name] = list
		}
		d.compareLists("List", f, whole["postgres"], whole["spool"])
		// Pages small enough to cross ties, few enough to stay fast.
		size := g.pageSize(len(whole["postgres"]))
		paged := map[string][][]record.Call{}
		for name, s := range stores {
			paged[name] = pages(t, s, f, size)
			var flat []record.Call
			for _, p := range paged[name] {
				flat = append(flat, p...)
			}
			if ids(flat) != ids(whole[name]) {
				d.add("pagination/"+name, fmt.Sprintf("%s: pages of %d of %s\n  paged: %s\n  whole: %s", name, size, describe(f), ids(flat), ids(whole[name])))
			}
		}
		d.comparePages(f, size, paged["postgres"], paged["spool"])
	}

	// Get by every kind of id: call ids, trace ids shared by several calls
	// (the first is answered), ids of no call.
	var getIDs []string
	for range 25 {
		c := all[g.r.IntN(len(all))]
		getIDs = append(getIDs, c.CallID, c.HBTraceID, c.TraceID)
	}
	getIDs = append(getIDs, g.hbIDs...)
	getIDs = append(getIDs, g.traceIDs...)
	slices.Sort(getIDs)
	getIDs = slices.Compact(getIDs)
	getIDs = append(getIDs, "", "no-such-call", strings.ToUpper(all[0].CallID), " "+all[0].CallID)
	for _, id := range getIDs {
		d.compareGet(id, get(t, pgs, id), get(t, sps, id))
	}

	// Statistics, in every grouping.
	for i := range 20 {
		f := g.statsFilter(all, i)
		for _, by := range []string{store.GroupByModel, store.GroupByProvider, store.GroupByDay} {
			f.GroupBy = by
			d.compareStats(f, stats(t, pgs, f), stats(t, sps, f))
		}
	}
	d.finish(len(all))
}

// --- writing the calls -------------------------------------------------

// writeBatches writes each batch of fragments as the ingestor's pipeline
// does (merged, in call id order) both through the spool sink (rotating
// segments now and then) and through pg.Writer into the database at url, and
// returns the store over each.
func writeBatches(t *testing.T, r *rand.Rand, batches [][]record.Call, url string) map[string]store.Store {
	t.Helper()
	dir := t.TempDir()
	w, err := spool.Open(spool.Options{Dir: dir, Sync: spool.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	sink := ingest.NewSpoolSink(w, "test")
	pw, err := pg.NewWriter(t.Context(), pg.Config{URL: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pg.Migrate(t.Context(), pw.Pool()); err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		b = ingest.MergeBatch(b)
		slices.SortFunc(b, func(x, y record.Call) int { return strings.Compare(x.CallID, y.CallID) })
		if err := sink.Write(t.Context(), b); err != nil {
			t.Fatal(err)
		}
		pb := slices.Clone(b)
		for i := range pb {
			pb[i].SpoolReason = "test" // as the spool sink marks them
		}
		if err := pw.Write(t.Context(), pb); err != nil {
			t.Fatal(err)
		}
		if r.IntN(4) == 0 {
			if err := w.Rotate(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	_ = pw.Close()
	ps, err := store.OpenPG(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ps.Close() })
	return map[string]store.Store{"spool": store.NewSpoolStore(dir), "postgres": ps}
}

// --- generating calls --------------------------------------------------

type diffModel struct {
	provider, model, served string
	anthropic               bool // Messages API bodies, else Chat Completions
}

// diffModels: priced in USD and CNY by the table, priced by price
// variables (zhipu), unpriced (a fine-tune, an unknown provider), a
// provider name in another case, a Chinese model name and none at all.
var diffModels = []diffModel{
	{"openai", "gpt-4o", "gpt-4o-2024-08-06", false},
	{"openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", false},
	{"openai", "gpt-5", "", false},
	{"openai", "ft:gpt-4o-mini:acme::x1", "", false},
	{"OpenAI", "gpt-4o", "", false},
	{"deepseek", "deepseek-chat", "deepseek-chat", false},
	{"deepseek", "deepseek-reasoner", "", false},
	{"anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", true},
	{"anthropic", "claude-haiku-4-5", "", true},
	{"qwen", "qwen-turbo", "", false},
	{"zhipu", "glm-4-plus", "", false},
	{"wenxin", "ernie-4.0-8k", "", false},
	{"acme-proxy", "通义千问-72B", "", false},
	{"acme-proxy", "", "", false},
}

// diffWords make up bodies and error messages: Chinese, letters with case
// outside ASCII, LIKE's wildcards, a backslash, an emoji.
var diffWords = []string{
	"你好，世界", "请总结这段文字", "Rate limit reached", "Grüße aus Köln", "ÉCOLE normale", "Ωmega ΣΊΣΥΦΟΣ",
	"ＡＢＣ全角", "100% sure", "snake_case_name", `C:\path\to`, "emoji 🚀", "Straße", "Привет МИР", "plain words",
	"请稍后再试", "Quota Exceeded", "İstanbul",
}

var diffLookup = map[string]string{"ZHIPU_INPUT_PRICE": "0.05", "ZHIPU_OUTPUT_PRICE": "0.1", "COST_CURRENCY": "CNY"}

type diffGen struct {
	r        *rand.Rand
	instants []time.Time
	hbIDs    []string
	traceIDs []string
	pricer   *cost.Pricer
	seen     map[string]bool
	huge     bool // absurd token counts occur
}

func newDiffGen(seed uint64) *diffGen {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	g := &diffGen{r: r, seen: map[string]bool{}, huge: seed%2 == 1} // odd seeds
	var err error
	g.pricer, err = cost.NewPricer(cost.Options{Lookup: func(k string) (string, bool) { v, ok := diffLookup[k]; return v, ok }})
	if err != nil {
		panic(err)
	}
	midnight := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	bases := []time.Time{midnight, midnight.Add(12 * time.Hour), midnight.Add(24 * time.Hour)}
	// Instants many calls share: around two UTC midnights and a noon, to
	// the millisecond, the microsecond or the nanosecond (time.Now's).
	g.instants = []time.Time{midnight, midnight.Add(-time.Nanosecond), midnight.Add(-time.Microsecond), midnight.Add(999)}
	for range 40 {
		t := bases[r.IntN(len(bases))].Add(time.Duration(r.IntN(4000)-2000) * time.Millisecond)
		switch r.IntN(3) {
		case 0:
			t = t.Add(time.Duration(r.IntN(1000)) * time.Microsecond)
		case 1:
			t = t.Add(time.Duration(r.IntN(1_000_000)))
		}
		g.instants = append(g.instants, t)
	}
	for range 10 {
		g.hbIDs = append(g.hbIDs, fmt.Sprintf("hb_%013d_%08x", midnight.UnixMilli()+int64(r.IntN(100000)), r.Uint32()))
		g.traceIDs = append(g.traceIDs, fmt.Sprintf("%016x%016x", r.Uint64()|1, r.Uint64()))
	}
	return g
}

func (g *diffGen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *diffGen) hex(n int) string {
	var b strings.Builder
	for b.Len() < n {
		fmt.Fprintf(&b, "%016x", g.r.Uint64())
	}
	return b.String()[:n]
}

func (g *diffGen) uuid() string {
	h := g.hex(32)
	return h[:8] + "-" + h[8:12] + "-7" + h[13:16] + "-" + h[16:20] + "-" + h[20:]
}

// callID: mostly UUIDv7-like, also ids of other shapes and cases, and ids
// that are not ASCII; unique.
func (g *diffGen) callID(i int) string {
	for {
		var id string
		switch k := g.r.IntN(10); {
		case k < 6:
			id = g.uuid()
		case k == 6:
			id = "req_" + strings.ToUpper(g.hex(6)) + g.hex(6)
		case k == 7:
			id = fmt.Sprintf("Call-%d", g.r.IntN(50))
		case k == 8:
			id = fmt.Sprintf("call-%d", g.r.IntN(50))
		default:
			id = fmt.Sprintf("调用-%03d", i)
		}
		if !g.seen[id] {
			g.seen[id] = true
			return id
		}
	}
}

func (g *diffGen) startedAt() time.Time {
	t := g.instants[g.r.IntN(len(g.instants))]
	switch k := g.r.IntN(20); {
	case k < 13: // the very same instant
	case k < 17: // the same microsecond, another nanosecond
		t = t.Truncate(time.Microsecond).Add(time.Duration(g.r.IntN(1000)))
	default:
		t = t.Add(time.Duration(g.r.Int64N(int64(3 * time.Hour))))
	}
	return t
}

func (g *diffGen) text() string {
	n := 1 + g.r.IntN(3)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = g.pick(diffWords)
	}
	return strings.Join(parts, " ")
}

// count is a token count: mostly small, sometimes 0, and in half of the
// seeds sometimes huge (then most sums of statistics go beyond int64, and
// PGStore.Stats sums the calls itself).
func (g *diffGen) count(small int) int64 {
	switch k := g.r.IntN(40); {
	case k == 0:
		return 0
	case k == 1 && g.huge:
		return 1 << 62
	case k == 2 && g.huge:
		return math.MaxInt64 - int64(g.r.IntN(1000))
	default:
		return int64(g.r.IntN(small))
	}
}

// usageJSON is a vendor usage object, or "" for none.
func (g *diffGen) usageJSON(m diffModel) string {
	if g.r.IntN(8) == 0 {
		return ""
	}
	p, c := g.count(5000), g.count(2000)
	num := func(n int64) string {
		if g.r.IntN(30) == 0 {
			return fmt.Sprintf(`"%d"`, n) // a misbehaving proxy's digit string
		}
		return fmt.Sprint(n)
	}
	if m.anthropic {
		s := fmt.Sprintf(`{"input_tokens":%s,"output_tokens":%s`, num(p), num(c))
		if g.r.IntN(3) == 0 {
			s += fmt.Sprintf(`,"cache_read_input_tokens":%d,"cache_creation_input_tokens":%d`, g.r.IntN(3000), g.r.IntN(500))
		}
		return s + "}"
	}
	total := p + c
	if total < p { // beyond int64
		total = math.MaxInt64
	}
	if g.r.IntN(10) == 0 {
		total += int64(g.r.IntN(7)) - 3 // a vendor total that disagrees
		total = max(total, 0)
	}
	s := fmt.Sprintf(`{"prompt_tokens":%s,"completion_tokens":%s,"total_tokens":%s`, num(p), num(c), num(total))
	if m.provider == "acme-proxy" && g.r.IntN(2) == 0 {
		// A proxy in Python reporting its cost as Python writes floats.
		s += `,"cost":` + strconv.FormatFloat(float64(g.r.IntN(10000))*1e-8, 'g', -1, 64)
	}
	if g.r.IntN(3) == 0 && p > 0 {
		s += fmt.Sprintf(`,"prompt_tokens_details":{"cached_tokens":%d}`, g.r.Int64N(p))
	}
	if g.r.IntN(4) == 0 && c > 0 {
		s += fmt.Sprintf(`,"completion_tokens_details":{"reasoning_tokens":%d}`, g.r.Int64N(c))
	}
	return s + "}"
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (g *diffGen) responseBody(m diffModel, stream bool, usage string) string {
	served := m.served
	if served == "" {
		served = m.model
	}
	if stream {
		var b strings.Builder
		for range 1 + g.r.IntN(3) {
			fmt.Fprintf(&b, "data: {\"object\":\"chat.completion.chunk\",\"model\":%s,\"choices\":[{\"index\":0,\"delta\":{\"content\":%s}}]}\n\n",
				jsonString(served), jsonString(g.text()))
		}
		if usage != "" {
			fmt.Fprintf(&b, "data: {\"object\":\"chat.completion.chunk\",\"model\":%s,\"choices\":[],\"usage\":%s}\n\n", jsonString(served), usage)
		}
		return b.String() + "data: [DONE]\n\n"
	}
	if m.anthropic {
		s := fmt.Sprintf(`{"id":"msg_%s","type":"message","role":"assistant","model":%s,"content":[{"type":"text","text":%s}]`,
			g.hex(8), jsonString(served), jsonString(g.text()))
		if usage != "" {
			s += `,"usage":` + usage
		}
		return s + "}"
	}
	s := fmt.Sprintf(`{"id":"chatcmpl-%s","object":"chat.completion","model":%s,"choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}]`,
		g.hex(8), jsonString(served), jsonString(g.text()))
	if usage != "" {
		s += `,"usage":` + usage
	}
	return s + "}"
}

// call returns the events of one call: a call event; a request and a
// response; a request alone (pending); or a response alone.
func (g *diffGen) call(i int) []*event.Event {
	m := diffModels[g.r.IntN(len(diffModels))]
	start := g.startedAt()
	h := event.Event{SchemaVersion: event.SchemaVersion, CallID: g.callID(i), Provider: m.provider, Model: m.model,
		Endpoint: "https://api.example.com/v1/chat/completions", StartedAt: start, Stream: g.r.IntN(4) == 0}
	if g.r.IntN(2) == 0 {
		h.HBTraceID = g.pick(g.hbIDs)
	}
	if g.r.IntN(2) == 0 {
		h.TraceID = g.pick(g.traceIDs)
	}
	if h.HBTraceID != "" && h.TraceID != "" {
		h.SpanID = g.hex(15) + "1"
	}
	if g.r.IntN(5) < 3 {
		h.Tags = event.Tags{Environment: g.pick([]string{"prod", "staging", "生产", ""}), Service: g.pick([]string{"chat-api", "批处理", ""}),
			SessionID: g.pick([]string{"", "sess-" + g.hex(6)}), UserID: g.pick([]string{"", "用户-42", "u-7"})}
		if g.r.IntN(3) == 0 {
			h.Tags.Metadata = map[string]string{"租户": "华东", "team": g.pick([]string{"Search", "搜索"})}
		}
	}
	if g.r.IntN(7) == 0 {
		h.CustomPricing = &event.CustomPricing{InputPrice: json.Number(g.pick([]string{"0.002", "1.5", "0", "0.0000015", "2.50", "30"})),
			OutputPrice: json.Number(g.pick([]string{"0.006", "2", "0", "0.00000042", "10.000"})),
			Currency:    g.pick([]string{"EUR", "JPY", "gbp", "rmb", "", "usd", "HKD", "XYZ"})}
	}
	req := &event.Request{Method: "POST", URL: h.Endpoint,
		Body: fmt.Sprintf(`{"model":%s,"stream":%v,"messages":[{"role":"user","content":%s}]}`, jsonString(m.model), h.Stream, jsonString(g.text()))}
	resp := &event.Response{Status: event.StatusSuccess, HTTPStatus: 200,
		FinishedAt: start.Add(time.Duration(50+g.r.IntN(30000))*time.Millisecond + time.Duration(g.r.IntN(1000)))}
	switch k := g.r.IntN(10); {
	case k < 6: // success
		resp.Body = g.responseBody(m, h.Stream && !m.anthropic, g.usageJSON(m))
	case k < 9: // error, sometimes billed
		resp.Status = event.StatusError
		resp.HTTPStatus = g.pick2([]int{429, 500, 400, 0})
		resp.ErrorType = g.pick([]string{"rate_limit", "server_error", "timeout", ""})
		resp.ErrorMessage = g.pick([]string{"", g.text()})
		if g.r.IntN(4) == 0 {
			resp.Body = g.responseBody(m, false, g.usageJSON(m))
		} else {
			resp.Body = fmt.Sprintf(`{"error":{"message":%s,"type":"rate_limit_error"}}`, jsonString(g.text()))
		}
	default: // the caller stopped reading the stream
		resp.Status = event.StatusAbandoned
		h.Stream = true
		resp.Body = g.responseBody(m, !m.anthropic, g.pick([]string{"", g.usageJSON(m)}))
	}
	if h.Stream {
		fb := start.Add(time.Duration(10+g.r.IntN(40)) * time.Millisecond)
		resp.FirstByteAt = &fb
	}
	ev := func(kind event.Kind) *event.Event {
		e := h
		e.Kind, e.EventID = kind, g.uuid()
		return &e
	}
	var out []*event.Event
	switch k := g.r.IntN(100); {
	case k < 35:
		e := ev(event.KindCall)
		e.Request, e.Response = req, resp
		out = append(out, e)
	case k < 82:
		q, p := ev(event.KindRequest), ev(event.KindResponse)
		q.Request, p.Response = req, resp
		if g.r.IntN(15) == 0 { // a publisher that repeats the header differently
			p.Tags = event.Tags{Environment: "other", Metadata: map[string]string{"retry": "1"}}
			p.Stream = !q.Stream
		}
		out = append(out, q, p)
	case k < 93:
		q := ev(event.KindRequest)
		q.Request = req
		out = append(out, q)
	default:
		p := ev(event.KindResponse)
		p.Response = resp
		out = append(out, p)
	}
	if out[len(out)-1].Response != nil && g.r.IntN(20) == 0 {
		// A publisher that sent the response twice, under two event ids,
		// the second time otherwise (a retried call's outcome).
		p := ev(event.KindResponse)
		r := *resp
		r.Status, r.HTTPStatus, r.ErrorType, r.ErrorMessage = event.StatusError, 503, "server_error", g.text()
		r.Body = g.responseBody(m, false, g.usageJSON(m))
		p.Response = &r
		out = append(out, p)
	}
	return out
}

func (g *diffGen) pick2(s []int) int { return s[g.r.IntN(len(s))] }

// batches returns the fragments of n calls' events, as the ingestor
// builds them from the wire, shuffled, some redelivered, in batches.
func (g *diffGen) batches(t *testing.T, n int) [][]record.Call {
	var wire [][]byte
	for i := range n {
		for _, e := range g.call(i) {
			b, err := event.Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			wire = append(wire, b)
			if g.r.IntN(10) == 0 {
				wire = append(wire, b) // redelivered
			}
		}
	}
	g.r.Shuffle(len(wire), func(i, j int) { wire[i], wire[j] = wire[j], wire[i] })
	opts := ingest.BuildOptions{KeepBodies: true, Environment: "default-env"}
	var out [][]record.Call
	for len(wire) > 0 {
		k := min(len(wire), 1+g.r.IntN(40))
		var b []record.Call
		for _, data := range wire[:k] {
			ev, err := event.Decode(data, 0)
			if err != nil {
				t.Fatalf("generated event %s: %v", data, err)
			}
			b = append(b, ingest.Build(ev, g.pricer, opts))
		}
		out = append(out, b)
		wire = wire[k:]
	}
	return out
}

// --- generating queries ------------------------------------------------

// pageSize is a page size for a listing of n calls: at most about 12
// pages.
func (g *diffGen) pageSize(n int) int {
	least := max(1, n/12)
	return least + g.r.IntN(least+3)
}

// when is a time bound: a call's start as stored or as generated, a
// nanosecond or microsecond beside it, a UTC midnight.
func (g *diffGen) when(all []record.Call) time.Time {
	c := all[g.r.IntN(len(all))]
	switch g.r.IntN(6) {
	case 0:
		return c.StartedAt
	case 1:
		return g.instants[g.r.IntN(len(g.instants))]
	case 2:
		return c.StartedAt.Add(time.Duration(g.r.IntN(3)-1) * time.Nanosecond)
	case 3:
		return c.StartedAt.Add(time.Duration(g.r.IntN(3)-1) * time.Microsecond)
	case 4:
		return time.Date(2026, 11, 27+g.r.IntN(2), 0, 0, 0, 0, time.UTC)
	default:
		return c.StartedAt.Add(time.Duration(g.r.IntN(1000)))
	}
}

// term is a search text: a word or part of one, in its case or another.
func (g *diffGen) term() string {
	w := []rune(g.pick(diffWords))
	s := string(w)
	if g.r.IntN(3) > 0 {
		i := g.r.IntN(len(w))
		s = string(w[i : i+1+g.r.IntN(min(6, len(w)-i))])
	}
	switch g.r.IntN(3) {
	case 0:
		s = strings.ToUpper(s)
	case 1:
		s = strings.ToLower(s)
	}
	return s
}

func (g *diffGen) filter(all []record.Call) store.Filter {
	var f store.Filter
	c := all[g.r.IntN(len(all))]
	if g.r.IntN(3) == 0 {
		f.Provider = g.pick([]string{c.Provider, c.Provider, diffModels[g.r.IntN(len(diffModels))].provider, "OPENAI", "nope"})
	}
	if g.r.IntN(4) == 0 {
		f.Model = g.pick([]string{c.Model, diffModels[g.r.IntN(len(diffModels))].model, "gpt-4O"})
	}
	if g.r.IntN(4) == 0 {
		f.Status = g.pick([]string{"success", "error", "pending", "abandoned"})
	}
	f.ErrorsOnly = g.r.IntN(7) == 0
	if g.r.IntN(3) == 0 {
		f.Since = g.when(all)
	}
	if g.r.IntN(3) == 0 {
		f.Until = g.when(all)
	}
	if g.r.IntN(6) == 0 {
		f.TraceID = g.pick([]string{c.CallID, c.HBTraceID, c.TraceID, g.pick(g.hbIDs), g.pick(g.traceIDs)})
	}
	if g.r.IntN(5) == 0 {
		f.Text = g.term()
	}
	if g.r.IntN(8) == 0 && c.Usage != nil && c.Usage.TotalTokens != nil {
		n := *c.Usage.TotalTokens
		if g.r.IntN(2) == 0 {
			f.MinTokens = &n
		} else {
			f.MaxTokens = &n
		}
	}
	return f
}

func (g *diffGen) statsFilter(all []record.Call, i int) store.Filter {
	if i == 0 {
		return store.Filter{}
	}
	f := g.filter(all)
	return store.Filter{Since: f.Since, Until: f.Until, Provider: f.Provider, Model: f.Model}
}

// --- asking ------------------------------------------------------------

// pages lists f's calls a page of size at a time, as harborctl logs does:
// one call more than the page to know whether another follows, then the
// next page after the printed cursor of the page's last call.
func pages(t *testing.T, s store.Store, f store.Filter, size int) [][]record.Call {
	t.Helper()
	var out [][]record.Call
	f.Limit = size + 1
	for range 1000 {
		calls, err := s.List(t.Context(), f)
		if err != nil {
			t.Fatalf("%s: List(%s) = %v", s.Source(), describe(f), err)
		}
		more := len(calls) > size
		calls = calls[:min(len(calls), size)]
		out = append(out, calls)
		if !more {
			return out
		}
		last := calls[len(calls)-1]
		// harborctl's cursor: RFC 3339 with nanoseconds, then the call id.
		at, err := time.Parse(time.RFC3339Nano, last.StartedAt.UTC().Format(time.RFC3339Nano))
		if err != nil {
			t.Fatal(err)
		}
		f.After = &pg.Cursor{StartedAt: at, CallID: last.CallID}
	}
	t.Fatalf("%s: still paging %s after 1000 pages", s.Source(), describe(f))
	return nil
}

type getAnswer struct {
	call *record.Call
	err  error
}

func get(t *testing.T, s store.Store, id string) getAnswer {
	c, err := s.Get(t.Context(), id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("%s: Get(%q) = %v", s.Source(), id, err)
	}
	return getAnswer{c, err}
}

func stats(t *testing.T, s store.Store, f store.Filter) string {
	rows, err := s.Stats(t.Context(), f)
	if err != nil {
		t.Fatalf("%s: Stats(%s) = %v", s.Source(), describe(f), err)
	}
	var b bytes.Buffer // as harborctl stats --json prints them
	if err := json.NewEncoder(&b).Encode(rows); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// --- comparing ---------------------------------------------------------

// logsLine is the line harborctl logs --json prints for c.
func logsLine(c *record.Call) string {
	b, err := json.Marshal(store.NewView(c))
	if err != nil {
		panic(err)
	}
	return string(b)
}

// showJSON is what harborctl logs show --json prints for c (without APM
// links, which come from the environment).
func showJSON(c *record.Call) string {
	out := struct {
		store.View
		RequestBody  *string         `json:"request_body,omitempty"`
		ResponseBody *string         `json:"response_body,omitempty"`
		RawUsage     json.RawMessage `json:"raw_usage,omitempty"`
	}{View: store.NewView(c), RequestBody: c.RequestBody, ResponseBody: c.ResponseBody}
	if c.Usage != nil {
		out.RawUsage = c.Usage.Raw
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
	return b.String()
}

// fullRecord is every field of c.
func fullRecord(c *record.Call) string {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// jsonValue decodes a JSON text with its numbers as canonical decimals
// (1.95e-05 and 0.0000195 are one number; jsonb writes the second).
func jsonValue(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var canon func(v any) any
	canon = func(v any) any {
		switch v := v.(type) {
		case json.Number:
			if d, err := decimal.NewFromString(string(v)); err == nil {
				return json.Number(d.String())
			}
		case map[string]any:
			for k, x := range v {
				v[k] = canon(x)
			}
		case []any:
			for i, x := range v {
				v[i] = canon(x)
			}
		}
		return v
	}
	return canon(v), nil
}

// diffFields names the (nested) JSON fields in which a and b differ.
func diffFields(a, b string) []string {
	x, errx := jsonValue(a)
	y, erry := jsonValue(b)
	if errx != nil || erry != nil {
		return []string{"(not JSON)"}
	}
	var out []string
	var walk func(path string, x, y any)
	walk = func(path string, x, y any) {
		mx, okx := x.(map[string]any)
		my, oky := y.(map[string]any)
		if okx && oky {
			keys := map[string]bool{}
			for k := range mx {
				keys[k] = true
			}
			for k := range my {
				keys[k] = true
			}
			sorted := make([]string, 0, len(keys))
			for k := range keys {
				sorted = append(sorted, k)
			}
			sort.Strings(sorted)
			for _, k := range sorted {
				walk(strings.TrimPrefix(path+"."+k, "."), mx[k], my[k])
			}
			return
		}
		bx, _ := json.Marshal(x)
		by, _ := json.Marshal(y)
		if !bytes.Equal(bx, by) {
			out = append(out, path)
		}
	}
	walk("", x, y)
	return out
}

func ids(calls []record.Call) string {
	s := make([]string, len(calls))
	for i := range calls {
		s[i] = calls[i].CallID
	}
	return strings.Join(s, " ")
}

func describe(f store.Filter) string {
	var parts []string
	add := func(k string, v any) { parts = append(parts, fmt.Sprintf("%s=%v", k, v)) }
	if !f.Since.IsZero() {
		add("since", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		add("until", f.Until.UTC().Format(time.RFC3339Nano))
	}
	for _, kv := range [][2]string{{"provider", f.Provider}, {"model", f.Model}, {"status", f.Status}, {"trace_id", f.TraceID}, {"text", f.Text}, {"group_by", f.GroupBy}} {
		if kv[1] != "" {
			add(kv[0], fmt.Sprintf("%q", kv[1]))
		}
	}
	if f.ErrorsOnly {
		add("errors_only", true)
	}
	if f.MinTokens != nil {
		add("min_tokens", *f.MinTokens)
	}
	if f.MaxTokens != nil {
		add("max_tokens", *f.MaxTokens)
	}
	if f.Limit != 0 {
		add("limit", f.Limit)
	}
	if f.After != nil {
		add("after", f.After.StartedAt.UTC().Format(time.RFC3339Nano)+"/"+f.After.CallID)
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// diffReport collects discrepancies by kind, reporting the first example
// of each kind and how often it was seen.
type diffReport struct {
	t       *testing.T
	seed    uint64
	queries int
	kinds   []string
	first   map[string]string
	count   map[string]int
	notes   diffNotes
}

// diffNotes are differences reported without failing.
type diffNotes struct {
	kinds []string
	first map[string]string
	count map[string]int
}

func (d *diffReport) note(kind, example string) {
	n := &d.notes
	if n.first == nil {
		n.first, n.count = map[string]string{}, map[string]int{}
	}
	if n.count[kind] == 0 {
		n.kinds = append(n.kinds, kind)
		n.first[kind] = example
	}
	n.count[kind]++
}

func (d *diffReport) add(kind, example string) {
	if d.first == nil {
		d.first, d.count = map[string]string{}, map[string]int{}
	}
	if d.count[kind] == 0 {
		d.kinds = append(d.kinds, kind)
		d.first[kind] = example
	}
	d.count[kind]++
}

// compareCall compares one call as both stores answer it: logs --json,
// then logs show --json, then every field. The same JSON values written
// otherwise (raw_usage's key order and number spelling, as jsonb rewrites
// them) are noted, not failed.
func (d *diffReport) compareCall(where string, p, s *record.Call) {
	for _, c := range []struct {
		what string
		out  func(*record.Call) string
	}{{"logs --json", logsLine}, {"logs show --json", showJSON}, {"record", fullRecord}} {
		a, b := c.out(p), c.out(s)
		if a == b {
			continue
		}
		example := fmt.Sprintf("%s, call %s:\n  postgres: %s\n  spool:    %s", where, p.CallID, a, b)
		if fields := diffFields(a, b); len(fields) > 0 {
			d.add(c.what+": "+strings.Join(fields, ","), example)
			return
		}
		d.note(c.what+": the same values, written otherwise", example)
	}
}

// compareLists reports whether both stores listed the same calls.
func (d *diffReport) compareLists(where string, f store.Filter, p, s []record.Call) bool {
	d.queries++
	if ids(p) != ids(s) {
		d.add("List: other calls or order", fmt.Sprintf("%s %s:\n  postgres: %s\n  spool:    %s", where, describe(f), ids(p), ids(s)))
		return false
	}
	for i := range p {
		d.compareCall(where+" "+describe(f), &p[i], &s[i])
	}
	return true
}

func (d *diffReport) comparePages(f store.Filter, size int, p, s [][]record.Call) {
	for i := range max(len(p), len(s)) {
		if i >= len(p) || i >= len(s) {
			d.add("List: other number of pages", fmt.Sprintf("pages of %d of %s: postgres %d pages, spool %d", size, describe(f), len(p), len(s)))
			return
		}
		if !d.compareLists(fmt.Sprintf("page %d (of %d)", i+1, size), f, p[i], s[i]) {
			return // the cursors differ from here on
		}
	}
}

func (d *diffReport) compareGet(id string, p, s getAnswer) {
	d.queries++
	switch {
	case p.call == nil && s.call == nil:
	case p.call == nil || s.call == nil:
		d.add("Get: found in one store only", fmt.Sprintf("Get(%q): postgres %v, spool %v", id, callOrErr(p), callOrErr(s)))
	case p.call.CallID != s.call.CallID:
		d.add("Get: other call", fmt.Sprintf("Get(%q): postgres %s, spool %s", id, p.call.CallID, s.call.CallID))
	default:
		d.compareCall(fmt.Sprintf("Get(%q)", id), p.call, s.call)
	}
}

func callOrErr(a getAnswer) string {
	if a.call == nil {
		return a.err.Error()
	}
	return "call " + a.call.CallID
}

func (d *diffReport) compareStats(f store.Filter, p, s string) {
	d.queries++
	if p == s {
		return
	}
	var pr, sr []json.RawMessage
	_ = json.Unmarshal([]byte(p), &pr)
	_ = json.Unmarshal([]byte(s), &sr)
	var lines []string
	for i := range max(len(pr), len(sr)) {
		var a, b string
		if i < len(pr) {
			a = string(pr[i])
		}
		if i < len(sr) {
			b = string(sr[i])
		}
		if a != b {
			lines = append(lines, fmt.Sprintf("  row %d postgres: %s\n  row %d spool:    %s", i, a, i, b))
		}
	}
	d.add("Stats by "+f.GroupBy, fmt.Sprintf("Stats(%s):\n%s", describe(f), strings.Join(lines, "\n")))
}

func (d *diffReport) finish(calls int) {
	d.t.Logf("seed %d: %d calls, %d queries compared, %d kinds of discrepancy", d.seed, calls, d.queries, len(d.kinds))
	for _, k := range d.notes.kinds {
		d.t.Logf("seed %d: note: %s (%d times); first:\n%s", d.seed, k, d.notes.count[k], d.notes.first[k])
	}
	for _, k := range d.kinds {
		ex := d.first[k]
		if !utf8.ValidString(ex) {
			ex = fmt.Sprintf("%q", ex)
		}
		d.t.Errorf("seed %d: %s (%d times); first:\n%s", d.seed, k, d.count[k], ex)
	}
}
