// Package throttle models the throttling Exchange Online applies to Microsoft
// Graph requests on Outlook resources (mail, calendars, contacts).
//
// Documented limits (https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits),
// evaluated "for each app ID and mailbox combination":
//
//   - 10,000 API requests in a 10 minute period
//   - 4 concurrent requests
//   - 150 megabytes (MB) upload (PATCH, POST, PUT) in a 5 minute period
//
// Over a limit the request fails with 429 Too Many Requests, a Retry-After
// header in seconds and Graph's JSON error body
// (https://learn.microsoft.com/graph/throttling#what-happens-when-throttling-occurs).
// Every request accrues against the request limit, including the throttled
// ones: "Avoid immediate retries, because all requests accrue against your
// usage limits" and "Microsoft Graph continues to log resource usage while a
// client is being throttled"
// (https://learn.microsoft.com/graph/throttling#best-practices-to-handle-throttling).
// A throttled request's body is not taken, so it does not count as upload.
//
// Windows are sliding, not fixed (see window.go); concurrency is the number of
// requests of one Key being served at the same instant.
//
// A time scale N > 1 divides both windows by N and keeps the amounts, so a
// test sees the whole envelope N times faster; Retry-After values are the
// scaled waits, in whole seconds, at least 1. A time scale of 0 (ParseTimeScale
// "off") disables enforcement but keeps the counters for Stats.
//
// Not modelled: the global per-app limit across all tenants, and the
// throttling of other Graph services.
package throttle

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// Key identifies one throttling bucket: Outlook limits apply per app ID and
// mailbox.
type Key struct{ App, Mailbox string }

// Limits is one throttling envelope. A zero or negative amount disables that
// limit.
type Limits struct {
	Requests      int           // requests per RequestWindow
	RequestWindow time.Duration // period of Requests
	Concurrent    int           // requests in flight at once
	UploadBytes   int64         // request body bytes of POST, PATCH and PUT per UploadWindow
	UploadWindow  time.Duration // period of UploadBytes
}

// MB is the megabyte of the upload limit. Exchange Online states sizes in
// binary units (its 35 MB message limit is 36,700,160 bytes), so 150 MB is
// read as 150 * 1,048,576 bytes.
const MB = 1 << 20

// ExchangeOnline returns the documented Outlook service limits:
// https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits
func ExchangeOnline() Limits {
	return Limits{
		Requests:      10000,
		RequestWindow: 10 * time.Minute,
		Concurrent:    4,
		UploadBytes:   150 * MB,
		UploadWindow:  5 * time.Minute,
	}
}

// Error codes and messages of the 429 responses.
const (
	// CodeRequests and MessageRequests are Graph's documented sample 429
	// body: https://learn.microsoft.com/graph/throttling#sample-response
	CodeRequests    = "TooManyRequests"
	MessageRequests = "Please retry again later."
	// CodeOutlook is what Exchange Online returns for its own limits, with
	// the messages below, as reported on Microsoft Q&A
	// (https://learn.microsoft.com/en-us/answers/questions/1660054/send-4-reqeusts-at-the-same-time-but-still-get-app)
	// and in SDK issues (https://github.com/O365/python-o365/issues/500).
	CodeOutlook          = "ApplicationThrottled"
	MessageConcurrency   = "Application is over its MailboxConcurrency limit."
	MessageIncomingBytes = "Application is over its IncomingBytes limit."
)

// Stat is one Key's counters for the emulator's inspection API.
type Stat struct {
	Requests             int64 `json:"requests"`             // requests seen, throttled ones included
	Throttled            int64 `json:"throttled"`            // requests answered 429
	ThrottledRequests    int64 `json:"throttledRequests"`    // ... for the request-rate limit
	ThrottledConcurrency int64 `json:"throttledConcurrency"` // ... for the concurrency limit
	ThrottledUpload      int64 `json:"throttledUpload"`      // ... for the upload limit
	InFlight             int   `json:"inFlight"`             // requests being served now
	UploadedBytes        int64 `json:"uploadedBytes"`        // request body bytes taken, all time
	WindowRequests       int64 `json:"windowRequests"`       // requests in the request window now (at most Requests+1)
	WindowUploadBytes    int64 `json:"windowUploadBytes"`    // bytes in the current upload window
}

// Limiter enforces Limits per Key. Its methods are safe for concurrent use.
type Limiter struct {
	limits  Limits
	enforce bool
	now     func() time.Time

	mu    sync.Mutex
	epoch time.Time
	keys  map[Key]*state
}

// New returns a Limiter for l. A timeScale N > 1 divides the windows by N (the
// amounts per window stay the same), so Retry-After values shrink too; a
// timeScale of 0 or less disables enforcement while still counting. New does
// no I/O and starts no goroutine.
func New(l Limits, timeScale float64) *Limiter {
	lim := &Limiter{limits: l, enforce: timeScale > 0, now: time.Now, keys: map[Key]*state{}}
	if timeScale > 0 {
		lim.limits.RequestWindow = scale(l.RequestWindow, timeScale)
		lim.limits.UploadWindow = scale(l.UploadWindow, timeScale)
	}
	return lim
}

func scale(d time.Duration, s float64) time.Duration {
	out := time.Duration(float64(d) / s)
	if out <= 0 && d > 0 {
		out = 1
	}
	return out
}

// WithClock makes l read the time from now instead of time.Now, for tests.
// Call it before l serves requests. It returns l.
func (l *Limiter) WithClock(now func() time.Time) *Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now = now
	l.epoch = time.Time{}
	l.keys = map[Key]*state{}
	return l
}

// Limits returns the limits in force, with the windows already scaled.
func (l *Limiter) Limits() Limits { return l.limits }

// ParseTimeScale parses the --time-scale flag: "" is 1 (real time), "off"
// is 0 (throttling disabled), otherwise a positive number such as "60".
func ParseTimeScale(s string) (float64, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return 1, nil
	case "off":
		return 0, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f <= 0 || math.IsNaN(f) || f > 1e9 {
		return 0, fmt.Errorf("time scale %q: want a positive number such as 60, or off", s)
	}
	return f, nil
}

func isUpload(method string) bool {
	return method == http.MethodPost || method == http.MethodPatch || method == http.MethodPut
}

// verdict is the outcome of admit.
type verdict struct {
	ok         bool
	retryAfter time.Duration
	code, msg  string
	countBody  bool // the body length is unknown: count bytes as they are read
}

type state struct {
	stat    Stat
	reqs    requestLog
	uploads byteLog
}

func (l *Limiter) stateFor(k Key, now time.Time) (*state, time.Duration) {
	if l.epoch.IsZero() {
		l.epoch = now
	}
	st := l.keys[k]
	if st == nil {
		st = &state{
			reqs:    requestLog{window: l.limits.RequestWindow, limit: max(l.limits.Requests, 0)},
			uploads: byteLog{window: l.limits.UploadWindow},
		}
		l.keys[k] = st
	}
	return st, now.Sub(l.epoch)
}

// admit counts one request of k and decides whether it may run. On success
// the request is in flight until release is called.
func (l *Limiter) admit(k Key, method string, contentLength int64) verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, t := l.stateFor(k, l.now())
	lim := l.limits

	st.stat.Requests++
	over := st.reqs.add(t)

	reject := func(counter *int64, wait time.Duration, code, msg string) verdict {
		st.stat.Throttled++
		*counter++
		return verdict{retryAfter: wait, code: code, msg: msg}
	}
	if l.enforce && lim.Requests > 0 && over {
		return reject(&st.stat.ThrottledRequests, st.reqs.retryAfter(t), CodeRequests, MessageRequests)
	}
	if l.enforce && lim.Concurrent > 0 && st.stat.InFlight >= lim.Concurrent {
		// A slot frees as soon as a request finishes: the shortest wait.
		return reject(&st.stat.ThrottledConcurrency, time.Second, CodeOutlook, MessageConcurrency)
	}
	v := verdict{ok: true}
	if isUpload(method) {
		limited := l.enforce && lim.UploadBytes > 0
		switch {
		case contentLength > 0:
			if used := st.uploads.total(t); limited && used+contentLength > lim.UploadBytes {
				wait := st.uploads.until(t, used+contentLength-lim.UploadBytes)
				return reject(&st.stat.ThrottledUpload, wait, CodeOutlook, MessageIncomingBytes)
			}
			st.uploads.add(t, contentLength)
			st.stat.UploadedBytes += contentLength
		case contentLength < 0:
			if used := st.uploads.total(t); limited && used >= lim.UploadBytes {
				wait := st.uploads.until(t, used-lim.UploadBytes+1)
				return reject(&st.stat.ThrottledUpload, wait, CodeOutlook, MessageIncomingBytes)
			}
			v.countBody = true
		}
	}
	st.stat.InFlight++
	return v
}

func (l *Limiter) release(k Key) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st := l.keys[k]; st != nil {
		st.stat.InFlight--
	}
}

func (l *Limiter) uploaded(k Key, n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, t := l.stateFor(k, l.now())
	st.uploads.add(t, n)
	st.stat.UploadedBytes += n
}

// Middleware throttles the requests for which key reports true, per returned
// Key; requests for which it reports false pass through uncounted (put the
// outer /$batch request there: its inner requests are counted one by one).
// Uploads are the Content-Length of POST, PATCH and PUT requests, or the bytes
// read from a body of unknown length. A nil Limiter returns next.
func (l *Limiter) Middleware(key func(*http.Request) (Key, bool), next http.Handler) http.Handler {
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, ok := key(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		cl := r.ContentLength
		if r.Body == nil || r.Body == http.NoBody {
			cl = 0
		}
		v := l.admit(k, r.Method, cl)
		if !v.ok {
			// A rejected request's body is not read or counted.
			odata.WriteRetryAfter(w, r, http.StatusTooManyRequests, v.retryAfter, v.code, v.msg)
			return
		}
		defer l.release(k)
		if v.countBody {
			r.Body = &countingBody{ReadCloser: r.Body, add: func(n int64) { l.uploaded(k, n) }}
		}
		next.ServeHTTP(w, r)
	})
}

type countingBody struct {
	io.ReadCloser
	add func(int64)
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.add(int64(n))
	}
	return n, err
}

// Stats returns a copy of every Key's counters; a nil Limiter has none.
func (l *Limiter) Stats() map[Key]Stat {
	if l == nil {
		return map[Key]Stat{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.now().Sub(l.epoch)
	out := make(map[Key]Stat, len(l.keys))
	for k, st := range l.keys {
		s := st.stat
		s.WindowRequests = st.reqs.count(t)
		s.WindowUploadBytes = st.uploads.total(t)
		out[k] = s
	}
	return out
}
