package pgtest

import (
	"os"
	"sync"
	"sync/atomic"
	"testing"
)

var (
	mainActive atomic.Bool // Main runs this test binary

	sharedOnce sync.Once
	shared     *Cluster
	sharedErr  error
)

// Main runs the tests of a package whose TestMain delegates to it, then
// stops the shared cluster and exits:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	mainActive.Store(true)
	code := m.Run()
	if shared != nil {
		shared.destroy()
	}
	os.Exit(code)
}

// Start returns the test binary's shared cluster, starting it on first use.
// Without Main in TestMain nothing would stop a shared cluster at exit, so
// each test then gets a dedicated cluster (slower, but nothing leaks).
// Tests that stop, restart or freeze the server use Dedicated.
func Start(t testing.TB) *Cluster {
	t.Helper()
	bin := requireBinaries(t)
	if !mainActive.Load() {
		return Dedicated(t)
	}
	sharedOnce.Do(func() { shared, sharedErr = newCluster(bin) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

// Dedicated starts a cluster for t alone, removed when t ends.
func Dedicated(t testing.TB) *Cluster {
	t.Helper()
	c, err := newCluster(requireBinaries(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.destroy)
	return c
}
