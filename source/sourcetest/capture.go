package sourcetest

import (
	"fmt"
	"runtime"
	"testing"
)

// Capture runs fn with a testing.TB that records failures instead of
// failing t, and returns whether fn failed and what it said. A suite's
// self-test uses it to show that a check fails on a broken adapter
// (sourcetest's and targettest's). Fatal and Skip end fn; cleanups
// registered by fn run before Capture returns.
func Capture(t testing.TB, fn func(testing.TB)) (failed bool, msgs []string) {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	return r.failed, r.msgs
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed   bool
	msgs     []string
	cleanups []func()
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Error(args ...any) { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any)                { r.Fatalf("%s", fmt.Sprint(args...)) }
func (r *recorder) Skip(args ...any)                 { runtime.Goexit() }
func (r *recorder) Skipf(format string, args ...any) { runtime.Goexit() }
func (r *recorder) SkipNow()                         { runtime.Goexit() }
func (r *recorder) FailNow()                         { r.failed = true; runtime.Goexit() }
func (r *recorder) Cleanup(f func())                 { r.cleanups = append(r.cleanups, f) }
