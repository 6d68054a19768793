package recorder

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRecorder(t *testing.T) {
	tests := []struct {
		name       string
		handler    func(w http.ResponseWriter)
		wantStatus int
		wantBody   string
	}{
		{"nothing written", func(http.ResponseWriter) {}, 200, ""},
		{"body only", func(w http.ResponseWriter) { _, _ = w.Write([]byte("hello")) }, 200, "hello"},
		{"status then body", func(w http.ResponseWriter) {
			w.Header().Set("X-A", "1")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte("made"))
		}, 201, "made"},
		{"informational status skipped", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusNoContent)
		}, 204, ""},
		{"first final status wins", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusTooManyRequests)
			w.WriteHeader(http.StatusOK)
		}, 429, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := New()
			tt.handler(mem)
			if mem.Status() != tt.wantStatus || string(mem.Body()) != tt.wantBody || mem.Len() != int64(len(tt.wantBody)) {
				t.Errorf("in memory: status %d body %q len %d; want %d %q", mem.Status(), mem.Body(), mem.Len(), tt.wantStatus, tt.wantBody)
			}
			under := httptest.NewRecorder()
			wr := Wrap(under)
			tt.handler(wr)
			wr.Flush()
			if wr.Status() != tt.wantStatus || wr.Len() != int64(len(tt.wantBody)) || under.Body.String() != tt.wantBody || wr.Body() != nil {
				t.Errorf("wrapping: status %d len %d passed %q; want %d %q", wr.Status(), wr.Len(), under.Body.String(), tt.wantStatus, tt.wantBody)
			}
			if !under.Flushed {
				t.Error("Flush not passed on")
			}
			if mem.Header().Get("X-A") != under.Header().Get("X-A") {
				t.Errorf("headers differ: %v / %v", mem.Header(), under.Header())
			}
		})
	}
}

func TestHijackThroughRecorder(t *testing.T) {
	// In memory there is no connection to take.
	if _, _, err := http.NewResponseController(New()).Hijack(); !errors.Is(err, http.ErrNotSupported) {
		t.Errorf("Hijack in memory = %v, want ErrNotSupported", err)
	}
	// Wrapping, the controller reaches the wrapped writer.
	if err := http.NewResponseController(Wrap(httptest.NewRecorder())).Flush(); err != nil {
		t.Errorf("Flush through Wrap = %v", err)
	}
}
