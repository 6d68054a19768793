package testserver

import (
	"runtime"
	"sync/atomic"
	"time"
)

// HeapPeak samples the Go heap every interval until the returned stop is
// called, which reports the highest HeapAlloc seen above the one at the
// start (after a GC), in bytes. Tests of streaming readers use it to show
// that memory stays bounded while far more bytes pass through.
func HeapPeak(every time.Duration) (stop func() uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base && ms.HeapAlloc-base > peak.Load() {
				peak.Store(ms.HeapAlloc - base)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}
