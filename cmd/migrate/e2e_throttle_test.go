package main

import (
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/target/graphemu"
)

// uploadUserRE finds the mailbox of an upload URL (Outlook's shape:
// /api/v2.0/Users('...')/Messages('...')/AttachmentSessions('...')).
var uploadUserRE = regexp.MustCompile(`(?i)/Users\('([^']+)'\)`)

// requestMailbox returns the mailbox a logged request was made on, by id
// or user principal name as it appears in the path, or "" for requests
// that are not on a mailbox (tokens, discovery).
func requestMailbox(path string) string {
	if p, err := url.PathUnescape(path); err == nil {
		path = p
	}
	if m := uploadUserRE.FindStringSubmatch(path); m != nil {
		return strings.ToLower(m[1])
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := 0; i+1 < len(segs); i++ {
		if strings.EqualFold(segs[i], "users") && i > 0 && strings.HasPrefix(segs[i-1], "v1.0") {
			return strings.ToLower(segs[i+1])
		}
	}
	return ""
}

// retryAfterViolation is a request on a mailbox sent while a 429 told the
// client to wait.
type retryAfterViolation struct {
	throttled, next graphemu.LoggedRequest
	early           time.Duration
	retry           bool // next is the throttled request sent again
}

// retryAfterCheck is what checkRetryAfter found.
type retryAfterCheck struct {
	throttled int // 429 responses with Retry-After on a mailbox
	retried   int // ... whose request was sent again later
	bad       []retryAfterViolation
}

// checkRetryAfter finds, in the emulator's request log, the requests on a
// mailbox that reached the emulator sooner than Retry-After after a 429
// response on that mailbox had been sent. alias folds the user principal
// names and ids of a mailbox into one key.
//
// The throttled request sent again (same method, path, query and body
// length) can only have been sent after the client read the 429, so it
// counts from the moment the 429 was sent. Any other request counts from
// grace after it: up to four requests of a mailbox are in flight at once,
// and one sent just before the client read the 429 may arrive a little
// later. A client ignoring Retry-After would send its retries and further
// requests inside the whole window.
func checkRetryAfter(log []graphemu.LoggedRequest, alias map[string]string, grace time.Duration) retryAfterCheck {
	key := func(r graphemu.LoggedRequest) string {
		m := requestMailbox(r.Path)
		if a, ok := alias[m]; ok {
			return a
		}
		// Upload URLs name the mailbox as Users('{user id}@{tenant id}').
		if i := strings.LastIndexByte(m, '@'); i > 0 {
			if a, ok := alias[m[:i]]; ok {
				return a
			}
		}
		return m
	}
	// By arrival: the log is in the order the responses ended.
	log = slices.Clone(log)
	slices.SortStableFunc(log, func(a, b graphemu.LoggedRequest) int { return a.Time.Compare(b.Time) })
	var c retryAfterCheck
	for _, r := range log {
		if r.Status != 429 || r.RetryAfter == "" {
			continue
		}
		mb := key(r)
		if mb == "" {
			continue // the token endpoint: not on a mailbox
		}
		secs, err := strconv.ParseFloat(r.RetryAfter, 64)
		if err != nil {
			continue // an HTTP-date; the emulator sends seconds
		}
		c.throttled++
		sent := r.Time.Add(time.Duration(r.DurationMS * float64(time.Millisecond)))
		until := sent.Add(time.Duration(secs * float64(time.Second)))
		retried := false
		for _, n := range log {
			if key(n) != mb || !n.Time.After(sent) {
				continue
			}
			retry := !retried && n.Method == r.Method && n.Path == r.Path && n.Query == r.Query && n.BytesIn == r.BytesIn
			if retry {
				retried = true
				c.retried++
			}
			if n.Time.Before(until) && (retry || n.Time.After(sent.Add(grace))) {
				c.bad = append(c.bad, retryAfterViolation{throttled: r, next: n, early: until.Sub(n.Time), retry: retry})
			}
		}
	}
	return c
}

// TestE2EThrottledWithFaults runs the migration against an emulator that
// applies Exchange Online's throttling limits (time-scaled 600 times) and
// injects 503s, 429s and connection resets, checks that the run completes
// (exit 0) with every message exactly once and as it should be, and reads
// the emulator's request log to check that after every 429 with
// Retry-After the client sent nothing more on that mailbox before the
// Retry-After had passed.
func TestE2EThrottledWithFaults(t *testing.T) {
	const timeScale = 600
	extras := fillerMessages(t, 30, false)
	d := startDovecot(t, extras...)
	exp := expectations(t, d, extras)
	ep := startEmulator(t, d, graphemu.Options{
		TimeScale: timeScale,
		Faults:    "503:5%,429:5%,reset:2%",
		Seed:      7,
	})
	p := writeProject(t, d, ep)
	setGraphTimeScale(t, timeScale)

	start := time.Now()
	code, stdout, stderr := p.run(t)
	if code != exitOK {
		t.Fatalf("migrate run under throttling and faults: exit %d, want 0\n%s\n%s", code, stdout, stderr)
	}
	t.Logf("the run took %v", time.Since(start).Round(time.Millisecond))
	got := checkExactlyOnce(t, ep.Emulator, exp, nil)
	checkCorpus(t, exp, got, stateItems(t, p.statePath()), false)

	log := requestLog(t, ep)
	alias := map[string]string{}
	for _, u := range d.Users {
		id := strings.ToLower(ep.Emulator.DumpMailbox(nil, u.Name).ID)
		alias[strings.ToLower(u.Name)], alias[id] = id, id
	}
	statuses := map[int]int{}
	for _, r := range log {
		statuses[r.Status]++
	}
	if resp, err := ep.HTTPClient().Get(ep.BaseURL + "/_emulator/throttle"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("the emulator's throttling counters: %s", b)
	}
	// Another worker's request may already be on its way when a 429
	// comes back: the grace for those is 5 ms of real time (on two busy
	// cores a goroutine waits that long for a CPU), which at this time
	// scale is 3 s of the emulator's. The retry of the throttled request
	// itself gets no grace.
	c := checkRetryAfter(log, alias, 5*time.Millisecond*timeScale)
	t.Logf("%d requests; by status %v; %d answered 429 with Retry-After, %d of them sent again", len(log), statuses, c.throttled, c.retried)
	if c.throttled == 0 || c.retried == 0 {
		t.Fatalf("%d requests answered 429 with Retry-After, %d sent again: the test proves nothing", c.throttled, c.retried)
	}
	for i, v := range c.bad {
		if i == 10 {
			t.Errorf("... and %d more", len(c.bad)-i)
			break
		}
		what := "a request"
		if v.retry {
			what = "the retry"
		}
		t.Errorf("%s %s %s at %s was sent %v before the Retry-After (%ss) of the 429 to %s %s at %s had passed",
			what, v.next.Method, v.next.Path, v.next.Time.Format("15:04:05.000"), v.early.Round(time.Millisecond),
			v.throttled.RetryAfter, v.throttled.Method, v.throttled.Path, v.throttled.Time.Format("15:04:05.000"))
	}
}

// TestE2ECheckRetryAfter checks the request-log check of
// TestE2EThrottledWithFaults on made-up logs.
func TestE2ECheckRetryAfter(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	throttled := graphemu.LoggedRequest{Time: at(0), Method: "POST", Path: "/v1.0/users/u1/mailFolders/f/messages", Status: 429, RetryAfter: "1", BytesIn: 700, DurationMS: 1}
	req := func(ms int, method, path string, bytes int64) graphemu.LoggedRequest {
		return graphemu.LoggedRequest{Time: at(ms), Method: method, Path: path, Status: 201, BytesIn: bytes}
	}
	alias := map[string]string{"u1": "u1", "alice@x.test": "u1"}
	tests := []struct {
		name    string
		next    graphemu.LoggedRequest
		bad     int
		retried int
	}{
		{"retry after Retry-After", req(1002, "POST", throttled.Path, 700), 0, 1},
		{"retry too early", req(5, "POST", throttled.Path, 700), 1, 1},
		{"other request in flight", req(30, "POST", throttled.Path, 900), 0, 0},
		{"other request too early", req(500, "GET", "/v1.0/users/u1/mailFolders/f/messages", 0), 1, 0},
		{"same mailbox by its address", req(500, "GET", "/v1.0/users/alice@x.test/mailFolders", 0), 1, 0},
		{"upload range too early", req(500, "PUT", "/api/v2.0/Users('u1@t')/Messages('m')/AttachmentSessions('s')", 100), 1, 0},
		{"other mailbox", req(5, "POST", "/v1.0/users/u2/mailFolders/f/messages", 700), 0, 0},
		{"token request", req(500, "POST", "/emulator.test/oauth2/v2.0/token", 100), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := checkRetryAfter([]graphemu.LoggedRequest{throttled, tt.next}, alias, 100*time.Millisecond)
			if c.throttled != 1 || len(c.bad) != tt.bad || c.retried != tt.retried {
				t.Errorf("checkRetryAfter() = %d throttled, %d retried, %d violations; want 1, %d, %d", c.throttled, c.retried, len(c.bad), tt.retried, tt.bad)
			}
		})
	}
}
