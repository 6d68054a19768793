//go:build unix

package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lockInfo is what the holder of a lock writes into the lock file, for the
// message another run shows. It is informational only: the flock is the lock.
type lockInfo struct {
	PID   int       `json:"pid"`
	Host  string    `json:"host"`
	Since time.Time `json:"since"`
}

// fileLock is an exclusive flock(2) on a sidecar file. The kernel releases it
// when the process dies, however it dies, so a killed run never leaves a
// stale lock behind. flock locks belong to the open file description, so two
// Opens in one process exclude each other too. The lock file is never
// removed: removing it would let a third process lock a new file while a
// second one still holds the old one.
//
// flock is not reliable on every network filesystem: keep the state on a
// local disk.
type fileLock struct {
	f *os.File
}

// acquireLock takes the lock at lockPath without waiting. statePath is only
// used in the error message. When another process holds the lock it returns a
// *LockedError.
func acquireLock(statePath, lockPath string, info lockInfo) (*fileLock, error) {
	// os.OpenFile sets O_CLOEXEC: child processes do not inherit the lock.
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %w", lockPath, err)
	}
	if err := flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, lockedError(statePath, f)
		}
		return nil, fmt.Errorf("lock %s: %w", lockPath, err)
	}
	l := &fileLock{f: f}
	if err := l.record(info); err != nil {
		_ = l.release()
		return nil, fmt.Errorf("record holder in %s: %w", lockPath, err)
	}
	return l, nil
}

// record writes info into the lock file, replacing what a previous holder
// left there.
func (l *fileLock) record(info lockInfo) error {
	if err := l.f.Chmod(0o600); err != nil {
		return err
	}
	b, err := json.Marshal(info)
	if err != nil {
		return err
	}
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	if _, err := l.f.WriteAt(append(b, '\n'), 0); err != nil {
		return err
	}
	return l.f.Sync()
}

// release empties the lock file and unlocks it by closing it.
func (l *fileLock) release() error {
	terr := l.f.Truncate(0)
	if err := l.f.Close(); err != nil {
		return err
	}
	return terr
}

// flock calls flock(2), retrying when a signal interrupts it.
func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// lockedError builds the error for a lock held by another process, from what
// that process recorded in the lock file (which may be nothing yet).
func lockedError(statePath string, f *os.File) error {
	e := &LockedError{Path: statePath}
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil || len(b) == 0 {
		return e
	}
	var info lockInfo
	if json.Unmarshal(b, &info) == nil {
		e.PID, e.Host, e.Since = info.PID, info.Host, info.Since
	}
	return e
}
