// Package report holds what the benchmarks and their driver share: the
// machine and versions a run was measured with, the section each benchmark
// writes (markdown plus its raw figures, as JSON in the output directory),
// markdown tables, percentiles, and the splicing of sections between the
// marker comments of docs/benchmarks.md.
//
// It does no measuring and imports nothing of the product, so the driver
// (bench/cmd/benchrun) stays a small program.
package report
