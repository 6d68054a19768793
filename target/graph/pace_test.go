package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/graphemu"
	"github.com/migrate-tool/migrate/target/graphemu/throttle"
)

// TestPacerEnvelope checks that no sliding window sees more requests or
// upload bytes than the envelope allows, and that concurrency is bounded.
func TestPacerEnvelope(t *testing.T) {
	t.Parallel()
	const window = 500 * time.Millisecond
	l := target.Envelope{Concurrent: 3, Requests: 40, RequestWindow: window, UploadBytes: 4000, UploadWindow: window,
		Share: budgetShare, RequestBurst: 100, UploadBurst: 8 << 20}
	p := newPacer(l)

	var (
		mu       sync.Mutex
		starts   []time.Time
		bytesAt  []time.Time
		inFlight int
		maxIn    int
	)
	ctx := testContext(t)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 15 {
				n := int64(0)
				if (w+i)%2 == 0 {
					n = 100
				}
				release, err := p.acquire(ctx, n)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				now := time.Now()
				starts = append(starts, now)
				if n > 0 {
					bytesAt = append(bytesAt, now)
				}
				inFlight++
				maxIn = max(maxIn, inFlight)
				mu.Unlock()
				time.Sleep(time.Millisecond)
				mu.Lock()
				inFlight--
				mu.Unlock()
				release()
			}
		})
	}
	wg.Wait()
	if maxIn > l.Concurrent {
		t.Errorf("%d requests in flight, limit %d", maxIn, l.Concurrent)
	}
	check := func(what string, ts []time.Time, per int, limit int) {
		sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
		for i := range ts {
			n := 0
			for j := i; j < len(ts) && ts[j].Sub(ts[i]) < window; j++ {
				n += per
			}
			if n > limit {
				t.Errorf("%s: %d in the window from request %d, limit %d", what, n, i, limit)
				return
			}
		}
	}
	check("requests", starts, 1, l.Requests)
	check("upload bytes", bytesAt, 100, int(l.UploadBytes))
	if elapsed := starts[len(starts)-1].Sub(starts[0]); elapsed < window {
		t.Errorf("120 requests in %v: not paced (window %v, 40 per window)", elapsed, window)
	}
}

// TestPacerPause checks that Retry-After holds every request of the
// mailbox and that a cancelled wait gives its tokens back.
func TestPacerPause(t *testing.T) {
	t.Parallel()
	p := newPacer(Config{}.Envelope())
	p.pause(200 * time.Millisecond)
	start := time.Now()
	release, err := p.acquire(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	release()
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Errorf("acquire during a 200ms pause returned after %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.pause(time.Hour)
	if _, err := p.acquire(ctx, 10); err == nil {
		t.Errorf("acquire with a cancelled context: no error")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{"0", 0, true},
		{"1.5", 1500 * time.Millisecond, true},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-30 * time.Second).Format(http.TimeFormat), 0, true},
		{"soon", 0, false},
	}
	for _, tc := range tests {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestThrottling runs many concurrent PutMessage calls against an emulator
// that enforces Exchange's limits (time-scaled) and injects 429 and 503
// with Retry-After: no 429 reaches the caller, the concurrency limit is
// never hit, and the Retry-After waits are honoured.
func TestThrottling(t *testing.T) {
	const scale = 60
	e := newEnv(t, &graphemu.Options{TimeScale: scale, AttachmentsOnNonDraft: true,
		Faults: "POST /v1.0/users/*/mailFolders/*/messages seq:pass,pass,429=60s,pass,503=60s"},
		&Config{TimeScale: scale})
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	f, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Throttled"})
	if err != nil {
		t.Fatal(err)
	}
	raw := mime("Throttled", part{name: "a.bin", contentType: "application/octet-stream", data: randomBytes(30, 40_000)})
	msgs := make([]*target.Message, 24)
	for i := range msgs {
		msgs[i] = testMessage(t, fmt.Sprintf("k%02d", i), raw)
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(msgs))
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < len(msgs); i += 8 {
				_, errs[i] = mb.PutMessage(ctx, f, msgs[i])
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	for i, err := range errs {
		if err != nil {
			t.Errorf("PutMessage(%d) = %v", i, err)
		}
	}
	if n := len(e.folderItems(t, f)); n != len(msgs) {
		t.Errorf("%d items, want %d", n, len(msgs))
	}
	// Retry-After (1 s after scaling, the emulator's minimum) holds every
	// request of the mailbox: none starts while a pause is on, except
	// those already sent when the answer came.
	var log struct {
		Value []graphemu.LoggedRequest `json:"value"`
	}
	getJSON(t, e.ep, "/_emulator/requests", &log)
	paused := 0
	for _, r := range log.Value {
		if r.Status != http.StatusTooManyRequests && r.Status != http.StatusServiceUnavailable {
			continue
		}
		paused++
		from := r.Time.Add(time.Duration(r.DurationMS*float64(time.Millisecond)) + 300*time.Millisecond)
		to := from.Add(time.Second - 400*time.Millisecond)
		for _, o := range log.Value {
			if o.Time.After(from) && o.Time.Before(to) {
				t.Errorf("%s %s started %v after a %d with Retry-After %s", o.Method, o.Path, o.Time.Sub(r.Time), r.Status, r.RetryAfter)
			}
		}
	}
	if paused != 2 || elapsed < time.Second {
		t.Errorf("%d throttled answers, done in %v; want 2 and at least 1 s", paused, elapsed)
	}
	var stats struct {
		Value []struct {
			Stat throttle.Stat `json:"stat"`
		} `json:"value"`
	}
	getJSON(t, e.ep, "/_emulator/throttle", &stats)
	var st throttle.Stat
	for _, s := range stats.Value {
		st.ThrottledConcurrency += s.Stat.ThrottledConcurrency
		st.ThrottledRequests += s.Stat.ThrottledRequests
		st.ThrottledUpload += s.Stat.ThrottledUpload
		st.Requests += s.Stat.Requests
	}
	t.Logf("%d requests in %v; throttled by the emulator: concurrency %d, rate %d, upload %d", st.Requests, elapsed, st.ThrottledConcurrency, st.ThrottledRequests, st.ThrottledUpload)
	if st.ThrottledConcurrency+st.ThrottledRequests+st.ThrottledUpload > 0 {
		t.Errorf("the emulator throttled %d requests: the client did not keep to the envelope", st.ThrottledConcurrency+st.ThrottledRequests+st.ThrottledUpload)
	}
}

// getJSON decodes an inspection API answer.
func getJSON(t *testing.T, ep *graphemu.Endpoint, path string, v any) {
	t.Helper()
	resp, err := ep.HTTPClient().Get(ep.BaseURL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// TestConfigEnvelope checks the envelope the client reports for the plan:
// Exchange Online's limits, the concurrency capped at 4 and the windows
// divided by the time scale, with the pacer's share and bursts.
func TestConfigEnvelope(t *testing.T) {
	t.Parallel()
	outlook := target.Envelope{Requests: 10000, RequestWindow: 10 * time.Minute, UploadBytes: 150 << 20, UploadWindow: 5 * time.Minute,
		Concurrent: 4, Share: 0.9, RequestBurst: 100, UploadBurst: 8 << 20}
	scaled := outlook
	scaled.RequestWindow, scaled.UploadWindow, scaled.Concurrent = time.Minute, 30*time.Second, 2
	tests := []struct {
		name string
		cfg  Config
		want target.Envelope
	}{
		{"defaults", Config{}, outlook},
		{"more than 4 at once", Config{Concurrency: 16}, outlook},
		{"time-scaled, 2 at once", Config{Concurrency: 2, TimeScale: 10}, scaled},
	}
	for _, tt := range tests {
		if got := tt.cfg.Envelope(); got != tt.want {
			t.Errorf("%s: Envelope() = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
