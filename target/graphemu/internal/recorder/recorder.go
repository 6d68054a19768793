// Package recorder is the one http.ResponseWriter the Graph emulator wraps
// around its handlers: it notes a response's status and size, and either
// keeps the response in memory (the inner requests of a $batch, a response
// the fault injector cuts) or passes it on (the request log).
package recorder

import (
	"bytes"
	"net/http"
)

// Recorder is an http.ResponseWriter that notes the status and the number
// of body bytes written. Made by New it keeps the response in memory; made
// by Wrap it passes everything on to the wrapped writer.
type Recorder struct {
	next   http.ResponseWriter // nil: in memory
	header http.Header
	status int
	n      int64
	body   bytes.Buffer
}

// New returns a Recorder that keeps the response in memory.
func New() *Recorder { return &Recorder{header: http.Header{}} }

// Wrap returns a Recorder that passes the response on to w.
func Wrap(w http.ResponseWriter) *Recorder { return &Recorder{next: w} }

// Header implements http.ResponseWriter.
func (r *Recorder) Header() http.Header {
	if r.next != nil {
		return r.next.Header()
	}
	return r.header
}

// WriteHeader implements http.ResponseWriter; the first final (non-1xx)
// status is the one recorded.
func (r *Recorder) WriteHeader(status int) {
	if r.status == 0 && status >= 200 {
		r.status = status
	}
	if r.next != nil {
		r.next.WriteHeader(status)
	}
}

// Write implements http.ResponseWriter.
func (r *Recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	var n int
	var err error
	if r.next != nil {
		n, err = r.next.Write(p)
	} else {
		n, err = r.body.Write(p)
	}
	r.n += int64(n)
	return n, err
}

// Flush implements http.Flusher: it flushes the wrapped writer if it can;
// in memory there is nothing to flush.
func (r *Recorder) Flush() {
	if f, ok := r.next.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap returns the wrapped writer (nil in memory), for
// http.ResponseController.
func (r *Recorder) Unwrap() http.ResponseWriter { return r.next }

// Status is the status written, 200 when the handler wrote none.
func (r *Recorder) Status() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// Len is the number of body bytes written.
func (r *Recorder) Len() int64 { return r.n }

// Body is the body kept in memory (nil for a wrapping Recorder).
func (r *Recorder) Body() []byte { return r.body.Bytes() }
