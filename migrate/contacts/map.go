package contacts

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/jpeg"
	"sort"
	"strconv"
	"strings"
	"time"

	// Decoders for the photo formats vCards carry, re-encoded to JPEG.
	_ "image/gif"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"

	"github.com/emersion/go-vcard"
	"github.com/migrate-tool/migrate/target"
)

// Graph's limits on a contact, enforced before the request: Graph answers
// a fourth e-mail address or a third business phone with 400 ("exceeds
// the max allowed value of 3", microsoft-graph-docs-contrib #560; MAPI's
// Email1-3, [MS-OXOCNTC] 2.2.1.2), and a request over 4 MB bounds the
// photo (PUT .../contacts/{id}/photo/$value).
const (
	MaxEmails         = 3
	MaxBusinessPhones = 2
	MaxHomePhones     = 2
	MaxMobilePhones   = 1
	MaxPhotoBytes     = 4 << 20
)

// Action is what Map did with a property it could not keep as it was.
type Action string

// The actions a Finding reports.
const (
	// InNotes: no field (or no room) for it; it is written into Notes.
	InNotes Action = "notes"
	// Changed: kept in a changed form (a photo re-encoded to JPEG).
	Changed Action = "changed"
	// Dropped: not kept at all.
	Dropped Action = "dropped"
)

// Finding is one property Map could not keep as it was. It names the
// property, never its value (a report carries no personal data).
type Finding struct {
	Property string
	Action   Action
	Reason   string
}

// Report lists what Map could not keep as it was.
type Report struct {
	Findings []Finding
}

func (r *Report) add(prop string, a Action, reason string) {
	r.Findings = append(r.Findings, Finding{Property: prop, Action: a, Reason: reason})
}

// properties Map handles itself or that mean nothing in the target.
var ignored = map[string]bool{
	"BEGIN": true, "END": true, "VERSION": true, "PRODID": true, "REV": true,
	"UID": true, "X-ABSHOWAS": true, "CLIENTPIDMAP": true, "KIND": true,
}

// Map maps one card onto a target.Contact (SourceKey and ContentID are
// left to the caller). Birthday and Anniversary are the dates as the
// card writes them, at midnight UTC: a date-time is cut to its written
// date and never converted between zones, so the day does not drift
// (Outlook's PR_BIRTHDAY is zone-dependent; midnight UTC is what Graph
// keeps as the date). What has no field, or no room under Graph's limits,
// is appended to Notes under a heading and listed in the Report.
func Map(card vcard.Card) (target.Contact, Report) {
	var (
		c     target.Contact
		rep   Report
		extra []string // lines for Notes
	)
	note := func(prop, label, value, reason string) {
		extra = append(extra, label+": "+value)
		rep.add(prop, InNotes, reason)
	}

	if n := card.Name(); n != nil {
		c.GivenName, c.MiddleName, c.Surname = n.GivenName, n.AdditionalName, n.FamilyName
		c.Title, c.Generation = n.HonorificPrefix, n.HonorificSuffix
	}
	c.DisplayName = strings.TrimSpace(card.PreferredValue(vcard.FieldFormattedName))
	if org := card.Get(vcard.FieldOrganization); org != nil {
		parts := strings.SplitN(org.Value, ";", 3)
		c.CompanyName = parts[0]
		if len(parts) > 1 {
			c.Department = parts[1]
		}
		if len(parts) > 2 && strings.Trim(parts[2], ";") != "" {
			note(vcard.FieldOrganization, "Organization unit", strings.Trim(parts[2], ";"), "only one department in Graph")
		}
	}
	if c.DisplayName == "" {
		c.DisplayName = strings.Join(nonEmpty(c.GivenName, c.MiddleName, c.Surname), " ")
	}
	if c.DisplayName == "" {
		c.DisplayName = c.CompanyName
	}
	c.Nickname = card.Value(vcard.FieldNickname)
	c.JobTitle = card.Value(vcard.FieldTitle)
	c.Profession = card.Value(vcard.FieldRole)

	dates := []struct {
		prop string
		dst  *time.Time
	}{
		{vcard.FieldBirthday, &c.Birthday},
		{vcard.FieldAnniversary, &c.Anniversary},
		{"X-ANNIVERSARY", &c.Anniversary},
		{"X-MS-ANNIVERSARY", &c.Anniversary},
	}
	for _, d := range dates {
		prop, dst := d.prop, d.dst
		v := card.Value(prop)
		if v == "" || !dst.IsZero() {
			continue
		}
		d, ok := parseDate(v)
		if !ok {
			note(prop, label(prop), v, "a date without a year or not a date: Graph needs a full date")
			continue
		}
		*dst = d
	}
	if !c.Anniversary.IsZero() {
		rep.add(vcard.FieldAnniversary, Changed, "no anniversary field in Graph v1.0: kept in an extended property")
	}

	// E-mail addresses, preferred first, up to Graph's three.
	for i, f := range byPref(card[vcard.FieldEmail]) {
		if i < MaxEmails {
			c.Emails = append(c.Emails, target.Address{Name: c.DisplayName, Address: f.Value})
			continue
		}
		note(vcard.FieldEmail, typed("E-mail", f), f.Value, fmt.Sprintf("Graph keeps at most %d e-mail addresses", MaxEmails))
	}

	// Phones: cell to mobile, work to business, home to home; untyped
	// voice numbers to the first of business or home with room; the rest
	// (fax, pager, beyond the limits) to Notes.
	for _, f := range byPref(card[vcard.FieldTelephone]) {
		num := strings.TrimPrefix(f.Value, "tel:")
		types := f.Params.Types()
		has := func(t string) bool { return contains(types, t) }
		switch {
		case has("fax") || has("pager") || has("text") || has("textphone") || has("video"):
			note(vcard.FieldTelephone, typed("Phone", f), num, "no such phone field in Graph")
		case has("cell"):
			if c.MobilePhone == "" {
				c.MobilePhone = num
			} else {
				note(vcard.FieldTelephone, typed("Phone", f), num, "Graph keeps one mobile phone")
			}
		case has("work"):
			if len(c.BusinessPhones) < MaxBusinessPhones {
				c.BusinessPhones = append(c.BusinessPhones, num)
			} else {
				note(vcard.FieldTelephone, typed("Phone", f), num, fmt.Sprintf("Graph keeps at most %d business phones", MaxBusinessPhones))
			}
		case has("home"):
			if len(c.HomePhones) < MaxHomePhones {
				c.HomePhones = append(c.HomePhones, num)
			} else {
				note(vcard.FieldTelephone, typed("Phone", f), num, fmt.Sprintf("Graph keeps at most %d home phones", MaxHomePhones))
			}
		case len(c.BusinessPhones) < MaxBusinessPhones:
			c.BusinessPhones = append(c.BusinessPhones, num)
		case len(c.HomePhones) < MaxHomePhones:
			c.HomePhones = append(c.HomePhones, num)
		default:
			note(vcard.FieldTelephone, typed("Phone", f), num, "no room left among Graph's phones")
		}
	}

	// Addresses: one each of home, business (work) and other.
	for _, a := range card.Addresses() {
		pa := target.PostalAddress{
			Street:     strings.Join(nonEmpty(a.PostOfficeBox, a.StreetAddress, a.ExtendedAddress), "\n"),
			City:       a.Locality,
			State:      a.Region,
			PostalCode: a.PostalCode,
			Country:    a.Country,
		}
		dst := &c.Other
		switch {
		case a.Params.HasType(vcard.TypeHome):
			dst = &c.Home
		case a.Params.HasType(vcard.TypeWork):
			dst = &c.Business
		}
		if *dst == (target.PostalAddress{}) {
			*dst = pa
			continue
		}
		note(vcard.FieldAddress, typed("Address", a.Field), strings.Join(nonEmpty(pa.Street, pa.PostalCode+" "+pa.City, pa.State, pa.Country), ", "), "Graph keeps one address of each kind")
	}

	for i, f := range byPref(card[vcard.FieldURL]) {
		if i == 0 {
			c.BusinessHomePage = f.Value
			continue
		}
		note(vcard.FieldURL, typed("Web site", f), f.Value, "Graph keeps one web site")
	}
	for _, f := range card[vcard.FieldIMPP] {
		c.IMAddresses = append(c.IMAddresses, f.Value)
	}
	for _, cat := range card.Categories() {
		if cat = strings.TrimSpace(cat); cat != "" {
			c.Categories = append(c.Categories, cat)
		}
	}

	if f := card.Get(vcard.FieldPhoto); f != nil {
		photo, reason, changed := decodePhoto(f)
		switch {
		case photo == nil:
			rep.add(vcard.FieldPhoto, Dropped, reason)
		default:
			c.Photo = photo
			if changed {
				rep.add(vcard.FieldPhoto, Changed, reason)
			}
		}
	}

	handled := map[string]bool{
		vcard.FieldFormattedName: true, vcard.FieldName: true, vcard.FieldOrganization: true,
		vcard.FieldNickname: true, vcard.FieldTitle: true, vcard.FieldRole: true,
		vcard.FieldBirthday: true, vcard.FieldAnniversary: true, "X-ANNIVERSARY": true, "X-MS-ANNIVERSARY": true,
		vcard.FieldEmail: true, vcard.FieldTelephone: true, vcard.FieldAddress: true, vcard.FieldURL: true,
		vcard.FieldIMPP: true, vcard.FieldCategories: true, vcard.FieldPhoto: true, vcard.FieldNote: true,
	}
	var rest []string
	for k := range card {
		if !handled[k] && !ignored[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		for _, f := range card[k] {
			note(k, label(k), f.Value, "no such field in Graph")
		}
	}

	notes := strings.Join(card.Values(vcard.FieldNote), "\n")
	if len(extra) > 0 {
		if notes != "" {
			notes += "\n\n"
		}
		notes += NotesHeading + "\n" + strings.Join(extra, "\n")
	}
	c.Notes = notes
	return c, rep
}

// NotesHeading opens the block of Notes that holds what had no field.
const NotesHeading = "-- Also in the vCard --"

// parseDate reads a vCard date (or date-time: its date part as written)
// with a year: 19800229, 1980-02-29, 1980-02-29T10:00:00Z. Dates without
// a year (--0415) are not dates Graph can keep.
func parseDate(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, 'T'); i >= 0 {
		v = v[:i]
	}
	for _, layout := range []string{"20060102", "2006-01-02"} {
		if d, err := time.Parse(layout, v); err == nil {
			return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC), true
		}
	}
	return time.Time{}, false
}

// decodePhoto returns the card's photo as JPEG: inline base64 (3.0
// ENCODING=b, 2.1 ENCODING=BASE64) or a data: URI (4.0). A JPEG is kept as
// it is; another format is re-encoded; a linked photo, an undecodable one
// or one over MaxPhotoBytes is skipped with the reason.
func decodePhoto(f *vcard.Field) (photo []byte, reason string, changed bool) {
	v := f.Value
	enc := strings.ToLower(f.Params.Get("ENCODING"))
	switch {
	case strings.HasPrefix(v, "data:"):
		meta, data, ok := strings.Cut(v[len("data:"):], ",")
		if !ok || !strings.HasSuffix(meta, ";base64") {
			return nil, "data: URI not in base64", false
		}
		v = data
	case enc == "b" || enc == "base64":
	default:
		return nil, "a linked photo is not fetched", false
	}
	v = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, v)
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, "photo is not valid base64", false
	}
	_, format, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, "photo in a format that does not decode", false
	}
	if format != "jpeg" {
		img, _, err := image.Decode(bytes.NewReader(raw))
		if err != nil {
			return nil, "photo in a format that does not decode", false
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
			return nil, "photo does not re-encode to JPEG", false
		}
		raw, reason, changed = buf.Bytes(), format+" photo re-encoded to JPEG", true
	}
	if len(raw) > MaxPhotoBytes {
		return nil, fmt.Sprintf("photo of %d bytes is over Graph's %d", len(raw), MaxPhotoBytes), false
	}
	return raw, reason, changed
}

// byPref orders fields by their preference (PREF=n, or TYPE=pref as 1;
// none last), keeping file order among equals.
func byPref(fs []*vcard.Field) []*vcard.Field {
	rank := func(f *vcard.Field) int {
		if p := f.Params.Get(vcard.ParamPreferred); p != "" {
			if n, err := strconv.Atoi(p); err == nil {
				return n
			}
		}
		if f.Params.HasType("pref") {
			return 1
		}
		return 101
	}
	out := append([]*vcard.Field(nil), fs...)
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out
}

// typed labels a field by its kind and types: "E-mail (home)".
func typed(kind string, f *vcard.Field) string {
	var ts []string
	for _, t := range f.Params.Types() {
		if t != "pref" && t != "internet" && t != "voice" {
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		return kind
	}
	return kind + " (" + strings.Join(ts, ", ") + ")"
}

// label names a property for Notes.
func label(prop string) string {
	switch prop {
	case vcard.FieldBirthday:
		return "Birthday"
	case vcard.FieldAnniversary, "X-ANNIVERSARY", "X-MS-ANNIVERSARY":
		return "Anniversary"
	}
	return prop
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
