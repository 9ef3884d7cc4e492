// Command publisher-sdk publishes HarborAI events: from JSONL files or stdin
// (the bridge for applications in other languages), or as realistic demo
// traffic against the built-in vendor emulator.
//
//	publisher-sdk publish [FILE ...]      # one event per line; "-" or none = stdin
//	publisher-sdk demo [-calls N]         # make calls against the emulator and record them
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `usage: publisher-sdk <command> [flags]

commands:
  publish [FILE ...]   publish events, one JSON object per line (stdin when no FILE or "-")
  demo                 make LLM calls against the built-in vendor emulator and publish them

The NATS server is $HARBORAI_NATS_URL (default nats://127.0.0.1:4222).
Run "publisher-sdk <command> -h" for the command's flags.
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
	case "publish":
		return publish(args[1:], stdin, stdout, stderr)
	case "demo":
		return demoCmd(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "publisher-sdk: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
