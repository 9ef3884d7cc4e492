package harborai_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine is left once they
// are all done, besides the per-test checks of checkLeaks. The one
// goroutine ignored is nats.go's, that its own race leaves waiting on a nil
// channel (resetPendingAcks; TestCloseCountsEveryEventOnce checks none is left
// listening).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction(resetPendingAcks))
}
