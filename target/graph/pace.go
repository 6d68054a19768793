package graph

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/migrate-tool/migrate/target"
)

// Exchange Online's limits for Graph requests on Outlook resources, per
// app and mailbox: 10,000 requests per 10 minutes, 4 concurrent requests,
// 150 MB of uploads (the bodies of POST, PATCH and PUT) per 5 minutes.
// https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits
// These are the only copy of the numbers: the plan's estimate reads them
// through Config.Envelope.
const (
	outlookRequests      = 10000
	outlookRequestWindow = 10 * time.Minute
	outlookConcurrent    = 4
	outlookUploadBytes   = 150 << 20
	outlookUploadWindow  = 5 * time.Minute
	// budgetShare is the share of each limit the pacer plans to use: the
	// rest absorbs retries, requests made by other tools with the same app
	// and the difference between when a request is counted here and when
	// it reaches Exchange.
	budgetShare = 0.9
)

// Envelope returns the throttling envelope a client with this
// configuration paces each mailbox in: Exchange Online's limits with at
// most Concurrency requests in flight (0 or more than 4: 4), 90 % of each
// limit planned, and the windows divided by TimeScale. The plan's estimate
// models the run with it.
func (c Config) Envelope() target.Envelope {
	concurrency := c.Concurrency
	if concurrency <= 0 || concurrency > outlookConcurrent {
		concurrency = outlookConcurrent
	}
	scale := c.TimeScale
	if scale <= 0 {
		scale = 1
	}
	return target.Envelope{
		Requests: outlookRequests, RequestWindow: time.Duration(float64(outlookRequestWindow) / scale),
		UploadBytes: outlookUploadBytes, UploadWindow: time.Duration(float64(outlookUploadWindow) / scale),
		Concurrent: concurrency, Share: budgetShare,
		// The pacer's bucket sizes: 100 requests and 8 MB at once.
		RequestBurst: int(bucketBurst(budgetShare*outlookRequests, 100)),
		UploadBurst:  int64(bucketBurst(budgetShare*outlookUploadBytes, 8<<20)),
	}
}

// bucket is a token bucket that may go into debt: a reservation larger
// than the tokens left waits until the debt is paid back at rate.
type bucket struct {
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(amount float64, window time.Duration, burst float64) bucket {
	// A bucket of capacity burst refilled at rate r lets through at most
	// burst + r*window in any window, so r = (amount - burst) / window
	// keeps every sliding window of Exchange's under amount.
	burst = bucketBurst(amount, burst)
	return bucket{rate: (amount - burst) / window.Seconds(), burst: burst, tokens: burst}
}

// bucketBurst is the capacity of a bucket for amount per window: burst,
// at most half the amount.
func bucketBurst(amount, burst float64) float64 { return min(burst, amount/2) }

func (b *bucket) reserve(now time.Time, n float64) time.Duration {
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	b.tokens -= n
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

func (b *bucket) refund(n float64) { b.tokens = min(b.burst, b.tokens+n) }

// pacer keeps one mailbox's requests inside the envelope: a semaphore for
// concurrency, token buckets for the request rate and the upload bytes,
// and a pause set by Retry-After that holds every request of the mailbox
// (https://learn.microsoft.com/graph/throttling: "wait the number of
// seconds specified in the Retry-After header"; immediate retries count
// against the limits too).
type pacer struct {
	sem chan struct{}

	mu          sync.Mutex
	reqs        bucket
	bytes       bucket
	pausedUntil time.Time
}

func newPacer(env target.Envelope) *pacer {
	return &pacer{
		sem:   make(chan struct{}, max(env.Concurrent, 1)),
		reqs:  newBucket(env.Share*float64(env.Requests), env.RequestWindow, float64(env.RequestBurst)),
		bytes: newBucket(env.Share*float64(env.UploadBytes), env.UploadWindow, float64(env.UploadBurst)),
	}
}

// acquire waits until a request with an upload body of n bytes may be sent
// and takes a concurrency slot; release gives the slot back.
func (p *pacer) acquire(ctx context.Context, n int64) (release func(), err error) {
	if err := p.waitPause(ctx); err != nil {
		return nil, err
	}
	now := time.Now()
	p.mu.Lock()
	wait := max(p.reqs.reserve(now, 1), p.bytes.reserve(now, float64(n)))
	p.mu.Unlock()
	refund := func() {
		p.mu.Lock()
		p.reqs.refund(1)
		p.bytes.refund(float64(n))
		p.mu.Unlock()
	}
	if err := sleep(ctx, wait); err != nil {
		refund()
		return nil, err
	}
	for {
		select {
		case p.sem <- struct{}{}:
		case <-ctx.Done():
			refund()
			return nil, ctx.Err()
		}
		// A Retry-After may have come while this request waited for a slot.
		if p.pausedFor() <= 0 {
			break
		}
		<-p.sem
		if err := p.waitPause(ctx); err != nil {
			refund()
			return nil, err
		}
	}
	var once sync.Once
	return func() { once.Do(func() { <-p.sem }) }, nil
}

func (p *pacer) pausedFor() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return time.Until(p.pausedUntil)
}

// waitPause waits until no pause is on.
func (p *pacer) waitPause(ctx context.Context) error {
	for {
		wait := p.pausedFor()
		if wait <= 0 {
			return nil
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// pause holds every request of the mailbox for d.
func (p *pacer) pause(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := time.Now().Add(d); t.After(p.pausedUntil) {
		p.pausedUntil = t
	}
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type pacerKey struct{}

// withPacer makes the requests sent with ctx go through p.
func withPacer(ctx context.Context, p *pacer) context.Context {
	if p == nil {
		return ctx
	}
	return context.WithValue(ctx, pacerKey{}, p)
}

// pacedTransport paces the requests whose context carries a pacer (every
// request on a mailbox, Graph's and the upload URLs') and pauses the
// mailbox when a response carries Retry-After. It sits under the SDK's
// middleware, so it sees every attempt.
type pacedTransport struct {
	next http.RoundTripper
	log  *slog.Logger
}

// RoundTrip implements http.RoundTripper.
func (t *pacedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	p, _ := req.Context().Value(pacerKey{}).(*pacer)
	if p == nil {
		return t.next.RoundTrip(req)
	}
	var n int64
	switch req.Method {
	case http.MethodPost, http.MethodPatch, http.MethodPut:
		n = req.ContentLength
		if n < 0 {
			n = maxRequestBytes
		}
	}
	release, err := p.acquire(req.Context(), n)
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		release()
		return nil, err
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			t.log.Info("throttled, pausing the mailbox", "status", resp.StatusCode, "retry_after", d, "method", req.Method, "path", redactPath(req.URL))
			p.pause(d)
		}
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// releasingBody gives the concurrency slot back when the body is read to
// its end or closed.
type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.release()
	}
	return n, err
}

func (b *releasingBody) Close() error {
	b.release()
	return b.ReadCloser.Close()
}

// parseRetryAfter reads Retry-After: delay-seconds or an HTTP-date
// (RFC 9110 10.2.3).
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// redactPath is a request URL for logs and errors: the path only, never
// the query (an upload URL carries its authtoken there).
func redactPath(u interface{ EscapedPath() string }) string { return u.EscapedPath() }
