// Command migrate moves mailboxes from POP3 and IMAP hosting into Exchange
// Online through Microsoft Graph (contacts, calendars and local mail stores:
// not yet).
//
// Exit codes: 0 success, 1 some items failed, 2 usage or configuration
// error, 3 cannot connect or authenticate, 130 interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes, documented in README.md.
const (
	exitOK          = 0
	exitItemsFailed = 1
	exitUsage       = 2
	exitConnect     = 3
	exitInterrupted = 130
)

// exitError carries the process exit code for an error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks err as a usage or configuration problem (exit 2).
func usageError(err error) error { return &exitError{code: exitUsage, err: err} }

// withCode marks err with an exit code.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "migrate: %v\n", err)
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case ctx.Err() != nil:
		return exitInterrupted
	default:
		// cobra's own flag and argument errors.
		return exitUsage
	}
}
