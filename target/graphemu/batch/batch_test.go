package batch

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/migrate-tool/migrate/target/graphemu/odata"
	"github.com/migrate-tool/migrate/target/graphemu/throttle"
)

// echo answers every request with what it received.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.URL.Query().Get("fail") != "" {
		odata.WriteError(w, r, http.StatusInternalServerError, "generalException", "failed on purpose")
		return
	}
	odata.WriteJSON(w, http.StatusOK, map[string]string{
		"method":      r.Method,
		"path":        r.URL.Path,
		"query":       r.URL.RawQuery,
		"auth":        r.Header.Get("Authorization"),
		"contentType": r.Header.Get("Content-Type"),
		"custom":      r.Header.Get("ConsistencyLevel"),
		"body":        base64.StdEncoding.EncodeToString(body),
	})
})

func post(t *testing.T, h http.Handler, path, body string) (*httptest.ResponseRecorder, []Response) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer outer-token")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		return w, nil
	}
	var p struct {
		Responses []Response `json:"responses"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("batch body %q: %v", w.Body.String(), err)
	}
	return w, p.Responses
}

func requests(n int, format string) string {
	var rs []string
	for i := 1; i <= n; i++ {
		rs = append(rs, fmt.Sprintf(format, i))
	}
	return `{"requests":[` + strings.Join(rs, ",") + `]}`
}

type graphError struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			Date      string `json:"date"`
			RequestID string `json:"request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

func checkError(t *testing.T, status int, header http.Header, body []byte, wantStatus int, wantCode, wantMessage string) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d; body %s", status, wantStatus, body)
	}
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q", ct)
	}
	var e graphError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if e.Error.Code != wantCode || e.Error.Message != wantMessage {
		t.Fatalf("error = %q %q, want %q %q", e.Error.Code, e.Error.Message, wantCode, wantMessage)
	}
	if e.Error.InnerError.RequestID == "" || e.Error.InnerError.RequestID != header.Get("request-id") {
		t.Fatalf("innerError.request-id %q, header %q", e.Error.InnerError.RequestID, header.Get("request-id"))
	}
	if _, err := time.Parse("2006-01-02T15:04:05", e.Error.InnerError.Date); err != nil {
		t.Fatalf("innerError.date: %v", err)
	}
}

// TestSize checks the 20-request limit: 20 run, 21 is a 400 for the batch.
func TestSize(t *testing.T) {
	h := Handler(echo, nil)
	w, rs := post(t, h, "/v1.0/$batch", requests(20, `{"id":"%d","method":"GET","url":"/me"}`))
	if w.Code != http.StatusOK || len(rs) != 20 {
		t.Fatalf("20 requests: status %d, %d responses", w.Code, len(rs))
	}
	w, _ = post(t, h, "/v1.0/$batch", requests(21, `{"id":"%d","method":"GET","url":"/me"}`))
	checkError(t, w.Code, w.Header(), w.Body.Bytes(), http.StatusBadRequest, "BadRequest", MessageTooMany)

	small := Handler(echo, &Options{MaxRequests: 2})
	w, _ = post(t, small, "/v1.0/$batch", requests(3, `{"id":"%d","method":"GET","url":"/me"}`))
	checkError(t, w.Code, w.Header(), w.Body.Bytes(), http.StatusBadRequest, "BadRequest", MessageTooMany)
}

// TestValidation checks the batches answered 400 as a whole.
func TestValidation(t *testing.T) {
	tests := []struct {
		name, body, message string
	}{
		{"not JSON", `{"requests":`, MessageInvalid},
		{"no requests", `{}`, MessageInvalid},
		{"empty requests", `{"requests":[]}`, MessageInvalid},
		{"requests not an array", `{"requests":{}}`, MessageInvalid},
		{"trailing data", `{"requests":[{"id":"1","method":"GET","url":"/me"}]} {}`, MessageInvalid},
		{"missing id", `{"requests":[{"method":"GET","url":"/me"}]}`, MessageInvalid},
		{"numeric id", `{"requests":[{"id":1,"method":"GET","url":"/me"}]}`, MessageInvalid},
		{"missing method", `{"requests":[{"id":"1","url":"/me"}]}`, MessageInvalid},
		{"unknown method", `{"requests":[{"id":"1","method":"FETCH","url":"/me"}]}`, MessageInvalid},
		{"missing url", `{"requests":[{"id":"1","method":"GET"}]}`, MessageInvalid},
		{"duplicate id", `{"requests":[{"id":"1","method":"GET","url":"/me"},{"id":"1","method":"GET","url":"/me"}]}`, "Request Id 1 has to be unique in a batch."},
		{"duplicate id in other case", `{"requests":[{"id":"AAMk-1","method":"GET","url":"/me"},{"id":"aamk-1","method":"GET","url":"/me"}]}`, "Request Id aamk-1 has to be unique in a batch."},
		{"unknown dependency", `{"requests":[{"id":"1","method":"GET","url":"/me"},{"id":"2","dependsOn":["9"],"method":"GET","url":"/me"}]}`, "Invalid dependency for request Id 2."},
		{"forward dependency", `{"requests":[{"id":"1","dependsOn":["2"],"method":"GET","url":"/me"},{"id":"2","method":"GET","url":"/me"}]}`, "Invalid dependency for request Id 1."},
		{"self dependency", `{"requests":[{"id":"1","dependsOn":["1"],"method":"GET","url":"/me"}]}`, "Invalid dependency for request Id 1."},
		{"circular dependency", `{"requests":[{"id":"1","dependsOn":["2"],"method":"GET","url":"/me"},{"id":"2","dependsOn":["1"],"method":"GET","url":"/me"}]}`, "Invalid dependency for request Id 1."},
		{"mixed parallel and sequential", `{"requests":[{"id":"1","method":"GET","url":"/me"},{"id":"3","method":"GET","url":"/me"},{"id":"2","dependsOn":["1"],"method":"GET","url":"/me"}]}`, MessageMixed},
		{"body without Content-Type", `{"requests":[{"id":"1","method":"POST","url":"/me/messages","body":{"subject":"x"}}]}`, "Request Id 1 has a body but no Content-Type header."},
		{"body not base64", `{"requests":[{"id":"1","method":"PUT","url":"/me/photo/$value","headers":{"Content-Type":"image/png"},"body":"not base64!"}]}`, "Request Id 1 has a body that is not base64 for Content-Type image/png."},
		{"absolute url", `{"requests":[{"id":"1","method":"GET","url":"https://graph.microsoft.com/v1.0/me"}]}`, "Request Id 1 must use a URL relative to the batch URL."},
		{"nested batch", `{"requests":[{"id":"1","method":"POST","url":"/$batch","headers":{"Content-Type":"application/json"},"body":{"requests":[]}}]}`, "Request Id 1 is a nested batch request, which is not supported."},
	}
	h := Handler(echo, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _ := post(t, h, "/v1.0/$batch", tt.body)
			checkError(t, w.Code, w.Header(), w.Body.Bytes(), http.StatusBadRequest, "BadRequest", tt.message)
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/v1.0/$batch", nil)
	w := httptest.NewRecorder()
	Handler(echo, nil).ServeHTTP(w, r)
	checkError(t, w.Code, w.Header(), w.Body.Bytes(), http.StatusMethodNotAllowed, "BadRequest", messageMethodNotAllow)
	if got := w.Header().Get("Allow"); got != http.MethodPost {
		t.Fatalf("Allow = %q", got)
	}
}

// TestInnerRequests checks how each request reaches the inner handler.
func TestInnerRequests(t *testing.T) {
	png := []byte{0x89, 'P', 'N', 'G', 0, 1, 2, 0xff}
	body := `{"requests":[
		{"id":"1","method":"GET","url":"/me/messages?$top=5"},
		{"id":"2","method":"get","url":"users?$filter=city eq null","headers":{"ConsistencyLevel":"eventual"}},
		{"id":"3","method":"PATCH","url":"/me","headers":{"Content-Type":"application/json","Authorization":"Bearer inner"},"body":{"city":"Redmond"}},
		{"id":"4","method":"PUT","url":"/me/photo/$value","headers":{"content-type":"image/png"},"body":"` + base64.StdEncoding.EncodeToString(png) + `"},
		{"id":"5","method":"PUT","url":"/me/photo/$value","headers":{"Content-Type":"image/png"},"body":"` + base64.RawURLEncoding.EncodeToString(png) + `"}
	]}`
	tests := []struct {
		batchPath, base string
	}{
		{"/v1.0/$batch", "/v1.0"},
		{"/beta/$batch", "/beta"},
		{"/$batch", "/v1.0"},
	}
	for _, tt := range tests {
		t.Run(tt.batchPath, func(t *testing.T) {
			w, rs := post(t, Handler(echo, nil), tt.batchPath, body)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			got := map[string]map[string]string{}
			for _, r := range rs {
				if r.Status != http.StatusOK {
					t.Fatalf("response %s: status %d", r.ID, r.Status)
				}
				var e map[string]string
				if err := json.Unmarshal(r.Body, &e); err != nil {
					t.Fatalf("response %s body %s: %v", r.ID, r.Body, err)
				}
				got[r.ID] = e
			}
			b := tt.base
			want := map[string]map[string]string{
				"1": {"method": "GET", "path": b + "/me/messages", "query": "$top=5", "auth": "Bearer outer-token"},
				"2": {"method": "GET", "path": b + "/users", "query": "$filter=city%20eq%20null", "auth": "Bearer outer-token", "custom": "eventual"},
				"3": {"method": "PATCH", "path": b + "/me", "auth": "Bearer outer-token", "contentType": "application/json", "body": b64(`{"city":"Redmond"}`)},
				"4": {"method": "PUT", "path": b + "/me/photo/$value", "auth": "Bearer outer-token", "contentType": "image/png", "body": b64(string(png))},
				"5": {"method": "PUT", "path": b + "/me/photo/$value", "auth": "Bearer outer-token", "contentType": "image/png", "body": b64(string(png))},
			}
			for _, m := range want {
				for _, k := range []string{"method", "path", "query", "auth", "contentType", "custom", "body"} {
					if _, ok := m[k]; !ok {
						m[k] = ""
					}
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("inner requests (-want +got):\n%s", diff)
			}
		})
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestDependsOn checks sequencing and 424 Failed Dependency down a chain.
func TestDependsOn(t *testing.T) {
	var mu sync.Mutex
	var order []string
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		order = append(order, r.URL.Query().Get("n"))
		mu.Unlock()
		echo.ServeHTTP(w, r)
	}), nil)
	tests := []struct {
		name      string
		body      string
		wantOrder []string
		want      map[string]int
	}{
		{
			name: "documented order 1, 2, 4, 3",
			body: `{"requests":[
				{"id":"1","method":"GET","url":"/me?n=1"},
				{"id":"2","dependsOn":["1"],"method":"GET","url":"/me?n=2"},
				{"id":"4","dependsOn":["2"],"method":"GET","url":"/me?n=4"},
				{"id":"3","dependsOn":["4"],"method":"GET","url":"/me?n=3"}]}`,
			wantOrder: []string{"1", "2", "4", "3"},
			want:      map[string]int{"1": 200, "2": 200, "4": 200, "3": 200},
		},
		{
			name: "failure propagates",
			body: `{"requests":[
				{"id":"1","method":"GET","url":"/me?n=1"},
				{"id":"2","dependsOn":["1"],"method":"GET","url":"/me?n=2&fail=1"},
				{"id":"3","dependsOn":["2"],"method":"GET","url":"/me?n=3"},
				{"id":"4","dependsOn":["3"],"method":"GET","url":"/me?n=4"}]}`,
			wantOrder: []string{"1", "2"},
			want:      map[string]int{"1": 200, "2": 500, "3": 424, "4": 424},
		},
		{
			name: "same dependency",
			body: `{"requests":[
				{"id":"1","method":"GET","url":"/me?n=1&fail=1"},
				{"id":"2","dependsOn":["1"],"method":"GET","url":"/me?n=2"},
				{"id":"3","dependsOn":["1"],"method":"GET","url":"/me?n=3"}]}`,
			wantOrder: []string{"1"},
			want:      map[string]int{"1": 500, "2": 424, "3": 424},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			order = nil
			w, rs := post(t, h, "/v1.0/$batch", tt.body)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			got := map[string]int{}
			for _, r := range rs {
				got[r.ID] = r.Status
				if r.Status == http.StatusFailedDependency {
					var e graphError
					if err := json.Unmarshal(r.Body, &e); err != nil || e.Error.Code != codeFailedDependency {
						t.Fatalf("424 body %s: %v", r.Body, err)
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("statuses (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantOrder, order); diff != "" {
				t.Fatalf("run order (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParallel checks that independent requests run in parallel, never more
// than MaxParallel at once.
func TestParallel(t *testing.T) {
	for _, maxPar := range []int{1, 2, 4} {
		t.Run(strconv.Itoa(maxPar), func(t *testing.T) {
			var mu sync.Mutex
			inflight, peak := 0, 0
			gate := make(chan struct{})
			var once sync.Once
			h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				inflight++
				peak = max(peak, inflight)
				if inflight == maxPar {
					once.Do(func() { close(gate) })
				}
				mu.Unlock()
				<-gate // the first requests wait until maxPar run together
				mu.Lock()
				inflight--
				mu.Unlock()
				w.WriteHeader(http.StatusNoContent)
			}), &Options{MaxParallel: maxPar})
			w, rs := post(t, h, "/v1.0/$batch", requests(20, `{"id":"%d","method":"DELETE","url":"/me/messages/%[1]d"}`))
			if w.Code != http.StatusOK || len(rs) != 20 {
				t.Fatalf("status %d, %d responses", w.Code, len(rs))
			}
			for i, r := range rs {
				if r.ID != strconv.Itoa(i+1) || r.Status != http.StatusNoContent || r.Body != nil {
					t.Fatalf("response %d = %+v", i, r)
				}
			}
			if peak != maxPar {
				t.Fatalf("peak concurrency %d, want %d", peak, maxPar)
			}
		})
	}
}

// TestThrottledInsideBatch runs the batch's requests through the throttle:
// the batch is 200 and each throttled request is 429 with its own
// Retry-After and Graph error body.
func TestThrottledInsideBatch(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l := throttle.New(throttle.Limits{Requests: 5, RequestWindow: time.Minute, Concurrent: 4}, 1).WithClock(func() time.Time { return now })
	inner := l.Middleware(func(r *http.Request) (throttle.Key, bool) {
		return throttle.Key{App: "app", Mailbox: "adele"}, true
	}, echo)
	w, rs := post(t, Handler(inner, nil), "/v1.0/$batch", requests(8, `{"id":"%d","method":"GET","url":"/users/adele/messages"}`))
	if w.Code != http.StatusOK {
		t.Fatalf("batch status %d, want 200", w.Code)
	}
	statuses := map[int]int{}
	for _, r := range rs {
		statuses[r.Status]++
		if r.Status != http.StatusTooManyRequests {
			continue
		}
		if ra, err := strconv.Atoi(r.Headers["Retry-After"]); err != nil || ra < 1 {
			t.Fatalf("response %s Retry-After %q", r.ID, r.Headers["Retry-After"])
		}
		hdr := http.Header{}
		for k, v := range r.Headers {
			hdr.Set(k, v)
		}
		checkError(t, r.Status, hdr, r.Body, http.StatusTooManyRequests, throttle.CodeRequests, throttle.MessageRequests)
	}
	if diff := cmp.Diff(map[int]int{200: 5, 429: 3}, statuses); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	if st := l.Stats()[throttle.Key{App: "app", Mailbox: "adele"}]; st.Requests != 8 || st.ThrottledConcurrency != 0 {
		t.Fatalf("Stats = %+v", st)
	}
}

// TestResponseBodies checks how inner response bodies are carried.
func TestResponseBodies(t *testing.T) {
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1.0/json":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"a":1}`)
		case "/v1.0/mime":
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "Subject: hi\r\n\r\nbody")
		case "/v1.0/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/v1.0/panic":
			panic(http.ErrAbortHandler)
		}
	}), nil)
	_, rs := post(t, h, "/v1.0/$batch", `{"requests":[
		{"id":"j","method":"GET","url":"json"},
		{"id":"m","method":"GET","url":"mime"},
		{"id":"e","method":"DELETE","url":"empty"},
		{"id":"p","method":"GET","url":"panic"}]}`)
	got := map[string]string{}
	for _, r := range rs {
		got[r.ID] = strconv.Itoa(r.Status) + " " + string(r.Body)
	}
	if got["j"] != `200 {"a":1}` || got["e"] != "204 " {
		t.Fatalf("responses %v", got)
	}
	if want := `200 "` + base64.StdEncoding.EncodeToString([]byte("Subject: hi\r\n\r\nbody")) + `"`; got["m"] != want {
		t.Fatalf("mime response %q, want %q", got["m"], want)
	}
	if !strings.HasPrefix(got["p"], "500 ") {
		t.Fatalf("panicking request %q, want 500", got["p"])
	}
}
