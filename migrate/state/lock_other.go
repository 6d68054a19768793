//go:build !unix

package state

import (
	"errors"
	"time"
)

// lockInfo is what the holder of a lock records about itself.
type lockInfo struct {
	PID   int
	Host  string
	Since time.Time
}

// fileLock is not implemented on this platform.
type fileLock struct{}

// acquireLock fails: without an advisory lock two runs could share a state.
func acquireLock(statePath, lockPath string, info lockInfo) (*fileLock, error) {
	return nil, errors.New("opening a state read-write needs flock(2), which this platform lacks")
}

// release does nothing.
func (l *fileLock) release() error { return nil }
