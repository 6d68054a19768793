// Package faults injects HTTP faults into the Graph emulator from a spec, so
// clients can be tested against the failures Microsoft Graph documents:
// 429 and 503 with Retry-After, 500, 502, 504
// (https://learn.microsoft.com/graph/errors#http-status-codes), slow
// responses and connections that break.
//
// # Spec grammar
//
//	spec     = clause *( ";" clause )          ; "" injects nothing
//	clause   = [ method ] [ path ] faults      ; separated by spaces
//	method   = "GET" / "POST" / "PATCH" / "PUT" / "DELETE" / "*"
//	path     = glob on the URL path, starting with "/" or "*";
//	           "*" matches any run of characters, "/" included
//	faults   = rates / sequence
//	rates    = rate *( "," rate )              ; percentages add up to <= 100
//	rate     = outcome ":" number "%"
//	sequence = "seq:" outcome *( "," outcome )
//	outcome  = "200" / "pass"                  ; no fault
//	         / status [ "=" duration ]         ; error response; the duration
//	                                           ; sets Retry-After (429, 503)
//	         / "slow=" duration                ; answer normally, that much later
//	         / "reset"                         ; run the request, then cut the
//	                                           ; connection (TCP RST) mid-body
//	         / "drop"                          ; cut the connection without
//	                                           ; running the request
//	status   = "400" .. "599"                  ; typically 429 500 502 503 504
//	duration = Go duration, such as "2s" or "1500ms"
//
// Examples:
//
//	503:5%,429:2%,reset:1%,slow=2s:3%
//	seq:200,429,503,200
//	POST */messages 503:10%; GET seq:pass,504,reset
//	429=30s:1%
//
// Clauses are tried in order; a clause applies to the requests its method
// and path match. A rate clause draws each matching request's outcome from a
// pseudo-random sequence fixed by the seed and the request's number among
// the clause's matches, so a run is reproducible for the same request order.
// A sequence clause gives its n-th matching request the n-th outcome and
// passes every request after the last. The first clause that picks a fault
// decides; "pass" lets later clauses try.
//
// Error responses do not run the request and carry Graph's error body; 429
// and 503 carry Retry-After (2 s unless the outcome says otherwise). A time
// scale N > 0 divides every duration, slow delays and Retry-After alike (a
// Retry-After stays at least 1 s).
//
// A reset needs a connection it can hijack (HTTP/1.x); elsewhere, such as
// inside a $batch, it aborts the handler with http.ErrAbortHandler.
package faults

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/migrate-tool/migrate/target/graphemu/internal/recorder"
	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// ErrSpec is wrapped by every error Parse returns.
var ErrSpec = errors.New("invalid fault spec")

// defaultRetryAfter is the Retry-After of injected 429 and 503 responses. The
// sample throttled response in https://learn.microsoft.com/graph/throttling
// carries about two seconds.
const defaultRetryAfter = 2 * time.Second

type kind int

const (
	kindPass kind = iota
	kindStatus
	kindSlow
	kindReset
	kindDrop
)

// outcome is what happens to one request.
type outcome struct {
	kind   kind
	status int
	delay  time.Duration // Retry-After for a status, the delay for slow
	name   string        // as written in the spec, for Stats
}

type clause struct {
	method string // "" for any
	path   string // glob, "" for any
	rates  []rateOutcome
	seq    []outcome
	n      uint64 // matching requests seen
}

type rateOutcome struct {
	outcome
	upTo float64 // cumulative probability in [0, 1]
}

// Injector injects the faults of a spec. Its methods are safe for
// concurrent use.
type Injector struct {
	seed    int64
	scale   float64
	sleep   func(ctx context.Context, d time.Duration) error
	mu      sync.Mutex
	clauses []*clause
	counts  map[string]int64
}

// Parse parses a fault spec (see the package documentation for its grammar).
// The seed fixes the pseudo-random draws of rate clauses; a timeScale N > 0
// divides every duration by N. An empty spec gives an Injector that injects
// nothing.
func Parse(spec string, seed int64, timeScale float64) (*Injector, error) {
	inj := &Injector{seed: seed, scale: timeScale, sleep: sleepCtx, counts: map[string]int64{}}
	if timeScale <= 0 {
		inj.scale = 1
	}
	for i, text := range strings.Split(spec, ";") {
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		c, err := inj.parseClause(text)
		if err != nil {
			return nil, fmt.Errorf("%w: clause %d %q: %w", ErrSpec, i+1, text, err)
		}
		inj.clauses = append(inj.clauses, c)
	}
	return inj, nil
}

var methods = map[string]bool{"*": true, "GET": true, "POST": true, "PATCH": true, "PUT": true, "DELETE": true, "HEAD": true, "OPTIONS": true}

func (inj *Injector) parseClause(text string) (*clause, error) {
	fields := strings.Fields(text)
	c := &clause{}
	body := fields[len(fields)-1]
	for _, f := range fields[:len(fields)-1] {
		switch {
		case methods[strings.ToUpper(f)] && c.method == "" && c.path == "":
			if f != "*" {
				c.method = strings.ToUpper(f)
			}
		case (strings.HasPrefix(f, "/") || strings.HasPrefix(f, "*")) && c.path == "":
			c.path = f
		default:
			return nil, fmt.Errorf("%q is neither a method nor a path starting with / or *", f)
		}
	}
	if rest, ok := strings.CutPrefix(body, "seq:"); ok {
		for _, o := range strings.Split(rest, ",") {
			out, err := inj.parseOutcome(o)
			if err != nil {
				return nil, err
			}
			c.seq = append(c.seq, out)
		}
		return c, nil
	}
	total := 0.0
	for _, r := range strings.Split(body, ",") {
		i := strings.LastIndex(r, ":")
		if i < 0 || !strings.HasSuffix(r, "%") {
			return nil, fmt.Errorf("%q: want outcome:percent%%, such as 503:5%%", r)
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(r[i+1:], "%"), 64)
		if err != nil || pct < 0 || pct > 100 {
			return nil, fmt.Errorf("%q: the percentage must be a number from 0 to 100", r)
		}
		out, err := inj.parseOutcome(r[:i])
		if err != nil {
			return nil, err
		}
		total += pct / 100
		if total > 1+1e-9 {
			return nil, fmt.Errorf("the percentages add up to more than 100%%")
		}
		c.rates = append(c.rates, rateOutcome{outcome: out, upTo: total})
	}
	return c, nil
}

func (inj *Injector) parseOutcome(s string) (outcome, error) {
	s = strings.TrimSpace(s)
	name, arg, hasArg := strings.Cut(s, "=")
	dur := func() (time.Duration, error) {
		d, err := time.ParseDuration(arg)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%q: want a duration such as 2s", s)
		}
		return time.Duration(float64(d) / inj.scale), nil
	}
	switch name {
	case "200", "pass":
		if hasArg {
			return outcome{}, fmt.Errorf("%q: pass takes no argument", s)
		}
		return outcome{kind: kindPass, name: "pass"}, nil
	case "slow":
		if !hasArg {
			return outcome{}, fmt.Errorf("%q: want slow=duration, such as slow=2s", s)
		}
		d, err := dur()
		return outcome{kind: kindSlow, delay: d, name: "slow"}, err
	case "reset", "drop":
		if hasArg {
			return outcome{}, fmt.Errorf("%q: %s takes no argument", s, name)
		}
		k := kindReset
		if name == "drop" {
			k = kindDrop
		}
		return outcome{kind: k, name: name}, nil
	}
	code, err := strconv.Atoi(name)
	if err != nil || code < 400 || code > 599 {
		return outcome{}, fmt.Errorf("%q: want 200, pass, a status from 400 to 599, slow=duration, reset or drop", s)
	}
	o := outcome{kind: kindStatus, status: code, name: name}
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		o.delay = time.Duration(float64(defaultRetryAfter) / inj.scale)
	}
	if hasArg {
		if o.delay, err = dur(); err != nil {
			return outcome{}, err
		}
	}
	return o, nil
}

// WithSleep makes i wait with sleep instead of a timer, for tests. Call it
// before i serves requests. It returns i.
func (i *Injector) WithSleep(sleep func(ctx context.Context, d time.Duration) error) *Injector {
	i.sleep = sleep
	return i
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("slow response: %w", ctx.Err())
	}
}

// Stats returns how many times each outcome was injected, by its name in the
// spec ("429", "slow", "reset", ...).
func (i *Injector) Stats() map[string]int64 {
	out := map[string]int64{}
	if i == nil {
		return out
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	for k, v := range i.counts {
		out[k] = v
	}
	return out
}

// match reports whether glob matches s; "*" matches any run of characters.
func match(glob, s string) bool {
	star := strings.Index(glob, "*")
	if star < 0 {
		return glob == s
	}
	if !strings.HasPrefix(s, glob[:star]) {
		return false
	}
	rest := glob[star+1:]
	for j := star; j <= len(s); j++ {
		if match(rest, s[j:]) {
			return true
		}
	}
	return false
}

// splitmix64 is a small, well-mixed hash for reproducible draws.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// pick returns the outcome for r and counts it.
func (i *Injector) pick(r *http.Request) outcome {
	i.mu.Lock()
	defer i.mu.Unlock()
	for ci, c := range i.clauses {
		if c.method != "" && c.method != r.Method {
			continue
		}
		if c.path != "" && !match(c.path, r.URL.Path) {
			continue
		}
		n := c.n
		c.n++
		var o outcome
		if c.seq != nil {
			if n < uint64(len(c.seq)) {
				o = c.seq[n]
			}
		} else {
			h := splitmix64(uint64(i.seed) ^ splitmix64(uint64(ci)+1) ^ splitmix64(n+0x5bd1e995))
			u := float64(h>>11) / (1 << 53)
			for _, ro := range c.rates {
				if u < ro.upTo {
					o = ro.outcome
					break
				}
			}
		}
		if o.kind != kindPass {
			i.counts[o.name]++
			return o
		}
	}
	return outcome{kind: kindPass}
}

// Middleware injects the spec's faults in front of next. A nil Injector, or
// one without clauses, returns next unchanged.
func (i *Injector) Middleware(next http.Handler) http.Handler {
	if i == nil || len(i.clauses) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := i.pick(r)
		switch o.kind {
		case kindStatus:
			writeStatus(w, r, o)
		case kindSlow:
			if err := i.sleep(r.Context(), o.delay); err != nil {
				return // the client went away
			}
			next.ServeHTTP(w, r)
		case kindReset:
			reset(w, r, next)
		case kindDrop:
			conn := hijack(w)
			_ = conn.Close()
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// errorFor returns Graph's error code and message for an injected status,
// from the codes in https://learn.microsoft.com/graph/errors#code-property
// and the throttling sample in https://learn.microsoft.com/graph/throttling.
func errorFor(status int) (code, message string) {
	switch status {
	case http.StatusTooManyRequests:
		return "TooManyRequests", "Please retry again later."
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return "serviceNotAvailable", "The service is not available. Try the request again after a delay."
	case http.StatusBadRequest:
		return "invalidRequest", "The request is malformed or incorrect."
	case http.StatusUnauthorized:
		return "InvalidAuthenticationToken", "Access token has expired or is not yet valid."
	case http.StatusForbidden:
		return "accessDenied", "The caller doesn't have permission to perform the action."
	case http.StatusNotFound:
		return "itemNotFound", "The resource could not be found."
	}
	return "generalException", "An unspecified error has occurred."
}

func writeStatus(w http.ResponseWriter, r *http.Request, o outcome) {
	code, msg := errorFor(o.status)
	if o.delay > 0 {
		odata.WriteRetryAfter(w, r, o.status, o.delay, code, msg)
		return
	}
	odata.WriteError(w, r, o.status, code, msg)
}

// hijack takes the connection from w, through any wrappers with an Unwrap
// method, or aborts the handler where that is impossible (HTTP/2, a $batch
// recorder).
func hijack(w http.ResponseWriter) net.Conn {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0) // close with RST, as a reset does
	}
	return conn
}

// reset runs the request, then sends the status line, the headers with the
// full Content-Length and half of the body, and resets the connection. A
// response without a body is cut inside its headers.
func reset(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rec := recorder.New()
	next.ServeHTTP(rec, r)
	conn := hijack(w)
	defer conn.Close()
	var head bytes.Buffer
	fmt.Fprintf(&head, "HTTP/1.1 %d %s\r\n", rec.Status(), http.StatusText(rec.Status()))
	rec.Header().Del("Content-Length")
	rec.Header().Del("Transfer-Encoding")
	_ = rec.Header().Write(&head)
	body := rec.Body()
	bw := bufio.NewWriter(conn)
	if len(body) < 2 {
		_, _ = bw.Write(head.Bytes()[:head.Len()/2])
	} else {
		fmt.Fprintf(&head, "Content-Length: %d\r\n\r\n", len(body))
		_, _ = bw.Write(head.Bytes())
		_, _ = bw.Write(body[:len(body)/2])
	}
	_ = bw.Flush()
}
