// Package odata is the OData part of the Graph emulator: the system query
// options ($filter, $select, $expand, $orderby, $top, $skip, $count;
// ParseQuery, Matches, Sort, Select) with Exchange's comparison rules, and
// Graph's JSON error bodies and other small response shapes.
//
// Query options: https://learn.microsoft.com/graph/query-parameters and
// https://learn.microsoft.com/graph/filter-query-parameter.
//
// Error shape: https://learn.microsoft.com/graph/errors ("Errors in Microsoft
// Graph are returned using standard HTTP status codes, and a JSON error
// response object"): {"error": {"code", "message", "innerError": {"date",
// "request-id", "client-request-id"}}}.
package odata

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// ErrorBody is Graph's error response object.
type ErrorBody struct {
	Error Error `json:"error"`
}

// Error is the "error" member of a Graph error response.
type Error struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	InnerError InnerError `json:"innerError"`
}

// InnerError carries the request identifiers Graph adds to every error.
type InnerError struct {
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id,omitempty"`
}

// NewRequestID returns a random UUID-shaped request id.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// RequestID returns the request-id already set on w by the server, or a new
// one, which it sets on w.
func RequestID(w http.ResponseWriter) string {
	if id := w.Header().Get("request-id"); id != "" {
		return id
	}
	id := NewRequestID()
	w.Header().Set("request-id", id)
	return id
}

// WriteError writes a Graph error response with the given status, code and
// message. The client-request-id header of r, if any, is echoed as Graph does.
func WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	body := ErrorBody{Error: Error{
		Code:    code,
		Message: message,
		InnerError: InnerError{
			Date:      time.Now().UTC().Format("2006-01-02T15:04:05"),
			RequestID: RequestID(w),
		},
	}}
	if r != nil {
		if c := r.Header.Get("client-request-id"); c != "" {
			body.Error.InnerError.ClientRequestID = c
			w.Header().Set("client-request-id", c)
		}
	}
	WriteJSON(w, status, body)
}

// WriteRetryAfter writes a 429 or 503 error with a Retry-After header in whole
// seconds (at least 1), as Graph's throttling guidance describes:
// https://learn.microsoft.com/graph/throttling
func WriteRetryAfter(w http.ResponseWriter, r *http.Request, status int, retryAfter time.Duration, code, message string) {
	secs := int((retryAfter + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	WriteError(w, r, status, code, message)
}

// WriteJSON writes v as a JSON response with Graph's content type.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, ContentType, v)
}

// ContentType is the Content-Type of Graph's JSON responses.
const ContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

// WritePlainJSON writes v as application/json without OData's content-type
// parameters, as the identity platform and the inspection API answer.
func WritePlainJSON(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, "application/json; charset=utf-8", v)
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// BaseURL is the scheme and host a request came to (https://host:port),
// the root of the URLs a response names.
func BaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// Problem is an error answer to write: the HTTP status, Graph's error code
// and its message.
type Problem struct {
	Status        int
	Code, Message string
}

// Error returns status, code and message.
func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Code, p.Message) }

// Write writes p as Graph's error body.
func (p *Problem) Write(w http.ResponseWriter, r *http.Request) {
	WriteError(w, r, p.Status, p.Code, p.Message)
}

// BadRequest is a 400 Problem with code and a formatted message.
func BadRequest(code, format string, args ...any) *Problem {
	return NewProblem(http.StatusBadRequest, code, fmt.Sprintf(format, args...))
}

// NewProblem returns a Problem with status, code and message.
func NewProblem(status int, code, message string) *Problem {
	return &Problem{Status: status, Code: code, Message: message}
}
