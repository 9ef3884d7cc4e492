package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// errFlags reports a flag the flag package rejected and already explained.
var errFlags = errors.New("bad flags")

// usageErrors prints each of err's lines (errors.Join puts one problem on
// each) as "harborctl CMD: problem".
func usageErrors(stderr io.Writer, cmd string, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(stderr, "harborctl %s: %s\n", cmd, line)
	}
}
