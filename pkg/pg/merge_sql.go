package pg

import "strings"

// The merge rule of record.Merge, in SQL, between the stored row (c) and a
// staged fragment (EXCLUDED). Event ids are NULL when a side was not seen;
// they compare byte-wise (COLLATE "C" columns), as Go compares strings.
const (
	// The request side is taken from the fragment with the smaller request
	// event id, or from the one that has it.
	newRequestWins = `(EXCLUDED.request_event_id IS NOT NULL AND
	  (c.request_event_id IS NULL OR EXCLUDED.request_event_id < c.request_event_id))`
	// Likewise the response side, by response event id.
	newResponseWins = `(EXCLUDED.response_event_id IS NOT NULL AND
	  (c.response_event_id IS NULL OR EXCLUDED.response_event_id < c.response_event_id))`
	// The header comes from the fragment whose smallest event id is the
	// smallest (LEAST ignores NULLs), or from the new one when the stored
	// row has no event id at all.
	newHeaderWins = `(LEAST(c.request_event_id, c.response_event_id) IS NULL OR
	  LEAST(EXCLUDED.request_event_id, EXCLUDED.response_event_id) < LEAST(c.request_event_id, c.response_event_id))`
	// The spool reason: the smallest non-empty one.
	newSpoolWins = `(EXCLUDED.spool_reason IS NOT NULL AND
	  (c.spool_reason IS NULL OR EXCLUDED.spool_reason < c.spool_reason))`
)

// upsertSQL moves the staged batch into calls. A new call is inserted as
// staged; a known one takes each side from the winning fragment. The
// comparisons are strict, so a fragment written again updates nothing (the
// row, updated_at included, stays as it is), and any order and repetition
// of a call's fragments converge to the same row. The batch holds one row
// per call (Writer.Write merges duplicates first): ON CONFLICT cannot
// update a row twice in one statement.
//
// The rows are taken in call id order, the order every writer locks rows
// in, so two merges cannot deadlock. The staging table's physical order is
// not the order of the COPY: a row that fits the free space an earlier page
// kept is stored there (about 3% of merges read rows out of order, and
// such merges deadlocked in about 0.6% of TestStressMerge's one-writer
// runs).
var upsertSQL = func() string {
	var sets []string
	for _, c := range callColumns {
		var cond string
		switch c.side {
		case sideKey:
			continue
		case sideHeader:
			cond = newHeaderWins
		case sideRequest:
			cond = newRequestWins
		case sideResponse:
			cond = newResponseWins
		case sideSpool:
			cond = newSpoolWins
		}
		sets = append(sets, "\n  "+c.name+" = CASE WHEN "+cond+" THEN EXCLUDED."+c.name+" ELSE c."+c.name+" END")
	}
	sets = append(sets, "\n  updated_at = now()")
	return "INSERT INTO calls AS c (" + columnList + ")\nSELECT " + columnList + " FROM " + stagingTable + " ORDER BY call_id" +
		"\nON CONFLICT (call_id) DO UPDATE SET" + strings.Join(sets, ",") +
		"\nWHERE " + newHeaderWins + "\n   OR " + newRequestWins + "\n   OR " + newResponseWins + "\n   OR " + newSpoolWins
}()
