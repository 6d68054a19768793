package graphemu

import (
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones for event time zones on any host

	"github.com/migrate-tool/migrate/target/graphemu/internal/ids"
	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// ---- contacts ----

var readOnlyContactProps = setOf("id", "createdDateTime", "lastModifiedDateTime", "changeKey", "parentFolderId", "photo", "extensions")

// createContact serves POST on a contacts collection: 201 and the contact.
// https://learn.microsoft.com/graph/api/user-post-contacts,
// https://learn.microsoft.com/graph/api/contactfolder-post-contacts.
func (e *Emulator) createContact(rq *req, folderID string) {
	raw, single, multi, aerr := readPropsObject(rq, contactProps, "contact")
	if aerr != nil {
		rq.fail(aerr)
		return
	}
	if p := checkContactLimits(raw); p != nil {
		rq.fail(p)
		return
	}
	now := time.Now().UTC()
	it := &item{ID: newGraphID("AAMkAD"), Mailbox: rq.mb.ID, Kind: kindContact, FolderID: folderID, Props: map[string]json.RawMessage{},
		Ext: single, Multi: multi, Created: now, Modified: now, ChangeKey: newChangeKey()}
	for k, b := range raw {
		if readOnlyContactProps[k] || k == "singleValueExtendedProperties" || k == "multiValueExtendedProperties" || strings.HasPrefix(k, "@") {
			continue
		}
		it.Props[k] = b
	}
	fillDisplayName(it)
	e.insertItem(rq, it)
}

// fillDisplayName derives displayName from the name parts when absent, as
// Outlook does.
func fillDisplayName(it *item) {
	if rawString(it.Props, "displayName") != "" {
		return
	}
	var parts []string
	for _, k := range []string{"givenName", "middleName", "surname"} {
		if s := rawString(it.Props, k); s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) > 0 {
		it.Props["displayName"] = mustRaw(strings.Join(parts, " "))
	}
}

// contactView renders a contact.
// https://learn.microsoft.com/graph/api/resources/contact
func (e *Emulator) contactView(rq *req, it *item) map[string]any {
	v := itemViewHead(rq, it, "contacts", graphTime)
	maps.Copy(v, map[string]any{
		"parentFolderId":   it.FolderID,
		"birthday":         nil,
		"fileAs":           "",
		"displayName":      "",
		"givenName":        nil,
		"initials":         nil,
		"middleName":       nil,
		"nickName":         nil,
		"surname":          nil,
		"title":            nil,
		"jobTitle":         nil,
		"companyName":      nil,
		"department":       nil,
		"officeLocation":   nil,
		"profession":       nil,
		"businessHomePage": nil,
		"mobilePhone":      nil,
		"personalNotes":    "",
		"businessPhones":   []any{},
		"homePhones":       []any{},
		"imAddresses":      []any{},
		"emailAddresses":   []any{},
		"children":         []any{},
		"homeAddress":      map[string]any{},
		"businessAddress":  map[string]any{},
		"otherAddress":     map[string]any{},
	})
	for k, raw := range it.Props {
		v[k] = rawToAny(raw)
	}
	v["singleValueExtendedProperties"] = extView(it.Ext)
	v["multiValueExtendedProperties"] = multiView(it.Multi)
	return v
}

// updateContact serves PATCH on a contact.
// https://learn.microsoft.com/graph/api/contact-update
func (e *Emulator) updateContact(rq *req, it *item) {
	e.patchItem(rq, it, itemPatch{readOnly: readOnlyContactProps, finish: func(raw map[string]json.RawMessage, _, _ *item) *odata.Problem {
		return checkContactLimits(raw)
	}})
}

// contactLimits are the most entries Exchange keeps in a contact's
// multi-value properties (MAPI's Email1-3, [MS-OXOCNTC] 2.2.1.2; two
// business and two home phones). Graph does not document them on the
// contact resource but answers 400 "The multi value property
// EmailAddresses has 4 entries, that exceeds the max allowed value of 3"
// (microsoft-graph-docs-contrib #560); the error code is not given there.
var contactLimits = []struct {
	prop, name string
	max        int
}{{"emailAddresses", "EmailAddresses", 3}, {"businessPhones", "BusinessPhones", 2}, {"homePhones", "HomePhones", 2}}

// checkContactLimits refuses a contact body over contactLimits.
func checkContactLimits(raw map[string]json.RawMessage) *odata.Problem {
	for _, l := range contactLimits {
		b, ok := raw[l.prop]
		if !ok {
			continue
		}
		var list []json.RawMessage
		if err := json.Unmarshal(b, &list); err != nil {
			continue // the type check reports it
		}
		if len(list) > l.max {
			return odata.BadRequest("ErrorInvalidProperty", "The multi value property %s has %d entries, that exceeds the max allowed value of %d", l.name, len(list), l.max)
		}
	}
	return nil
}

// itemPatch says how a PATCH body changes an item of one kind. Every
// property of the body the type has is stored as given unless readOnly
// (ignored, as Graph computes it) or taken by prop; single-value extended
// properties are set unless ext says not to; finish adjusts the result.
// The hooks run under the store's write lock.
type itemPatch struct {
	readOnly map[string]bool
	// prop handles property k itself when it returns true (with a
	// Problem that refuses the request, or nil).
	prop func(k string, b json.RawMessage, raw map[string]json.RawMessage, cur, n *item) (bool, *odata.Problem)
	// ext may act on a single-value extended property; false leaves it
	// unset.
	ext func(p ExtProp, raw map[string]json.RawMessage, n *item) bool
	// finish checks and adjusts n once every property is applied.
	finish func(raw map[string]json.RawMessage, cur, n *item) *odata.Problem
}

// patchItem serves PATCH on an item: it merges the body into a copy of
// the item as p says and answers 200 with the new version.
func (e *Emulator) patchItem(rq *req, it *item, p itemPatch) {
	tn, known := itemTypeName(it.Kind)
	raw, single, multi, aerr := readPropsObject(rq, known, tn)
	if aerr != nil {
		rq.fail(aerr)
		return
	}
	n, aerr := e.store.updateItem(it.ID, "save the item", func(cur, n *item) *odata.Problem {
		for k, b := range raw {
			if p.prop != nil {
				if handled, err := p.prop(k, b, raw, cur, n); err != nil {
					return err
				} else if handled {
					continue
				}
			}
			if p.readOnly[k] || k == "singleValueExtendedProperties" || k == "multiValueExtendedProperties" || k == "attachments" || strings.HasPrefix(k, "@") {
				continue
			}
			n.Props[k] = b
		}
		for _, x := range single {
			if p.ext == nil || p.ext(x, raw, n) {
				n.Ext = setExt(n.Ext, x.ID, x.Value)
			}
		}
		for _, x := range multi {
			n.Multi = setMulti(n.Multi, x.ID, x.Value)
		}
		if p.finish != nil {
			return p.finish(raw, cur, n)
		}
		return nil
	})
	if aerr != nil {
		rq.fail(aerr)
		return
	}
	e.writeEntity(rq, http.StatusOK, n.Kind, "item", e.itemView(rq, n))
}

// routePhoto serves a contact's photo: GET/PUT .../photo/$value and GET
// .../photo (metadata).
// https://learn.microsoft.com/graph/api/profilephoto-get and
// https://learn.microsoft.com/graph/api/profilephoto-update ("PUT
// /users/{id}/contacts/{id}/photo/$value"; 200 OK).
func (e *Emulator) routePhoto(rq *req, it *item, rest []string) {
	value := len(rest) == 1 && rest[0] == "$value"
	if len(rest) > 1 || (len(rest) == 1 && !value) {
		rq.fail(segmentNotFound(rest[0]))
		return
	}
	switch rq.r.Method {
	case http.MethodGet:
		var p *attachment
		if cur := e.store.item(it.ID); cur != nil {
			p = cur.Photo
		}
		if p == nil {
			rq.fail(odata.NewProblem(404, "ErrorItemNotFound", "The photo wasn't found."))
			return
		}
		if value {
			rq.w.Header().Set("Content-Type", p.ContentType)
			rq.w.Header().Set("Content-Length", strconv.FormatInt(p.Size, 10))
			rq.w.WriteHeader(http.StatusOK)
			e.copyAttachment(rq.w, p)
			return
		}
		rq.json(http.StatusOK, map[string]any{
			"@odata.context":          rq.base + "/v1.0/$metadata#users('" + rq.mb.ID + "')/contacts('" + it.ID + "')/photo/$entity",
			"@odata.mediaContentType": p.ContentType,
			"@odata.mediaEtag":        `W/"` + p.SHA256[:16] + `"`,
			"id":                      "default",
			"height":                  nil,
			"width":                   nil,
		})
	case http.MethodPut, http.MethodPatch:
		if !value {
			rq.fail(methodNotAllowed())
			return
		}
		data, aerr := readBody(rq)
		if aerr != nil {
			rq.fail(aerr)
			return
		}
		ct := rq.r.Header.Get("Content-Type")
		if !strings.HasPrefix(ct, "image/") {
			rq.fail(odata.NewProblem(415, "ErrorInvalidImage", "The photo's Content-Type must be an image type such as image/jpeg."))
			return
		}
		if len(data) == 0 {
			rq.fail(odata.BadRequest("ErrorInvalidImage", "The photo is empty."))
			return
		}
		a, aerr := e.newAttachment("photo", ct, data, false, "")
		if aerr != nil {
			rq.fail(aerr)
			return
		}
		if _, p := e.store.updateItem(it.ID, "save the photo", func(_, n *item) *odata.Problem {
			n.Photo = a
			return nil
		}); p != nil {
			e.store.removeBlob(a.Blob)
			rq.fail(p)
			return
		}
		odata.RequestID(rq.w)
		rq.w.WriteHeader(http.StatusOK)
	default:
		rq.fail(methodNotAllowed())
	}
}

// ---- events ----

var readOnlyEventProps = setOf("id", "createdDateTime", "lastModifiedDateTime", "changeKey", "bodyPreview", "hasAttachments",
	"iCalUId", "isOrganizer", "isCancelled", "originalStart", "seriesMasterId", "type", "webLink", "onlineMeetingUrl",
	"responseStatus", "calendar", "instances", "extensions", "attachments", "isDraft")

// windowsZones maps common Windows time zone names, which Graph accepts
// and returns, to IANA zones.
// https://learn.microsoft.com/graph/api/resources/datetimetimezone ("timeZone
// ... See TimeZone property for more possible values") and
// https://learn.microsoft.com/windows-hardware/manufacture/desktop/default-time-zones
var windowsZones = map[string]string{
	"utc": "UTC", "coordinated universal time": "UTC", "gmt standard time": "Europe/London", "greenwich standard time": "Atlantic/Reykjavik",
	"w. europe standard time": "Europe/Berlin", "central europe standard time": "Europe/Budapest", "romance standard time": "Europe/Paris",
	"central european standard time": "Europe/Warsaw", "e. europe standard time": "Europe/Chisinau", "fle standard time": "Europe/Kiev",
	"gtb standard time": "Europe/Bucharest", "russian standard time": "Europe/Moscow", "turkey standard time": "Europe/Istanbul",
	"israel standard time": "Asia/Jerusalem", "south africa standard time": "Africa/Johannesburg", "egypt standard time": "Africa/Cairo",
	"arabian standard time": "Asia/Dubai", "arab standard time": "Asia/Riyadh", "india standard time": "Asia/Kolkata",
	"china standard time": "Asia/Shanghai", "singapore standard time": "Asia/Singapore", "tokyo standard time": "Asia/Tokyo",
	"korea standard time": "Asia/Seoul", "aus eastern standard time": "Australia/Sydney", "e. australia standard time": "Australia/Brisbane",
	"w. australia standard time": "Australia/Perth", "new zealand standard time": "Pacific/Auckland", "hawaiian standard time": "Pacific/Honolulu",
	"alaskan standard time": "America/Anchorage", "pacific standard time": "America/Los_Angeles", "mountain standard time": "America/Denver",
	"us mountain standard time": "America/Phoenix", "central standard time": "America/Chicago", "eastern standard time": "America/New_York",
	"atlantic standard time": "America/Halifax", "e. south america standard time": "America/Sao_Paulo", "argentina standard time": "America/Buenos_Aires",
	"canada central standard time": "America/Regina", "mexico standard time": "America/Mexico_City", "sa pacific standard time": "America/Bogota",
	"w. europe standard time (dst)": "Europe/Berlin",
}

// resolveTZ returns the location of a Windows or IANA time zone name.
func resolveTZ(name string) (*time.Location, bool) {
	n := strings.TrimSpace(name)
	if n == "" {
		return time.UTC, true
	}
	if iana, ok := windowsZones[strings.ToLower(n)]; ok {
		n = iana
	}
	loc, err := time.LoadLocation(n)
	if err != nil {
		return nil, false
	}
	return loc, true
}

type dateTimeTZ struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

// parseDTZ parses a dateTimeTimeZone into an instant.
func parseDTZ(raw json.RawMessage, prop string) (time.Time, string, *odata.Problem) {
	var d dateTimeTZ
	if err := json.Unmarshal(raw, &d); err != nil || d.DateTime == "" {
		return time.Time{}, "", odata.BadRequest("ErrorInvalidRequest", "The %s property must be a dateTimeTimeZone with a dateTime.", prop)
	}
	loc, ok := resolveTZ(d.TimeZone)
	if !ok {
		// Graph's answer to an unknown zone.
		return time.Time{}, "", odata.BadRequest("TimeZoneNotSupportedException", "A valid TimeZone value must be specified. The following TimeZone value is not supported: '%s'.", d.TimeZone)
	}
	for _, layout := range []string{"2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSuffix(d.DateTime, "Z"), loc); err == nil {
			return t, d.TimeZone, nil
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, d.DateTime); err == nil {
		return t, d.TimeZone, nil
	}
	return time.Time{}, "", odata.BadRequest("ErrorInvalidRequest", "The dateTime '%s' of %s is not valid.", d.DateTime, prop)
}

// checkRecurrence validates a patternedRecurrence: a pattern whose
// fields do not fit its type, or a range Graph cannot hold, is a 400.
// Microsoft documents the properties each pattern type requires (the
// recurrencePattern page's table: interval always, daysOfWeek for weekly
// and the relative types, dayOfMonth for the absolute ones, month for
// the yearly ones; index one of first, second, third, fourth, last) and
// each range type (endDate for endDate, numberOfOccurrences for
// numbered), not the error Graph answers: the emulator answers with
// Graph's error shape and ErrorInvalidRequest.
// https://learn.microsoft.com/graph/api/resources/patternedrecurrence,
// https://learn.microsoft.com/graph/api/resources/recurrencepattern,
// https://learn.microsoft.com/graph/api/resources/recurrencerange.
func checkRecurrence(raw json.RawMessage) *odata.Problem {
	if string(raw) == "null" {
		return nil
	}
	var r struct {
		Pattern *struct {
			Type       string   `json:"type"`
			Interval   int      `json:"interval"`
			DaysOfWeek []string `json:"daysOfWeek"`
			DayOfMonth int      `json:"dayOfMonth"`
			Month      int      `json:"month"`
			Index      string   `json:"index"`
		} `json:"pattern"`
		Range *struct {
			Type                string `json:"type"`
			StartDate           string `json:"startDate"`
			EndDate             string `json:"endDate"`
			NumberOfOccurrences int    `json:"numberOfOccurrences"`
		} `json:"range"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || r.Pattern == nil || r.Range == nil {
		return odata.BadRequest("ErrorInvalidRequest", "recurrence needs a pattern and a range.")
	}
	p := r.Pattern
	switch p.Type {
	case "daily", "weekly", "absoluteMonthly", "relativeMonthly", "absoluteYearly", "relativeYearly":
	default:
		return odata.BadRequest("ErrorInvalidRequest", "Recurrence pattern type '%s' is not valid.", p.Type)
	}
	if p.Interval < 1 {
		return odata.BadRequest("ErrorInvalidRequest", "Recurrence pattern interval must be at least 1.")
	}
	if (p.Type == "weekly" || strings.HasPrefix(p.Type, "relative")) && len(p.DaysOfWeek) == 0 {
		return odata.BadRequest("ErrorInvalidRequest", "Recurrence pattern type '%s' requires daysOfWeek.", p.Type)
	}
	for _, d := range p.DaysOfWeek {
		switch d {
		case "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday":
		default:
			return odata.BadRequest("ErrorInvalidRequest", "Recurrence pattern daysOfWeek value '%s' is not a day of the week.", d)
		}
	}
	if strings.HasPrefix(p.Type, "absolute") && (p.DayOfMonth < 1 || p.DayOfMonth > 31) {
		return odata.BadRequest("ErrorInvalidRequest", "Recurrence pattern type '%s' requires dayOfMonth.", p.Type)
	}
	if strings.HasSuffix(p.Type, "Yearly") && (p.Month < 1 || p.Month > 12) {
		return odata.BadRequest("ErrorInvalidRequest", "Recurrence pattern type '%s' requires month.", p.Type)
	}
	switch p.Index {
	case "", "first", "second", "third", "fourth", "last":
	default:
		return odata.BadRequest("ErrorInvalidRequest", "Recurrence pattern index '%s' is not valid.", p.Index)
	}
	start, err := time.Parse("2006-01-02", r.Range.StartDate)
	if err != nil {
		return odata.BadRequest("ErrorInvalidRequest", "Recurrence range startDate is required (yyyy-mm-dd).")
	}
	switch r.Range.Type {
	case "noEnd":
	case "endDate":
		end, err := time.Parse("2006-01-02", r.Range.EndDate)
		if err != nil {
			return odata.BadRequest("ErrorInvalidRequest", "Recurrence range of type endDate requires endDate.")
		}
		if end.Before(start) {
			return odata.BadRequest("ErrorInvalidRequest", "Recurrence range endDate %s is before its startDate %s.", r.Range.EndDate, r.Range.StartDate)
		}
	case "numbered":
		if r.Range.NumberOfOccurrences < 1 {
			return odata.BadRequest("ErrorInvalidRequest", "Recurrence range of type numbered requires numberOfOccurrences.")
		}
	default:
		return odata.BadRequest("ErrorInvalidRequest", "Recurrence range type '%s' is not valid.", r.Range.Type)
	}
	return nil
}

// attendeeAddresses lists the attendees' email addresses.
func attendeeAddresses(raw json.RawMessage) ([]string, *odata.Problem) {
	var as []struct {
		EmailAddress struct {
			Address string `json:"address"`
		} `json:"emailAddress"`
		Type string `json:"type"`
	}
	if string(raw) == "null" {
		return nil, nil
	}
	if err := json.Unmarshal(raw, &as); err != nil {
		return nil, odata.BadRequest("RequestBodyRead", "Cannot read attendees: %v", err)
	}
	var out []string
	for _, a := range as {
		if a.EmailAddress.Address == "" {
			return nil, odata.BadRequest("ErrorInvalidRequest", "Every attendee needs an emailAddress.address.")
		}
		out = append(out, a.EmailAddress.Address)
	}
	return out, nil
}

// checkAllDay refuses an all-day event whose start and end are not at
// midnight in one time zone: "If true, regardless of whether it's a
// single-day or multi-day event, start, and end time must be set to
// midnight and be in the same time zone"
// (https://learn.microsoft.com/graph/api/resources/event, isAllDay). A
// PATCH setting isAllDay must send start and end with it.
func checkAllDay(raw map[string]json.RawMessage) *odata.Problem {
	var s, e dateTimeTZ
	if json.Unmarshal(raw["start"], &s) != nil || json.Unmarshal(raw["end"], &e) != nil || s.DateTime == "" || e.DateTime == "" {
		return odata.BadRequest("ErrorInvalidRequest", "An all-day event needs a start and an end.")
	}
	zs, _ := resolveTZ(s.TimeZone)
	ze, _ := resolveTZ(e.TimeZone)
	st, _, p1 := parseDTZ(raw["start"], "start")
	en, _, p2 := parseDTZ(raw["end"], "end")
	if p1 != nil || p2 != nil || zs == nil || ze == nil || zs.String() != ze.String() {
		return odata.BadRequest("ErrorInvalidRequest", "The start and end of an all-day event must be in the same time zone.")
	}
	midnight := func(t time.Time) bool {
		return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
	}
	if !midnight(st.In(zs)) || !midnight(en.In(zs)) || !en.After(st) {
		return odata.BadRequest("ErrorInvalidRequest", "The start and end time of an all-day event must be set to midnight.")
	}
	return nil
}

// checkEventTimes validates start, end and recurrence of an event body.
func checkEventTimes(raw map[string]json.RawMessage, creating bool) *odata.Problem {
	var start, end time.Time
	var err *odata.Problem
	if b, ok := raw["start"]; ok {
		if start, _, err = parseDTZ(b, "start"); err != nil {
			return err
		}
	} else if creating {
		return odata.BadRequest("ErrorInvalidRequest", "The start property is required.")
	}
	if b, ok := raw["end"]; ok {
		if end, _, err = parseDTZ(b, "end"); err != nil {
			return err
		}
	} else if creating {
		return odata.BadRequest("ErrorInvalidRequest", "The end property is required.")
	}
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		return odata.BadRequest("ErrorInvalidRequest", "The end of the event must not be before its start.")
	}
	if string(raw["isAllDay"]) == "true" {
		if err := checkAllDay(raw); err != nil {
			return err
		}
	}
	if b, ok := raw["recurrence"]; ok {
		if err := checkRecurrence(b); err != nil {
			return err
		}
	}
	return nil
}

// createEvent serves POST on an events collection. An event with
// attendees sends them invitations, which the emulator records
// (invitationsSent in the inspection API); transactionId makes creation
// idempotent: a POST repeating an existing transactionId returns the
// event already created instead of a second one.
// https://learn.microsoft.com/graph/api/user-post-events ("When an event
// is sent, the server sends invitations to all the attendees"),
// https://learn.microsoft.com/graph/api/resources/event (transactionId:
// "for the server to avoid redundant POST operations in case of client
// retries to create the same event").
func (e *Emulator) createEvent(rq *req, folderID string) {
	raw, aerr := readKnownObject(rq, eventProps, "event")
	if aerr != nil {
		rq.fail(aerr)
		return
	}
	if err := checkEventTimes(raw, true); err != nil {
		rq.fail(err)
		return
	}
	single, multi, aerr := decodeExtProps(raw)
	if aerr != nil {
		rq.fail(aerr)
		return
	}
	var invitees []string
	if b, ok := raw["attendees"]; ok {
		if invitees, aerr = attendeeAddresses(b); aerr != nil {
			rq.fail(aerr)
			return
		}
	}
	txn := rawString(raw, "transactionId")
	if txn != "" {
		var existing *item
		e.store.read(func() {
			for _, it := range e.store.items {
				if it.Mailbox == rq.mb.ID && it.Kind == kindCalendar && it.TransactionID == txn {
					existing = it
				}
			}
		})
		if existing != nil {
			// The same event again is a retry; another event with the same
			// transactionId is refused, as Exchange does (observed answer:
			// ErrorDuplicateTransactionId, reported in
			// https://github.com/alcionai/corso/issues/2490).
			if existing.FolderID != folderID || !sameEventCore(existing.Props, raw) {
				rq.fail(odata.BadRequest("ErrorDuplicateTransactionId", "Your request can't be completed. The TransactionId specified in the request has already been used to create a different event."))
				return
			}
			e.writeEntity(rq, http.StatusCreated, kindCalendar, "item", e.itemView(rq, existing))
			return
		}
	}
	now := time.Now().UTC()
	it := &item{ID: newGraphID("AAMkAD"), Mailbox: rq.mb.ID, Kind: kindCalendar, FolderID: folderID, Props: map[string]json.RawMessage{},
		Ext: single, Multi: multi, Created: now, Modified: now, ChangeKey: newChangeKey(), TransactionID: txn}
	for k, b := range raw {
		switch {
		case readOnlyEventProps[k], k == "singleValueExtendedProperties", k == "multiValueExtendedProperties", strings.HasPrefix(k, "@"):
		case k == "body":
			if err := e.setBody(it, b); err != nil {
				rq.fail(err)
				return
			}
		default:
			it.Props[k] = b
		}
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
	if len(invitees) > 0 {
		it.InvitationsSent = true
		it.InvitationsSentTo = invitees
	}
	if e.insertItem(rq, it) {
		e.countMeetingMessages(rq.mb.ID, len(invitees))
	}
}

// updateEvent serves PATCH on an event. Changing attendees sends updates
// (recorded like invitations).
// https://learn.microsoft.com/graph/api/event-update
func (e *Emulator) updateEvent(rq *req, it *item) {
	e.patchItem(rq, it, itemPatch{readOnly: readOnlyEventProps, finish: func(raw map[string]json.RawMessage, old, n *item) *odata.Problem {
		if err := checkEventTimes(raw, false); err != nil {
			return err
		}
		if _, ok := raw["transactionId"]; ok {
			// "you cannot change transactionId in a subsequent update"
			if old.TransactionID != "" {
				n.Props["transactionId"] = mustRaw(old.TransactionID)
			}
		}
		// Every attendee of the event as updated gets an update.
		if addrs, _ := attendeeAddresses(n.Props["attendees"]); len(addrs) > 0 {
			e.countMeetingMessages(n.Mailbox, len(addrs))
		}
		if b, ok := raw["attendees"]; ok {
			addrs, err := attendeeAddresses(b)
			if err != nil {
				return err
			}
			if len(addrs) > 0 {
				n.InvitationsSent = true
				for _, a := range addrs {
					found := false
					for _, x := range n.InvitationsSentTo {
						found = found || strings.EqualFold(x, a)
					}
					if !found {
						n.InvitationsSentTo = append(n.InvitationsSentTo, a)
					}
				}
			}
		}
		if b, ok := raw["body"]; ok {
			return e.setBody(n, b)
		}
		return nil
	}})
}

// countMeetingMessages records n meeting messages (invitations, updates
// or cancellations) Graph would have mailed for mailbox mbID.
func (e *Emulator) countMeetingMessages(mbID string, n int) {
	if n <= 0 {
		return
	}
	e.meetMu.Lock()
	defer e.meetMu.Unlock()
	if e.meetingMessages == nil {
		e.meetingMessages = map[string]int{}
	}
	e.meetingMessages[mbID] += n
}

// MeetingMessagesSent returns how many meeting messages Graph would have
// mailed for the events of mailbox mbID (by id) since the emulator
// started: one per attendee for each event created with attendees
// (invitations), each PATCH of an event with attendees (updates) and
// each such event deleted (cancellations). A migration must leave it 0.
func (e *Emulator) MeetingMessagesSent(mbID string) int {
	e.meetMu.Lock()
	defer e.meetMu.Unlock()
	return e.meetingMessages[mbID]
}

// preferredZone returns the zone of a Prefer: outlook.timezone="..."
// header; events are returned in UTC without it.
// https://learn.microsoft.com/graph/api/event-get ("Prefer:
// outlook.timezone").
func preferredZone(r *http.Request) (*time.Location, string) {
	for _, p := range r.Header.Values("Prefer") {
		for _, part := range strings.Split(p, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "outlook.timezone") {
				name := strings.Trim(strings.TrimSpace(v), `"`)
				if loc, ok := resolveTZ(name); ok {
					return loc, name
				}
			}
		}
	}
	return time.UTC, "UTC"
}

// eventView renders an event.
// https://learn.microsoft.com/graph/api/resources/event
func (e *Emulator) eventView(rq *req, it *item) map[string]any {
	v := itemViewHead(rq, it, "events", eventTime)
	maps.Copy(v, map[string]any{
		"originalStartTimeZone":      "UTC",
		"originalEndTimeZone":        "UTC",
		"iCalUId":                    "040000008200E00074C5B7101A82E008" + strings.ToUpper(randomHexFrom(it.ID)),
		"reminderMinutesBeforeStart": 15,
		"isReminderOn":               true,
		"hasAttachments":             false,
		"subject":                    "",
		"importance":                 "normal",
		"sensitivity":                "normal",
		"isAllDay":                   false,
		"isCancelled":                false,
		"isOrganizer":                true,
		"isDraft":                    false,
		"responseRequested":          true,
		"seriesMasterId":             nil,
		"showAs":                     "busy",
		"type":                       "singleInstance",
		"webLink":                    "https://outlook.office365.com/owa/?itemid=" + strings.ReplaceAll(it.ID, "=", "%3D") + "&exvsurl=1&path=/calendar/item",
		"onlineMeetingUrl":           nil,
		"isOnlineMeeting":            false,
		"onlineMeetingProvider":      "unknown",
		"allowNewTimeProposals":      true,
		"hideAttendees":              false,
		"recurrence":                 nil,
		"responseStatus":             map[string]any{"response": "organizer", "time": "0001-01-01T00:00:00Z"},
		"location":                   map[string]any{"displayName": "", "locationType": "default", "uniqueIdType": "unknown", "address": map[string]any{}, "coordinates": map[string]any{}},
		"locations":                  []any{},
		"attendees":                  []any{},
		"organizer":                  map[string]any{"emailAddress": map[string]any{"name": rq.mb.DisplayName, "address": rq.mb.UPN}},
	})
	for k, raw := range it.Props {
		v[k] = rawToAny(raw)
	}
	loc, zoneName := preferredZone(rq.r)
	for _, k := range []string{"start", "end"} {
		raw, ok := it.Props[k]
		if !ok {
			continue
		}
		t, tz, err := parseDTZ(raw, k)
		if err != nil {
			continue
		}
		v[k] = map[string]any{"dateTime": t.In(loc).Format("2006-01-02T15:04:05.0000000"), "timeZone": zoneName}
		if k == "start" {
			v["originalStartTimeZone"] = tz
		} else {
			v["originalEndTimeZone"] = tz
		}
	}
	if _, ok := it.Props["recurrence"]; ok && v["recurrence"] != nil {
		v["type"] = "seriesMaster"
	}
	body, preview := e.bodyView(it)
	v["body"] = body
	v["bodyPreview"] = preview
	for _, a := range it.Attachments {
		if !a.IsInline {
			v["hasAttachments"] = true
		}
	}
	if it.TransactionID != "" {
		v["transactionId"] = it.TransactionID
	} else {
		v["transactionId"] = nil
	}
	v["singleValueExtendedProperties"] = extView(it.Ext)
	v["multiValueExtendedProperties"] = multiView(it.Multi)
	v["attachments"] = e.attachmentViews(rq, it)
	return v
}

// eventTime formats t as Graph does for event dates (seven fractional
// digits).
func eventTime(t time.Time) string { return t.Format("2006-01-02T15:04:05.0000000Z") }

func randomHexFrom(s string) string {
	return strings.ReplaceAll(ids.StableGUID("ical", s), "-", "")
}

// sameEventCore tells whether a create body describes the same event as
// stored props: same subject, start and end.
func sameEventCore(stored, raw map[string]json.RawMessage) bool {
	if rawString(stored, "subject") != rawString(raw, "subject") {
		return false
	}
	for _, k := range []string{"start", "end"} {
		a, _, err1 := parseDTZ(stored[k], k)
		b, _, err2 := parseDTZ(raw[k], k)
		if err1 != nil || err2 != nil || !a.Equal(b) {
			return false
		}
	}
	return true
}
