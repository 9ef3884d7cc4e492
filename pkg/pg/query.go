package pg

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/harborai/ingest/pkg/record"
)

// Store reads the stored calls, for the operator CLI.
type Store struct {
	pool    *pgxpool.Pool
	timeout time.Duration
	noICU   atomic.Bool // the server has no ICU collation: Text is matched as the database's locale folds
}

// NewStore returns a store over pool (which the caller keeps and closes).
// Each query is bounded by cfg.QueryTimeout (default 30s).
func NewStore(pool *pgxpool.Pool, cfg Config) *Store {
	return &Store{pool: pool, timeout: cfg.withDefaults().QueryTimeout}
}

// Filter selects calls for List. Zero fields do not filter.
type Filter struct {
	Since, Until time.Time // started_at in [Since, Until)
	Provider     string
	Model        string
	Status       string // success, error, abandoned or pending
	TraceID      string // a call id, or either trace id: hb_trace_id or the OpenTelemetry trace id
	Text         string // substring of the error message or a body, case-insensitive (store.Filter.Match)
	MinTokens    *int64 // total_tokens bounds, inclusive
	MaxTokens    *int64
	ErrorsOnly   bool
	Limit        int     // default 50, at most 1000
	After        *Cursor // the page after this cursor (from a previous List)

	noICU bool // Store's: match Text without the ICU collation
}

// Cursor is a position in the newest-first order of calls.
type Cursor struct {
	StartedAt time.Time
	CallID    string
}

const (
	defaultLimit = 50
	maxLimit     = 1000
)

// List returns the calls matching f, newest first, and the cursor of the
// next page (nil on the last page).
func (s *Store) List(ctx context.Context, f Filter) ([]record.Call, *Cursor, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	limit := f.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)
	f.noICU = s.noICU.Load()
	where, args := f.where()
	args["limit"] = limit + 1
	sql := "SELECT " + columnList + " FROM calls" + where +
		" ORDER BY started_at DESC, call_id DESC LIMIT @limit"
	rows, err := s.pool.Query(ctx, sql, args)
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "42704" && !f.noICU && strings.Contains(pgErr.Message, icuCollation) {
		s.noICU.Store(true) // a server built without ICU
		return s.List(ctx, f)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("list calls: %w", err)
	}
	calls, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (record.Call, error) { return scanCall(r) })
	if err != nil {
		return nil, nil, fmt.Errorf("list calls: %w", err)
	}
	if len(calls) <= limit {
		return calls, nil, nil
	}
	calls = calls[:limit]
	last := calls[limit-1]
	return calls, &Cursor{StartedAt: last.StartedAt, CallID: last.CallID}, nil
}

// where returns the WHERE clause of f and its named arguments. Text is
// looked for as the writer stores it (cleanText): a NUL or invalid UTF-8 in
// a filter would otherwise fail the query rather than match nothing.
func (f Filter) where() (string, pgx.NamedArgs) {
	f.Provider, f.Model, f.TraceID, f.Text = cleanText(f.Provider), cleanText(f.Model), cleanText(f.TraceID), cleanText(f.Text)
	if f.After != nil {
		a := *f.After
		a.CallID = cleanText(a.CallID) // a cursor typed by hand
		f.After = &a
	}
	var conds []string
	args := pgx.NamedArgs{}
	add := func(cond, name string, v any) {
		conds = append(conds, cond)
		if name != "" {
			args[name] = v
		}
	}
	if !f.Since.IsZero() {
		add("started_at >= @since", "since", f.Since)
	}
	if !f.Until.IsZero() {
		add("started_at < @until", "until", f.Until)
	}
	if f.Provider != "" {
		add("provider = @provider", "provider", f.Provider)
	}
	if f.Model != "" {
		add("model = @model", "model", f.Model)
	}
	switch f.Status {
	case "":
	case record.StatusPending:
		add("status IS NULL", "", nil)
	default:
		add("status = @status", "status", f.Status)
	}
	if f.ErrorsOnly {
		add("status = 'error'", "", nil) // a literal, so the partial index applies
	}
	if f.TraceID != "" {
		add("(call_id = @trace_id OR hb_trace_id = @trace_id OR trace_id = @trace_id)", "trace_id", f.TraceID)
	}
	if f.Text != "" {
		// Case is folded as the spool store folds it (store.Filter.Match),
		// whatever the database's locale: ASCII letters alone for a text
		// of ASCII, by the C collation; every letter, by Unicode's full
		// case mapping (ICU's root locale), for any other text.
		collate := ` COLLATE "C"`
		if !ASCIIOnly(f.Text) {
			collate = ` COLLATE "` + icuCollation + `"`
			if f.noICU {
				collate = ""
			}
		}
		add("(error_message ILIKE @text"+collate+" OR request_body ILIKE @text"+collate+" OR response_body ILIKE @text"+collate+")",
			"text", "%"+likeEscaper.Replace(f.Text)+"%")
	}
	if f.MinTokens != nil {
		add("total_tokens >= @min_tokens", "min_tokens", *f.MinTokens)
	}
	if f.MaxTokens != nil {
		add("total_tokens <= @max_tokens", "max_tokens", *f.MaxTokens)
	}
	if f.After != nil {
		conds = append(conds, "(started_at, call_id) < (@after_started_at, @after_call_id)")
		args["after_started_at"], args["after_call_id"] = f.After.StartedAt, f.After.CallID
	}
	if len(conds) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// icuCollation is ICU's root locale, which every server built with ICU
// has (PGDG's and Debian's packages, the official images).
const icuCollation = "und-x-icu"

// ASCIIOnly reports whether s is ASCII only: a Text search for it folds
// ASCII letters alone, in both stores (store.Filter.Match folds alike).
func ASCIIOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// likeEscaper escapes LIKE's wildcards (backslash is the default escape).
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Get returns the call with this call id, or else the first call (by start
// time) with this hb_trace_id or OpenTelemetry trace id; ErrNotFound when
// none.
func (s *Store) Get(ctx context.Context, id string) (*record.Call, error) {
	id = cleanText(id) // as stored
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	row := s.pool.QueryRow(ctx, "SELECT "+columnList+` FROM calls
		WHERE call_id = $1 OR hb_trace_id = $1 OR trace_id = $1
		ORDER BY call_id = $1 DESC, started_at, call_id LIMIT 1`, id)
	c, err := scanCall(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("get %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", id, err)
	}
	return &c, nil
}
