// Package pricing manages dynamic prices (SPEC §5 source "dynamic") and the
// re-pricing of stored calls (SPEC §10, harborctl pricing).
//
// A dynamic price is an [Entry] in a [Store]: the dynamic_prices table of
// PostgreSQL when HARBORAI_POSTGRES_URL is set, else the JSON file
// $HARBORAI_DATA_DIR/pricing.json (mode 0600, replaced atomically). Entries
// are only ever appended, so the store is the price history: `pricing set`
// appends a price, `pricing unset` appends a tombstone (Removed) that ends
// the dynamic price of a model from its effective date on. The entry in
// effect for a call at time t is, among those of its provider and model
// (matched as pkg/cost matches models: exact name first, then the name it
// extends with a dated suffix), the one with the latest EffectiveFrom <= t;
// of entries with the same EffectiveFrom the one set last wins.
//
// [NewPricer] builds a pricer over the entries and the other sources of
// pkg/cost, with their precedence api_parameter > dynamic >
// environment_variable > default_config; a tombstone hands the call to the
// sources below dynamic. [Live] is the ingestor's pricer: loaded at
// start-up and refreshed periodically, swapped atomically. [Sources.List]
// and [Sources.Explain] say which source prices a model and why.
// [Reprice] recomputes the cost of stored calls under the current prices,
// in bounded batches, recording each change in the reprice_audit table in
// the same transaction.
package pricing
