package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/harborai/ingest/internal/cli"
	"github.com/harborai/ingest/pkg/parse"
)

func usageCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("usage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	provider := fs.String("provider", "", "vendor whose API produced the body (openai, anthropic, gemini, deepseek, ...)")
	if err := fs.Parse(args); err != nil {
		return cli.FlagStatus(err)
	}
	if *provider == "" {
		fmt.Fprintln(stderr, "harborctl usage: --provider is required")
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprintln(stderr, "harborctl usage: at most one FILE")
		return 2
	}
	r := stdin
	if fs.NArg() == 1 && fs.Arg(0) != "-" {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			fmt.Fprintln(stderr, "harborctl usage:", err)
			return 1
		}
		defer f.Close()
		r = f
	}
	body, err := io.ReadAll(r)
	if err != nil {
		fmt.Fprintln(stderr, "harborctl usage: read body:", err)
		return 1
	}
	u := parse.Parse(*provider, body)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(u); err != nil {
		fmt.Fprintln(stderr, "harborctl usage:", err)
		return 1
	}
	return 0
}
