// Package demo generates realistic LLM traffic against the vendor emulator
// and records it with the client package: several vendors, streaming and
// not, cached and reasoning tokens, and some errors. The demo command, the
// end-to-end tests and the benchmarks share it.
package demo
