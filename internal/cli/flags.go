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
