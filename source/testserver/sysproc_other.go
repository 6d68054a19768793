//go:build unix && !linux

package testserver

import "syscall"

// sysProcAttr puts the child in its own process group.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// groupAlive reports whether process group pgid has a member left.
func groupAlive(pgid int) bool {
	return syscall.Kill(-pgid, 0) == nil
}
