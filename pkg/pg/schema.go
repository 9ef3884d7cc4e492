package pg

import (
	"strings"
)

// side says which part of a call a column belongs to, for the merge rule.
type side int

const (
	sideKey      side = iota // call_id
	sideHeader               // repeated by every event of the call
	sideRequest              // from the request event
	sideResponse             // from the response event
	sideSpool                // why the call went through the spool
)

type column struct {
	name string
	typ  string // as in calls (migrations/0001_calls.sql)
	side side
}

// callColumns are the columns of calls that the writer fills, in the order
// of callRow's values and of scanCall's targets.
var callColumns = []column{
	{"call_id", `text COLLATE "C"`, sideKey},
	{"hb_trace_id", "text", sideHeader},
	{"trace_id", "text", sideHeader},
	{"span_id", "text", sideHeader},
	{"parent_span_id", "text", sideHeader},
	{"provider", "text", sideHeader},
	{"model", "text", sideHeader},
	{"endpoint", "text", sideHeader},
	{"stream", "boolean", sideHeader},
	{"started_at", "timestamptz", sideHeader},
	{"tags", "jsonb", sideHeader},
	{"environment", "text", sideHeader},

	{"request_event_id", `text COLLATE "C"`, sideRequest},
	{"request_body", "text", sideRequest},

	{"response_event_id", `text COLLATE "C"`, sideResponse},
	{"status", "text", sideResponse},
	{"http_status", "integer", sideResponse},
	{"finished_at", "timestamptz", sideResponse},
	{"latency_ms", "double precision", sideResponse},
	{"ttft_ms", "double precision", sideResponse},
	{"tokens_per_second", "double precision", sideResponse},
	{"served_model", "text", sideResponse},
	{"error_type", "text", sideResponse},
	{"error_message", "text", sideResponse},
	{"response_body", "text", sideResponse},

	{"prompt_tokens", "bigint", sideResponse},
	{"completion_tokens", "bigint", sideResponse},
	{"total_tokens", "bigint", sideResponse},
	{"cached_tokens", "bigint", sideResponse},
	{"reasoning_tokens", "bigint", sideResponse},
	{"cache_write_tokens", "bigint", sideResponse},
	{"usage_missing", "boolean", sideResponse},
	{"is_error", "boolean", sideResponse},
	{"usage_provider", "text", sideResponse},
	{"usage_model", "text", sideResponse},
	{"usage_error_message", "text", sideResponse},
	{"raw_usage", "jsonb", sideResponse},
	{"parsing_method", "text", sideResponse},
	{"confidence", "double precision", sideResponse},
	{"consistency", "text", sideResponse},
	{"total_derived", "boolean", sideResponse}, // since 0008

	{"input_cost", "numeric", sideResponse},
	{"output_cost", "numeric", sideResponse},
	{"total_cost", "numeric", sideResponse},
	{"currency", "text", sideResponse},
	{"pricing_source", "text", sideResponse},
	{"pricing_timestamp", "timestamptz", sideResponse},
	{"unit", "bigint", sideResponse},
	{"input_price", "numeric", sideResponse},
	{"cached_input_price", "numeric", sideResponse},
	{"cache_write_price", "numeric", sideResponse},
	{"output_price", "numeric", sideResponse},
	{"pricing_error", "text", sideResponse},

	{"spool_reason", `text COLLATE "C"`, sideSpool},
}

// stagingTable receives a batch by COPY. It is a temporary table created
// once per connection (not per batch: no catalog churn) and emptied by
// every commit; it has no constraint, so COPY never fails on the data.
const stagingTable = "calls_staging"

var (
	columnNames = func() []string {
		names := make([]string, len(callColumns))
		for i, c := range callColumns {
			names[i] = c.name
		}
		return names
	}()

	// columnList is the columns as a SQL list, for INSERT and SELECT.
	columnList = strings.Join(columnNames, ", ")

	stagingDDL = func() string {
		defs := make([]string, len(callColumns))
		for i, c := range callColumns {
			defs[i] = c.name + " " + c.typ
		}
		return "CREATE TEMP TABLE IF NOT EXISTS " + stagingTable + " (" + strings.Join(defs, ", ") + ") ON COMMIT DELETE ROWS"
	}()
)

// The COPY statements of the writer's binary rows (copyRows).
var (
	copyCallsSQL   = "COPY calls (" + columnList + ") FROM STDIN (FORMAT binary)"
	copyStagingSQL = "COPY " + stagingTable + " (" + columnList + ") FROM STDIN (FORMAT binary)"
)
