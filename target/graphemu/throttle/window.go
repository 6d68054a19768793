package throttle

import (
	"sort"
	"time"
)

// Microsoft documents the Outlook limits as amounts "in a 10 minute period"
// and "in a 5 minute period" without fixed boundaries
// (https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits).
// Both logs below therefore keep exact sliding windows: at any instant t the
// amount in (t-window, t] is what counts. A fixed window would let twice the
// limit through across a boundary; buckets would either throttle a client
// running exactly at the documented rate or let one run over it.

// requestLog is a sliding window of request times. It keeps only the newest
// limit+1 times, which is all the decision needs, so its memory is bounded
// however hard a throttled client hammers.
type requestLog struct {
	window time.Duration
	limit  int
	times  []time.Duration // since the limiter's epoch, oldest first
}

// add records a request at t and reports whether the window now holds more
// than limit requests.
func (q *requestLog) add(t time.Duration) bool {
	q.times = append(q.times, t)
	if len(q.times) > q.limit+1 {
		q.times = q.times[len(q.times)-(q.limit+1):]
	}
	return len(q.times) == q.limit+1 && q.times[0] > t-q.window
}

// retryAfter returns how long after t a new request would be the limit-th in
// its window, once add reported an excess.
func (q *requestLog) retryAfter(t time.Duration) time.Duration {
	if len(q.times) < 2 {
		return q.window
	}
	return q.times[1] + q.window - t
}

// count returns the requests in the window at t (at most limit+1).
func (q *requestLog) count(t time.Duration) int64 {
	i := sort.Search(len(q.times), func(i int) bool { return q.times[i] > t-q.window })
	return int64(len(q.times) - i)
}

// byteLog is a sliding window of uploaded byte counts.
type byteLog struct {
	window  time.Duration
	entries []byteEntry // oldest first
	sum     int64
}

type byteEntry struct {
	at time.Duration
	n  int64
}

func (b *byteLog) prune(t time.Duration) {
	i := 0
	for i < len(b.entries) && b.entries[i].at <= t-b.window {
		b.sum -= b.entries[i].n
		i++
	}
	b.entries = b.entries[i:]
}

func (b *byteLog) total(t time.Duration) int64 {
	b.prune(t)
	return b.sum
}

func (b *byteLog) add(t time.Duration, n int64) {
	b.prune(t)
	b.entries = append(b.entries, byteEntry{at: t, n: n})
	b.sum += n
}

// until returns how long after t at least need bytes will have left the window.
func (b *byteLog) until(t time.Duration, need int64) time.Duration {
	b.prune(t)
	var freed int64
	for _, e := range b.entries {
		freed += e.n
		if freed >= need {
			return e.at + b.window - t
		}
	}
	// More than the window can ever free (one upload over the limit).
	return b.window
}
