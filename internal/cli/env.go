package cli

import "os"

// DefaultNATSURL is where publishers connect when HARBORAI_NATS_URL is unset.
const DefaultNATSURL = "nats://127.0.0.1:4222"

// Env returns the environment variable key, or def when it is unset or empty.
func Env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}
