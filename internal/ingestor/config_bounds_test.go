package ingestor_test

import (
	"io"
	"strings"
	"testing"

	"github.com/harborai/ingest/internal/ingestor"
)

// TestLoadBounds: each documented range (docs/configuration.md) is accepted
// up to its ends and refused one step past them, naming the variable.
func TestLoadBounds(t *testing.T) {
	cases := []struct {
		name, value string
		ok          bool
	}{
		{"HARBORAI_BATCH_SIZE", "1", true},
		{"HARBORAI_BATCH_SIZE", "10000", true},
		{"HARBORAI_BATCH_SIZE", "0", false},
		{"HARBORAI_BATCH_SIZE", "10001", false},
		{"HARBORAI_WRITERS", "1", true},
		{"HARBORAI_WRITERS", "64", true},
		{"HARBORAI_WRITERS", "0", false},
		{"HARBORAI_WRITERS", "65", false},
		{"HARBORAI_MAX_EVENT_BYTES", "1024", true},
		{"HARBORAI_MAX_EVENT_BYTES", "67108864", true},
		{"HARBORAI_MAX_EVENT_BYTES", "1023", false},
		{"HARBORAI_MAX_EVENT_BYTES", "67108865", false},
		{"HARBORAI_MEMORY_LIMIT", "-1", true},
		{"HARBORAI_MEMORY_LIMIT", "0", true},
		{"HARBORAI_MEMORY_LIMIT", "33554432", true},
		{"HARBORAI_MEMORY_LIMIT", "33554431", false},
		{"HARBORAI_STREAM_MAX_BYTES", "0", true},
		{"HARBORAI_STREAM_MAX_BYTES", "-1", false},
		{"HARBORAI_PRUNE_INTERVAL", "0s", true},
		{"HARBORAI_PRUNE_INTERVAL", "-1s", false},
		{"HARBORAI_FLUSH_INTERVAL", "1ms", true},
		{"HARBORAI_FLUSH_INTERVAL", "0s", false},
	}
	for _, tc := range cases {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			_, err := ingestor.Load(nil, env(map[string]string{tc.name: tc.value}), io.Discard)
			switch {
			case tc.ok && err != nil:
				t.Errorf("Load(%s=%s) = %v, want nil", tc.name, tc.value, err)
			case !tc.ok && (err == nil || !strings.Contains(err.Error(), tc.name)):
				t.Errorf("Load(%s=%s) = %v, want an error naming %s", tc.name, tc.value, err, tc.name)
			}
		})
	}
}
