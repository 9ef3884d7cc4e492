package spool

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// errWouldBlock is returned by tryLock when another open file holds the lock.
var errWouldBlock = errors.New("lock held elsewhere")

// tryLock opens path (creating it when create is set) and takes an exclusive
// flock without waiting. flock belongs to the open file, so two tryLocks of
// the same path conflict even within one process. Because lock files are
// removed by their holders, tryLock checks after locking that path still
// names the file it locked, and starts again if not.
func tryLock(path string, create bool) (*os.File, error) {
	flags := os.O_RDWR
	if create {
		flags |= os.O_CREATE
	}
	for range 100 {
		f, err := os.OpenFile(path, flags, fileMode)
		if err != nil {
			return nil, err
		}
		if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, errWouldBlock
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

// isLocked reports whether another open file holds path's lock. A missing
// file is not locked.
func isLocked(path string) (bool, error) {
	f, err := tryLock(path, false)
	switch {
	case err == nil:
		f.Close()
		return false, nil
	case errors.Is(err, errWouldBlock):
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
