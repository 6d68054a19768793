package graphemu

import (
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

func itemTypeName(kind string) (string, map[string]bool) {
	switch kind {
	case kindContact:
		return "contact", contactProps
	case kindCalendar:
		return "event", eventProps
	}
	return "message", messageProps
}

func itemCollName(kind string) string {
	switch kind {
	case kindContact:
		return "contacts"
	case kindCalendar:
		return "events"
	}
	return "messages"
}

// defaultItemFolder is where a POST without a folder creates items: Drafts
// for messages, the default Contacts folder and the default calendar.
// https://learn.microsoft.com/graph/api/user-post-messages ("By default,
// this operation saves the draft in the Drafts folder"),
// https://learn.microsoft.com/graph/api/user-post-contacts,
// https://learn.microsoft.com/graph/api/user-post-events.
func (e *Emulator) defaultItemFolder(m *mailbox, kind string) string {
	switch kind {
	case kindContact:
		return e.wellKnownID(m, kindContact, "contacts")
	case kindCalendar:
		return e.defaultCalendarID(m)
	}
	return e.wellKnownID(m, kindMail, "drafts")
}

// routeItems serves an item collection (f nil: the mailbox-wide one) and
// the items and attachments under it.
func (e *Emulator) routeItems(rq *req, kind string, f *folder, rest []string) {
	if len(rest) == 0 {
		switch rq.r.Method {
		case http.MethodGet:
			e.listItems(rq, kind, f, false)
		case http.MethodPost:
			folderID := e.defaultItemFolder(rq.mb, kind)
			if f != nil {
				folderID = f.ID
			}
			switch kind {
			case kindMail:
				e.createMessage(rq, folderID)
			case kindContact:
				e.createContact(rq, folderID)
			case kindCalendar:
				e.createEvent(rq, folderID)
			}
		default:
			rq.fail(methodNotAllowed())
		}
		return
	}
	if rest[0] == "$count" {
		e.listItems(rq, kind, f, true)
		return
	}
	it := e.store.item(rest[0])
	if it == nil || it.Mailbox != rq.mb.ID || it.Kind != kind {
		if kind == kindCalendar && e.routeInstance(rq, rest[0], rest[1:]) {
			return
		}
		rq.fail(idError(rest[0]))
		return
	}
	rest = rest[1:]
	if len(rest) == 0 {
		switch rq.r.Method {
		case http.MethodGet:
			e.writeEntity(rq, http.StatusOK, kind, "item", e.itemView(rq, it))
		case http.MethodPatch:
			switch kind {
			case kindMail:
				e.updateMessage(rq, it)
			case kindContact:
				e.updateContact(rq, it)
			case kindCalendar:
				e.updateEvent(rq, it)
			}
		case http.MethodDelete:
			e.deleteItem(rq, it)
		default:
			rq.fail(methodNotAllowed())
		}
		return
	}
	switch {
	case segIs(rest[0], "attachments") && kind != kindContact:
		e.routeAttachments(rq, it, rest[1:])
	case segIs(rest[0], "instances") && kind == kindCalendar && len(rest) == 1 && rq.r.Method == http.MethodGet:
		e.listInstances(rq, it)
	case segIs(rest[0], "photo") && kind == kindContact:
		e.routePhoto(rq, it, rest[1:])
	case rest[0] == "$value" && kind == kindMail && len(rest) == 1:
		e.messageMIME(rq, it)
	default:
		rq.fail(segmentNotFound(rest[0]))
	}
}

// itemView renders an item. It reads only the item, which is never
// changed once committed, so it needs no lock.
func (e *Emulator) itemView(rq *req, it *item) map[string]any {
	switch it.Kind {
	case kindContact:
		return e.contactView(rq, it)
	case kindCalendar:
		return e.eventView(rq, it)
	}
	return e.messageView(rq, it)
}

// listItems serves GET on an item collection, or its $count.
// https://learn.microsoft.com/graph/api/user-list-messages,
// https://learn.microsoft.com/graph/api/mailfolder-list-messages,
// https://learn.microsoft.com/graph/query-parameters#count-parameter.
func (e *Emulator) listItems(rq *req, kind string, f *folder, countOnly bool) {
	folderID := ""
	switch {
	case f != nil:
		folderID = f.ID
	case kind != kindMail:
		folderID = e.defaultItemFolder(rq.mb, kind)
	}
	typeName, known := itemTypeName(kind)
	var views []map[string]any
	e.store.read(func() {
		for _, it := range e.store.folderItems(rq.mb.ID, kind, folderID) {
			views = append(views, e.itemView(rq, it))
		}
	})
	if countOnly {
		n := 0
		for _, v := range views {
			if odata.Matches(rq.q.Filter, v) {
				n++
			}
		}
		rq.w.Header().Set("Content-Type", "text/plain")
		rq.w.WriteHeader(http.StatusOK)
		fmt.Fprint(rq.w, n)
		return
	}
	var def []odata.OrderBy
	if kind == kindMail {
		// Messages come newest first by default.
		def = []odata.OrderBy{{Prop: "receivedDateTime", Desc: true}}
	}
	ctx := rq.base + "/v1.0/$metadata#users('" + rq.mb.ID + "')/"
	if f != nil {
		_, _, coll := folderTypeName(kind)
		ctx += coll + "('" + f.ID + "')/"
	}
	e.writeList(rq, ctx+itemCollName(kind), views, def, known, typeName)
}

// deleteItem serves DELETE on an item: 204 No Content. The emulator
// deletes outright rather than moving the item to Deleted Items.
// Deleting a meeting (an event with attendees) mails them a
// cancellation ("If the event is a meeting, deleting the event on the
// organizer's calendar sends a cancellation message to the meeting
// attendees", https://learn.microsoft.com/graph/api/event-delete).
// https://learn.microsoft.com/graph/api/message-delete
func (e *Emulator) deleteItem(rq *req, it *item) {
	var attendees int
	if it.Kind == kindCalendar {
		addrs, _ := attendeeAddresses(it.Props["attendees"])
		attendees = len(addrs)
	}
	if p := e.store.deleteItem(it.ID); p != nil {
		rq.fail(p)
		return
	}
	e.countMeetingMessages(rq.mb.ID, attendees)
	rq.w.WriteHeader(http.StatusNoContent)
}

// itemViewHead is the start of every item's view: context, etag, id,
// dates (formatted by stamp) and change key.
func itemViewHead(rq *req, it *item, coll string, stamp func(time.Time) string) map[string]any {
	return map[string]any{
		"@odata.context":       rq.base + "/v1.0/$metadata#users('" + rq.mb.ID + "')/" + coll + "/$entity",
		"@odata.etag":          `W/"` + it.ChangeKey + `"`,
		"id":                   it.ID,
		"createdDateTime":      stamp(it.Created),
		"lastModifiedDateTime": stamp(it.Modified),
		"changeKey":            it.ChangeKey,
		"categories":           []any{},
	}
}

// ---- messages ----

// messageView renders a message.
// https://learn.microsoft.com/graph/api/resources/message
func (e *Emulator) messageView(rq *req, it *item) map[string]any {
	v := itemViewHead(rq, it, "messages", graphTime)
	maps.Copy(v, map[string]any{
		"receivedDateTime":           graphTime(it.Received),
		"sentDateTime":               nullTime(it.Sent),
		"hasAttachments":             false,
		"internetMessageId":          "<" + strings.ToLower(it.ID[len(it.ID)-12:]) + "@emulator.graph.test>",
		"subject":                    "",
		"importance":                 "normal",
		"parentFolderId":             it.FolderID,
		"conversationId":             stableGraphID("AAQkAD", it.ID),
		"isDeliveryReceiptRequested": false,
		"isReadReceiptRequested":     false,
		"isRead":                     it.IsRead,
		"isDraft":                    it.IsDraft,
		"webLink":                    "https://outlook.office365.com/owa/?ItemID=" + strings.ReplaceAll(it.ID, "=", "%3D") + "&exvsurl=1&viewmodel=ReadMessageItem",
		"inferenceClassification":    "focused",
		"toRecipients":               []any{},
		"ccRecipients":               []any{},
		"bccRecipients":              []any{},
		"replyTo":                    []any{},
		"flag":                       map[string]any{"flagStatus": "notFlagged"},
	})
	for k, raw := range it.Props {
		if k == "internetMessageHeaders" {
			continue
		}
		v[k] = rawToAny(raw)
	}
	body, preview := e.bodyView(it)
	v["body"] = body
	v["bodyPreview"] = preview
	for _, a := range it.Attachments {
		if !a.IsInline {
			v["hasAttachments"] = true
		}
	}
	for _, s := range rq.q.Select {
		if strings.EqualFold(s, "internetMessageHeaders") {
			if raw, ok := it.Props["internetMessageHeaders"]; ok {
				v["internetMessageHeaders"] = rawToAny(raw)
			} else {
				v["internetMessageHeaders"] = []any{}
			}
		}
	}
	v["singleValueExtendedProperties"] = extView(it.Ext)
	v["multiValueExtendedProperties"] = multiView(it.Multi)
	v["attachments"] = e.attachmentViews(rq, it)
	return v
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return graphTime(t)
}

// lazyBlob stands for a large body's content in a view until the view is
// written: listing many items must not read every large body into memory.
type lazyBlob struct{ path string }

// bodyView returns the item's body and its preview. A large body's content
// is a lazyBlob, resolved by resolveLazy when the view is written.
func (e *Emulator) bodyView(it *item) (map[string]any, string) {
	body := map[string]any{"contentType": "text", "content": ""}
	if raw, ok := it.Props["body"]; ok {
		if m, ok := rawToAny(raw).(map[string]any); ok {
			for k, val := range m {
				body[k] = val
			}
		}
	}
	if it.BodyBlob != "" {
		body["content"] = lazyBlob{e.store.blobPath(it.BodyBlob)}
		return body, it.BodyPreview
	}
	return body, bodyPreview(fmt.Sprint(body["contentType"]), fmt.Sprint(body["content"]))
}

// resolveLazy replaces lazyBlob body contents in v with the blob's text.
func resolveLazy(v map[string]any) {
	for _, k := range []string{"body", "uniqueBody"} {
		b, ok := v[k].(map[string]any)
		if !ok {
			continue
		}
		if lb, ok := b["content"].(lazyBlob); ok {
			data, err := os.ReadFile(lb.path)
			if err != nil {
				data = nil
			}
			nb := make(map[string]any, len(b))
			for kk, vv := range b {
				nb[kk] = vv
			}
			nb["content"] = string(data)
			v[k] = nb
		}
	}
}

// readOnlyMessageProps are accepted in a create body but ignored, as Graph
// computes them.
var readOnlyMessageProps = setOf("id", "createdDateTime", "lastModifiedDateTime", "changeKey", "receivedDateTime", "sentDateTime",
	"hasAttachments", "bodyPreview", "parentFolderId", "conversationId", "conversationIndex", "webLink", "isDraft", "uniqueBody")

// storeBodyPreview normalizes an itemBody, stores large content in a blob
// and returns the props value, the blob name, the content size and the
// body preview.
func (e *Emulator) storeBodyPreview(raw json.RawMessage) (json.RawMessage, string, int64, string, *odata.Problem) {
	var b struct {
		ContentType string `json:"contentType"`
		Content     string `json:"content"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, "", 0, "", odata.BadRequest("RequestBodyRead", "Cannot read the body property: %v", err)
	}
	ct := strings.ToLower(b.ContentType)
	if ct != "html" {
		ct = "text"
	}
	preview := bodyPreview(ct, b.Content[:min(len(b.Content), 64<<10)])
	if len(b.Content) > blobThreshold {
		name, n, _, err := e.store.writeBlob(strings.NewReader(b.Content))
		if err != nil {
			return nil, "", 0, "", odata.NewProblem(500, "generalException", "The emulator could not store the body.")
		}
		return mustRaw(map[string]string{"contentType": ct}), name, n, preview, nil
	}
	return mustRaw(map[string]string{"contentType": ct, "content": b.Content}), "", int64(len(b.Content)), preview, nil
}

// checkHeaders validates internetMessageHeaders: on create Graph accepts
// only custom headers, whose names start with "x-" or "X-".
// https://learn.microsoft.com/graph/api/resources/internetmessageheader and
// https://learn.microsoft.com/graph/api/user-post-messages (example 2).
func checkHeaders(raw json.RawMessage) *odata.Problem {
	var hs []struct{ Name, Value string }
	if err := json.Unmarshal(raw, &hs); err != nil {
		return odata.BadRequest("RequestBodyRead", "Cannot read internetMessageHeaders: %v", err)
	}
	for _, h := range hs {
		if !strings.HasPrefix(strings.ToLower(h.Name), "x-") {
			return odata.BadRequest("InvalidInternetMessageHeader", "The internet message header name '%s' should start with 'x-' or 'X-'.", h.Name)
		}
	}
	return nil
}

// createMessage serves POST on a message collection, JSON or MIME.
// https://learn.microsoft.com/graph/api/user-post-messages,
// https://learn.microsoft.com/graph/api/mailfolder-post-messages.
func (e *Emulator) createMessage(rq *req, folderID string) {
	ct, _, _ := mime.ParseMediaType(rq.r.Header.Get("Content-Type"))
	if ct == "text/plain" {
		e.createMessageMIME(rq, folderID)
		return
	}
	raw, single, multi, aerr := readPropsObject(rq, messageProps, "message")
	if aerr != nil {
		rq.fail(aerr)
		return
	}
	if h, ok := raw["internetMessageHeaders"]; ok && string(h) != "null" {
		if err := checkHeaders(h); err != nil {
			rq.fail(err)
			return
		}
	}
	now := time.Now().UTC()
	it := &item{ID: newGraphID("AAMkAD"), Mailbox: rq.mb.ID, Kind: kindMail, FolderID: folderID, Props: map[string]json.RawMessage{},
		Ext: single, Multi: multi, Created: now, Modified: now, ChangeKey: newChangeKey()}
	for k, b := range raw {
		switch {
		case readOnlyMessageProps[k], k == "singleValueExtendedProperties", k == "multiValueExtendedProperties", k == "attachments", strings.HasPrefix(k, "@"):
		case k == "body":
			if err := e.setBody(it, b); err != nil {
				rq.fail(err)
				return
			}
		case k == "importance":
			it.Props[k] = mustRaw(strings.ToLower(rawString(raw, k)))
		default:
			it.Props[k] = b
		}
	}
	if aerr := e.deriveMessageState(it, raw, now); aerr != nil {
		e.store.removeItemBlobs(it)
		rq.fail(aerr)
		return
	}
	if b, ok := raw["attachments"]; ok && string(b) != "null" {
		atts, aerr := e.decodeAttachments(b)
		if aerr != nil {
			e.store.removeItemBlobs(it)
			rq.fail(aerr)
			return
		}
		it.Attachments = atts
	}
	e.insertItem(rq, it)
}

// deriveMessageState sets isDraft, isRead and the dates from the MAPI
// properties the way Exchange does: PidTagMessageFlags (Integer 0x0E07)
// with MSGFLAG_UNSENT (0x8) marks a draft and MSGFLAG_READ (0x1) a read
// message; PidTagMessageDeliveryTime (SystemTime 0x0E06) is the received
// date and PidTagClientSubmitTime (SystemTime 0x0039) the sent date. A
// message created without PidTagMessageFlags is a draft. receivedDateTime
// and sentDateTime in the JSON body are read-only and ignored.
// https://learn.microsoft.com/openspecs/exchange_server_protocols/ms-oxcmsg
// (2.2.1.6 PidTagMessageFlags: read-only after the first save, except the
// read flag), https://learn.microsoft.com/graph/api/resources/message
// (isDraft: "Indicates whether the message is a draft. A message is a
// draft if it hasn't been sent yet.").
func (e *Emulator) deriveMessageState(it *item, raw map[string]json.RawMessage, now time.Time) *odata.Problem {
	it.IsDraft, it.IsRead = true, true
	if v, ok := getExt(it.Ext, propMessageFlags); ok {
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		it.IsDraft = n&msgFlagUnsent != 0
		it.IsRead = n&msgFlagRead != 0
	}
	if b, ok := raw["isRead"]; ok {
		var r bool
		if err := json.Unmarshal(b, &r); err != nil {
			return odata.BadRequest("RequestBodyRead", "isRead must be a Boolean.")
		}
		it.IsRead = r
		delete(it.Props, "isRead")
	}
	it.Received = now
	if v, ok := getExt(it.Ext, propDeliveryTime); ok {
		t, _ := odata.ToTime(v)
		it.Received = t.UTC()
	}
	if v, ok := getExt(it.Ext, propClientSubmitTime); ok {
		t, _ := odata.ToTime(v)
		it.Sent = t.UTC()
	} else if it.IsDraft {
		it.Sent = now
	}
	return nil
}

// messageSize approximates an item's size for the maximum message size.
func messageSize(it *item) int64 {
	n := it.BodySize
	for k, v := range it.Props {
		if k != "body" {
			n += int64(len(v))
		}
	}
	for _, a := range it.Attachments {
		n += a.Size
	}
	return n
}

// errMessageTooBig is Exchange's answer to a message over the mailbox's
// maximum message size (35 MB by default).
// https://learn.microsoft.com/graph/api/attachment-createuploadsession
// ("By default, this message size limit is 35 MB").
func errMessageTooBig() *odata.Problem {
	return odata.NewProblem(413, "ErrorMessageSizeExceeded", "The message exceeds the maximum supported size.")
}

// insertItem stores a new item and answers 201 with it.
func (e *Emulator) insertItem(rq *req, it *item) bool {
	if it.Kind == kindMail && messageSize(it) > e.maxMessageSize(rq.mb) {
		e.store.removeItemBlobs(it)
		rq.fail(errMessageTooBig())
		return false
	}
	if p := e.store.insertItem(it, rq.mb.ID); p != nil {
		e.store.removeItemBlobs(it)
		rq.fail(p)
		return false
	}
	v := e.itemView(rq, it)
	e.log.Debug("item created", "kind", it.Kind, "mailbox", rq.mb.UPN, "id", it.ID)
	e.writeEntity(rq, http.StatusCreated, it.Kind, "item", v)
	return true
}

// draftOnlyProps can be updated only while a message is a draft.
// https://learn.microsoft.com/graph/api/message-update ("Updatable only if
// isDraft = true").
var draftOnlyProps = setOf("body", "internetMessageId", "replyTo", "subject")

// updateMessage serves PATCH on a message. isRead, body, importance and
// internetMessageHeaders are checked and converted; the MAPI properties
// Exchange derives message state from update it (PidTagMessageFlags only
// its read flag, as it is read-only after the first save).
// https://learn.microsoft.com/graph/api/message-update
func (e *Emulator) updateMessage(rq *req, it *item) {
	e.patchItem(rq, it, itemPatch{
		readOnly: readOnlyMessageProps,
		prop: func(k string, b json.RawMessage, raw map[string]json.RawMessage, cur, n *item) (bool, *odata.Problem) {
			switch {
			case draftOnlyProps[k] && !cur.IsDraft:
				// Exchange refuses to change these on a sent (non-draft) item.
				return true, odata.BadRequest("ErrorInvalidPropertyUpdateSentMessage", "Update operation is invalid for property of a sent message.")
			case k == "isRead":
				var r bool
				if json.Unmarshal(b, &r) != nil {
					return true, odata.BadRequest("RequestBodyRead", "isRead must be a Boolean.")
				}
				n.IsRead = r
				return true, nil
			case k == "body":
				return true, e.setBody(n, b)
			case k == "internetMessageHeaders":
				if err := checkHeaders(b); err != nil {
					return true, err
				}
			case k == "importance":
				n.Props[k] = mustRaw(strings.ToLower(rawString(raw, k)))
				return true, nil
			}
			return false, nil
		},
		ext: func(p ExtProp, raw map[string]json.RawMessage, n *item) bool {
			switch p.ID {
			case propMessageFlags:
				// Read-only after the first save except the read flag.
				v, _ := strconv.ParseInt(p.Value, 10, 64)
				if _, explicit := raw["isRead"]; !explicit {
					n.IsRead = v&msgFlagRead != 0
				}
				return false
			case propDeliveryTime:
				t, _ := odata.ToTime(p.Value)
				n.Received = t.UTC()
			case propClientSubmitTime:
				t, _ := odata.ToTime(p.Value)
				n.Sent = t.UTC()
			}
			return true
		},
		finish: func(_ map[string]json.RawMessage, _, n *item) *odata.Problem {
			if v, ok := getExt(n.Ext, propMessageFlags); ok {
				f, _ := strconv.ParseInt(v, 10, 64)
				f &^= msgFlagRead
				if n.IsRead {
					f |= msgFlagRead
				}
				n.Ext = setExt(n.Ext, propMessageFlags, strconv.FormatInt(f, 10))
			}
			if messageSize(n) > e.maxMessageSize(rq.mb) {
				return errMessageTooBig()
			}
			return nil
		},
	})
}

// setBody stores a body property on n (in a blob when large).
func (e *Emulator) setBody(n *item, b json.RawMessage) *odata.Problem {
	pv, blob, size, preview, err := e.storeBodyPreview(b)
	if err != nil {
		return err
	}
	n.Props["body"], n.BodyBlob, n.BodySize, n.BodyPreview = pv, blob, size, preview
	return nil
}

// cloneItem copies an item deeply enough to change it without affecting
// readers of the original.
func cloneItem(it *item) *item {
	n := *it
	n.Props = make(map[string]json.RawMessage, len(it.Props))
	for k, v := range it.Props {
		n.Props[k] = v
	}
	n.Ext = append([]ExtProp(nil), it.Ext...)
	n.Multi = append([]MultiExtProp(nil), it.Multi...)
	n.Attachments = append([]*attachment(nil), it.Attachments...)
	n.InvitationsSentTo = append([]string(nil), it.InvitationsSentTo...)
	return &n
}
