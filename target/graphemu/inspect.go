package graphemu

import (
	"net/http"
	"sort"
	"strings"

	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// The inspection API lives under /_emulator/, a path no Graph client uses.
// It needs no token. Endpoints:
//
//	GET    /_emulator/                          tenant summary
//	GET    /_emulator/mailboxes                 mailboxes with counts
//	GET    /_emulator/mailboxes/{id|upn}        every folder and item with all properties
//	GET    /_emulator/mailboxes/{id|upn}/counts item counts per folder path
//	GET    /_emulator/requests                  request log (DELETE clears it)
//	GET    /_emulator/throttle                  throttling counters per app and mailbox
//	GET    /_emulator/uploads                   open upload sessions
//	POST   /_emulator/reset                     delete all data and the request log

// DumpMailbox is the inspection API's view of one mailbox.
type DumpMailbox struct {
	ID  string `json:"id"`
	UPN string `json:"userPrincipalName"`
	// MeetingMessagesSent counts the meeting messages Graph would have
	// mailed for the mailbox's events: one invitation, update or
	// cancellation per attendee (see Emulator.MeetingMessagesSent).
	MeetingMessagesSent int `json:"meetingMessagesSent"`
	// MasterCategories are the names in the master category list, in
	// the order they were created.
	MasterCategories []string     `json:"masterCategories,omitempty"`
	Folders          []DumpFolder `json:"folders"`
}

// DumpFolder is one folder with its items.
type DumpFolder struct {
	ID          string         `json:"id"`
	Kind        string         `json:"kind"` // mail, contact or calendar
	Path        string         `json:"path"` // display names from the top, joined by "/"
	DisplayName string         `json:"displayName"`
	WellKnown   string         `json:"wellKnownName,omitempty"`
	ParentID    string         `json:"parentId,omitempty"`
	Ext         []ExtProp      `json:"singleValueExtendedProperties"`
	Multi       []MultiExtProp `json:"multiValueExtendedProperties"`
	Items       []DumpItem     `json:"items"`
}

// DumpItem is one item with every property, including what Graph hides.
type DumpItem struct {
	ID                string         `json:"id"`
	Kind              string         `json:"kind"` // message, contact or event
	IsDraft           bool           `json:"isDraft"`
	IsRead            bool           `json:"isRead"`
	CreatedViaMIME    bool           `json:"createdViaMime,omitempty"`
	ReceivedDateTime  string         `json:"receivedDateTime,omitempty"`
	SentDateTime      string         `json:"sentDateTime,omitempty"`
	CreatedDateTime   string         `json:"createdDateTime"`
	TransactionID     string         `json:"transactionId,omitempty"`
	InvitationsSent   bool           `json:"invitationsSent"`
	InvitationsSentTo []string       `json:"invitationsSentTo,omitempty"`
	Ext               []ExtProp      `json:"singleValueExtendedProperties"`
	Multi             []MultiExtProp `json:"multiValueExtendedProperties"`
	Attachments       []DumpFile     `json:"attachments"`
	Photo             *DumpFile      `json:"photo,omitempty"`
	Size              int64          `json:"size"`
	Graph             map[string]any `json:"graph"` // the item as Graph returns it
}

// DumpFile describes attachment or photo bytes without including them.
type DumpFile struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
	IsInline    bool   `json:"isInline"`
	ContentID   string `json:"contentId,omitempty"`
	SHA256      string `json:"sha256"`
	InFile      bool   `json:"storedInFile"`
}

func writeInspect(w http.ResponseWriter, status int, v any) { odata.WritePlainJSON(w, status, v) }

func (e *Emulator) serveInspect(w http.ResponseWriter, r *http.Request) {
	p := strings.Trim(strings.TrimPrefix(r.URL.Path, "/_emulator"), "/")
	parts := strings.Split(p, "/")
	if p == "" {
		parts = nil
	}
	notFound := func() {
		writeInspect(w, http.StatusNotFound, map[string]any{"error": "no such inspection endpoint: " + r.URL.Path})
	}
	switch {
	case len(parts) == 0 && r.Method == http.MethodGet:
		var users []map[string]string
		var items, folders int
		e.store.read(func() {
			for _, m := range e.store.byUPN {
				users = append(users, map[string]string{"id": m.ID, "userPrincipalName": m.UPN})
			}
			items, folders = len(e.store.items), len(e.store.folders)
		})
		sort.Slice(users, func(i, j int) bool { return users[i]["userPrincipalName"] < users[j]["userPrincipalName"] })
		_, total := e.reqlog.snapshot()
		writeInspect(w, http.StatusOK, map[string]any{
			"tenant": e.opts.Tenant, "tenantId": e.ident.TenantID(), "users": users, "items": items, "folders": folders,
			"requests": total, "maxMessageSize": e.opts.MaxMessageSize, "attachmentsOnNonDraft": e.opts.AttachmentsOnNonDraft,
			"persistent": e.store.persistent,
		})
	case len(parts) == 1 && parts[0] == "mailboxes" && r.Method == http.MethodGet:
		var out []map[string]any
		e.store.read(func() {
			for _, m := range e.store.byUPN {
				out = append(out, map[string]any{"id": m.ID, "userPrincipalName": m.UPN, "counts": e.countsLocked(m)})
			}
		})
		sort.Slice(out, func(i, j int) bool {
			return out[i]["userPrincipalName"].(string) < out[j]["userPrincipalName"].(string)
		})
		writeInspect(w, http.StatusOK, map[string]any{"value": out})
	case len(parts) >= 2 && parts[0] == "mailboxes" && r.Method == http.MethodGet:
		m := e.store.mailbox(parts[1])
		if m == nil {
			writeInspect(w, http.StatusNotFound, map[string]any{"error": "no such mailbox: " + parts[1]})
			return
		}
		switch {
		case len(parts) == 2:
			writeInspect(w, http.StatusOK, e.DumpMailbox(r, m.UPN))
		case len(parts) == 3 && parts[2] == "counts":
			var c map[string]any
			e.store.read(func() { c = e.countsLocked(m) })
			writeInspect(w, http.StatusOK, c)
		default:
			notFound()
		}
	case len(parts) == 1 && parts[0] == "requests":
		switch r.Method {
		case http.MethodGet:
			list, total := e.reqlog.snapshot()
			writeInspect(w, http.StatusOK, map[string]any{"total": total, "value": list})
		case http.MethodDelete:
			e.reqlog.reset()
			w.WriteHeader(http.StatusNoContent)
		default:
			notFound()
		}
	case len(parts) == 1 && parts[0] == "throttle" && r.Method == http.MethodGet:
		var out []map[string]any
		if e.limiter != nil {
			for k, st := range e.limiter.Stats() {
				out = append(out, map[string]any{"app": k.App, "mailbox": k.Mailbox, "stat": st})
			}
		}
		writeInspect(w, http.StatusOK, map[string]any{"enabled": e.limiter != nil, "value": out})
	case len(parts) == 1 && parts[0] == "uploads" && r.Method == http.MethodGet:
		var out []map[string]any
		e.store.read(func() {
			for _, s := range e.store.sessions {
				out = append(out, map[string]any{"id": s.ID, "mailbox": s.Mailbox, "itemId": s.ItemID, "name": s.Name,
					"size": s.Size, "nextExpected": s.Next, "expires": s.Expires})
			}
		})
		writeInspect(w, http.StatusOK, map[string]any{"value": out})
	case len(parts) == 1 && parts[0] == "reset" && r.Method == http.MethodPost:
		if err := e.Reset(); err != nil {
			writeInspect(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		notFound()
	}
}

// Reset deletes every folder, item and upload session (the well-known
// folders come back empty) and clears the request log and the meeting
// message counts.
func (e *Emulator) Reset() error {
	if err := e.store.reset(); err != nil {
		return err
	}
	e.reqlog.reset()
	e.meetMu.Lock()
	e.meetingMessages = nil
	e.meetMu.Unlock()
	return nil
}

// countsLocked counts a mailbox's items per folder path. Callers hold the
// read lock.
func (e *Emulator) countsLocked(m *mailbox) map[string]any {
	perFolder := map[string]int{}
	totals := map[string]int{}
	for _, it := range e.store.items {
		if it.Mailbox != m.ID {
			continue
		}
		perFolder[it.FolderID]++
		totals[itemTypeNameOnly(it.Kind)]++
	}
	folders := map[string]any{}
	for _, f := range e.store.folders {
		if f.Mailbox == m.ID && (perFolder[f.ID] > 0 || f.WellKnown == "") {
			folders[f.Kind+":"+e.folderPathLocked(f)] = perFolder[f.ID]
		}
	}
	return map[string]any{"messages": totals["message"], "contacts": totals["contact"], "events": totals["event"], "folders": folders}
}

func itemTypeNameOnly(kind string) string { n, _ := itemTypeName(kind); return n }

// folderPathLocked returns the display-name path of f below its kind's
// root. Callers hold the read lock.
func (e *Emulator) folderPathLocked(f *folder) string {
	var names []string
	for cur := f; cur != nil && !(cur.Hidden && cur.WellKnown != "contacts"); {
		names = append([]string{cur.DisplayName}, names...)
		cur = e.store.folders[cur.ParentID]
	}
	return strings.Join(names, "/")
}

// DumpMailbox returns every folder and item of the mailbox (by id or UPN)
// with all their properties, for tests. r supplies the base URL and the
// Prefer header used to render Graph views; it may be nil.
func (e *Emulator) DumpMailbox(r *http.Request, key string) *DumpMailbox {
	s := e.store
	m := s.mailbox(key)
	if m == nil {
		return nil
	}
	if r == nil {
		r, _ = http.NewRequest(http.MethodGet, "http://emulator.invalid/", nil)
	}
	rq := &req{r: r, e: e, mb: m, q: &odata.Query{}, base: odata.BaseURL(r)}
	out := &DumpMailbox{ID: m.ID, UPN: m.UPN, MeetingMessagesSent: e.MeetingMessagesSent(m.ID), MasterCategories: e.MasterCategories(m.ID)}
	s.read(func() { e.dumpFoldersLocked(rq, out) })
	return out
}

// dumpFoldersLocked adds the mailbox's folders and items to out. Callers
// hold the read lock.
func (e *Emulator) dumpFoldersLocked(rq *req, out *DumpMailbox) {
	s, m := e.store, rq.mb
	for _, f := range sortedFolders(s.folders) {
		if f.Mailbox != m.ID {
			continue
		}
		df := DumpFolder{ID: f.ID, Kind: f.Kind, Path: e.folderPathLocked(f), DisplayName: f.DisplayName, WellKnown: f.WellKnown,
			ParentID: f.ParentID, Ext: nonNil(f.Ext), Multi: nonNilM(f.Multi), Items: []DumpItem{}}
		for _, it := range s.folderItems(m.ID, f.Kind, f.ID) {
			di := DumpItem{ID: it.ID, Kind: itemTypeNameOnly(it.Kind), IsDraft: it.IsDraft, IsRead: it.IsRead, CreatedViaMIME: it.ViaMIME,
				CreatedDateTime: graphTime(it.Created), TransactionID: it.TransactionID, InvitationsSent: it.InvitationsSent,
				InvitationsSentTo: it.InvitationsSentTo, Ext: nonNil(it.Ext), Multi: nonNilM(it.Multi), Attachments: []DumpFile{},
				Size: messageSize(it)}
			if it.Kind == kindMail {
				di.ReceivedDateTime = graphTime(it.Received)
				di.SentDateTime = graphTime(it.Sent)
			}
			for _, a := range it.Attachments {
				di.Attachments = append(di.Attachments, dumpFile(a))
			}
			if it.Photo != nil {
				p := dumpFile(it.Photo)
				di.Photo = &p
			}
			v := e.itemView(rq, it)
			resolveLazy(v)
			delete(v, "@odata.context")
			delete(v, "singleValueExtendedProperties")
			delete(v, "multiValueExtendedProperties")
			delete(v, "attachments")
			if raw, ok := it.Props["internetMessageHeaders"]; ok {
				v["internetMessageHeaders"] = rawToAny(raw)
			}
			di.Graph = v
			df.Items = append(df.Items, di)
		}
		out.Folders = append(out.Folders, df)
	}
}

func dumpFile(a *attachment) DumpFile {
	return DumpFile{ID: a.ID, Name: a.Name, ContentType: a.ContentType, Size: a.Size, IsInline: a.IsInline, ContentID: a.ContentID,
		SHA256: a.SHA256, InFile: a.Blob != ""}
}

func nonNil(l []ExtProp) []ExtProp {
	if l == nil {
		return []ExtProp{}
	}
	return l
}

func nonNilM(l []MultiExtProp) []MultiExtProp {
	if l == nil {
		return []MultiExtProp{}
	}
	return l
}

// FaultStats returns how many responses Options.Faults has changed since
// the emulator started, by outcome as the spec names it ("500", "slow",
// "reset", ...); Reset does not clear it. Empty without faults.
func (e *Emulator) FaultStats() map[string]int64 { return e.injector.Stats() }
