// Package batch implements Microsoft Graph JSON batching (POST /$batch) for
// the Graph emulator, as documented in
// https://learn.microsoft.com/graph/json-batching and the Outlook notes of
// https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits.
//
// Modelled behaviour:
//
//   - At most 20 requests per batch (Options.MaxRequests); more is 400
//     BadRequest "Number of requests inside batch exceed the limit." (the
//     message Graph returns, captured in a public client's test fixtures).
//   - The batch is 400 when malformed and 200 otherwise; each response carries
//     its own status, headers and body ("A 200 status code on the batch
//     response does not indicate that the individual requests inside the batch
//     succeeded").
//   - id, method and url are required; ids are strings, compared without case,
//     and must be unique ("Request Id X has to be unique in a batch."); a body
//     needs a Content-Type header; a body is a JSON object (or any JSON value
//     when the Content-Type is JSON) or a base64 string for other types.
//   - urls are relative to the version of the batch URL (/v1.0/$batch runs
//     "/me" as /v1.0/me), with or without a leading slash; absolute URLs and
//     nested batches are refused (known issues: "URIs must be relative", "No
//     nested batch").
//   - dependsOn may only name earlier requests ("Invalid dependency for request
//     Id X"), which also rules out cycles; a batch that uses dependsOn must
//     use it on every request but the first ("Batch should be either fully
//     sequential or fully parallel."). A request whose dependency failed
//     (status >= 400) is not run and answers 424 Failed Dependency, and so on
//     down the chain.
//   - Independent requests run in parallel, at most 4 at once
//     (Options.MaxParallel): "the service executes up to 4 requests in
//     parallel at any point".
//   - Each inner request goes through the inner handler by itself, so it is
//     counted against the throttling limits individually ("Requests in a batch
//     are evaluated individually against throttling limits and if any request
//     exceeds the limits, it fails with a status of 429"); its Retry-After
//     header comes back in that response's headers inside the 200 batch.
//   - The batch's Authorization header is used for every inner request.
//
// Responses are returned in request order, which the documentation allows
// ("might appear in a different order").
package batch

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/migrate-tool/migrate/target/graphemu/internal/recorder"
	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// Options configures Handler; a nil *Options, or a zero field, means Graph's
// values.
type Options struct {
	MaxRequests int // requests per batch; 0 means 20
	MaxParallel int // inner requests run at once; 0 means 4
}

// Graph's documented values.
const (
	DefaultMaxRequests = 20
	DefaultMaxParallel = 4
)

// maxBatchBytes bounds how much of a batch body the emulator reads; it is a
// safety limit of the emulator, not a documented Graph value.
const maxBatchBytes = 64 << 20

// Error messages of rejected batches. The first three are the messages Graph
// returns (captured in https://github.com/bradleymarques/microslop_one_drive
// test/fixtures/batch and reported in
// https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/2339
// and https://github.com/microsoftgraph/msgraph-sdk-dotnet-core/issues/891);
// the others are the emulator's wording for rules the documentation states
// without a message.
const (
	MessageInvalid        = "Invalid batch payload format."
	MessageTooMany        = "Number of requests inside batch exceed the limit."
	MessageMixed          = "Batch should be either fully sequential or fully parallel."
	messageDuplicate      = "Request Id %s has to be unique in a batch."
	messageDependency     = "Invalid dependency for request Id %s."
	messageContentType    = "Request Id %s has a body but no Content-Type header."
	messageBase64         = "Request Id %s has a body that is not base64 for Content-Type %s."
	messageAbsolute       = "Request Id %s must use a URL relative to the batch URL."
	messageNested         = "Request Id %s is a nested batch request, which is not supported."
	messageFailedDepends  = "The request was not run because request Id %s, which it depends on, failed."
	codeBadRequest        = "BadRequest"
	codeFailedDependency  = "FailedDependency"
	codeGeneralException  = "generalException"
	messageInnerPanicked  = "The request failed inside the batch."
	messageMethodNotAllow = "The $batch endpoint accepts only POST."
)

// Request is one request of a batch, as sent.
type Request struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      json.RawMessage   `json:"body,omitempty"`
	DependsOn []string          `json:"dependsOn,omitempty"`
}

// Response is one response of a batch.
type Response struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

type payload struct {
	Requests []Request `json:"requests"`
}

// badBatch is a reason to answer the whole batch 400.
type badBatch struct{ msg string }

func (e *badBatch) Error() string { return e.msg }

func bad(format string, args ...any) error {
	return &badBatch{msg: fmt.Sprintf(format, args...)}
}

// Handler serves POST {base}/$batch: it validates the batch, then runs each
// request through inner with URL base+url, its method, headers and body and
// the batch's Authorization header, honouring dependsOn and running at most
// MaxParallel at once, and answers 200 {"responses":[...]}. base is the batch
// URL's path without "/$batch", "/v1.0" when that is empty.
func Handler(inner http.Handler, opts *Options) http.Handler {
	o := Options{MaxRequests: DefaultMaxRequests, MaxParallel: DefaultMaxParallel}
	if opts != nil {
		if opts.MaxRequests > 0 {
			o.MaxRequests = opts.MaxRequests
		}
		if opts.MaxParallel > 0 {
			o.MaxParallel = opts.MaxParallel
		}
	}
	return &handler{inner: inner, opts: o}
}

type handler struct {
	inner http.Handler
	opts  Options
}

// job is a validated request, ready to run.
type job struct {
	req  Request
	deps []int
	body []byte
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		odata.WriteError(w, r, http.StatusMethodNotAllowed, codeBadRequest, messageMethodNotAllow)
		return
	}
	jobs, err := h.parse(r)
	if err != nil {
		var b *badBatch
		if errors.As(err, &b) {
			odata.WriteError(w, r, http.StatusBadRequest, codeBadRequest, b.msg)
			return
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			odata.WriteError(w, r, http.StatusRequestEntityTooLarge, codeBadRequest, "The batch request is too large.")
			return
		}
		odata.WriteError(w, r, http.StatusBadRequest, codeBadRequest, MessageInvalid)
		return
	}
	base := strings.TrimSuffix(r.URL.Path, "/$batch")
	if base == r.URL.Path || base == "" {
		base = "/v1.0"
	}
	responses := h.run(r.Context(), r, base, jobs)
	odata.WriteJSON(w, http.StatusOK, struct {
		Responses []Response `json:"responses"`
	}{responses})
}

// parse reads and validates the batch.
func (h *handler) parse(r *http.Request) ([]job, error) {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBatchBytes))
	if err != nil {
		return nil, fmt.Errorf("read batch: %w", err)
	}
	var p payload
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&p); err != nil {
		return nil, bad(MessageInvalid)
	}
	if dec.More() || len(p.Requests) == 0 {
		return nil, bad(MessageInvalid)
	}
	if len(p.Requests) > h.opts.MaxRequests {
		return nil, bad(MessageTooMany)
	}
	index := make(map[string]int, len(p.Requests)) // lower-case id -> position
	jobs := make([]job, len(p.Requests))
	usesDepends := false
	for i, rq := range p.Requests {
		if rq.ID == "" || rq.Method == "" || rq.URL == "" || !validMethod(rq.Method) {
			return nil, bad(MessageInvalid)
		}
		id := strings.ToLower(rq.ID)
		if _, dup := index[id]; dup {
			return nil, bad(messageDuplicate, rq.ID)
		}
		index[id] = i
		if strings.Contains(rq.URL, "://") {
			return nil, bad(messageAbsolute, rq.ID)
		}
		if p, _, _ := strings.Cut(strings.TrimPrefix(rq.URL, "/"), "?"); p == "$batch" || strings.HasSuffix(p, "/$batch") {
			return nil, bad(messageNested, rq.ID)
		}
		body, err := decodeBody(rq)
		if err != nil {
			return nil, err
		}
		j := job{req: rq, body: body}
		j.req.Method = strings.ToUpper(rq.Method)
		if len(rq.DependsOn) > 0 {
			usesDepends = true
		}
		for _, d := range rq.DependsOn {
			k, ok := index[strings.ToLower(d)]
			if !ok || k >= i {
				return nil, bad(messageDependency, rq.ID)
			}
			j.deps = append(j.deps, k)
		}
		jobs[i] = j
	}
	if usesDepends {
		for _, j := range jobs[1:] {
			if len(j.deps) == 0 {
				return nil, bad(MessageMixed)
			}
		}
	}
	return jobs, nil
}

func validMethod(m string) bool {
	switch strings.ToUpper(m) {
	case http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

func header(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func isJSON(contentType string) bool {
	ct := strings.ToLower(contentType)
	return strings.Contains(ct, "/json") || strings.Contains(ct, "+json")
}

// decodeBody returns the bytes to send for rq's body: the JSON as written
// for a JSON Content-Type, otherwise the bytes of a base64 string ("a base64
// URL-encoded value for example, when the body is an image").
func decodeBody(rq Request) ([]byte, error) {
	raw := bytes.TrimSpace(rq.Body)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	ct := header(rq.Headers, "Content-Type")
	if ct == "" {
		return nil, bad(messageContentType, rq.ID)
	}
	if isJSON(ct) || raw[0] != '"' {
		return raw, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, bad(MessageInvalid)
	}
	s = strings.TrimSpace(s)
	if u, err := url.PathUnescape(s); err == nil && strings.Contains(s, "%") {
		s = u
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, bad(messageBase64, rq.ID, ct)
}

// run executes the jobs, each once its dependencies are done, at most
// MaxParallel at once, ready jobs in request order, and returns the responses
// in request order.
func (h *handler) run(ctx context.Context, outer *http.Request, base string, jobs []job) []Response {
	out := make([]Response, len(jobs))
	waiting := make([]int, len(jobs))      // unfinished dependencies per job
	dependants := make([][]int, len(jobs)) // jobs waiting on each job
	var ready []int                        // ascending request order
	for i, j := range jobs {
		waiting[i] = len(j.deps)
		for _, d := range j.deps {
			dependants[d] = append(dependants[d], i)
		}
		if waiting[i] == 0 {
			ready = append(ready, i)
		}
	}
	type result struct {
		i    int
		resp Response
	}
	results := make(chan result)
	running, finished := 0, 0
	finish := func(i int, resp Response) {
		out[i] = resp
		finished++
		for _, k := range dependants[i] {
			if waiting[k]--; waiting[k] == 0 {
				ready = insertSorted(ready, k)
			}
		}
	}
	for finished < len(jobs) {
		for running < h.opts.MaxParallel && len(ready) > 0 {
			i := ready[0]
			ready = ready[1:]
			if d, failed := failedDep(jobs[i], out); failed {
				// "If an individual request fails, any request that
				// depends on that request fails with status code 424".
				finish(i, failedDependency(jobs[i].req.ID, jobs[d].req.ID))
				continue
			}
			if ctx.Err() != nil {
				finish(i, errorResponse(jobs[i].req.ID, http.StatusServiceUnavailable, "serviceNotAvailable", "The batch was cancelled."))
				continue
			}
			running++
			go func() { results <- result{i, h.runOne(ctx, outer, base, jobs[i])} }()
		}
		if running == 0 {
			if len(ready) == 0 && finished < len(jobs) {
				// Unreachable for a validated batch (dependencies point
				// backwards); never hang on a bug.
				for i := range out {
					if out[i].Status == 0 {
						out[i] = errorResponse(jobs[i].req.ID, http.StatusInternalServerError, codeGeneralException, messageInnerPanicked)
					}
				}
				return out
			}
			continue // only jobs finished without running this round
		}
		res := <-results
		running--
		finish(res.i, res.resp)
	}
	return out
}

func failedDep(j job, out []Response) (int, bool) {
	for _, d := range j.deps {
		if out[d].Status >= 400 {
			return d, true
		}
	}
	return 0, false
}

func insertSorted(s []int, v int) []int {
	i := sort.SearchInts(s, v)
	s = append(s, 0)
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}

func failedDependency(id, dep string) Response {
	return errorResponse(id, http.StatusFailedDependency, codeFailedDependency, fmt.Sprintf(messageFailedDepends, dep))
}

func errorResponse(id string, status int, code, message string) Response {
	rec := recorder.New()
	odata.WriteError(rec, nil, status, code, message)
	return response(rec, id)
}

// runOne runs one request through the inner handler.
func (h *handler) runOne(ctx context.Context, outer *http.Request, base string, j job) (resp Response) {
	target := base + "/" + strings.TrimPrefix(j.req.URL, "/")
	target = strings.ReplaceAll(target, " ", "%20")
	req, err := http.NewRequestWithContext(ctx, j.req.Method, target, bytes.NewReader(j.body))
	if err != nil {
		return errorResponse(j.req.ID, http.StatusBadRequest, codeBadRequest, "Invalid request URL.")
	}
	req.RequestURI = target
	req.Host = outer.Host
	req.RemoteAddr = outer.RemoteAddr
	req.Proto, req.ProtoMajor, req.ProtoMinor = outer.Proto, outer.ProtoMajor, outer.ProtoMinor
	for k, v := range j.req.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Del("Authorization")
	if a := outer.Header.Get("Authorization"); a != "" {
		req.Header.Set("Authorization", a)
	}
	req.ContentLength = int64(len(j.body))
	if len(j.body) == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("Content-Length", strconv.Itoa(len(j.body)))

	rec := recorder.New()
	defer func() {
		// A panicking inner handler (http.ErrAbortHandler included, which
		// the fault injector raises for a reset it cannot do inside a
		// batch) fails this request only.
		if p := recover(); p != nil {
			resp = errorResponse(j.req.ID, http.StatusInternalServerError, codeGeneralException, messageInnerPanicked)
		}
	}()
	h.inner.ServeHTTP(rec, req)
	return response(rec, j.req.ID)
}

var skipHeaders = map[string]bool{"Content-Length": true, "Transfer-Encoding": true, "Connection": true}

// response turns the recorded answer to an inner request into its
// $batch response.
func response(r *recorder.Recorder, id string) Response {
	resp := Response{ID: id, Status: r.Status()}
	for k, v := range r.Header() {
		if skipHeaders[http.CanonicalHeaderKey(k)] || len(v) == 0 {
			continue
		}
		if resp.Headers == nil {
			resp.Headers = map[string]string{}
		}
		resp.Headers[k] = strings.Join(v, ", ")
	}
	b := r.Body()
	switch {
	case len(bytes.TrimSpace(b)) == 0:
	case isJSON(r.Header().Get("Content-Type")) && json.Valid(b):
		resp.Body = json.RawMessage(bytes.TrimSpace(b))
	default:
		enc, _ := json.Marshal(base64.StdEncoding.EncodeToString(b))
		resp.Body = enc
	}
	return resp
}
