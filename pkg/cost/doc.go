// Package cost prices a call's token usage in exact decimal arithmetic
// (SPEC §5).
//
// A [Pricer] is built once by [NewPricer] from [Options] and is immutable
// afterwards, so one Pricer serves every goroutine. [Pricer.Cost] looks a
// price up in four sources, highest precedence first, and records which one
// answered in [Info.PricingSource]:
//
//  1. api_parameter: the call's own custom pricing; it affects that call only.
//  2. dynamic: prices set at runtime ([Options.Dynamic]).
//  3. environment_variable: the seed's price variables, read once in
//     NewPricer through [Options.Lookup]; the most specific variable wins.
//  4. default_config: the builtin table ([BuiltinTable]), a JSON file
//     embedded in the binary, every row citing its source and effective date.
//
// A model priced nowhere gets nil costs and PricingSource "not_found", never
// a silent zero. Within a source a model is matched by its exact name first,
// then by the longest known name it extends with a dated suffix
// (gpt-4o-2024-08-06 is priced as gpt-4o; gpt-4o is never priced as gpt-4).
// A price may have tiers chosen by prompt tokens (Gemini 2.5 Pro and Claude
// Sonnet 4 above 200K input tokens) or time-of-day windows (DeepSeek's
// 2025 off-peak hours, UTC 16:30-00:30).
//
// Arithmetic: uncached, cache-read and cache-write input tokens are billed
// at the input, cached-input and cache-write prices (each falling back to
// the input price when the model has none); completion tokens, reasoning
// included, at the output price. input_cost and output_cost are each
// rounded half away from zero to [Scale] (12) decimal places, a positive
// amount never rounding to zero, and total_cost is their exact sum.
//
// Amounts in different currencies are never added together: see [Totals]
// and [FX]. The package is pure: no I/O, no clock, no init, and no
// package state but the embedded table file, which it only reads.
package cost
