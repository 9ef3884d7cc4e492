package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is the unit of the CPU times in /proc/<pid>/stat (USER_HZ,
// 100 on Linux).
const clockTicks = 100

// procStat returns the utime, stime, cutime and cstime of pid, its parent's
// pid and its state (R, S, Z...), from /proc/<pid>/stat.
func procStat(pid int) (cpu [4]time.Duration, ppid int, state string, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpu, 0, "", err
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return cpu, 0, "", fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 15 {
		return cpu, 0, "", fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	ppid, _ = strconv.Atoi(f[1])
	for k := range 4 { // fields 14..17 of stat are f[11..14]
		ticks, _ := strconv.ParseInt(f[11+k], 10, 64)
		cpu[k] = time.Duration(ticks) * time.Second / clockTicks
	}
	return cpu, ppid, f[0], nil
}

// ProcCPU returns the user+system CPU time pid has used.
func ProcCPU(pid int) time.Duration {
	cpu, _, _, err := procStat(pid)
	if err != nil {
		return 0
	}
	return cpu[0] + cpu[1]
}

// TreeCPU returns the CPU time of a server and its children: the root's
// own time, the time of the children it has reaped (a PostgreSQL backend
// that exited is counted in the postmaster's cutime), and that of its live
// children. A child that exited but is not reaped yet (a zombie) shows its
// time nowhere, and a child reaped while the children are read would be
// missed, so TreeCPU reads again, for up to a second, until the root's
// reaped time did not change during the read and no child is a zombie.
// Differences of TreeCPU over a run are the server's CPU.
func TreeCPU(root int) time.Duration {
	if root <= 0 {
		return 0
	}
	reaped := func() (own, children time.Duration, ok bool) {
		cpu, _, _, err := procStat(root)
		return cpu[0] + cpu[1], cpu[2] + cpu[3], err == nil
	}
	var total time.Duration
	for range 100 {
		own, before, ok := reaped()
		if !ok {
			return 0
		}
		live, zombie := time.Duration(0), false
		stats, _ := filepath.Glob("/proc/[0-9]*/stat")
		for _, st := range stats {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
			c, ppid, state, err := procStat(pid)
			if err != nil || ppid != root {
				continue
			}
			zombie = zombie || state == "Z"
			live += c[0] + c[1]
		}
		_, after, _ := reaped()
		total = own + before + live
		if !zombie && after == before {
			return total
		}
		time.Sleep(10 * time.Millisecond)
	}
	return total
}

// SelfCPU returns the CPU time this process has used.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ProcMem returns the resident set size of pid and its peak (VmRSS and
// VmHWM), in bytes.
func ProcMem(pid int) (rss, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak
}

// SelfFaults returns this process's minor page faults so far: a process
// that keeps touching memory fresh from the kernel pays for it in system
// time.
func SelfFaults() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Minflt
}
