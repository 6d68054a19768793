package throttle

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeClock is a manual clock: tests move it, nothing sleeps.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mailboxKey reads the key from headers the tests set.
func mailboxKey(r *http.Request) (Key, bool) {
	mb := r.Header.Get("X-Mailbox")
	if mb == "" {
		return Key{}, false
	}
	return Key{App: "app", Mailbox: mb}, true
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.WriteHeader(http.StatusOK)
})

func do(h http.Handler, method, mailbox string, body io.Reader, length int64) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/v1.0/users/"+mailbox+"/messages", body)
	r.ContentLength = length
	if mailbox != "" {
		r.Header.Set("X-Mailbox", mailbox)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func retryAfter(t *testing.T, w *httptest.ResponseRecorder) int {
	t.Helper()
	s := w.Header().Get("Retry-After")
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("Retry-After = %q, want whole seconds >= 1", s)
	}
	return n
}

// TestRequestEnvelope sends more than 10,000 requests at one instant: the
// first 10,000 pass, every further one is 429, and once the (scaled) window
// has gone by the next 10,000 pass again.
func TestRequestEnvelope(t *testing.T) {
	tests := []struct {
		scale      float64
		window     time.Duration
		retryAfter int
	}{
		{scale: 1, window: 10 * time.Minute, retryAfter: 600},
		{scale: 60, window: 10 * time.Second, retryAfter: 10},
		{scale: 600, window: time.Second, retryAfter: 1},
		{scale: 6000, window: 100 * time.Millisecond, retryAfter: 1},
	}
	for _, tt := range tests {
		t.Run(strconv.FormatFloat(tt.scale, 'f', -1, 64), func(t *testing.T) {
			clock := newClock()
			l := New(ExchangeOnline(), tt.scale).WithClock(clock.Now)
			h := l.Middleware(mailboxKey, ok)
			if got := l.Limits().RequestWindow; got != tt.window {
				t.Fatalf("RequestWindow = %v, want %v", got, tt.window)
			}
			for round := range 2 {
				passed, throttled := 0, 0
				for range 10000 + 250 {
					w := do(h, http.MethodGet, "adele", nil, 0)
					switch w.Code {
					case http.StatusOK:
						if throttled > 0 {
							t.Fatalf("round %d: a request passed after throttling began", round)
						}
						passed++
					case http.StatusTooManyRequests:
						if got := retryAfter(t, w); got != tt.retryAfter {
							t.Fatalf("Retry-After = %d, want %d", got, tt.retryAfter)
						}
						throttled++
					default:
						t.Fatalf("status %d", w.Code)
					}
				}
				if passed != 10000 || throttled != 250 {
					t.Fatalf("round %d: passed %d, throttled %d; want 10000, 250", round, passed, throttled)
				}
				clock.Advance(tt.window)
			}
			st := l.Stats()[Key{"app", "adele"}]
			if st.Requests != 20500 || st.Throttled != 500 || st.ThrottledRequests != 500 {
				t.Fatalf("Stats = %+v", st)
			}
		})
	}
}

// TestSteadyRate drives a client at a steady rate: at exactly the documented
// rate nothing is throttled; above it, 429s begin with request 10,001 and,
// because throttled requests accrue too, a client that keeps going without
// backing off stays throttled. Honouring Retry-After gets it through again.
func TestSteadyRate(t *testing.T) {
	const scale = 600 // 10 minutes -> 1 s
	tests := []struct {
		name          string
		perWindow     int // requests sent per window
		windows       int
		wantPassed    int
		firstThrottle int // 1-based number of the first 429, 0 for none
	}{
		{name: "half the limit", perWindow: 5000, windows: 3, wantPassed: 15000},
		{name: "exactly the limit", perWindow: 10000, windows: 3, wantPassed: 30000},
		{name: "10% over", perWindow: 11000, windows: 3, wantPassed: 10000, firstThrottle: 10001},
		{name: "double", perWindow: 20000, windows: 2, wantPassed: 10000, firstThrottle: 10001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			l := New(ExchangeOnline(), scale).WithClock(clock.Now)
			h := l.Middleware(mailboxKey, ok)
			step := l.Limits().RequestWindow / time.Duration(tt.perWindow)
			passed, first := 0, 0
			var last *httptest.ResponseRecorder
			for i := 1; i <= tt.perWindow*tt.windows; i++ {
				w := do(h, http.MethodGet, "adele", nil, 0)
				if w.Code == http.StatusOK {
					passed++
				} else if first == 0 {
					first = i
				}
				last = w
				clock.Advance(step)
			}
			if passed != tt.wantPassed || first != tt.firstThrottle {
				t.Fatalf("passed %d, first 429 at %d; want %d, %d", passed, first, tt.wantPassed, tt.firstThrottle)
			}
			if first == 0 {
				return
			}
			clock.Advance(time.Duration(retryAfter(t, last)) * time.Second)
			if w := do(h, http.MethodGet, "adele", nil, 0); w.Code != http.StatusOK {
				t.Fatalf("after Retry-After: status %d, want 200", w.Code)
			}
		})
	}
}

// TestConcurrency holds requests in the handler: the fifth concurrent request
// to one mailbox is 429 MailboxConcurrency, another mailbox is unaffected, and
// a slot frees when a request finishes.
func TestConcurrency(t *testing.T) {
	clock := newClock()
	l := New(ExchangeOnline(), 1).WithClock(clock.Now)
	entered := make(chan struct{})
	release := make(chan struct{})
	h := l.Middleware(mailboxKey, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Hold") != "" {
			entered <- struct{}{}
			<-release
		}
		w.WriteHeader(http.StatusOK)
	}))
	hold := func(mailbox string, done chan<- int) {
		r := httptest.NewRequest(http.MethodGet, "/v1.0/me/messages", nil)
		r.Header.Set("X-Mailbox", mailbox)
		r.Header.Set("X-Hold", "1")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		done <- w.Code
	}
	done := make(chan int, 8)
	for range 4 {
		go hold("adele", done)
		<-entered
	}
	w := do(h, http.MethodGet, "adele", nil, 0)
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("5th concurrent request: status %d, want 429", w.Code)
	}
	checkErrorBody(t, w, CodeOutlook, MessageConcurrency)
	if w := do(h, http.MethodGet, "bianca", nil, 0); w.Code != http.StatusOK {
		t.Fatalf("other mailbox: status %d, want 200", w.Code)
	}
	if got := l.Stats()[Key{"app", "adele"}].InFlight; got != 4 {
		t.Fatalf("InFlight = %d, want 4", got)
	}
	release <- struct{}{}
	if code := <-done; code != http.StatusOK {
		t.Fatalf("held request: status %d", code)
	}
	if w := do(h, http.MethodGet, "adele", nil, 0); w.Code != http.StatusOK {
		t.Fatalf("after a slot freed: status %d, want 200", w.Code)
	}
	close(release)
	for range 3 {
		<-done
	}
	st := l.Stats()[Key{"app", "adele"}]
	if st.InFlight != 0 || st.ThrottledConcurrency != 1 || st.Requests != 6 {
		t.Fatalf("Stats = %+v", st)
	}
}

// TestUpload checks the 150 MB per 5 minutes upload limit for bodies of
// known and unknown length; GET and DELETE are not uploads.
func TestUpload(t *testing.T) {
	const chunk = 4 * MB
	tests := []struct {
		name    string
		method  string
		unknown bool // chunked: counted as read
		want    int  // requests passed before the first 429; -1 = never throttled
	}{
		{name: "POST known length", method: http.MethodPost, want: 37},
		{name: "PUT known length", method: http.MethodPut, want: 37},
		{name: "PATCH known length", method: http.MethodPatch, want: 37},
		{name: "POST unknown length", method: http.MethodPost, unknown: true, want: 38},
		{name: "GET", method: http.MethodGet, want: -1},
		{name: "DELETE", method: http.MethodDelete, want: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			l := New(ExchangeOnline(), 1).WithClock(clock.Now)
			h := l.Middleware(mailboxKey, ok)
			passed := 0
			for i := 0; i < 60; i++ {
				var w *httptest.ResponseRecorder
				if tt.unknown {
					w = do(h, tt.method, "adele", io.LimitReader(zeros{}, chunk), -1)
				} else {
					w = do(h, tt.method, "adele", strings.NewReader(""), chunk)
				}
				if w.Code == http.StatusTooManyRequests {
					checkErrorBody(t, w, CodeOutlook, MessageIncomingBytes)
					// The oldest upload, made at second 0, leaves the
					// window at second 300; this one is at second passed.
					if got := retryAfter(t, w); got != 300-passed {
						t.Fatalf("Retry-After = %d, want %d", got, 300-passed)
					}
					break
				}
				passed++
				clock.Advance(time.Second)
			}
			if tt.want == -1 {
				if passed != 60 {
					t.Fatalf("passed %d of 60, want all", passed)
				}
				return
			}
			if passed != tt.want {
				t.Fatalf("passed %d uploads of 4 MB, want %d", passed, tt.want)
			}
			// The first upload leaves the window 5 minutes after it was made.
			clock.Advance(5*time.Minute - time.Duration(passed)*time.Second)
			if w := do(h, tt.method, "adele", strings.NewReader("x"), 1); w.Code != http.StatusOK {
				t.Fatalf("after the window: status %d, want 200", w.Code)
			}
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func checkErrorBody(t *testing.T, w *httptest.ResponseRecorder, code, message string) {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q", ct)
	}
	if w.Header().Get("request-id") == "" {
		t.Fatalf("no request-id header")
	}
	var body struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				Date      string `json:"date"`
				RequestID string `json:"request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	if body.Error.Code != code || body.Error.Message != message {
		t.Fatalf("error = %q %q, want %q %q", body.Error.Code, body.Error.Message, code, message)
	}
	if _, err := time.Parse("2006-01-02T15:04:05", body.Error.InnerError.Date); err != nil {
		t.Fatalf("innerError.date %q: %v", body.Error.InnerError.Date, err)
	}
	if body.Error.InnerError.RequestID != w.Header().Get("request-id") {
		t.Fatalf("innerError.request-id %q differs from the header", body.Error.InnerError.RequestID)
	}
}

// Test429Conformance checks the shape of a rate-limit 429: status, headers
// and Graph's error body.
func Test429Conformance(t *testing.T) {
	l := New(Limits{Requests: 1, RequestWindow: time.Minute}, 1).WithClock(newClock().Now)
	h := l.Middleware(mailboxKey, ok)
	do(h, http.MethodGet, "adele", nil, 0)
	r := httptest.NewRequest(http.MethodGet, "/v1.0/users/adele/messages", nil)
	r.Header.Set("X-Mailbox", "adele")
	r.Header.Set("client-request-id", "c0ffee")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", w.Code)
	}
	if got := retryAfter(t, w); got != 60 {
		t.Fatalf("Retry-After = %d, want 60", got)
	}
	if got := w.Header().Get("client-request-id"); got != "c0ffee" {
		t.Fatalf("client-request-id = %q, want it echoed", got)
	}
	checkErrorBody(t, w, CodeRequests, MessageRequests)
}

// TestKeys checks that requests without a key pass uncounted and that keys
// are independent per app and per mailbox.
func TestKeys(t *testing.T) {
	l := New(Limits{Requests: 2, RequestWindow: time.Minute}, 1).WithClock(newClock().Now)
	h := l.Middleware(func(r *http.Request) (Key, bool) {
		app, mb := r.Header.Get("X-App"), r.Header.Get("X-Mailbox")
		return Key{app, mb}, app != ""
	}, ok)
	send := func(app, mb string) int {
		r := httptest.NewRequest(http.MethodGet, "/v1.0/$batch", nil)
		r.Header.Set("X-App", app)
		r.Header.Set("X-Mailbox", mb)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	var got []int
	for _, k := range [][2]string{{"", "x"}, {"", "x"}, {"", "x"}, {"a", "m"}, {"a", "m"}, {"a", "m"}, {"b", "m"}, {"a", "n"}} {
		got = append(got, send(k[0], k[1]))
	}
	want := []int{200, 200, 200, 200, 200, 429, 200, 200}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	stats := l.Stats()
	if len(stats) != 3 || stats[Key{"a", "m"}].Requests != 3 || stats[Key{"a", "m"}].WindowRequests != 3 {
		t.Fatalf("Stats = %+v", stats)
	}
}

// TestOff checks that a time scale of 0 counts without throttling.
func TestOff(t *testing.T) {
	l := New(Limits{Requests: 1, RequestWindow: time.Minute, Concurrent: 1, UploadBytes: 1, UploadWindow: time.Minute}, 0).WithClock(newClock().Now)
	h := l.Middleware(mailboxKey, ok)
	for range 5 {
		if w := do(h, http.MethodPost, "adele", strings.NewReader("abc"), 3); w.Code != http.StatusOK {
			t.Fatalf("status %d with throttling off", w.Code)
		}
	}
	st := l.Stats()[Key{"app", "adele"}]
	if st.Requests != 5 || st.Throttled != 0 || st.UploadedBytes != 15 {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestParseTimeScale(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr bool
	}{
		{in: "", want: 1},
		{in: "off", want: 0},
		{in: "OFF", want: 0},
		{in: "60", want: 60},
		{in: " 600 ", want: 600},
		{in: "0.5", want: 0.5},
		{in: "0", wantErr: true},
		{in: "-3", wantErr: true},
		{in: "NaN", wantErr: true},
		{in: "fast", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseTimeScale(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseTimeScale(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestNilLimiter(t *testing.T) {
	var l *Limiter
	if w := do(l.Middleware(mailboxKey, ok), http.MethodGet, "adele", nil, 0); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if len(l.Stats()) != 0 {
		t.Fatalf("Stats %v", l.Stats())
	}
}
