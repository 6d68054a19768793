package graphemu

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// Well-known mail folder names and the display names Exchange gives them.
// https://learn.microsoft.com/graph/api/resources/mailfolder ("Well-known
// folder names").
var wellKnownMail = []struct{ name, display string }{
	{"inbox", "Inbox"},
	{"drafts", "Drafts"},
	{"sentitems", "Sent Items"},
	{"deleteditems", "Deleted Items"},
	{"junkemail", "Junk Email"},
	{"archive", "Archive"},
	{"outbox", "Outbox"},
	{"conversationhistory", "Conversation History"},
}

// wellKnownFolders returns a new mailbox's folders: the mail root
// (msgfolderroot, "Top of Information Store") and its well-known folders,
// the default Contacts folder and the default Calendar.
func wellKnownFolders(mbID string) []*folder {
	t := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(kind, wk, display, parent string, hidden bool, seq int64) *folder {
		return &folder{
			ID: stableGraphID("AAMkAD", mbID, kind, wk), Mailbox: mbID, Kind: kind, ParentID: parent,
			DisplayName: display, WellKnown: wk, Hidden: hidden, Created: t, Modified: t,
			ChangeKey: "AQAAAA==", Seq: seq,
		}
	}
	root := mk(kindMail, "msgfolderroot", "Top of Information Store", "", true, -100)
	out := []*folder{root}
	for i, w := range wellKnownMail {
		out = append(out, mk(kindMail, w.name, w.display, root.ID, false, int64(-90+i)))
	}
	croot := mk(kindContact, "contactsroot", "Contacts root", "", true, -50)
	out = append(out, croot, mk(kindContact, "contacts", "Contacts", croot.ID, true, -49))
	out = append(out, mk(kindCalendar, "calendar", "Calendar", "", false, -40))
	return out
}

func (e *Emulator) wellKnownID(m *mailbox, kind, wk string) string {
	return stableGraphID("AAMkAD", m.ID, kind, wk)
}

func (e *Emulator) defaultCalendarID(m *mailbox) string {
	return e.wellKnownID(m, kindCalendar, "calendar")
}

// topParent is the parent of a kind's top-level collection:
// /mailFolders lists msgfolderroot's children, /contactFolders the
// default Contacts folder's children, /calendars every calendar.
// https://learn.microsoft.com/graph/api/user-list-mailfolders,
// https://learn.microsoft.com/graph/api/user-list-contactfolders,
// https://learn.microsoft.com/graph/api/user-list-calendars.
func (e *Emulator) topParent(m *mailbox, kind string) string {
	switch kind {
	case kindMail:
		return e.wellKnownID(m, kindMail, "msgfolderroot")
	case kindContact:
		return e.wellKnownID(m, kindContact, "contacts")
	}
	return ""
}

// resolveFolder finds a folder of kind by id or (mail) well-known name.
func (e *Emulator) resolveFolder(m *mailbox, kind, key string) (*folder, *odata.Problem) {
	if f := e.store.folder(key); f != nil && f.Mailbox == m.ID && f.Kind == kind {
		return f, nil
	}
	if kind == kindMail {
		for _, w := range append([]string{"msgfolderroot"}, func() []string {
			var n []string
			for _, w := range wellKnownMail {
				n = append(n, w.name)
			}
			return n
		}()...) {
			if strings.EqualFold(key, w) {
				return e.store.folder(e.wellKnownID(m, kindMail, w)), nil
			}
		}
	}
	return nil, idError(key)
}

// routeFolders serves mailFolders, contactFolders and calendars and their
// children.
func (e *Emulator) routeFolders(rq *req, kind string, rest []string) {
	if len(rest) == 0 {
		parent := e.topParent(rq.mb, kind)
		switch rq.r.Method {
		case http.MethodGet:
			e.listFolders(rq, kind, parent)
		case http.MethodPost:
			e.createFolder(rq, kind, parent)
		default:
			rq.fail(methodNotAllowed())
		}
		return
	}
	f, err := e.resolveFolder(rq.mb, kind, rest[0])
	if err != nil {
		rq.fail(err)
		return
	}
	rest = rest[1:]
	for len(rest) > 0 {
		seg := rest[0]
		switch {
		case segIs(seg, "childFolders") && kind != kindCalendar:
			if len(rest) == 1 {
				switch rq.r.Method {
				case http.MethodGet:
					e.listFolders(rq, kind, f.ID)
				case http.MethodPost:
					e.createFolder(rq, kind, f.ID)
				default:
					rq.fail(methodNotAllowed())
				}
				return
			}
			c, err := e.resolveFolder(rq.mb, kind, rest[1])
			if err != nil {
				rq.fail(err)
				return
			}
			f, rest = c, rest[2:]
		case segIs(seg, "permanentDelete") && len(rest) == 1 && kind != kindCalendar:
			// https://learn.microsoft.com/graph/api/mailfolder-permanentdelete,
			// https://learn.microsoft.com/graph/api/contactfolder-permanentdelete:
			// POST, no body, 204; the folder and its items are removed
			// from the mailbox, not moved to Deleted Items.
			if rq.r.Method != http.MethodPost {
				rq.fail(methodNotAllowed())
				return
			}
			e.deleteFolder(rq, f)
			return
		case segIs(seg, "messages") && kind == kindMail,
			segIs(seg, "contacts") && kind == kindContact,
			segIs(seg, "events") && kind == kindCalendar:
			e.routeItems(rq, kind, f, rest[1:])
			return
		default:
			rq.fail(segmentNotFound(seg))
			return
		}
	}
	e.folderEntity(rq, f)
}

// folderEntity serves GET, PATCH and DELETE on one folder.
func (e *Emulator) folderEntity(rq *req, f *folder) {
	switch rq.r.Method {
	case http.MethodGet:
		var v map[string]any
		e.store.read(func() { v = e.folderView(rq, f) })
		e.writeEntity(rq, http.StatusOK, f.Kind, "folder", v)
	case http.MethodPatch:
		e.updateFolder(rq, f)
	case http.MethodDelete:
		e.deleteFolder(rq, f)
	default:
		rq.fail(methodNotAllowed())
	}
}

func folderTypeName(kind string) (string, map[string]bool, string) {
	switch kind {
	case kindContact:
		return "contactFolder", contactFolderProps, "contactFolders"
	case kindCalendar:
		return "calendar", calendarProps, "calendars"
	}
	return "mailFolder", mailFolderProps, "mailFolders"
}

// writeEntity finalizes and writes one resource.
func (e *Emulator) writeEntity(rq *req, status int, kind, what string, v map[string]any) {
	var typeName string
	var known map[string]bool
	if what == "folder" {
		typeName, known, _ = folderTypeName(kind)
	} else {
		typeName, known = itemTypeName(kind)
	}
	out, err := rq.finalize(v, known, typeName)
	if err != nil {
		rq.fail(err)
		return
	}
	rq.json(status, out)
}

// folderView renders a folder as Graph does. Callers hold the read lock.
func (e *Emulator) folderView(rq *req, f *folder) map[string]any {
	_, _, coll := folderTypeName(f.Kind)
	v := map[string]any{
		"@odata.context": rq.base + "/v1.0/$metadata#users('" + rq.mb.ID + "')/" + coll + "/$entity",
		"id":             f.ID,
	}
	switch f.Kind {
	case kindMail:
		children, total, unread := 0, 0, 0
		for _, c := range e.store.folders {
			if c.ParentID == f.ID && !c.Hidden {
				children++
			}
		}
		for _, it := range e.store.items {
			if it.FolderID == f.ID {
				total++
				if !it.IsRead {
					unread++
				}
			}
		}
		v["displayName"] = f.DisplayName
		v["parentFolderId"] = f.ParentID
		v["childFolderCount"] = children
		v["unreadItemCount"] = unread
		v["totalItemCount"] = total
		v["isHidden"] = f.IsHidden
	case kindContact:
		v["displayName"] = f.DisplayName
		v["parentFolderId"] = f.ParentID
	case kindCalendar:
		isDefault := f.WellKnown == "calendar"
		v["@odata.etag"] = `W/"` + f.ChangeKey + `"`
		v["name"] = f.DisplayName
		v["color"] = "auto"
		v["hexColor"] = ""
		v["isDefaultCalendar"] = isDefault
		v["changeKey"] = f.ChangeKey
		v["canShare"] = true
		v["canViewPrivateItems"] = true
		v["canEdit"] = true
		v["allowedOnlineMeetingProviders"] = []string{"teamsForBusiness"}
		v["defaultOnlineMeetingProvider"] = "teamsForBusiness"
		v["isTallyingResponses"] = true
		v["isRemovable"] = !isDefault
		v["owner"] = map[string]any{"name": rq.mb.DisplayName, "address": rq.mb.UPN}
	}
	for k, raw := range f.Props {
		v[k] = rawToAny(raw)
	}
	v["singleValueExtendedProperties"] = extView(f.Ext)
	v["multiValueExtendedProperties"] = multiView(f.Multi)
	return v
}

func extView(list []ExtProp) []any {
	out := make([]any, 0, len(list))
	for _, p := range list {
		out = append(out, map[string]any{"id": p.ID, "value": p.Value})
	}
	return out
}

func multiView(list []MultiExtProp) []any {
	out := make([]any, 0, len(list))
	for _, p := range list {
		vals := make([]any, len(p.Value))
		for i, s := range p.Value {
			vals[i] = s
		}
		out = append(out, map[string]any{"id": p.ID, "value": vals})
	}
	return out
}

func (e *Emulator) listFolders(rq *req, kind, parent string) {
	typeName, known, coll := folderTypeName(kind)
	var views []map[string]any
	// Hidden mail folders only when asked for.
	// https://learn.microsoft.com/graph/api/user-list-mailfolders
	// ("includeHiddenFolders=true").
	hidden := strings.EqualFold(rq.r.URL.Query().Get("includeHiddenFolders"), "true")
	e.store.read(func() {
		for _, f := range e.store.childFolders(rq.mb.ID, kind, parent) {
			if f.IsHidden && !hidden {
				continue
			}
			views = append(views, e.folderView(rq, f))
		}
	})
	e.writeList(rq, rq.base+"/v1.0/$metadata#users('"+rq.mb.ID+"')/"+coll, views, nil, known, typeName)
}

// folderName reads the name property of a folder create/update body.
func folderName(kind string, raw map[string]json.RawMessage) (string, bool) {
	key := "displayName"
	if kind == kindCalendar {
		key = "name"
	}
	_, ok := raw[key]
	return strings.TrimSpace(rawString(raw, key)), ok
}

// siblingNamed finds a sibling folder with the same name (Exchange folder
// names are unique per parent, ignoring case). Callers hold the lock.
func (e *Emulator) siblingNamed(mbID, kind, parent, name, except string) *folder {
	for _, f := range e.store.folders {
		if f.Mailbox == mbID && f.Kind == kind && f.ParentID == parent && f.ID != except && strings.EqualFold(f.DisplayName, name) {
			return f
		}
	}
	return nil
}

// rootNonMailFolders are the display names of the default folders that
// are not mail folders but live in the same namespace below the root
// (msgfolderroot, the "Top of Information Store") as Inbox and the other
// mail folders: the Calendar, Contacts, Tasks, Notes and Journal folders
// Exchange creates in every mailbox. /mailFolders does not list them, yet
// a mail folder of the same name at the root is a duplicate name under
// one parent: 409 ErrorFolderExists. (The emulator keeps its calendar and
// contacts in their own trees; this list is what makes them collide.)
// https://learn.microsoft.com/dotnet/api/microsoft.exchange.webservices.data.wellknownfoldername
// (Calendar, Contacts, Journal, Notes, Tasks: default folders of the
// mailbox), https://learn.microsoft.com/exchange/client-developer/web-service-reference/responsecode
// (ErrorFolderExists).
var rootNonMailFolders = []string{"Calendar", "Contacts", "Tasks", "Notes", "Journal"}

// nameTaken tells whether a folder of kind named name under parent would
// duplicate another folder's name (except the folder with id except):
// a sibling's, or, for a mail folder at the root, a default non-mail
// folder's. Callers hold the lock.
func (e *Emulator) nameTaken(mbID, kind, parent, name, except string) bool {
	if e.siblingNamed(mbID, kind, parent, name, except) != nil {
		return true
	}
	if kind == kindMail && parent == e.wellKnownID(&mailbox{ID: mbID}, kindMail, "msgfolderroot") {
		for _, n := range rootNonMailFolders {
			if strings.EqualFold(n, name) {
				return true
			}
		}
	}
	return false
}

// errFolderExists is Exchange's answer to a duplicate folder name: 409
// Conflict with code ErrorFolderExists ("A folder with the specified name
// already exists.").
// https://learn.microsoft.com/graph/errors (409 Conflict) and
// https://learn.microsoft.com/exchange/client-developer/web-service-reference/responsecode
// (ErrorFolderExists: "a folder that has the same name as another folder
// in the same parent folder").
func errFolderExists() *odata.Problem {
	return odata.NewProblem(409, "ErrorFolderExists", "A folder with the specified name already exists.")
}

// createFolder serves POST on a folder collection.
// https://learn.microsoft.com/graph/api/user-post-mailfolders,
// https://learn.microsoft.com/graph/api/mailfolder-post-childfolders,
// https://learn.microsoft.com/graph/api/user-post-contactfolders,
// https://learn.microsoft.com/graph/api/user-post-calendars:
// 201 Created and the new folder.
func (e *Emulator) createFolder(rq *req, kind, parent string) {
	typeName, known, _ := folderTypeName(kind)
	raw, err := readKnownObject(rq, known, typeName)
	if err != nil {
		rq.fail(err)
		return
	}
	name, _ := folderName(kind, raw)
	if name == "" {
		rq.fail(odata.BadRequest("ErrorInvalidRequest", "The folder name is missing or empty."))
		return
	}
	single, multi, err := decodeExtProps(raw)
	if err != nil {
		rq.fail(err)
		return
	}
	var isHidden bool
	if b, ok := raw["isHidden"]; ok && kind == kindMail {
		if json.Unmarshal(b, &isHidden) != nil {
			rq.fail(odata.BadRequest("RequestBodyRead", "Cannot convert the literal '%s' to the expected type 'Edm.Boolean'.", string(b)))
			return
		}
	}
	props := map[string]json.RawMessage{}
	if kind == kindCalendar {
		for _, k := range []string{"color", "hexColor"} {
			if b, ok := raw[k]; ok {
				props[k] = b
			}
		}
	}
	now := time.Now().UTC()
	s := e.store
	var v map[string]any
	if p := s.write(func() *odata.Problem {
		if parent != "" {
			if _, ok := s.folders[parent]; !ok {
				return notFoundItem()
			}
		}
		if e.nameTaken(rq.mb.ID, kind, parent, name, "") {
			return errFolderExists()
		}
		f := &folder{
			ID: newGraphID("AAMkAD"), Mailbox: rq.mb.ID, Kind: kind, ParentID: parent, DisplayName: name, IsHidden: isHidden,
			Props: props, Ext: single, Multi: multi, Created: now, Modified: now, ChangeKey: newChangeKey(), Seq: s.nextSeq(),
		}
		if err := s.commit(&record{Op: "folder", Folder: f}); err != nil {
			return errSave("save the folder")
		}
		v = e.folderView(rq, f)
		return nil
	}); p != nil {
		rq.fail(p)
		return
	}
	e.writeEntity(rq, http.StatusCreated, kind, "folder", v)
}

// updateFolder serves PATCH on a folder (rename, extended properties).
// https://learn.microsoft.com/graph/api/mailfolder-update
func (e *Emulator) updateFolder(rq *req, f *folder) {
	typeName, known, _ := folderTypeName(f.Kind)
	raw, single, multi, err := readPropsObject(rq, known, typeName)
	if err != nil {
		rq.fail(err)
		return
	}
	if _, ok := raw["isHidden"]; ok && f.Kind == kindMail {
		// "Once set, you cannot update this property."
		// https://learn.microsoft.com/graph/api/user-post-mailfolders
		rq.fail(odata.BadRequest("ErrorInvalidPropertyUpdate", "The property isHidden can be set only when the folder is created."))
		return
	}
	name, hasName := folderName(f.Kind, raw)
	s := e.store
	var v map[string]any
	if p := s.write(func() *odata.Problem {
		cur, ok := s.folders[f.ID]
		if !ok {
			return notFoundItem()
		}
		nf := *cur
		if hasName {
			if name == "" {
				return odata.BadRequest("ErrorInvalidRequest", "The folder name is missing or empty.")
			}
			if e.nameTaken(nf.Mailbox, nf.Kind, nf.ParentID, name, nf.ID) {
				return errFolderExists()
			}
			nf.DisplayName = name
		}
		nf.Ext = append([]ExtProp(nil), cur.Ext...)
		for _, p := range single {
			nf.Ext = setExt(nf.Ext, p.ID, p.Value)
		}
		nf.Multi = append([]MultiExtProp(nil), cur.Multi...)
		for _, p := range multi {
			nf.Multi = setMulti(nf.Multi, p.ID, p.Value)
		}
		nf.Modified = time.Now().UTC()
		nf.ChangeKey = newChangeKey()
		if err := s.commit(&record{Op: "folder", Folder: &nf}); err != nil {
			return errSave("save the folder")
		}
		v = e.folderView(rq, &nf)
		return nil
	}); p != nil {
		rq.fail(p)
		return
	}
	e.writeEntity(rq, http.StatusOK, f.Kind, "folder", v)
}

// deleteFolder serves DELETE on a folder: 204 No Content. Well-known
// folders cannot be deleted (Exchange's ErrorDeleteDistinguishedFolder).
// The emulator deletes the subtree outright instead of moving it to
// Deleted Items.
// https://learn.microsoft.com/graph/api/mailfolder-delete
func (e *Emulator) deleteFolder(rq *req, f *folder) {
	if f.WellKnown != "" {
		rq.fail(odata.BadRequest("ErrorDeleteDistinguishedFolder", "Distinguished folders cannot be deleted."))
		return
	}
	s := e.store
	if p := s.write(func() *odata.Problem {
		ids := map[string]bool{f.ID: true}
		for changed := true; changed; {
			changed = false
			for _, c := range s.folders {
				if ids[c.ParentID] && !ids[c.ID] {
					ids[c.ID] = true
					changed = true
				}
			}
		}
		for _, it := range sortedItems(s.items) {
			if ids[it.FolderID] {
				if err := s.commit(&record{Op: "del-item", ID: it.ID}); err != nil {
					return errSave("delete the folder")
				}
				s.removeItemBlobs(it)
			}
		}
		for id := range ids {
			if err := s.commit(&record{Op: "del-folder", ID: id}); err != nil {
				return errSave("delete the folder")
			}
		}
		return nil
	}); p != nil {
		rq.fail(p)
		return
	}
	rq.w.WriteHeader(http.StatusNoContent)
}
