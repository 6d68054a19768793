package dav

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/migrate-tool/migrate/source"
)

// Skip reasons of Folder.Skip.
const (
	SkipGenerated  = "generated collection (birthdays computed from the address book)"
	SkipInbox      = "CalDAV scheduling inbox"
	SkipOutbox     = "CalDAV scheduling outbox"
	SkipReadOnly   = "read-only"
	SkipSubscribed = "subscribed"
)

// Account is one user's CardDAV and CalDAV collections. It implements
// source.Account; like it, one goroutine at a time.
type Account struct {
	http *httpClient
	log  *slog.Logger
	user string
	// base is the URL the first discovery PROPFIND was answered at; folder
	// names and item keys that are paths resolve against it.
	base *url.URL
	// home is the first home set listed (or the collection given as the
	// URL); a relative folder name resolves against it.
	home *url.URL
	// start are the URLs discovery starts from.
	start []*url.URL
}

var _ source.Account = (*Account)(nil)

// Dial checks the options, discovers the account's DAV service and
// authenticates (one PROPFIND). Errors match ErrAuth (401), ErrConnect,
// ErrPlaintextNotAllowed or ErrDiscovery.
func Dial(ctx context.Context, o *Options) (*Account, error) {
	if o == nil {
		o = &Options{}
	}
	log := o.logger()
	user := o.Username
	if user == "" {
		user = o.Email
	}
	tr, err := o.transport()
	if err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	a := &Account{log: log.With("user", user), user: user}
	a.http = &httpClient{
		hc: &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
		user: user, pass: o.Password, allowPlain: o.AllowPlaintext, log: a.log,
	}
	if o.URL == "" || strings.EqualFold(o.URL, "auto") {
		if a.start, err = o.contextURLs(ctx, a.log); err != nil {
			return nil, err
		}
	} else {
		u, err := url.Parse(o.URL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("dav: user %s: bad URL %q: want an https:// URL with a host", user, redactURL(o.URL))
		}
		u.User = nil
		a.start = []*url.URL{u}
	}
	a.http.authHost = a.start[0].Host
	for _, u := range a.start {
		if err := a.http.checkScheme(u); err != nil {
			return nil, fmt.Errorf("dav: user %s: %w", user, err)
		}
	}
	// One PROPFIND now, so that wrong credentials or an unreachable
	// server fail here rather than at the first listing.
	if _, err := a.Folders(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// redactURL drops the user information of a URL that may not parse.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		return "…" + s[i:]
	}
	return s
}

// Folders lists the address books (Kind contact) and the calendars that
// take VEVENTs (Kind event), with Skip reasons for generated, scheduling,
// read-only and subscribed ones, and the Default role on the first address
// book and on the calendar named by schedule-default-calendar-URL (else the
// first calendar).
func (a *Account) Folders(ctx context.Context) ([]source.Folder, error) {
	d := &discovery{a: a, seen: map[string]bool{}, homes: map[string]bool{}}
	var errs []error
	for _, u := range a.start {
		if err := d.explore(ctx, u); err != nil {
			errs = append(errs, err)
		}
	}
	if len(d.collections) == 0 && len(errs) > 0 {
		// Wrong credentials say more than a service missing elsewhere.
		err := errs[0]
		for _, e := range errs {
			if errors.Is(e, ErrAuth) {
				err = e
				break
			}
		}
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("dav: user %s: %w: %w", a.user, ErrDiscovery, err)
		}
		return nil, fmt.Errorf("dav: user %s: %w", a.user, err)
	}
	for _, err := range errs {
		a.log.WarnContext(ctx, "discovery failed for one service", "err", err)
	}
	var out []source.Folder
	var defContact, defEvent, firstEvent = -1, -1, -1
	for _, c := range d.collections {
		f, ok := a.folder(ctx, c)
		if !ok {
			continue
		}
		i := len(out)
		out = append(out, f)
		if f.Skip != "" {
			continue
		}
		switch f.Kind {
		case source.KindContact:
			if defContact < 0 {
				defContact = i
			}
		case source.KindEvent:
			if firstEvent < 0 {
				firstEvent = i
			}
			if d.scheduleDefault != "" && canonical(c.url) == d.scheduleDefault {
				defEvent = i
			}
		}
	}
	if defEvent < 0 {
		defEvent = firstEvent
	}
	for _, i := range []int{defContact, defEvent} {
		if i >= 0 {
			out[i].SpecialUse = source.Default
		}
	}
	return out, nil
}

// folder turns a collection into a folder; false leaves it out.
func (a *Account) folder(ctx context.Context, c collection) (source.Folder, bool) {
	p := &c.resp.Prop
	name := hrefPath(c.resp.Href, c.url)
	if a.base == nil || c.url.Host != a.base.Host || c.url.Scheme != a.base.Scheme {
		name = c.url.String()
	}
	display := lastSegment(c.url)
	if p.DisplayName != nil && strings.TrimSpace(*p.DisplayName) != "" {
		display = strings.TrimSpace(*p.DisplayName)
	}
	f := source.Folder{Path: []string{display}, Name: name, Count: -1, Bytes: -1}
	switch {
	case p.hasType(nsCardDAV, "addressbook"):
		f.Kind = source.KindContact
		if p.typeContains("birthday") {
			f.Skip = SkipGenerated
		}
		return f, true
	case p.hasType(nsCalDAV, "schedule-inbox"):
		f.Kind, f.Skip = source.KindEvent, SkipInbox
	case p.hasType(nsCalDAV, "schedule-outbox"):
		f.Kind, f.Skip = source.KindEvent, SkipOutbox
	case p.hasType(nsCS, "subscribed"):
		f.Kind, f.Skip = source.KindEvent, SkipSubscribed
	case p.hasType(nsCalDAV, "calendar"):
		if !p.supportsVEVENT() {
			a.log.InfoContext(ctx, "leaving out a calendar without events (VTODO or VJOURNAL only)", "calendar", name)
			return f, false
		}
		f.Kind = source.KindEvent
		if w, known := p.writable(); lastSegment(c.url) == "contact_birthdays" || p.typeContains("birthday") {
			f.Skip = SkipGenerated
		} else if known && !w {
			f.Skip = SkipReadOnly
		}
	default:
		return f, false
	}
	return f, true
}

// hrefPath is an href's path exactly as the server wrote it (its escaping
// kept), or u's escaped path when the href is a full URL or empty.
func hrefPath(href string, u *url.URL) string {
	if strings.HasPrefix(href, "/") && !strings.HasPrefix(href, "//") {
		return href
	}
	if i := strings.Index(href, "://"); i >= 0 {
		if j := strings.IndexByte(href[i+3:], '/'); j >= 0 {
			return href[i+3+j:]
		}
	}
	return u.EscapedPath()
}

// resolve turns a folder name (a path, a URL, or a name relative to the
// home set) into a URL.
func (a *Account) resolve(ref string) (*url.URL, error) {
	base := a.start[0]
	switch {
	case a.home != nil:
		base = a.home
	case a.base != nil:
		base = a.base
	}
	return resolve(base, ref)
}

// Items lists the objects of a collection with one PROPFIND of depth 1,
// read one response at a time. Key is the object's href path as the
// server gives it, Size its getcontentlength (or -1), Date its
// getlastmodified (or zero).
func (a *Account) Items(ctx context.Context, f source.Folder) iter.Seq2[source.ItemRef, error] {
	return func(yield func(source.ItemRef, error) bool) {
		u, err := a.resolve(f.Name)
		if err != nil {
			yield(source.ItemRef{}, fmt.Errorf("dav: user %s folder %q: %w", a.user, f.Name, err))
			return
		}
		for r, err := range a.propfind(ctx, u, "1", propfindObjects) {
			if err != nil {
				yield(source.ItemRef{}, fmt.Errorf("dav: user %s folder %q: %w", a.user, f.Name, err))
				return
			}
			if r.Status == http.StatusNotFound || r.Prop.hasType(nsDAV, "collection") {
				continue
			}
			ou, err := resolve(r.Base, r.Href)
			if err != nil {
				a.log.WarnContext(ctx, "skipping an object with a bad href", "folder", f.Name, "err", err)
				continue
			}
			if canonical(ou) == canonical(r.Base) {
				continue
			}
			ref := source.ItemRef{Key: hrefPath(r.Href, ou), Size: -1}
			if ou.Host != r.Base.Host {
				ref.Key = ou.String()
			}
			if n, err := strconv.ParseInt(r.Prop.ContentLength, 10, 64); err == nil && n >= 0 {
				ref.Size = n
			}
			if t, err := http.ParseTime(r.Prop.LastModified); err == nil {
				ref.Date = t.UTC()
			}
			if !yield(ref, nil) {
				return
			}
		}
	}
}

// Open GETs the object and streams its bytes as the server stores them,
// never parsed. A missing object is ErrNotFound.
func (a *Account) Open(ctx context.Context, f source.Folder, ref source.ItemRef) (io.ReadCloser, error) {
	fu, err := a.resolve(f.Name)
	if err != nil {
		return nil, fmt.Errorf("dav: user %s folder %q: %w", a.user, f.Name, err)
	}
	u, err := resolve(fu, ref.Key)
	if err != nil {
		return nil, fmt.Errorf("dav: user %s folder %q item %s: %w", a.user, f.Name, ref.Key, err)
	}
	req, err := newRequest(ctx, http.MethodGet, u, nil, nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("dav: user %s folder %q item %s: %w", a.user, f.Name, ref.Key, err)
	}
	if resp.StatusCode != http.StatusOK {
		discard(resp)
		return nil, fmt.Errorf("dav: user %s folder %q item %s: GET answered %s", a.user, f.Name, ref.Key, resp.Status)
	}
	return resp.Body, nil
}

// Close releases idle connections.
func (a *Account) Close() error {
	a.http.hc.CloseIdleConnections()
	return nil
}
