package graphemu

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/target/graphemu/identity"
	"github.com/migrate-tool/migrate/target/graphemu/internal/ids"
	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// Upload session limits: 3 MB to 150 MB per file.
// https://learn.microsoft.com/graph/api/attachment-createuploadsession
// ("Use this approach to attach a file if the file size is between 3 MB
// and 150 MB") and https://learn.microsoft.com/graph/outlook-large-attachments
// (ErrorAttachmentSizeShouldNotBeLessThanMinimumSize "when attempting to
// create an upload session to attach a file smaller than 3 MB").
//
// Microsoft does not say which unit "3 MB" is in, and the two readings
// differ where it matters: a file of 3 MiB less a few hundred bytes is
// more than 4 MiB (MaxRequestSize) once base64-encoded in a POST, so if
// sessions began at 3 MiB such a file could be attached neither way. The
// emulator reads 3 MB as 3,000,000 bytes, the strictest minimum that
// leaves no such gap (the base64 of 3,000,000 bytes is 4,000,000 bytes);
// Exchange itself was measured to accept sessions from 2 MiB
// (https://github.com/microsoftgraph/msgraph-sdk-java/pull/52, comment of
// 2020-08-20: "Minimum UploadSession byte size is exactly 2097152 bytes").
const (
	minUploadSize     = 3_000_000
	maxUploadSize     = 150 << 20
	uploadSessionLife = 2 * time.Hour
)

const fileAttachmentType = "#microsoft.graph.fileAttachment"

// attachmentView renders attachment metadata; contentBytes only for
// attachments small enough to be held in memory (a large one's bytes are
// served by GET .../attachments/{id} and $value, streamed).
func (e *Emulator) attachmentView(rq *req, it *item, a *attachment, withBytes bool) map[string]any {
	v := map[string]any{
		"@odata.type":             fileAttachmentType,
		"@odata.mediaContentType": a.ContentType,
		"id":                      a.ID,
		"lastModifiedDateTime":    graphTime(a.Modified),
		"name":                    a.Name,
		"contentType":             a.ContentType,
		"size":                    a.Size,
		"isInline":                a.IsInline,
		"contentId":               nilIfEmpty(a.ContentID),
		"contentLocation":         nil,
	}
	if withBytes && a.Blob == "" {
		v["contentBytes"] = base64.StdEncoding.EncodeToString(a.Data)
	}
	return v
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (e *Emulator) attachmentViews(rq *req, it *item) []any {
	out := make([]any, 0, len(it.Attachments))
	for _, a := range it.Attachments {
		out = append(out, e.attachmentView(rq, it, a, true))
	}
	return out
}

// newAttachment stores data as an attachment (in a blob above the
// in-memory threshold).
func (e *Emulator) newAttachment(name, contentType string, data []byte, inline bool, contentID string) (*attachment, *odata.Problem) {
	a := &attachment{ID: newGraphID("AAMkAD"), Name: name, ContentType: contentType, Size: int64(len(data)), IsInline: inline,
		ContentID: contentID, Modified: time.Now().UTC()}
	if a.ContentType == "" {
		a.ContentType = "application/octet-stream"
	}
	sum := sha256.Sum256(data)
	a.SHA256 = hex.EncodeToString(sum[:])
	if len(data) > blobThreshold {
		blob, _, _, err := e.store.writeBlob(bytes.NewReader(data))
		if err != nil {
			return nil, odata.NewProblem(500, "generalException", "The emulator could not store the attachment.")
		}
		a.Blob = blob
	} else {
		a.Data = append([]byte(nil), data...)
	}
	return a, nil
}

type attachmentIn struct {
	ODataType    string  `json:"@odata.type"`
	Name         string  `json:"name"`
	ContentType  string  `json:"contentType"`
	ContentBytes *string `json:"contentBytes"`
	IsInline     bool    `json:"isInline"`
	ContentID    string  `json:"contentId"`
}

func (e *Emulator) attachmentFromJSON(in attachmentIn) (*attachment, *odata.Problem) {
	if !strings.EqualFold(strings.TrimPrefix(in.ODataType, "#"), strings.TrimPrefix(fileAttachmentType, "#")) {
		if in.ODataType == "" {
			return nil, odata.BadRequest("ErrorInvalidRequest", "The attachment must specify @odata.type.")
		}
		return nil, odata.NewProblem(400, "notSupported", fmt.Sprintf("The emulator models only fileAttachment, not '%s'.", in.ODataType))
	}
	if in.ContentBytes == nil {
		return nil, odata.BadRequest("ErrorInvalidRequest", "The contentBytes property of the file attachment is required.")
	}
	data, err := base64.StdEncoding.DecodeString(*in.ContentBytes)
	if err != nil {
		return nil, odata.BadRequest("RequestBodyRead", "The contentBytes property is not valid base64.")
	}
	if in.Name == "" {
		return nil, odata.BadRequest("ErrorInvalidRequest", "The name property of the file attachment is required.")
	}
	return e.newAttachment(in.Name, in.ContentType, data, in.IsInline, in.ContentID)
}

func (e *Emulator) decodeAttachments(raw json.RawMessage) ([]*attachment, *odata.Problem) {
	var ins []attachmentIn
	if err := json.Unmarshal(raw, &ins); err != nil {
		return nil, odata.BadRequest("RequestBodyRead", "Cannot read attachments: %v", err)
	}
	var out []*attachment
	for _, in := range ins {
		a, err := e.attachmentFromJSON(in)
		if err != nil {
			for _, x := range out {
				e.store.removeBlob(x.Blob)
			}
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// canAttach tells whether attachments may be added to it: a non-draft
// message only when the emulator option allows it (Microsoft does not
// document whether Exchange accepts that).
func (e *Emulator) canAttach(rq *req, it *item) *odata.Problem {
	if it.Kind == kindMail && !it.IsDraft && !e.attachmentsOnNonDraft(rq.mb) {
		return odata.NewProblem(400, "notAllowed", "Attachments can be added only to draft messages (emulator option AttachmentsOnNonDraft is off).")
	}
	return nil
}

// routeAttachments serves .../attachments[/createUploadSession | /{id}[/$value]].
// https://learn.microsoft.com/graph/api/message-list-attachments,
// https://learn.microsoft.com/graph/api/message-post-attachments,
// https://learn.microsoft.com/graph/api/attachment-get,
// https://learn.microsoft.com/graph/api/attachment-delete.
func (e *Emulator) routeAttachments(rq *req, it *item, rest []string) {
	if len(rest) == 0 {
		switch rq.r.Method {
		case http.MethodGet:
			var views []map[string]any
			for _, a := range it.Attachments {
				views = append(views, e.attachmentView(rq, it, a, true))
			}
			e.writeList(rq, rq.base+"/v1.0/$metadata#users('"+rq.mb.ID+"')/"+itemCollName(it.Kind)+"('"+it.ID+"')/attachments", views, nil, attachmentProps, "attachment")
		case http.MethodPost:
			e.addAttachment(rq, it)
		default:
			rq.fail(methodNotAllowed())
		}
		return
	}
	if segIs(rest[0], "createUploadSession") && len(rest) == 1 {
		if rq.r.Method != http.MethodPost {
			rq.fail(methodNotAllowed())
			return
		}
		e.createUploadSession(rq, it)
		return
	}
	var a *attachment
	if cur := e.store.item(it.ID); cur != nil {
		for _, x := range cur.Attachments {
			if x.ID == rest[0] {
				a = x
			}
		}
	}
	if a == nil {
		rq.fail(idError(rest[0]))
		return
	}
	if len(rest) == 2 && rest[1] == "$value" && rq.r.Method == http.MethodGet {
		// https://learn.microsoft.com/graph/api/attachment-get ("Get the
		// raw contents of a file attachment").
		rq.w.Header().Set("Content-Type", a.ContentType)
		rq.w.Header().Set("Content-Length", strconv.FormatInt(a.Size, 10))
		rq.w.WriteHeader(http.StatusOK)
		e.copyAttachment(rq.w, a)
		return
	}
	if len(rest) != 1 {
		rq.fail(segmentNotFound(rest[1]))
		return
	}
	switch rq.r.Method {
	case http.MethodGet:
		e.writeAttachment(rq, it, a)
	case http.MethodDelete:
		e.deleteAttachment(rq, it, a)
	default:
		rq.fail(methodNotAllowed())
	}
}

func (e *Emulator) copyAttachment(w io.Writer, a *attachment) {
	if a.Blob == "" {
		_, _ = w.Write(a.Data)
		return
	}
	f, err := e.store.openBlob(a.Blob)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = io.Copy(w, f)
}

// writeAttachment writes one attachment with its contentBytes, streaming
// the base64 of a large one from its blob.
func (e *Emulator) writeAttachment(rq *req, it *item, a *attachment) {
	v := e.attachmentView(rq, it, a, true)
	v["@odata.context"] = rq.base + "/v1.0/$metadata#users('" + rq.mb.ID + "')/" + itemCollName(it.Kind) + "('" + it.ID + "')/attachments/$entity"
	out, err := odata.Select(v, rq.q.Select, attachmentProps, "attachment")
	if err != nil {
		rq.fail(err)
		return
	}
	wantBytes := len(rq.q.Select) == 0
	for _, s := range rq.q.Select {
		if strings.EqualFold(s, "contentBytes") {
			wantBytes = true
		}
	}
	if a.Blob == "" || !wantBytes {
		if !wantBytes {
			delete(out, "contentBytes")
		}
		rq.json(http.StatusOK, out)
		return
	}
	delete(out, "contentBytes")
	head, _ := json.Marshal(out)
	rq.w.Header().Set("Content-Type", odata.ContentType)
	rq.w.WriteHeader(http.StatusOK)
	_, _ = rq.w.Write(head[:len(head)-1])
	_, _ = io.WriteString(rq.w, `,"contentBytes":"`)
	enc := base64.NewEncoder(base64.StdEncoding, rq.w)
	e.copyAttachment(enc, a)
	_ = enc.Close()
	_, _ = io.WriteString(rq.w, "\"}\n")
}

// addAttachment serves POST .../attachments: 201 and the attachment. The
// request is limited to 4 MB, so attachments must be under 3 MB.
// https://learn.microsoft.com/graph/api/message-post-attachments,
// https://learn.microsoft.com/graph/api/event-post-attachments.
func (e *Emulator) addAttachment(rq *req, it *item) {
	raw, aerr := readJSONObject(rq)
	if aerr != nil {
		rq.fail(aerr)
		return
	}
	if raw, aerr = checkObject(raw, attachmentSchema); aerr != nil {
		rq.fail(aerr)
		return
	}
	b, _ := json.Marshal(raw)
	var in attachmentIn
	if err := json.Unmarshal(b, &in); err != nil {
		rq.fail(odata.BadRequest("RequestBodyRead", "Cannot read the attachment: %v", err))
		return
	}
	if err := e.canAttach(rq, it); err != nil {
		rq.fail(err)
		return
	}
	a, aerr := e.attachmentFromJSON(in)
	if aerr != nil {
		rq.fail(aerr)
		return
	}
	if aerr := e.attach(rq, it.ID, a); aerr != nil {
		e.store.removeBlob(a.Blob)
		rq.fail(aerr)
		return
	}
	v := e.attachmentView(rq, it, a, true)
	v["@odata.context"] = rq.base + "/v1.0/$metadata#users('" + rq.mb.ID + "')/" + itemCollName(it.Kind) + "('" + it.ID + "')/attachments/$entity"
	rq.json(http.StatusCreated, v)
}

// attach adds a to the item, enforcing the maximum message size.
func (e *Emulator) attach(rq *req, itemID string, a *attachment) *odata.Problem {
	_, p := e.store.updateItem(itemID, "save the attachment", func(_, n *item) *odata.Problem {
		n.Attachments = append(n.Attachments, a)
		if n.Kind == kindMail && messageSize(n) > e.maxMessageSize(rq.mb) {
			return errMessageTooBig()
		}
		return nil
	})
	return p
}

func (e *Emulator) deleteAttachment(rq *req, it *item, a *attachment) {
	if _, p := e.store.updateItem(it.ID, "delete the attachment", func(cur, n *item) *odata.Problem {
		n.Attachments = n.Attachments[:0]
		for _, x := range cur.Attachments {
			if x.ID != a.ID {
				n.Attachments = append(n.Attachments, x)
			}
		}
		return nil
	}); p != nil {
		rq.fail(p)
		return
	}
	rq.w.WriteHeader(http.StatusNoContent)
}

// createUploadSession serves POST .../attachments/createUploadSession.
// https://learn.microsoft.com/graph/api/attachment-createuploadsession and
// https://learn.microsoft.com/graph/outlook-large-attachments: 201 Created
// with uploadUrl, expirationDateTime and nextExpectedRanges ["0-"]; files
// under 3 MB (minUploadSize) get
// ErrorAttachmentSizeShouldNotBeLessThanMinimumSize. The body is the
// AttachmentItem parameter (readAttachmentItem).
func (e *Emulator) createUploadSession(rq *req, it *item) {
	raw, aerr := readJSONObject(rq)
	if aerr != nil {
		rq.fail(aerr)
		return
	}
	ai, aerr := readAttachmentItem(raw)
	if aerr != nil {
		rq.fail(aerr)
		return
	}
	if !strings.EqualFold(ai.AttachmentType, "file") {
		rq.fail(odata.NewProblem(400, "notSupported", fmt.Sprintf("The emulator models only file upload sessions, not '%s'.", ai.AttachmentType)))
		return
	}
	if ai.Name == "" {
		rq.fail(odata.BadRequest("ErrorInvalidRequest", "The name of the attachment item is required."))
		return
	}
	if *ai.Size < minUploadSize {
		rq.fail(odata.BadRequest("ErrorAttachmentSizeShouldNotBeLessThanMinimumSize", "Attachment size must be greater than the minimum size."))
		return
	}
	if *ai.Size > maxUploadSize {
		rq.fail(odata.BadRequest("ErrorAttachmentSizeShouldNotBeGreaterThanMaximumSize", "Attachment size must be less than the maximum size of 150 MB."))
		return
	}
	if err := e.canAttach(rq, it); err != nil {
		rq.fail(err)
		return
	}
	blob, _, _, err := e.store.writeBlob(strings.NewReader(""))
	if err != nil {
		rq.fail(odata.NewProblem(500, "generalException", "The emulator could not create the upload session."))
		return
	}
	app := ""
	if p := identity.PrincipalFrom(rq.r.Context()); p != nil {
		app = p.AppID
	}
	sess := &uploadSession{ID: newGraphID("AAMkAD"), Token: ids.RandomHex(24), App: app, Mailbox: rq.mb.ID, ItemID: it.ID,
		Name: ai.Name, ContentType: ai.ContentType, IsInline: ai.IsInline, ContentID: ai.ContentID, Size: *ai.Size,
		Blob: blob, Expires: time.Now().UTC().Add(uploadSessionLife)}
	if sess.ContentType == "" {
		sess.ContentType = "application/octet-stream"
	}
	if err := e.store.putSession(sess); err != nil {
		e.store.removeBlob(blob)
		rq.fail(errSave("create the upload session"))
		return
	}
	rq.json(http.StatusCreated, map[string]any{
		"@odata.context":     rq.base + "/v1.0/$metadata#microsoft.graph.uploadSession",
		"uploadUrl":          e.uploadURL(rq.r, sess, it),
		"expirationDateTime": sess.Expires.Format("2006-01-02T15:04:05.0000000Z"),
		"nextExpectedRanges": []string{"0-"},
	})
}

// attachmentItemIn is the AttachmentItem parameter of createUploadSession.
type attachmentItemIn struct {
	AttachmentType string `json:"attachmentType"`
	Name           string `json:"name"`
	Size           *int64 `json:"size"`
	ContentType    string `json:"contentType"`
	IsInline       bool   `json:"isInline"`
	ContentID      string `json:"contentId"`
}

// readAttachmentItem reads the body of createUploadSession: one
// parameter, AttachmentItem (the documented samples spell it
// AttachmentItem and attachmentItem), an attachmentItem whose
// attachmentType, name and size are required.
// https://learn.microsoft.com/graph/api/attachment-createuploadsession,
// https://learn.microsoft.com/graph/api/resources/attachmentitem.
func readAttachmentItem(raw map[string]json.RawMessage) (*attachmentItemIn, *odata.Problem) {
	var item json.RawMessage
	for k, v := range raw {
		if strings.HasPrefix(k, "@") {
			continue
		}
		if !strings.EqualFold(k, "attachmentItem") {
			return nil, odata.BadRequest("RequestBodyRead", "The parameter '%s' in the request payload is not a valid parameter for the operation 'createUploadSession'.", k)
		}
		item = v
	}
	if item == nil || isNull(item) {
		return nil, odata.BadRequest("ErrorInvalidRequest", "The AttachmentItem parameter is required.")
	}
	nv, aerr := checkValue(item, pObj(attachmentItemSchema), "AttachmentItem")
	if aerr != nil {
		return nil, aerr
	}
	var ai attachmentItemIn
	if err := json.Unmarshal(nv, &ai); err != nil {
		return nil, odata.BadRequest("RequestBodyRead", "Cannot read the AttachmentItem parameter: %v", err)
	}
	switch {
	case ai.AttachmentType == "":
		return nil, odata.BadRequest("ErrorInvalidRequest", "The attachmentType of the attachment item is required.")
	case ai.Size == nil:
		return nil, odata.BadRequest("ErrorInvalidRequest", "The size of the attachment item is required.")
	}
	return &ai, nil
}

// uploadURL is the pre-authenticated URL of a session, shaped like
// Outlook's (https://outlook.office.com/api/v2.0/Users('...')/Messages('...')/AttachmentSessions('...')?authtoken=...),
// on the other loopback host (see otherLoopbackHost).
func (e *Emulator) uploadURL(r *http.Request, s *uploadSession, it *item) string {
	scheme, host := otherLoopbackHost(r)
	coll := "Messages"
	if it.Kind == kindCalendar {
		coll = "Events"
	}
	return fmt.Sprintf("%s://%s/api/v2.0/Users('%s@%s')/%s('%s')/AttachmentSessions('%s')?authtoken=%s",
		scheme, host, s.Mailbox, e.ident.TenantID(), coll, url.PathEscape(it.ID), url.PathEscape(s.ID), s.Token)
}

// otherLoopbackHost returns the scheme and the host of the pre-authenticated
// URLs Graph hands out on other domains (Outlook's upload URLs, the
// reports' download URLs): the other loopback name than the request used
// (127.0.0.1 <-> localhost), so that a client which attaches its bearer
// token only to the Graph host behaves as it does against Microsoft's
// separate domains.
func otherLoopbackHost(r *http.Request) (scheme, host string) {
	host = r.Host
	if h, port, ok := strings.Cut(host, ":"); ok {
		switch h {
		case "127.0.0.1":
			host = "localhost:" + port
		case "localhost":
			host = "127.0.0.1:" + port
		}
	}
	scheme = "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme, host
}

var uploadPathRE = regexp.MustCompile(`^/api/v2\.0/Users\('([^']*)'\)/(Messages|Events)\('([^']*)'\)/AttachmentSessions\('([^']*)'\)$`)

func parseUploadPath(escaped string) (itemID, sessionID string, err error) {
	p, uerr := url.PathUnescape(escaped)
	if uerr != nil {
		return "", "", errBadUploadPath
	}
	m := uploadPathRE.FindStringSubmatch(p)
	if m == nil {
		return "", "", errBadUploadPath
	}
	return m[3], m[4], nil
}

var contentRangeRE = regexp.MustCompile(`^bytes (\d+)-(\d+)/(\d+)$`)

// serveUpload serves the upload URL: PUT byte ranges in order, each with
// Content-Range, without an Authorization header; 200 with
// nextExpectedRanges until the last range, then 201 Created with a
// Location header and no body. DELETE cancels the session (204). GET is
// not documented for Outlook's upload URLs: 405 unless
// Options.UploadStatusGET.
// https://learn.microsoft.com/graph/outlook-large-attachments (steps 2 and
// 3, "Cancel the upload session").
func (e *Emulator) serveUpload(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, msg string) { odata.WriteError(w, r, status, code, msg) }
	_, sid, err := parseUploadPath(r.URL.EscapedPath())
	if err != nil {
		fail(http.StatusNotFound, "ErrorItemNotFound", "The upload session was not found.")
		return
	}
	s := e.store
	sess := s.session(sid)
	if sess == nil {
		fail(http.StatusNotFound, "ErrorItemNotFound", "The upload session was not found.")
		return
	}
	sessCopy := *sess
	tok := r.URL.Query().Get("authtoken")
	if subtle.ConstantTimeCompare([]byte(tok), []byte(sessCopy.Token)) != 1 {
		fail(http.StatusUnauthorized, "InvalidAuthenticationToken", "The authtoken of the upload URL is not valid.")
		return
	}
	if time.Now().After(sessCopy.Expires) {
		fail(http.StatusUnauthorized, "InvalidAuthenticationToken", "The upload session has expired.")
		return
	}
	if r.Header.Get("Authorization") != "" {
		// "Do not specify an Authorization request header."
		fail(http.StatusUnauthorized, "InvalidAuthenticationToken", "The upload URL is pre-authenticated; do not send an Authorization header.")
		return
	}
	switch r.Method {
	case http.MethodDelete:
		_ = s.deleteSession(sid)
		s.removeBlob(sessCopy.Blob)
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodGet:
		if !e.opts.UploadStatusGET {
			fail(http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request target (an upload URL takes PUT and DELETE; emulator option UploadStatusGET).")
			return
		}
		odata.RequestID(w)
		odata.WriteJSON(w, http.StatusOK, map[string]any{
			"expirationDateTime": sessCopy.Expires.Format("2006-01-02T15:04:05.0000000Z"),
			"nextExpectedRanges": []string{strconv.FormatInt(sessCopy.Next, 10)},
		})
		return
	case http.MethodPut:
	default:
		fail(http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
		return
	}
	if aerr := e.decodeContentEncoding(r); aerr != nil {
		aerr.Write(w, r)
		return
	}
	m := contentRangeRE.FindStringSubmatch(r.Header.Get("Content-Range"))
	if m == nil {
		fail(http.StatusBadRequest, "invalidRequest", "The Content-Range header is missing or not of the form 'bytes {start}-{end}/{total}'.")
		return
	}
	start, _ := strconv.ParseInt(m[1], 10, 64)
	end, _ := strconv.ParseInt(m[2], 10, 64)
	total, _ := strconv.ParseInt(m[3], 10, 64)
	n := end - start + 1
	switch {
	case total != sessCopy.Size:
		fail(http.StatusBadRequest, "invalidRange", "Declared total size for this fragment is different from that of the upload session.")
		return
	case end < start || end >= total:
		fail(http.StatusRequestedRangeNotSatisfiable, "invalidRange", "The specified byte range is invalid or unavailable.")
		return
	case start < sessCopy.Next:
		fail(http.StatusRequestedRangeNotSatisfiable, "invalidRange", "Uploaded fragment overlaps with existing data.")
		return
	case start > sessCopy.Next:
		fail(http.StatusRequestedRangeNotSatisfiable, "invalidRange", "Uploaded fragment is out of order.")
		return
	case n > MaxRequestSize:
		fail(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The maximum request length supported is 4MB.")
		return
	case r.ContentLength >= 0 && r.ContentLength != n:
		fail(http.StatusBadRequest, "invalidRequest", "The Content-Length does not match the Content-Range.")
		return
	}
	mb := s.mailbox(sessCopy.Mailbox)
	it := s.item(sessCopy.ItemID)
	var size int64
	if it != nil {
		size = messageSize(it)
	}
	if it == nil {
		fail(http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		return
	}
	if it.Kind == kindMail && mb != nil && size+end+1 > e.maxMessageSize(mb) {
		fail(http.StatusRequestEntityTooLarge, "ErrorMessageSizeExceeded", "The message exceeds the maximum supported size.")
		return
	}
	// Stream the range to the session's blob at its offset.
	f, ferr := os.OpenFile(s.blobPath(sessCopy.Blob), os.O_WRONLY, 0)
	if ferr != nil {
		fail(http.StatusInternalServerError, "generalException", "The emulator could not open the upload.")
		return
	}
	_ = f.Truncate(start)
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		f.Close()
		fail(http.StatusInternalServerError, "generalException", "The emulator could not write the upload.")
		return
	}
	got, cerr := io.Copy(f, io.LimitReader(r.Body, n))
	if cerr == nil && s.persistent {
		cerr = f.Sync()
	}
	f.Close()
	if cerr != nil || got != n {
		fail(http.StatusBadRequest, "invalidRequest", "The request body is shorter than its Content-Range.")
		return
	}
	var ns uploadSession
	var ni *item
	var a *attachment
	if p := s.write(func() *odata.Problem {
		cur := s.sessions[sid]
		if cur == nil || cur.Next != start {
			return odata.NewProblem(http.StatusRequestedRangeNotSatisfiable, "invalidRange", "Uploaded fragment overlaps with existing data.")
		}
		ns = *cur
		ns.Next = end + 1
		if ns.Next < ns.Size {
			_ = s.commit(&record{Op: "session", Session: &ns})
			return nil
		}
		// Last range: attach the file to the item.
		var p *odata.Problem
		ni, p = s.changeItem(ns.ItemID, "save the attachment", func(_, n *item) *odata.Problem {
			sum, err := fileSHA256(s.blobPath(ns.Blob))
			if err != nil {
				return odata.NewProblem(http.StatusInternalServerError, "generalException", "The emulator could not read the upload.")
			}
			a = &attachment{ID: newGraphID("AAMkAD"), Name: ns.Name, ContentType: ns.ContentType, Size: ns.Size, IsInline: ns.IsInline,
				ContentID: ns.ContentID, Modified: time.Now().UTC(), Blob: ns.Blob, SHA256: sum}
			n.Attachments = append(n.Attachments, a)
			return nil
		})
		if p != nil {
			return p
		}
		_ = s.commit(&record{Op: "del-session", ID: sid})
		return nil
	}); p != nil {
		p.Write(w, r)
		return
	}
	if ni == nil {
		writeSessionStatus(w, r, &ns, http.StatusOK)
		return
	}
	coll := "Messages"
	if ni.Kind == kindCalendar {
		coll = "Events"
	}
	w.Header().Set("Location", fmt.Sprintf("%s/api/v2.0/Users('%s@%s')/%s('%s')/Attachments('%s')",
		odata.BaseURL(r), ns.Mailbox, e.ident.TenantID(), coll, ni.ID, a.ID))
	w.Header().Set("Content-Length", "0")
	odata.RequestID(w)
	w.WriteHeader(http.StatusCreated)
}

// writeSessionStatus answers a PUT that did not complete the file: 200
// with the session's expiration and the next byte expected, shaped as
// Outlook's example response (ExpirationDateTime capitalized, one
// "{start}" value in nextExpectedRanges).
// https://learn.microsoft.com/graph/outlook-large-attachments (step 2).
func writeSessionStatus(w http.ResponseWriter, r *http.Request, s *uploadSession, status int) {
	odata.RequestID(w)
	odata.WriteJSON(w, status, map[string]any{
		"@odata.context":     odata.BaseURL(r) + "/api/v2.0/$metadata#Users('" + s.Mailbox + "')/AttachmentSessions/$entity",
		"ExpirationDateTime": s.Expires.Format("2006-01-02T15:04:05.0000000Z"),
		"nextExpectedRanges": []string{strconv.FormatInt(s.Next, 10)},
	})
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
