package graphemu

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/migrate-tool/migrate/target/graphemu/identity"
	"github.com/migrate-tool/migrate/target/graphemu/internal/recorder"
)

// LoggedRequest is one entry of the inspection API's request log. Secrets
// (tokens, the upload URL's authtoken) are never recorded.
type LoggedRequest struct {
	Time       time.Time `json:"time"`
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	Query      string    `json:"query,omitempty"`
	Status     int       `json:"status"`
	DurationMS float64   `json:"durationMs"`
	App        string    `json:"app,omitempty"`
	BytesIn    int64     `json:"bytesIn"`
	BytesOut   int64     `json:"bytesOut"`
	RequestID  string    `json:"requestId,omitempty"`
	RetryAfter string    `json:"retryAfter,omitempty"`
}

// requestLog keeps the most recent requests.
type requestLog struct {
	mu      sync.Mutex
	max     int
	entries []LoggedRequest
	total   int64
}

func newRequestLog(max int) *requestLog { return &requestLog{max: max} }

func (l *requestLog) add(e LoggedRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total++
	if len(l.entries) >= l.max {
		copy(l.entries, l.entries[1:])
		l.entries = l.entries[:len(l.entries)-1]
	}
	l.entries = append(l.entries, e)
}

func (l *requestLog) snapshot() ([]LoggedRequest, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]LoggedRequest(nil), l.entries...), l.total
}

func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
	l.total = 0
}

func (l *requestLog) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		cw := recorder.Wrap(w)
		next.ServeHTTP(cw, r)
		l.add(LoggedRequest{
			Time:       start.UTC(),
			Method:     r.Method,
			Path:       r.URL.Path,
			Query:      redactQuery(r.URL.RawQuery),
			Status:     cw.Status(),
			DurationMS: float64(time.Since(start).Microseconds()) / 1000,
			App:        identity.UnverifiedAppID(r.Header.Get("Authorization")),
			BytesIn:    r.ContentLength,
			BytesOut:   cw.Len(),
			RequestID:  w.Header().Get("request-id"),
			RetryAfter: w.Header().Get("Retry-After"),
		})
	})
}

// redactQuery removes values of secret-bearing parameters.
func redactQuery(q string) string {
	if q == "" {
		return ""
	}
	v, err := url.ParseQuery(q)
	if err != nil {
		return "(unparsable)"
	}
	for k := range v {
		switch strings.ToLower(k) {
		case "authtoken", "client_secret", "access_token", "code":
			v[k] = []string{"REDACTED"}
		}
	}
	s, _ := url.QueryUnescape(v.Encode())
	return s
}
