package harborai_test

import (
	"net/http"
	"testing"

	"github.com/harborai/ingest/pkg/harborai"
)

// plainAndRecordedRT runs f with base alone and under a Transport (vendor
// hosts recognised without options).
func plainAndRecordedRT(t *testing.T, pub *harborai.Publisher, base http.RoundTripper, f func(t *testing.T, name string, rt http.RoundTripper), opts ...harborai.TransportOption) {
	t.Helper()
	for _, recorded := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "recorded"}[recorded]
		t.Run(name, func(t *testing.T) {
			rt := base
			if recorded {
				rt = harborai.NewTransport(pub, base, opts...)
			}
			f(t, name, rt)
		})
	}
}
