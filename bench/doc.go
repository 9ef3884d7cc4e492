// Package bench measures HarborAI ingest side by side with the baselines a
// user would compare it with (SPEC §13): the end-to-end pipeline against
// pgx CopyFrom and psql \copy, publish-to-visible latency, the client's
// cost on the caller, raw JetStream rates, footprint, behaviour during a
// PostgreSQL outage, and query latency over a million calls.
//
// The measurements are Go benchmarks in this package's test files, each
// one macro run (go test -bench BenchmarkX -benchtime 1x): they write
// their section of docs/benchmarks.md, and the raw figures, into the
// directory given by -out. The driver, bench/cmd/benchrun, runs them and
// splices the sections into the document; the Makefile's bench targets
// call it. Nothing here asserts a time: figures are reported, and compared
// only with figures measured in the same run.
//
// The non-test files are the shared helpers: deterministic calls as events
// (gen.go) and as stored rows (calls.go), the ingestor as a child process
// (ingestor.go) and its metrics (metrics.go), publishing at full speed or
// paced (publish.go), PostgreSQL (db.go), and process CPU and memory
// (proc.go). The section format and the markdown helpers are in
// bench/report.
package bench
