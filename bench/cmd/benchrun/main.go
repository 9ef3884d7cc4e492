// Command benchrun runs the benchmarks of package bench, one target at a
// time, and rewrites their sections of docs/benchmarks.md (between the
// marker comments; the prose around them stays).
//
//	go run ./bench/cmd/benchrun [flags] target...
//
// Targets: footprint, jetstream, client, ingest, latency, outage, query,
// or all (in that order). Each target is one go test run of its
// benchmark (-benchtime 1x), which writes its section into -out; client
// also runs pkg/harborai's own benchmarks (BenchmarkPublish,
// BenchmarkTransport, ...) and puts their results in its section. The
// Makefile's bench targets call this command.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/harborai/ingest/bench/report"
)

// targets in the order "all" runs them: ingest before latency, which
// paces at fractions of the rate ingest measured.
var targets = []struct{ name, bench string }{
	{"footprint", "BenchmarkFootprint"},
	{"jetstream", "BenchmarkJetStream"},
	{"client", "BenchmarkClient"},
	{"ingest", "BenchmarkIngest"},
	{"latency", "BenchmarkLatency"},
	{"outage", "BenchmarkOutage"},
	{"query", "BenchmarkQuery"},
}

type options struct {
	doc, out, command string
	quick             bool
	calls             int
	timeout           time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.doc, "doc", "docs/benchmarks.md", "document whose sections are rewritten")
	flag.StringVar(&o.out, "out", "bin/bench", "directory for the sections, logs and profiles")
	flag.StringVar(&o.command, "cmd", "", "the command to record in the document (default: this command line)")
	flag.BoolVar(&o.quick, "quick", false, "small sizes, to check that everything runs (figures not meaningful; the document is not touched)")
	flag.IntVar(&o.calls, "calls", 0, "calls per ingest run (0 = the benchmark's default, 200,000)")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Minute, "bound on each target's go test run")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: benchrun [flags] target...\ntargets: all")
		for _, t := range targets {
			fmt.Fprintf(flag.CommandLine.Output(), ", %s", t.name)
		}
		fmt.Fprintln(flag.CommandLine.Output())
		flag.PrintDefaults()
	}
	flag.Parse()
	if o.command == "" {
		o.command = "go run ./bench/cmd/benchrun " + strings.Join(os.Args[1:], " ")
	}
	if err := run(o, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

func run(o options, args []string) error {
	names, err := selected(args)
	if err != nil {
		return err
	}
	if o.out, err = filepath.Abs(o.out); err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	started := time.Now()
	var failed []string
	for _, t := range targets {
		if !names[t.name] {
			continue
		}
		if err := runTarget(o, t.name, t.bench); err != nil {
			fmt.Fprintf(os.Stderr, "benchrun: %s: %v\n", t.name, err)
			failed = append(failed, t.name)
		}
	}
	fmt.Printf("benchrun: done in %s\n", time.Since(started).Round(time.Second))
	if len(failed) > 0 {
		return fmt.Errorf("failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

func selected(args []string) (map[string]bool, error) {
	if len(args) == 0 {
		return nil, errors.New("no target (try all)")
	}
	names := map[string]bool{}
	for _, a := range args {
		if a == "all" {
			for _, t := range targets {
				names[t.name] = true
			}
			continue
		}
		known := false
		for _, t := range targets {
			known = known || t.name == a
		}
		if !known {
			return nil, fmt.Errorf("unknown target %q", a)
		}
		names[a] = true
	}
	return names, nil
}

// runTarget runs one benchmark, adds what the driver measures itself, and
// splices the section into the document.
func runTarget(o options, name, bench string) error {
	fmt.Printf("benchrun: %s (%s)\n", name, bench)
	logf, err := os.Create(filepath.Join(o.out, name+".log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	start := time.Now()
	args := []string{"test", "-run", "^$", "-bench", "^" + bench + "$", "-benchtime", "1x", "-count", "1",
		"-timeout", o.timeout.String(), "./bench", "-args", "-out", o.out}
	if o.quick {
		args = append(args, "-quick")
	}
	if o.calls > 0 {
		args = append(args, "-calls", strconv.Itoa(o.calls))
	}
	if err := goCmd(logf, args...); err != nil {
		return err
	}
	sec, err := report.Read(o.out, name)
	if err != nil {
		return err
	}
	if sec.Started.Before(start) {
		return fmt.Errorf("the benchmark wrote no new section (see %s)", logf.Name())
	}
	if name == "client" {
		micro, err := clientBenchmarks(o, logf)
		if err != nil {
			return err
		}
		sec.Markdown = micro + "\n" + sec.Markdown
	}
	took := time.Since(start).Round(time.Second)
	if o.quick {
		fmt.Printf("benchrun: %s ran in %s (-quick: %s not touched)\n", name, took, o.doc)
		return nil
	}
	header := fmt.Sprintf("_Measured %s by `%s` (this section: %s)._\n\n", sec.Finished.Format("2006-01-02 15:04 MST"), o.command, took)
	return rewrite(o, name, header+sec.Markdown, sec.Env)
}

// rewrite splices the section and the environment block into the document.
func rewrite(o options, name, markdown string, env report.Env) error {
	doc, err := os.ReadFile(o.doc)
	if err != nil {
		return err
	}
	if doc, err = report.Splice(doc, name, markdown); err != nil {
		return err
	}
	env = env.Merge(report.CollectEnv(filepath.Join("bin", "ingestor")))
	envMD := fmt.Sprintf("Last updated %s by `%s`, at commit %s.\n\n%s",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), o.command, commit(), env.Markdown())
	if doc, err = report.Splice(doc, "env", envMD); err != nil {
		return err
	}
	return os.WriteFile(o.doc, doc, 0o644)
}

// goCmd runs the go command, its output to the terminal and to log.
func goCmd(log io.Writer, args ...string) error {
	fmt.Fprintf(log, "$ go %s\n", strings.Join(args, " "))
	cmd := exec.Command("go", args...)
	cmd.Stdout = io.MultiWriter(os.Stdout, log)
	cmd.Stderr = io.MultiWriter(os.Stderr, log)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// commit names the checked-out commit, and says when the tree differs.
func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := "`" + strings.TrimSpace(string(out)) + "`"
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		c += " with uncommitted changes"
	}
	return c
}
