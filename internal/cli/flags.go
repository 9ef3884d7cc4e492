package cli

import (
	"errors"
	"flag"
)

// FlagStatus is the exit status after a flag.FlagSet's Parse failed with
// err (the flag package has already printed why): 0 when help was asked
// for with -h or --help, 2 for a usage error.
func FlagStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// ParseInterspersed parses args with fs, as fs.Parse does, but flags may
// also follow the positional arguments (harborctl logs show ID --json):
// each time Parse stops at a positional argument, that argument is kept
// and the rest parsed again. Everything after "--" is positional. It
// returns the positional arguments in order, and Parse's error.
func ParseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
