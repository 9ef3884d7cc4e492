package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/harborai/ingest/bench/report"
)

// clientBenches are pkg/harborai's benchmarks of the caller-side cost,
// run as they are rather than duplicated in package bench.
var clientBenches = []string{"BenchmarkPublish", "BenchmarkTransport", "BenchmarkPlainClient", "BenchmarkTransportVsPlain"}

// clientBenchmarks runs those of clientBenches that pkg/harborai has,
// five times each, and renders the medians as a table.
func clientBenchmarks(o options, log io.Writer) (string, error) {
	var have []string
	for _, name := range clientBenches {
		if defined("pkg/harborai", name) {
			have = append(have, name)
		}
	}
	if len(have) == 0 {
		return "pkg/harborai has none of " + strings.Join(clientBenches, ", ") + " yet.\n", nil
	}
	count := "5"
	if o.quick {
		count = "1"
	}
	var out bytes.Buffer
	pattern := "^(" + strings.Join(have, "|") + ")$"
	args := []string{"test", "-run", "^$", "-bench", pattern, "-benchmem", "-count", count, "./pkg/harborai"}
	if err := goCmd(io.MultiWriter(log, &out), args...); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "pkg/harborai's own benchmarks (`go test -run '^$' -bench '%s' -benchmem -count %s ./pkg/harborai`), medians of the %s runs; "+
		"`p50-ns`/`p99-ns` are single `Publish` calls on the caller's goroutine (SPEC §13: p99 <= 20 µs), `latency-ratio` is Transport vs a plain `http.Client` on the loopback emulator (<= 1.05), `added-µs` the difference of their median latencies; "+
		"`chat-unrecognised` goes through a Transport that recognises none of the emulator's calls and records nothing: the harness's own floor; "+
		"`chat-copy-only` goes through a RoundTripper that only copies the request body and the response bytes as the caller reads them (no event, id or header): the floor under any recorder at the HTTP layer; "+
		"in `chat`, `floor-ratio` is a third client timed in the same loop, taking turns with the other two: copy-only's copies plus a request and a response event with only what the schema requires, published through the same publisher (the floor under any recorder that publishes), and `over-floor-µs` what the Transport adds to it.\n\n",
		pattern, count, count)
	b.WriteString(benchTable(&out))
	return b.String(), nil
}

// defined reports whether a _test.go file of dir declares func name.
func defined(dir, name string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err == nil && bytes.Contains(src, []byte("func "+name+"(")) {
			return true
		}
	}
	return false
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// benchTable renders go test -bench output: one row per benchmark, the
// median of each of its metrics over the runs.
func benchTable(r io.Reader) string {
	type bench struct {
		name    string
		metrics map[string][]float64
	}
	var (
		order []*bench
		by    = map[string]*bench{}
		units []string
	)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		bn := by[name]
		if bn == nil {
			bn = &bench{name: name, metrics: map[string][]float64{}}
			by[name] = bn
			order = append(order, bn)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			unit := f[i+1]
			if !slices.Contains(units, unit) {
				units = append(units, unit)
			}
			bn.metrics[unit] = append(bn.metrics[unit], v)
		}
	}
	t := report.NewTable(append([]string{"benchmark"}, units...)...)
	for _, bn := range order {
		row := []string{bn.name}
		for _, u := range units {
			if vs := bn.metrics[u]; len(vs) > 0 {
				row = append(row, report.Num(report.Median(vs), digits(report.Median(vs))))
			} else {
				row = append(row, "")
			}
		}
		t.Row(row...)
	}
	return t.String()
}

func digits(v float64) int {
	switch {
	case v >= 100:
		return 0
	case v >= 1:
		return 2
	default:
		return 3
	}
}
