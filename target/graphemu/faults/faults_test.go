package faults

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"value":"a fairly long body so that half of it is something"}`)
})

func serve(h http.Handler, method, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
	return w
}

func TestParse(t *testing.T) {
	valid := []string{
		"",
		"  ",
		"503:5%,429:2%,reset:1%,slow=2s:3%",
		"seq:200,429,503,200",
		"POST */messages 503:10%",
		"POST */messages 503:10%; GET seq:pass,504,reset",
		"* /v1.0/me seq:drop",
		"429=30s:1%",
		"seq:401,500,502",
	}
	for _, spec := range valid {
		if _, err := Parse(spec, 1, 1); err != nil {
			t.Errorf("Parse(%q) = %v, want no error", spec, err)
		}
	}
	invalid := []string{
		"503",
		"503:5",
		"503:x%",
		"503:101%",
		"503:60%,429:50%",
		"200:1%,seq",
		"302:5%",
		"600:5%",
		"teapot:5%",
		"slow:5%",
		"slow=fast:5%",
		"reset=1s:5%",
		"pass=1s:5%",
		"seq:200,418x",
		"FETCH seq:503",
		"POST GET seq:503",
		"messages seq:503",
		"0.5%:0%",
	}
	for _, spec := range invalid {
		_, err := Parse(spec, 1, 1)
		if !errors.Is(err, ErrSpec) {
			t.Errorf("Parse(%q) = %v, want an error wrapping ErrSpec", spec, err)
		}
	}
}

func checkGraphError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d", w.Code, status)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
	var body struct {
		Error struct {
			Code, Message string
			InnerError    struct {
				Date      string `json:"date"`
				RequestID string `json:"request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	if body.Error.Code != code || body.Error.Message == "" || body.Error.InnerError.RequestID == "" || body.Error.InnerError.Date == "" {
		t.Fatalf("error body %s, want code %q", w.Body, code)
	}
}

// TestSequence checks an exact sequence, its Retry-After values and their
// time scaling.
func TestSequence(t *testing.T) {
	tests := []struct {
		spec  string
		scale float64
		want  []string // status and Retry-After per request
	}{
		{"seq:200,429,503,200", 1, []string{"200 ", "429 2", "503 2", "200 ", "200 "}},
		{"seq:200,429,503,200", 4, []string{"200 ", "429 1", "503 1", "200 ", "200 "}},
		{"seq:429=30s,503=1m,500,502,504", 1, []string{"429 30", "503 60", "500 ", "502 ", "504 ", "200 "}},
		{"seq:429=30s,503=1m", 10, []string{"429 3", "503 6", "200 "}},
		{"seq:pass,pass,404", 1, []string{"200 ", "200 ", "404 ", "200 "}},
	}
	for _, tt := range tests {
		t.Run(tt.spec+"/"+strconv.FormatFloat(tt.scale, 'f', -1, 64), func(t *testing.T) {
			inj, err := Parse(tt.spec, 7, tt.scale)
			if err != nil {
				t.Fatal(err)
			}
			h := inj.Middleware(hello)
			var got []string
			for range tt.want {
				w := serve(h, http.MethodGet, "/v1.0/me/messages")
				got = append(got, strconv.Itoa(w.Code)+" "+w.Header().Get("Retry-After"))
				if w.Code >= 400 {
					code, _ := errorFor(w.Code)
					checkGraphError(t, w, w.Code, code)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("responses (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRates checks that rate clauses inject about the asked share, the same
// outcomes for the same seed, and other outcomes for another seed.
func TestRates(t *testing.T) {
	const n = 20000
	run := func(seed int64) ([]int, map[int]int) {
		inj, err := Parse("503:5%,429:2%,500:0.5%", seed, 1)
		if err != nil {
			t.Fatal(err)
		}
		h := inj.Middleware(hello)
		var seq []int
		counts := map[int]int{}
		for range n {
			w := serve(h, http.MethodGet, "/v1.0/me")
			seq = append(seq, w.Code)
			counts[w.Code]++
		}
		if got := inj.Stats(); got["503"] != int64(counts[503]) || got["429"] != int64(counts[429]) {
			t.Fatalf("Stats %v, counts %v", got, counts)
		}
		return seq, counts
	}
	a, counts := run(42)
	for status, share := range map[int]float64{503: 0.05, 429: 0.02, 500: 0.005} {
		want := share * n
		if got := float64(counts[status]); got < want*0.8 || got > want*1.2 {
			t.Errorf("%d: %v of %d, want about %v", status, got, n, want)
		}
	}
	b, _ := run(42)
	if !cmp.Equal(a, b) {
		t.Fatal("the same seed gave different outcomes")
	}
	c, _ := run(43)
	if cmp.Equal(a, c) {
		t.Fatal("another seed gave the same outcomes")
	}
}

// TestFilters checks method and path filters and clause order.
func TestFilters(t *testing.T) {
	inj, err := Parse("POST */messages seq:503; GET /v1.0/me* seq:pass,504; * seq:500,500,500,500,500", 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	h := inj.Middleware(hello)
	steps := []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, "/v1.0/users/a/mailFolders/inbox/messages", 503},
		{http.MethodPost, "/v1.0/users/a/mailFolders/inbox/messages", 500}, // seq exhausted: the catch-all decides
		{http.MethodGet, "/v1.0/me/messages", 500},                         // pass lets the catch-all try
		{http.MethodGet, "/v1.0/me/events", 504},
		{http.MethodPost, "/v1.0/users/a/messages/1/attachments", 500},
		{http.MethodDelete, "/v1.0/users/a/messages/1", 500},
		{http.MethodGet, "/v1.0/me", 500},
		{http.MethodGet, "/v1.0/me", 200},
	}
	for i, s := range steps {
		if w := serve(h, s.method, s.path); w.Code != s.want {
			t.Fatalf("step %d %s %s: status %d, want %d", i, s.method, s.path, w.Code, s.want)
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		glob, path string
		want       bool
	}{
		{"*/messages", "/v1.0/users/x/mailFolders/y/messages", true},
		{"*/messages", "/v1.0/users/x/messages/1", false},
		{"*/messages*", "/v1.0/users/x/messages/1", true},
		{"/v1.0/me", "/v1.0/me", true},
		{"/v1.0/me", "/v1.0/me/events", false},
		{"/v1.0/*/events", "/v1.0/users/a/calendars/b/events", true},
		{"*", "", true},
		{"*a*b*", "xxaYYbzz", true},
		{"*a*b*", "xxbYYazz", false},
	}
	for _, tt := range tests {
		if got := match(tt.glob, tt.path); got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.glob, tt.path, got, tt.want)
		}
	}
}

// TestSlow checks that a slow response waits the scaled delay, then answers
// normally, and gives up when the client goes away.
func TestSlow(t *testing.T) {
	inj, err := Parse("seq:slow=2s,slow=2s", 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	var slept []time.Duration
	inj.WithSleep(func(ctx context.Context, d time.Duration) error {
		slept = append(slept, d)
		return ctx.Err()
	})
	h := inj.Middleware(hello)
	if w := serve(h, http.MethodGet, "/v1.0/me"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "value") {
		t.Fatalf("slow response %d %q", w.Code, w.Body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1.0/me", nil).WithContext(ctx))
	if w.Body.Len() != 0 {
		t.Fatalf("cancelled slow request answered %q", w.Body)
	}
	if diff := cmp.Diff([]time.Duration{500 * time.Millisecond, 500 * time.Millisecond}, slept); diff != "" {
		t.Fatalf("delays (-want +got):\n%s", diff)
	}
}

// TestConnectionFaults runs reset and drop over a real HTTP/1.1 connection:
// a reset runs the request and breaks the response, a drop does neither.
func TestConnectionFaults(t *testing.T) {
	tests := []struct {
		spec    string
		body    bool
		wantRan int64
	}{
		{"seq:reset", true, 1},
		{"seq:reset", false, 1},
		{"seq:drop", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.spec+"/body="+strconv.FormatBool(tt.body), func(t *testing.T) {
			var ran atomic.Int64
			inj, err := Parse(tt.spec, 1, 1)
			if err != nil {
				t.Fatal(err)
			}
			h := inj.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ran.Add(1)
				if !tt.body {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				hello.ServeHTTP(w, r)
			}))
			// A logging wrapper that can only be unwrapped, as the
			// emulator's request log is.
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.ServeHTTP(unwrapOnly{w}, r)
			}))
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			defer client.CloseIdleConnections()
			resp, err := client.Get(srv.URL + "/v1.0/me")
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if err == nil {
				t.Fatal("faulted request succeeded")
			}
			if got := ran.Load(); got != tt.wantRan {
				t.Fatalf("handler ran %d times, want %d", got, tt.wantRan)
			}
			resp, err = client.Get(srv.URL + "/v1.0/me")
			if err != nil {
				t.Fatalf("next request: %v", err)
			}
			resp.Body.Close()
		})
	}
}

type unwrapOnly struct{ w http.ResponseWriter }

func (u unwrapOnly) Header() http.Header         { return u.w.Header() }
func (u unwrapOnly) Write(p []byte) (int, error) { return u.w.Write(p) }
func (u unwrapOnly) WriteHeader(code int)        { u.w.WriteHeader(code) }
func (u unwrapOnly) Unwrap() http.ResponseWriter { return u.w }

// TestResetWithoutHijack checks that a reset the writer cannot do aborts
// the handler the standard way.
func TestResetWithoutHijack(t *testing.T) {
	inj, err := Parse("seq:reset", 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler", p)
		}
	}()
	serve(inj.Middleware(hello), http.MethodGet, "/v1.0/me")
	t.Fatal("no panic")
}

func TestEmpty(t *testing.T) {
	inj, err := Parse("", 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	var nilInj *Injector
	for _, i := range []*Injector{inj, nilInj} {
		h := i.Middleware(hello)
		if w := serve(h, http.MethodGet, "/v1.0/me"); w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
		if len(i.Stats()) != 0 {
			t.Fatalf("Stats %v", i.Stats())
		}
	}
}
