// Package throttle models Exchange Online's Microsoft Graph throttling for
// Outlook resources (mail, calendars, contacts), per app and mailbox.
//
// TODO: filled in shortly; the API below is the agreed one.
package throttle

import (
	"net/http"
	"time"
)

// Key identifies one throttling bucket: Outlook limits apply per app ID and
// mailbox.
type Key struct{ App, Mailbox string }

// Limits is one throttling envelope.
type Limits struct {
	Requests      int           // requests allowed per RequestWindow
	RequestWindow time.Duration // window for Requests
	Concurrent    int           // requests in flight at once
	UploadBytes   int64         // bytes uploaded (POST/PATCH/PUT bodies) per UploadWindow
	UploadWindow  time.Duration // window for UploadBytes
}

// ExchangeOnline returns the documented Outlook service limits.
func ExchangeOnline() Limits {
	return Limits{Requests: 10000, RequestWindow: 10 * time.Minute, Concurrent: 4, UploadBytes: 150 << 20, UploadWindow: 5 * time.Minute}
}

// Stat is one bucket's counters for the emulator's inspection API.
type Stat struct {
	Requests      int64 `json:"requests"`
	Throttled     int64 `json:"throttled"`
	InFlight      int   `json:"inFlight"`
	UploadedBytes int64 `json:"uploadedBytes"`
}

// Limiter enforces Limits per Key.
type Limiter struct {
	limits Limits
	scale  float64
}

// New returns a Limiter. A timeScale N > 1 divides the windows (and the
// Retry-After values sent) by N; the counts per window stay the same.
func New(l Limits, timeScale float64) *Limiter { return &Limiter{limits: l, scale: timeScale} }

// Middleware throttles requests for which key returns true; requests for
// which it returns false pass through uncounted. Uploads are the
// Content-Length (or bytes read) of POST, PATCH and PUT requests.
func (l *Limiter) Middleware(key func(*http.Request) (Key, bool), next http.Handler) http.Handler {
	return next // TODO
}

// Stats returns a snapshot of every bucket's counters.
func (l *Limiter) Stats() map[Key]Stat { return map[Key]Stat{} }
