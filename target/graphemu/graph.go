package graphemu

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/migrate-tool/migrate/target/graphemu/identity"
	"github.com/migrate-tool/migrate/target/graphemu/odata"
	"github.com/migrate-tool/migrate/target/graphemu/throttle"
)

// Default and maximum page sizes of Outlook collections: GET messages
// returns 10 items per page by default and $top takes 1 to 1000.
// https://learn.microsoft.com/graph/api/user-list-messages ("Using query
// parameters") and https://learn.microsoft.com/graph/paging.
const (
	defaultPageSize = 10
	maxPageSize     = 1000
)

// req is one Graph request being served.
type req struct {
	w    http.ResponseWriter
	r    *http.Request
	e    *Emulator
	mb   *mailbox
	q    *odata.Query
	base string // https://host:port
	// bodyType is the body format a GET asks for ("html" by default,
	// "text" with Prefer: outlook.body-content-type="text"); "" keeps the
	// stored format (responses to POST and PATCH).
	bodyType string
}

func (rq *req) fail(err *odata.Problem) {
	err.Write(rq.w, rq.r)
}

func (rq *req) json(status int, v any) {
	odata.RequestID(rq.w)
	odata.WriteJSON(rq.w, status, v)
}

func notFoundItem() *odata.Problem {
	return odata.NewProblem(404, "ErrorItemNotFound", "The specified object was not found in the store.")
}

// segmentNotFound is Graph's answer to a path it does not know.
func segmentNotFound(seg string) *odata.Problem {
	return odata.NewProblem(400, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", seg))
}

// splitGraphPath splits the path after /v1.0 into unescaped segments and
// expands OData key syntax (users('x') becomes users, x).
func splitGraphPath(escaped string) ([]string, error) {
	p := escaped
	if i := strings.Index(strings.ToLower(p), "/v1.0"); i == 0 {
		p = p[len("/v1.0"):]
	}
	p = strings.Trim(p, "/")
	if p == "" {
		return nil, nil
	}
	var out []string
	for _, s := range strings.Split(p, "/") {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, err
		}
		if i := strings.IndexByte(u, '('); i > 0 && strings.HasSuffix(u, ")") {
			key := strings.Trim(u[i+1:len(u)-1], "'")
			out = append(out, u[:i], key)
			continue
		}
		out = append(out, u)
	}
	return out, nil
}

func segIs(s, name string) bool { return strings.EqualFold(s, name) }

// serveGraph routes /v1.0 requests.
func (e *Emulator) serveGraph(w http.ResponseWriter, r *http.Request) {
	rq := &req{w: w, r: r, e: e, base: odata.BaseURL(r)}
	odata.RequestID(w)
	w.Header().Set("OData-Version", "4.0")
	segs, err := splitGraphPath(r.URL.EscapedPath())
	if err != nil {
		rq.fail(odata.BadRequest("BadRequest", "Invalid request URL."))
		return
	}
	q, aerr := odata.ParseQuery(r.URL.Query())
	if aerr != nil {
		rq.fail(aerr)
		return
	}
	rq.q = q
	if r.Method == http.MethodGet {
		rq.bodyType = preferredBodyType(r)
	}
	if aerr := e.decodeContentEncoding(r); aerr != nil {
		rq.fail(aerr)
		return
	}
	if len(segs) == 0 {
		rq.fail(segmentNotFound("v1.0"))
		return
	}
	switch {
	case segIs(segs[0], "me"):
		// https://learn.microsoft.com/graph/auth-v2-service: app-only
		// tokens have no signed-in user.
		rq.fail(odata.BadRequest("BadRequest", "/me request is only valid with delegated authentication flow."))
		return
	case segIs(segs[0], "reports"):
		e.serveReports(rq)
		return
	case !segIs(segs[0], "users"):
		rq.fail(segmentNotFound(segs[0]))
		return
	}
	if len(segs) == 1 {
		e.listUsers(rq)
		return
	}
	rest := segs[2:]
	// Permission checks come before the mailbox lookup, as in Graph.
	if !e.authorize(rq, rest) {
		return
	}
	mb := e.store.mailbox(segs[1])
	if mb == nil {
		if len(rest) == 0 {
			rq.fail(odata.NewProblem(404, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", segs[1])))
		} else {
			rq.fail(odata.NewProblem(404, "ErrorInvalidUser", fmt.Sprintf("The requested user '%s' is invalid.", segs[1])))
		}
		return
	}
	rq.mb = mb
	if len(rest) == 0 {
		if r.Method != http.MethodGet {
			rq.fail(methodNotAllowed())
			return
		}
		e.getUser(rq)
		return
	}
	switch {
	case segIs(rest[0], "mailFolders"):
		e.routeFolders(rq, kindMail, rest[1:])
	case segIs(rest[0], "messages"):
		e.routeItems(rq, kindMail, nil, rest[1:])
	case segIs(rest[0], "contactFolders"):
		e.routeFolders(rq, kindContact, rest[1:])
	case segIs(rest[0], "contacts"):
		e.routeItems(rq, kindContact, nil, rest[1:])
	case segIs(rest[0], "calendars"):
		e.routeFolders(rq, kindCalendar, rest[1:])
	case segIs(rest[0], "calendar"):
		def := e.store.folder(e.defaultCalendarID(mb))
		if len(rest) == 1 {
			e.folderEntity(rq, def)
			return
		}
		if segIs(rest[1], "events") {
			e.routeItems(rq, kindCalendar, def, rest[2:])
			return
		}
		rq.fail(segmentNotFound(rest[1]))
	case segIs(rest[0], "events"):
		e.routeItems(rq, kindCalendar, nil, rest[1:])
	case segIs(rest[0], "outlook"):
		e.routeOutlook(rq, rest[1:])
	default:
		rq.fail(segmentNotFound(rest[0]))
	}
}

func methodNotAllowed() *odata.Problem {
	return odata.NewProblem(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
}

// authorize checks the app's permissions for the resource and method.
// Outlook resources answer 403 ErrorAccessDenied; directory resources
// answer 403 Authorization_RequestDenied.
// https://learn.microsoft.com/graph/permissions-reference and
// https://learn.microsoft.com/graph/errors (403 Forbidden).
func (e *Emulator) authorize(rq *req, rest []string) bool {
	write := rq.r.Method != http.MethodGet && rq.r.Method != http.MethodHead
	var ok bool
	switch {
	case len(rest) == 0:
		ok = identity.HasAnyRole(rq.r, PermUserReadAll, "User.ReadBasic.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
		if !ok {
			rq.fail(odata.NewProblem(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."))
			return false
		}
		return true
	case segIs(rest[0], "mailFolders"), segIs(rest[0], "messages"):
		ok = identity.HasAnyRole(rq.r, PermMailReadWrite) || (!write && identity.HasAnyRole(rq.r, PermMailRead, "Mail.ReadBasic.All"))
	case segIs(rest[0], "contactFolders"), segIs(rest[0], "contacts"):
		ok = identity.HasAnyRole(rq.r, PermContactsReadWrite) || (!write && identity.HasAnyRole(rq.r, PermContactsRead))
	case segIs(rest[0], "calendars"), segIs(rest[0], "calendar"), segIs(rest[0], "events"):
		ok = identity.HasAnyRole(rq.r, PermCalendarsReadWrite) || (!write && identity.HasAnyRole(rq.r, PermCalendarsRead))
	case segIs(rest[0], "outlook"):
		// https://learn.microsoft.com/graph/api/outlookuser-post-mastercategories:
		// MailboxSettings.ReadWrite (MailboxSettings.Read to list).
		ok = identity.HasAnyRole(rq.r, PermMailboxSettingsReadWrite) || (!write && identity.HasAnyRole(rq.r, PermMailboxSettingsRead))
	default:
		return true // unknown segment: answered by the router
	}
	if !ok {
		rq.fail(odata.NewProblem(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."))
	}
	return ok
}

// --- users ---

func (e *Emulator) userView(rq *req, m *mailbox) map[string]any {
	return map[string]any{
		"id":                m.ID,
		"userPrincipalName": m.UPN,
		"displayName":       m.DisplayName,
		"mail":              m.UPN,
		"businessPhones":    []string{},
		"givenName":         nil,
		"surname":           nil,
		"jobTitle":          nil,
		"mobilePhone":       nil,
		"officeLocation":    nil,
		"preferredLanguage": nil,
	}
}

// getUser serves GET /users/{id | userPrincipalName}.
// https://learn.microsoft.com/graph/api/user-get
func (e *Emulator) getUser(rq *req) {
	v := e.userView(rq, rq.mb)
	v["@odata.context"] = rq.base + "/v1.0/$metadata#users/$entity"
	if len(rq.q.Select) > 0 {
		sel, err := odata.Select(v, rq.q.Select, setOf("id", "userPrincipalName", "displayName", "mail", "businessPhones", "givenName", "surname", "jobTitle", "mobilePhone", "officeLocation", "preferredLanguage", "accountEnabled", "mailboxSettings"), "user")
		if err != nil {
			rq.fail(err)
			return
		}
		v = sel
	}
	rq.json(http.StatusOK, v)
}

// listUsers serves GET /users.
// https://learn.microsoft.com/graph/api/user-list
func (e *Emulator) listUsers(rq *req) {
	if rq.r.Method != http.MethodGet {
		rq.fail(methodNotAllowed())
		return
	}
	if !identity.HasAnyRole(rq.r, PermUserReadAll, "User.ReadBasic.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All") {
		rq.fail(odata.NewProblem(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."))
		return
	}
	var views []map[string]any
	e.store.read(func() {
		for _, m := range e.store.byUPN {
			views = append(views, e.userView(rq, m))
		}
	})
	odata.Sort(views, []odata.OrderBy{{Prop: "userPrincipalName"}})
	e.writeList(rq, rq.base+"/v1.0/$metadata#users", views, nil, nil, "user")
}

// --- shared collection rendering ---

// finalize applies $expand and $select to a full view. Full views carry
// singleValueExtendedProperties, multiValueExtendedProperties and
// attachments for filtering; they are only returned when expanded.
// https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-get
// ("This is currently the only way to get the
// singleValueLegacyExtendedProperty object").
func (rq *req) finalize(view map[string]any, known map[string]bool, typeName string) (map[string]any, *odata.Problem) {
	q := rq.q
	resolveLazy(view)
	if rq.bodyType != "" && (typeName == "message" || typeName == "event") {
		convertBodies(view, rq.bodyType)
	}
	special := []string{"singleValueExtendedProperties", "multiValueExtendedProperties", "attachments"}
	expanded := map[string]any{}
	for _, ex := range q.Expand {
		name := ""
		for _, s := range special {
			if strings.EqualFold(ex.Prop, s) {
				name = s
			}
		}
		if name == "" || !known[name] {
			if known[ex.Prop] {
				continue // navigation property not modelled: ignored
			}
			return nil, odata.BadRequest("BadRequest", "Parsing OData Select and Expand failed: Could not find a property named '%s' on type 'microsoft.graph.%s'.", ex.Prop, typeName)
		}
		coll, _ := view[name].([]any)
		var kept []any
		for _, el := range coll {
			obj, _ := el.(map[string]any)
			if ex.Keeps(obj, name != "attachments") {
				kept = append(kept, el)
			}
		}
		if name == "attachments" {
			if kept == nil {
				kept = []any{}
			}
			expanded[name] = kept
		} else if len(kept) > 0 {
			expanded[name] = kept
		}
	}
	for _, s := range special {
		delete(view, s)
	}
	out, err := odata.Select(view, q.Select, known, typeName)
	if err != nil {
		return nil, err
	}
	for k, v := range expanded {
		out[k] = v
	}
	return out, nil
}

// writeList filters, orders, pages and renders a collection.
// https://learn.microsoft.com/graph/paging: "@odata.nextLink" holds the
// URL of the next page; Outlook pages with $skip.
func (e *Emulator) writeList(rq *req, ctxURL string, views []map[string]any, defOrder []odata.OrderBy, known map[string]bool, typeName string) {
	q := rq.q
	var filtered []map[string]any
	for _, v := range views {
		if odata.Matches(q.Filter, v) {
			filtered = append(filtered, v)
		}
	}
	if len(q.OrderBy) > 0 {
		odata.Sort(filtered, q.OrderBy)
	} else {
		odata.Sort(filtered, defOrder)
	}
	total := len(filtered)
	top := defaultPageSize
	if q.HasTop {
		top = min(q.Top, maxPageSize)
	}
	start := min(q.Skip, total)
	end := min(start+top, total)
	page := filtered[start:end]
	out := make([]any, 0, len(page))
	for _, v := range page {
		if known != nil {
			fv, err := rq.finalize(v, known, typeName)
			if err != nil {
				rq.fail(err)
				return
			}
			v = fv
		}
		out = append(out, v)
	}
	resp := map[string]any{"@odata.context": ctxURL}
	if q.Count {
		resp["@odata.count"] = total
	}
	resp["value"] = out
	if end < total && top > 0 {
		u := *rq.r.URL
		vals := u.Query()
		for k := range vals {
			if strings.EqualFold(strings.TrimPrefix(k, "$"), "skip") {
				delete(vals, k)
			}
		}
		vals.Set("$skip", strconv.Itoa(end))
		if !q.HasTop {
			vals.Set("$top", strconv.Itoa(top))
		}
		resp["@odata.nextLink"] = rq.base + u.EscapedPath() + "?" + vals.Encode()
	}
	rq.json(http.StatusOK, resp)
}

// readBody reads a request body of at most MaxRequestSize bytes; larger
// requests get 413.
// https://learn.microsoft.com/graph/errors (413 Request Entity Too Large:
// "The request size exceeds the maximum limit") and
// https://learn.microsoft.com/graph/api/user-post-messages (4 MB).
func readBody(rq *req) ([]byte, *odata.Problem) {
	tooLarge := odata.NewProblem(413, "RequestEntityTooLarge", "The maximum request length supported is 4MB.")
	if rq.r.ContentLength > MaxRequestSize {
		return nil, tooLarge
	}
	b, over, err := readAllLimited(rq.r.Body, MaxRequestSize)
	if err != nil {
		return nil, odata.BadRequest("BadRequest", "Unable to read the request body.")
	}
	if over {
		return nil, tooLarge
	}
	return b, nil
}

// decodeContentEncoding undoes a gzip Content-Encoding of the request
// body, which Microsoft's Kiota-based SDKs send by default (their
// compression handler resends the request uncompressed after a 415); with
// Options.RefuseGzip a gzip body gets 415 instead, and other encodings
// always do.
// https://learn.microsoft.com/graph/sdks/customize-client (the SDKs'
// default middleware includes compression).
func (e *Emulator) decodeContentEncoding(r *http.Request) *odata.Problem {
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return nil
	case "gzip":
		if e.opts.RefuseGzip {
			return odata.NewProblem(415, "UnsupportedMediaType", "Content-Encoding 'gzip' is not supported (emulator option RefuseGzip).")
		}
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return odata.BadRequest("BadRequest", "The gzip request body could not be read.")
		}
		r.Body = struct {
			io.Reader
			io.Closer
		}{zr, r.Body}
		r.ContentLength = -1
		r.Header.Del("Content-Encoding")
		return nil
	default:
		return odata.NewProblem(415, "UnsupportedMediaType", fmt.Sprintf("Content-Encoding '%s' is not supported.", enc))
	}
}

// readJSONObject reads a JSON object body.
func readJSONObject(rq *req) (map[string]json.RawMessage, *odata.Problem) {
	b, err := readBody(rq)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if derr := dec.Decode(&m); derr != nil || m == nil {
		return nil, odata.BadRequest("BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
	}
	return m, nil
}

// lookupID resolves an item or folder id; an id that is not even
// base64 gets 400 ErrorInvalidIdMalformed, an unknown one 404.
func idError(id string) *odata.Problem {
	if looksLikeGraphID(id) {
		return notFoundItem()
	}
	return odata.NewProblem(400, "ErrorInvalidIdMalformed", "Id is malformed.")
}

func looksLikeGraphID(id string) bool {
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.StdEncoding, base64.RawURLEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(id); err == nil && len(b) >= 16 {
			return true
		}
	}
	return false
}

// throttleKey keys Outlook requests by app and mailbox (canonical id).
// https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits
func (e *Emulator) throttleKey(r *http.Request) (throttle.Key, bool) {
	segs, err := splitGraphPath(r.URL.EscapedPath())
	if err != nil || len(segs) < 3 || !segIs(segs[0], "users") {
		return throttle.Key{}, false
	}
	p := identity.PrincipalFrom(r.Context())
	if p == nil {
		return throttle.Key{}, false
	}
	mb := e.store.mailbox(segs[1])
	key := strings.ToLower(segs[1])
	if mb != nil {
		key = mb.ID
	}
	return throttle.Key{App: p.AppID, Mailbox: key}, true
}

// uploadThrottleKey keys upload-session PUTs from the session.
func (e *Emulator) uploadThrottleKey(r *http.Request) (throttle.Key, bool) {
	_, sid, err := parseUploadPath(r.URL.EscapedPath())
	if err != nil {
		return throttle.Key{}, false
	}
	s := e.store.session(sid)
	if s == nil {
		return throttle.Key{}, false
	}
	return throttle.Key{App: s.App, Mailbox: s.Mailbox}, true
}

var errBadUploadPath = errors.New("not an upload session path")
