package testserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// process is a server child process run in its own process group, so that
// stopping it also ends every process it forked.
type process struct {
	name   string
	cmd    *exec.Cmd
	log    *slog.Logger
	exited chan struct{} // closed when cmd.Wait returned
	err    error         // result of cmd.Wait, valid after exited is closed

	stopOnce sync.Once
	stopErr  error
	// unwatch cancels the context watch; set once by startProcess before
	// it returns, read only by shutdown.
	unwatch func() bool
}

// startProcess starts cmd in a new process group with its output going to
// outFile. When ctx is cancelled before stop, the whole group is killed.
func startProcess(ctx context.Context, name string, cmd *exec.Cmd, outFile string, log *slog.Logger) (*process, error) {
	out, err := os.OpenFile(outFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s output file: %w", name, err)
	}
	defer out.Close() // the child keeps its own descriptor
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: log, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	p.unwatch = context.AfterFunc(ctx, func() {
		log.Warn("context ended, killing server", "pid", cmd.Process.Pid)
		_ = p.stop(0)
	})
	log.Debug("server started", "pid", cmd.Process.Pid)
	return p, nil
}

// shutdown stops watching the start context and stops the process like
// stop. Owners call it; the context watch calls stop.
func (p *process) shutdown(grace time.Duration) error {
	p.unwatch()
	return p.stop(grace)
}

// stop sends SIGTERM to the process group, waits up to grace for the
// leader to exit, then kills the group and waits until no member is left.
// A zero grace kills at once. It is safe to call more than once.
func (p *process) stop(grace time.Duration) error {
	p.stopOnce.Do(func() {
		pgid := p.cmd.Process.Pid
		select {
		case <-p.exited:
		default:
			if grace > 0 {
				// Signal the whole group: Dovecot's master alone waits about a
				// second for its children before exiting.
				_ = syscall.Kill(-pgid, syscall.SIGTERM)
				select {
				case <-p.exited:
				case <-time.After(grace):
					p.log.Warn("server did not stop in time, killing it", "grace", grace)
				}
			}
		}
		// Kill whatever is left of the group (children of the leader), then
		// wait for the leader and for the group to be empty.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			p.stopErr = fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, pgid)
			return
		}
		deadline := time.Now().Add(5 * time.Second)
		for groupAlive(pgid) {
			if time.Now().After(deadline) {
				p.stopErr = fmt.Errorf("%s process group %d still has members after SIGKILL", p.name, pgid)
				return
			}
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			time.Sleep(20 * time.Millisecond)
		}
		p.log.Debug("server stopped", "pid", pgid)
	})
	return p.stopErr
}

// exitedEarly reports whether the process has already exited, and how.
func (p *process) exitedEarly() (bool, error) {
	select {
	case <-p.exited:
		if p.err == nil {
			return true, errors.New("exited with status 0")
		}
		return true, p.err
	default:
		return false, nil
	}
}
