// Package flock takes flock(2) locks on files without waiting: the spool's
// writer and claims, and the embedded broker's store, which two processes
// must never write at once. Unix only.
package flock

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// ErrWouldBlock is returned by TryLock when another open file holds the lock.
var ErrWouldBlock = errors.New("lock held elsewhere")

// TryLock opens path (creating it when create is set) and takes an exclusive
// flock without waiting. flock belongs to the open file, so two TryLocks of
// the same path conflict even within one process. Because lock files are
// removed by their holders, TryLock checks after locking that path still
// names the file it locked, and starts again if not.
func TryLock(path string, create bool) (*os.File, error) {
	flags := os.O_RDWR
	if create {
		flags |= os.O_CREATE
	}
	for range 100 {
		f, err := os.OpenFile(path, flags, 0o600)
		if err != nil {
			return nil, err
		}
		if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, ErrWouldBlock
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		held, herr := f.Stat()
		named, nerr := os.Stat(path)
		if herr == nil && nerr == nil && os.SameFile(held, named) {
			return f, nil
		}
		f.Close() // removed or replaced while we locked it
		if !create && errors.Is(nerr, os.ErrNotExist) {
			return nil, nerr
		}
	}
	return nil, fmt.Errorf("lock %s: file keeps being replaced", path)
}

// IsLocked reports whether another open file holds path's lock. A missing
// file is not locked.
func IsLocked(path string) (bool, error) {
	f, err := TryLock(path, false)
	switch {
	case err == nil:
		f.Close()
		return false, nil
	case errors.Is(err, ErrWouldBlock):
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	}
	return false, err
}

func flock(f *os.File, how int) error {
	conn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = conn.Control(func(fd uintptr) {
		for {
			ferr = syscall.Flock(int(fd), how)
			if ferr != syscall.EINTR {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	return ferr
}

// LockPID takes path's lock, creating it, and writes the holder's pid
// into it (informational). When another process holds it, the error wraps
// ErrWouldBlock and holder is that process's pid as it wrote it.
func LockPID(path string) (f *os.File, holder string, err error) {
	f, err = TryLock(path, true)
	if errors.Is(err, ErrWouldBlock) {
		b, _ := os.ReadFile(path)
		return nil, string(b), err
	}
	if err != nil {
		return nil, "", err
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())), 0)
	}
	return f, "", nil
}

// Alive reports whether a process with pid runs on this host (one that
// exists but is not ours to signal counts).
func Alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
