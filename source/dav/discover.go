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

	"github.com/emersion/go-webdav/caldav"
	"github.com/emersion/go-webdav/carddav"
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
// calendar-home-set, or its current-user-principal's, read with
// go-webdav); else start taken as a home set.
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
	var homes []*url.URL
	addHomes := func(hp *hrefProp, from *url.URL) {
		if hp == nil {
			return
		}
		for _, h := range hp.Hrefs {
			if u, err := resolve(from, strings.TrimSpace(h)); err == nil {
				homes = append(homes, u)
			}
		}
	}
	addHomes(r0.Prop.AddressbookHomeSet, base)
	addHomes(r0.Prop.CalendarHomeSet, base)
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

// homeSets reads the principal's addressbook-home-set and
// calendar-home-set with go-webdav. A home set the principal does not have
// is left out; go-webdav gives paths, resolved on the principal's host.
func (d *discovery) homeSets(ctx context.Context, principal *url.URL) ([]*url.URL, error) {
	root := &url.URL{Scheme: principal.Scheme, Host: principal.Host, Path: "/"}
	var homes []*url.URL
	keep := func(kind, p string, err error) error {
		switch {
		case err == nil && p != "":
			homes = append(homes, root.ResolveReference(&url.URL{Path: p}))
		case errors.Is(err, ErrAuth), errors.Is(err, ErrConnect), errors.Is(err, ErrPlaintextNotAllowed), ctx.Err() != nil:
			return fmt.Errorf("dav: principal %s: %s: %w", principal.Redacted(), kind, err)
		case err != nil:
			d.a.log.DebugContext(ctx, "principal has no home set", "kind", kind, "principal", principal.Redacted(), "err", err)
		}
		return nil
	}
	cd, err := carddav.NewClient(d.a.http, root.String())
	if err != nil {
		return nil, fmt.Errorf("dav: %w", err)
	}
	p, err := cd.FindAddressBookHomeSet(ctx, principal.Path)
	if err := keep("addressbook-home-set", p, err); err != nil {
		return nil, err
	}
	cc, err := caldav.NewClient(d.a.http, root.String())
	if err != nil {
		return nil, fmt.Errorf("dav: %w", err)
	}
	p, err = cc.FindCalendarHomeSet(ctx, principal.Path)
	if err := keep("calendar-home-set", p, err); err != nil {
		return nil, err
	}
	return homes, nil
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
