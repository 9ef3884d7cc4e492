package pgtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Freeze stops the postmaster and every server process with SIGSTOP: the
// server keeps its sockets open and answers nothing, like a hung host.
// The processes are continued by Thaw, by Stop, and when t ends.
func (c *Cluster) Freeze(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	pid := c.PID()
	if !c.running || pid == 0 {
		t.Fatalf("pgtest: freeze: server not running")
	}
	if len(c.frozen) > 0 {
		return
	}
	// The postmaster first, so that it forks no new backend meanwhile.
	pids := append([]int{pid}, children(pid)...)
	for _, p := range pids {
		if err := syscall.Kill(p, syscall.SIGSTOP); err != nil && !errors.Is(err, syscall.ESRCH) { // a backend may just have exited
			c.frozen = pids
			_ = c.thawLocked()
			t.Fatalf("pgtest: freeze: SIGSTOP %d: %v", p, err)
		}
	}
	c.frozen = pids
	t.Cleanup(func() {
		if err := c.Thaw(); err != nil {
			t.Error(err)
		}
	})
}

// Thaw continues the processes stopped by Freeze.
func (c *Cluster) Thaw() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.thawLocked()
}

func (c *Cluster) thawLocked() error {
	var first error
	for _, p := range c.frozen {
		if err := syscall.Kill(p, syscall.SIGCONT); err != nil && first == nil && !errors.Is(err, syscall.ESRCH) {
			first = fmt.Errorf("pgtest: thaw: SIGCONT %d: %w", p, err)
		}
	}
	c.frozen = nil
	return first
}

// children returns the processes whose parent is pid, from /proc.
func children(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == pid {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
			out = append(out, child)
		}
	}
	return out
}
