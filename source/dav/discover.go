package dav

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// services are the RFC 6764 service names, address books first.
var services = []string{"carddav", "caldav"}

// contextURLs returns where discovery starts for an Email domain (RFC 6764
// section 5 and 6): for each service, the SRV record _<service>s._tcp
// (https only) with the TXT record's "path" when present, else
// /.well-known/<service> on the SRV target; without an SRV record,
// https://<domain>/.well-known/<service>.
func (o *Options) contextURLs(ctx context.Context, log interface {
	DebugContext(context.Context, string, ...any)
}) ([]*url.URL, error) {
	_, domain, ok := strings.Cut(o.Email, "@")
	if !ok || domain == "" {
		return nil, fmt.Errorf("dav: discovery needs an e-mail address with a domain, got %q: %w", o.Email, ErrDiscovery)
	}
	var out []*url.URL
	for _, svc := range services {
		u := &url.URL{Scheme: "https", Host: domain, Path: "/.well-known/" + svc}
		_, srvs, err := o.lookupSRV()(ctx, svc+"s", "tcp", domain)
		if err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("dav: discovery: %w", ctx.Err())
		}
		if err != nil {
			log.DebugContext(ctx, "no SRV record", "service", svc, "domain", domain, "err", err)
		}
		// RFC 2782: a single record with target "." means "no service".
		if len(srvs) > 0 && strings.TrimSuffix(srvs[0].Target, ".") != "" {
			host := strings.TrimSuffix(srvs[0].Target, ".")
			if srvs[0].Port != 443 && srvs[0].Port != 0 {
				host = net.JoinHostPort(host, strconv.Itoa(int(srvs[0].Port)))
			}
			u = &url.URL{Scheme: "https", Host: host, Path: "/.well-known/" + svc}
			if txts, err := o.lookupTXT()(ctx, "_"+svc+"s._tcp."+domain); err == nil {
				for _, t := range txts {
					if p, ok := strings.CutPrefix(strings.TrimSpace(t), "path="); ok && strings.HasPrefix(p, "/") {
						u.Path = p
					}
				}
			}
			log.DebugContext(ctx, "SRV record", "service", svc, "domain", domain, "url", u.String())
		}
		out = append(out, u)
	}
	return out, nil
}

// collection is an address book or calendar found by discovery.
type collection struct {
	url  *url.URL
	resp response
}

// discovery gathers collections from one or more starting URLs.
type discovery struct {
	a           *Account
	seen        map[string]bool // collection URLs
	homes       map[string]bool // home set URLs listed
	collections []collection
	// scheduleDefault is the calendar named by a schedule inbox's
	// schedule-default-calendar-URL, resolved.
	scheduleDefault string
}

func (d *discovery) add(u *url.URL, r response) {
	k := canonical(u)
	if d.seen[k] {
		return
	}
	d.seen[k] = true
	d.collections = append(d.collections, collection{url: u, resp: r})
}

// canonical is a URL's identity for de-duplication: without a trailing
// slash.
func canonical(u *url.URL) string {
	c := *u
	c.Path = strings.TrimSuffix(c.Path, "/")
	c.RawPath = ""
	c.RawQuery, c.Fragment = "", ""
	return c.String()
}

func resolve(base *url.URL, href string) (*url.URL, error) {
	u, err := base.Parse(href)
	if err != nil {
		return nil, fmt.Errorf("dav: bad href %q: %w", href, err)
	}
	u.User = nil
	return u, nil
}

// isCollection says whether r is an address book or a calendar-like
// collection (calendar, scheduling inbox or outbox, subscription).
func isCollection(p *prop) bool {
	return p.hasType(nsCardDAV, "addressbook") || p.hasType(nsCalDAV, "calendar") ||
		p.hasType(nsCalDAV, "schedule-inbox") || p.hasType(nsCalDAV, "schedule-outbox") || p.hasType(nsCS, "subscribed")
}

// explore finds the collections reachable from start: start itself when it
// is one; else its home sets (its own addressbook-home-set and
// calendar-home-set, or its current-user-principal's); else start taken as
// a home set.
func (d *discovery) explore(ctx context.Context, start *url.URL) error {
	r0, err := d.a.propfind0(ctx, start)
	if err != nil {
		return err
	}
	base := r0.Base
	if d.a.base == nil {
		d.a.base = base
	}
	if isCollection(&r0.Prop) {
		d.a.log.DebugContext(ctx, "the URL is a collection: listing just it", "url", base.Redacted())
		d.add(base, r0)
		if d.a.home == nil {
			d.a.home = base
		}
		return nil
	}
	homes := d.homeURLs(ctx, r0)
	if len(homes) == 0 && r0.Prop.CurrentUserPrincipal != nil && len(r0.Prop.CurrentUserPrincipal.Hrefs) > 0 {
		principal, err := resolve(base, strings.TrimSpace(r0.Prop.CurrentUserPrincipal.Hrefs[0]))
		if err != nil {
			return err
		}
		d.a.log.DebugContext(ctx, "current-user-principal", "url", principal.Redacted())
		homes, err = d.homeSets(ctx, principal)
		if err != nil {
			return err
		}
	}
	if len(homes) == 0 {
		d.a.log.DebugContext(ctx, "no principal or home set: listing the URL as a home set", "url", base.Redacted())
		homes = []*url.URL{base}
	}
	for _, h := range homes {
		if err := d.listHome(ctx, h); err != nil {
			return err
		}
	}
	return nil
}

// homeURLs resolves the addressbook-home-set and calendar-home-set hrefs
// of r against the URL r was answered at. An absolute href keeps its own
// scheme and host: iCloud answers a principal on caldav.icloud.com with a
// calendar-home-set on https://pNN-caldav.icloud.com/. Whether the
// credentials go there is httpClient.sendAuth's rule (the first host, or
// https), and an http:// one still needs AllowPlaintext (checkScheme).
func (d *discovery) homeURLs(ctx context.Context, r response) []*url.URL {
	var homes []*url.URL
	for _, hp := range []*hrefProp{r.Prop.AddressbookHomeSet, r.Prop.CalendarHomeSet} {
		if hp == nil {
			continue
		}
		for _, h := range hp.Hrefs {
			u, err := resolve(r.Base, strings.TrimSpace(h))
			if err != nil {
				d.a.log.WarnContext(ctx, "skipping a home set with a bad href", "at", r.Base.Redacted(), "err", err)
				continue
			}
			if u.Host != r.Base.Host {
				d.a.log.DebugContext(ctx, "home set on another host", "at", r.Base.Redacted(), "home", u.Redacted())
			}
			homes = append(homes, u)
		}
	}
	return homes
}

// homeSets reads the principal's addressbook-home-set and
// calendar-home-set with one depth-0 PROPFIND (this package's own, not
// go-webdav's FindAddressBookHomeSet/FindCalendarHomeSet, which return
// only the href's path, so a home set on another host would be looked
// for on the principal's host). A principal that cannot be read for a
// reason other than credentials, the connection or plain http has no home
// sets.
func (d *discovery) homeSets(ctx context.Context, principal *url.URL) ([]*url.URL, error) {
	r, err := d.a.propfind0(ctx, principal)
	switch {
	case err == nil:
		return d.homeURLs(ctx, r), nil
	case errors.Is(err, ErrAuth), errors.Is(err, ErrConnect), errors.Is(err, ErrPlaintextNotAllowed), ctx.Err() != nil:
		return nil, fmt.Errorf("dav: principal %s: %w", principal.Redacted(), err)
	}
	d.a.log.DebugContext(ctx, "principal has no home set", "principal", principal.Redacted(), "err", err)
	return nil, nil
}

// listHome lists a home set at depth 1 and keeps its collections.
func (d *discovery) listHome(ctx context.Context, home *url.URL) error {
	if d.homes[canonical(home)] {
		return nil
	}
	d.homes[canonical(home)] = true
	if d.a.home == nil {
		h := *home
		if !strings.HasSuffix(h.Path, "/") {
			h.Path += "/"
		}
		d.a.home = &h
	}
	for r, err := range d.a.propfind(ctx, home, "1", propfindCollections) {
		if err != nil {
			return err
		}
		u, err := resolve(r.Base, r.Href)
		if err != nil {
			d.a.log.WarnContext(ctx, "skipping a response with a bad href", "home", home.Redacted(), "err", err)
			continue
		}
		if r.Prop.ScheduleDefault != nil && len(r.Prop.ScheduleDefault.Hrefs) > 0 && d.scheduleDefault == "" {
			if def, err := resolve(r.Base, strings.TrimSpace(r.Prop.ScheduleDefault.Hrefs[0])); err == nil {
				d.scheduleDefault = canonical(def)
			}
		}
		if canonical(u) == canonical(r.Base) || !isCollection(&r.Prop) {
			continue
		}
		d.add(u, r)
	}
	return nil
}

// lastSegment is the last path segment of u, unescaped.
func lastSegment(u *url.URL) string {
	return path.Base(strings.TrimSuffix(u.Path, "/"))
}
