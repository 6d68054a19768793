package dav

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// XML namespaces of the properties this package reads.
const (
	nsDAV     = "DAV:"
	nsCardDAV = "urn:ietf:params:xml:ns:carddav"
	nsCalDAV  = "urn:ietf:params:xml:ns:caldav"
	nsCS      = "http://calendarserver.org/ns/"
)

// propfindCollections asks, at depth 0 or 1, for what decides discovery
// and which collections are migrated.
const propfindCollections = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop>
<D:resourcetype/><D:displayname/><D:current-user-principal/><D:current-user-privilege-set/>
<CR:addressbook-home-set/><C:calendar-home-set/><C:supported-calendar-component-set/><C:schedule-default-calendar-URL/>
</D:prop></D:propfind>`

// propfindObjects asks, at depth 1, for the objects' metadata.
const propfindObjects = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop>
<D:resourcetype/><D:getetag/><D:getcontentlength/><D:getlastmodified/><D:getcontenttype/>
</D:prop></D:propfind>`

// element is any XML element, by name only.
type element struct {
	XMLName xml.Name
}

// hrefProp is a property holding one or more DAV:href.
type hrefProp struct {
	Hrefs []string `xml:"DAV: href"`
}

// prop is the union of the properties this package asks for.
type prop struct {
	ResourceType *struct {
		Types []element `xml:",any"`
	} `xml:"DAV: resourcetype"`
	DisplayName          *string   `xml:"DAV: displayname"`
	ETag                 string    `xml:"DAV: getetag"`
	ContentLength        string    `xml:"DAV: getcontentlength"`
	LastModified         string    `xml:"DAV: getlastmodified"`
	ContentType          string    `xml:"DAV: getcontenttype"`
	CurrentUserPrincipal *hrefProp `xml:"DAV: current-user-principal"`
	PrivilegeSet         *struct {
		Privileges []struct {
			Kinds []element `xml:",any"`
		} `xml:"DAV: privilege"`
	} `xml:"DAV: current-user-privilege-set"`
	AddressbookHomeSet *hrefProp `xml:"urn:ietf:params:xml:ns:carddav addressbook-home-set"`
	CalendarHomeSet    *hrefProp `xml:"urn:ietf:params:xml:ns:caldav calendar-home-set"`
	SupportedComps     *struct {
		Comps []struct {
			Name string `xml:"name,attr"`
		} `xml:"urn:ietf:params:xml:ns:caldav comp"`
	} `xml:"urn:ietf:params:xml:ns:caldav supported-calendar-component-set"`
	ScheduleDefault *hrefProp `xml:"urn:ietf:params:xml:ns:caldav schedule-default-calendar-URL"`
}

// response is one DAV:response of a multistatus, its successful propstats
// merged into Prop.
type response struct {
	// Base is the URL the PROPFIND was answered at (after redirects),
	// against which Href resolves.
	Base   *url.URL
	Href   string
	Status int // of the response itself, 0 when it has propstats
	Prop   prop
}

type rawResponse struct {
	Hrefs     []string `xml:"DAV: href"`
	Status    string   `xml:"DAV: status"`
	Propstats []struct {
		Status string `xml:"DAV: status"`
		Prop   prop   `xml:"DAV: prop"`
	} `xml:"DAV: propstat"`
}

// statusCode reads the code of an HTTP status line ("HTTP/1.1 200 OK").
func statusCode(line string) int {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

func (r *rawResponse) merge() response {
	out := response{Status: statusCode(r.Status)}
	if len(r.Hrefs) > 0 {
		out.Href = strings.TrimSpace(r.Hrefs[0])
	}
	for _, ps := range r.Propstats {
		if c := statusCode(ps.Status); c < 200 || c > 299 {
			continue
		}
		p := ps.Prop
		m := &out.Prop
		if p.ResourceType != nil {
			m.ResourceType = p.ResourceType
		}
		if p.DisplayName != nil {
			m.DisplayName = p.DisplayName
		}
		m.ETag = first(m.ETag, p.ETag)
		m.ContentLength = first(m.ContentLength, p.ContentLength)
		m.LastModified = first(m.LastModified, p.LastModified)
		m.ContentType = first(m.ContentType, p.ContentType)
		if p.CurrentUserPrincipal != nil {
			m.CurrentUserPrincipal = p.CurrentUserPrincipal
		}
		if p.PrivilegeSet != nil {
			m.PrivilegeSet = p.PrivilegeSet
		}
		if p.AddressbookHomeSet != nil {
			m.AddressbookHomeSet = p.AddressbookHomeSet
		}
		if p.CalendarHomeSet != nil {
			m.CalendarHomeSet = p.CalendarHomeSet
		}
		if p.SupportedComps != nil {
			m.SupportedComps = p.SupportedComps
		}
		if p.ScheduleDefault != nil {
			m.ScheduleDefault = p.ScheduleDefault
		}
	}
	return out
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return strings.TrimSpace(b)
}

// hasType says whether the resourcetype holds the element {ns}local.
func (p *prop) hasType(ns, local string) bool {
	if p.ResourceType == nil {
		return false
	}
	for _, t := range p.ResourceType.Types {
		if t.XMLName.Space == ns && t.XMLName.Local == local {
			return true
		}
	}
	return false
}

// typeContains says whether some resourcetype element's local name holds s
// (any namespace), such as a server's own "birthday" marker.
func (p *prop) typeContains(s string) bool {
	if p.ResourceType == nil {
		return false
	}
	for _, t := range p.ResourceType.Types {
		if strings.Contains(strings.ToLower(t.XMLName.Local), s) {
			return true
		}
	}
	return false
}

// writable says whether the current-user-privilege-set grants writing;
// known is false when the server did not give the set.
func (p *prop) writable() (writable, known bool) {
	if p.PrivilegeSet == nil {
		return false, false
	}
	for _, pr := range p.PrivilegeSet.Privileges {
		for _, k := range pr.Kinds {
			if k.XMLName.Space == nsDAV && (k.XMLName.Local == "write" || k.XMLName.Local == "all" || k.XMLName.Local == "write-content") {
				return true, true
			}
		}
	}
	return false, true
}

// supportsVEVENT says whether the calendar takes VEVENTs: true when the
// server does not restrict the components (RFC 4791 5.2.3).
func (p *prop) supportsVEVENT() bool {
	if p.SupportedComps == nil || len(p.SupportedComps.Comps) == 0 {
		return true
	}
	for _, c := range p.SupportedComps.Comps {
		if strings.EqualFold(c.Name, "VEVENT") {
			return true
		}
	}
	return false
}

// propfind sends a PROPFIND and streams the responses of its multistatus
// one DAV:response at a time, so a large collection is never held whole.
// The final URL (after redirects) comes with each response as base. The
// iteration closes the body when it ends or is stopped.
func (a *Account) propfind(ctx context.Context, u *url.URL, depth, body string) iter.Seq2[response, error] {
	return func(yield func(response, error) bool) {
		req, err := newRequest(ctx, "PROPFIND", u, []byte(body), map[string]string{
			"Depth": depth, "Content-Type": `application/xml; charset="utf-8"`,
		})
		if err != nil {
			yield(response{}, err)
			return
		}
		resp, err := a.http.Do(req)
		if err != nil {
			yield(response{}, err)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusMultiStatus {
			yield(response{}, fmt.Errorf("dav: PROPFIND %s: %s, want 207 Multi-Status", u.Redacted(), resp.Status))
			return
		}
		base := u
		if resp.Request != nil && resp.Request.URL != nil {
			base = resp.Request.URL
		}
		dec := xml.NewDecoder(resp.Body)
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(response{}, fmt.Errorf("dav: PROPFIND %s: read multistatus: %w", u.Redacted(), err))
				return
			}
			se, ok := tok.(xml.StartElement)
			if !ok || se.Name.Space != nsDAV || se.Name.Local != "response" {
				continue
			}
			var raw rawResponse
			if err := dec.DecodeElement(&raw, &se); err != nil {
				yield(response{}, fmt.Errorf("dav: PROPFIND %s: read multistatus: %w", u.Redacted(), err))
				return
			}
			r := raw.merge()
			r.Base = base
			if !yield(r, nil) {
				return
			}
		}
	}
}

// propfind0 returns the one response of a depth-0 PROPFIND.
func (a *Account) propfind0(ctx context.Context, u *url.URL) (response, error) {
	var got []response
	for r, err := range a.propfind(ctx, u, "0", propfindCollections) {
		if err != nil {
			return response{}, err
		}
		got = append(got, r)
	}
	if len(got) == 0 {
		return response{}, fmt.Errorf("dav: PROPFIND %s: empty multistatus", u.Redacted())
	}
	return got[0], nil
}
