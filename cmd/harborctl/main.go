// Command harborctl is HarborAI's operator CLI: list and inspect stored
// calls, parse a raw response's usage, and (as they land) statistics,
// exports, database and pricing administration. It reads PostgreSQL when
// HARBORAI_POSTGRES_URL is set, else the spool under HARBORAI_DATA_DIR, and
// says which.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `usage: harborctl <command> [flags]

commands:
  logs     list stored calls (newest first); --json prints one JSON object per call
  logs show ID   one call in full (by call id, hb_trace_id or trace id)
  db       migrate | status | prune (PostgreSQL)
  stats    calls, tokens and cost by provider and model (cost per currency)
  pricing  list | show | set | unset | history | reprice: prices, their sources, re-pricing stored calls
  usage    parse a raw response body (FILE or stdin) and print its token usage as JSON

Reads PostgreSQL when $HARBORAI_POSTGRES_URL is set, else the spool in
$HARBORAI_DATA_DIR (default ./harborai-data). Run "harborctl <command> -h" for flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "logs":
		return logsCmd(args[1:], stdout, stderr)
	case "db":
		return dbCmd(args[1:], os.LookupEnv, stdout, stderr)
	case "stats":
		return statsCmd(args[1:], stdout, stderr)
	case "pricing":
		return pricingCmd(args[1:], stdout, stderr)
	case "usage":
		return usageCmd(args[1:], stdin, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "harborctl: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
