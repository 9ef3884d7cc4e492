package cli

import (
	"fmt"
	"os"
	"strconv"
)

// DefaultNATSURL is where publishers connect when HARBORAI_NATS_URL is unset.
const DefaultNATSURL = "nats://127.0.0.1:4222"

// Env returns the environment variable key, or def when it is unset or empty.
func Env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// EnvBool returns the boolean environment variable key (as strconv.ParseBool
// reads it), or def when it is unset or empty.
func EnvBool(key string, def bool) (bool, error) {
	v := Env(key, "")
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def, fmt.Errorf("%s %q: want true or false", key, v)
	}
	return b, nil
}
