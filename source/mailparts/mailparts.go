// Package mailparts finds the contacts and events that travel inside mail:
// the vCard parts (.vcf attachments, text/vcard) and iCalendar parts
// (invitations, .ics attachments) of a mail account's messages, and lists
// them as an address book and a calendar, both named "From mail", beside
// the account's own folders.
//
// Wrap decorates a source.Account. The two folders are ordinary folders of
// kind contact and event (not source.Default), so the engine maps them to
// a contact folder and a calendar of their own, counts them in the plan,
// creates and verifies their items as it does a DAV server's.
//
// # What is found
//
// Every leaf part of every message in the mail folders (not \Junk) whose
// media type is text/vcard, text/x-vcard or text/directory (vCard), or
// text/calendar, application/ics or text/x-vcalendar (iCalendar), or whose
// file name ends in .vcf or .vcard (vCard) or .ics (iCalendar), whatever
// its media type (an attachment sent as application/octet-stream). The
// part is decoded from base64 or quoted-printable; its charset is left as
// sent. Parts inside attached messages (message/rfc822) and TNEF
// (winmail.dat) are not looked into.
//
// # Keys
//
//   - A vCard part: "mail-vcard:" and the first 32 hex digits of the
//     SHA-256 of its decoded bytes. The same card attached to many
//     messages (a signature card) is one contact; keys do not depend on
//     folders or IMAP UIDs, so a renumbered folder or a lost state finds
//     the contacts created before.
//   - An iCalendar part that is an event: "mail-ical:" and the UID of its
//     first VEVENT (when the UID is printable ASCII without '#' and at most
//     200 bytes; otherwise "mail-ical:sha256:" and 32 hex digits of the
//     UID's SHA-256). The same meeting arrives in many messages (the
//     invitation, each update): one event per UID across the account, from
//     the part with the highest SEQUENCE, then the latest DTSTAMP, then the
//     latest message. A part without UID is keyed by its content as a
//     vCard is ("mail-ical:content:" and 32 hex digits).
//   - Every other part listed (skipped, see below): "mail:" + the folder's
//     name + "/" + the message's key + "/" + the part's index (its leaf
//     number, depth first, from 0).
//
// A run that finds a newer version of a meeting already migrated keeps the
// one created (the key is the same): updates after the first run are not
// applied.
//
// # What is skipped, with a reason (source.ItemRef.Skip)
//
//   - METHOD REPLY, CANCEL, COUNTER, DECLINECOUNTER, REFRESH (RFC 5546
//     section 1.4): a meeting reply, cancellation, counter-proposal... is
//     not an event. PUBLISH, REQUEST, ADD or no METHOD is an event. An
//     event whose meeting a later CANCEL (same UID, no RECURRENCE-ID,
//     SEQUENCE not lower) cancelled is skipped as cancelled.
//   - A part holding only occurrences of a series (every VEVENT has a
//     RECURRENCE-ID): merging it into its series is not done yet.
//   - A part holding no VEVENT (a task, a free/busy object).
//   - A part larger than Options.MaxPartBytes (10 MB by default).
//
// # Cost and memory
//
// The first Items or Open of either folder in a session scans the mail:
// every message of the mail folders is read once, streamed through the
// MIME structure with other parts discarded unread into memory, and a
// message holding a part found is read again when the part is opened. So
// a mailbox migrated with its parts is read about twice. The scan keeps
// one small record per part found (location, size, hash, UID), never a
// message or a part's content. Open streams the part decoded from the
// message as the wrapped account streams it.
package mailparts

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"iter"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/migrate-tool/migrate/source"
)

// FolderName is the name of the address book and the calendar that hold
// the parts found in mail.
const FolderName = "From mail"

// DefaultMaxPartBytes is Options.MaxPartBytes's default.
const DefaultMaxPartBytes = 10 << 20

// Options configure Wrap. A nil *Options means the defaults.
type Options struct {
	// MaxPartBytes bounds one part (decoded); a larger one is listed
	// skipped with a reason. 0 is DefaultMaxPartBytes.
	MaxPartBytes int64
	// Logger receives the scan's warnings (a message whose structure does
	// not parse); nil discards them.
	Logger *slog.Logger
}

// Wrap returns an Account that lists what mail lists and then the address
// book and the calendar "From mail" (Kind contact and event), whose items
// are the vCard and iCalendar parts of mail's messages. It is
// source.Combine(mail, parts), so mail's optional abilities
// (HeaderReader, Deleter...) stay reachable through source.As, and Close
// closes mail.
func Wrap(mail source.Account, opts *Options) source.Account {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.MaxPartBytes <= 0 {
		o.MaxPartBytes = DefaultMaxPartBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Logger = o.Logger.With("component", "mailparts")
	return source.Combine(mail, &parts{mail: mail, opts: o})
}

// parts is the account of the two folders; it reads through mail, which
// it does not close (Combine does).
type parts struct {
	mail source.Account
	opts Options

	mu sync.Mutex
	// found is the scan's result, nil before the first scan.
	found *scan
}

// scan is what one scan of the mail found: the items of each folder,
// sorted by key, and where each item's part is.
type scan struct {
	items map[source.Kind][]source.ItemRef
	where map[string]location // by kind + "\x00" + key
}

// location is where a part is: message msg of mail folder folder, leaf n.
type location struct {
	folder source.Folder
	msg    source.ItemRef
	n      int
}

// Folders lists the two folders.
func (p *parts) Folders(ctx context.Context) ([]source.Folder, error) {
	return []source.Folder{folder(source.KindContact), folder(source.KindEvent)}, nil
}

// folder is the folder of kind k: Path FolderName, Name "mailparts:"
// and the kind (names are unique within an account, whatever the kind).
func folder(k source.Kind) source.Folder {
	return source.Folder{Path: []string{FolderName}, Name: "mailparts:" + string(k), Kind: k, Count: -1, Bytes: -1}
}

// Items lists the parts of f's kind, scanning the mail first in the
// session's first call.
func (p *parts) Items(ctx context.Context, f source.Folder) iter.Seq2[source.ItemRef, error] {
	return func(yield func(source.ItemRef, error) bool) {
		s, err := p.scanned(ctx, f)
		if err != nil {
			yield(source.ItemRef{}, err)
			return
		}
		for _, ref := range s.items[f.Kind] {
			if !yield(ref, nil) {
				return
			}
		}
	}
}

// Open streams the part ref, decoded, from its message.
func (p *parts) Open(ctx context.Context, f source.Folder, ref source.ItemRef) (io.ReadCloser, error) {
	s, err := p.scanned(ctx, f)
	if err != nil {
		return nil, err
	}
	loc, ok := s.where[string(f.Kind)+"\x00"+ref.Key]
	if !ok {
		return nil, fmt.Errorf("mail parts: %s folder %q item %s: %w", f.Kind, f.Name, ref.Key, source.ErrNotFound)
	}
	rc, err := p.mail.Open(ctx, loc.folder, loc.msg)
	if err != nil {
		return nil, fmt.Errorf("mail parts: item %s: reading message %s of folder %q: %w", ref.Key, loc.msg.Key, loc.folder.Name, err)
	}
	out := make(chan io.Reader, 1)
	errc := make(chan error, 1)
	// walk calls back with the part's reader while the message's
	// multipart readers are positioned on it; the goroutine hands the
	// reader over and waits until it is read or closed.
	done := make(chan struct{})
	go func() {
		errc <- walk(rc, func(l *leaf) error {
			if l.N != loc.n {
				return nil
			}
			out <- l.Body
			<-done
			return errStop
		})
	}()
	select {
	case body := <-out:
		return &partReader{r: body, msg: rc, done: done, errc: errc}, nil
	case err := <-errc:
		rc.Close()
		if err == nil {
			err = source.ErrNotFound
		}
		return nil, fmt.Errorf("mail parts: item %s: part %d of message %s of folder %q: %w", ref.Key, loc.n, loc.msg.Key, loc.folder.Name, err)
	}
}

// partReader streams one part; Close ends the walk and closes the
// message.
type partReader struct {
	r      io.Reader
	msg    io.ReadCloser
	done   chan struct{}
	errc   chan error
	closed bool
}

func (r *partReader) Read(b []byte) (int, error) { return r.r.Read(b) }

func (r *partReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	close(r.done) // the walk returns without reading further
	<-r.errc
	return r.msg.Close()
}

// Close does nothing: Combine closes the mail account.
func (p *parts) Close() error { return nil }

// scanned returns the scan, scanning the mail on the first call.
func (p *parts) scanned(ctx context.Context, f source.Folder) (*scan, error) {
	if (f.Kind != source.KindContact && f.Kind != source.KindEvent) || f.Name != folder(f.Kind).Name {
		return nil, fmt.Errorf("mail parts: %s folder %q: %w", f.Kind, f.Name, source.ErrNotFound)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.found != nil {
		return p.found, nil
	}
	s, err := p.scan(ctx)
	if err != nil {
		return nil, err
	}
	p.found = s
	return s, nil
}

// found is one part the scan found.
type found struct {
	kind string // kindVCard or kindICal
	loc  location
	size int64
	sum  string // hex SHA-256 of the decoded part
	ical icalMeta
	big  bool // larger than MaxPartBytes
}

// scan reads every message of the mail folders and builds the listing.
func (p *parts) scan(ctx context.Context) (*scan, error) {
	folders, err := p.mail.Folders(ctx)
	if err != nil {
		return nil, fmt.Errorf("mail parts: listing the mail folders: %w", err)
	}
	var all []found
	for _, f := range folders {
		if !isMail(f.Kind) || f.NoSelect || f.SpecialUse == source.Junk {
			continue
		}
		// Items yields with no command open (the engine reads items
		// inside its own listing loop the same way).
		for ref, err := range p.mail.Items(ctx, f) {
			if err != nil {
				return nil, fmt.Errorf("mail parts: listing folder %q: %w", f.Name, err)
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			fs, err := p.scanMessage(ctx, f, source.ItemRef{Key: ref.Key, Size: ref.Size, Date: ref.Date})
			if err != nil {
				return nil, err
			}
			all = append(all, fs...)
		}
	}
	return p.listing(all), nil
}

func isMail(k source.Kind) bool { return k == "" || k == source.KindMessage }

// scanMessage finds the parts of one message. A message gone since it was
// listed, or whose structure does not parse, gives what was found before
// the problem (logged); a failure to read the source is returned.
func (p *parts) scanMessage(ctx context.Context, f source.Folder, ref source.ItemRef) ([]found, error) {
	rc, err := p.mail.Open(ctx, f, ref)
	if errors.Is(err, source.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mail parts: reading message %s of folder %q: %w", ref.Key, f.Name, err)
	}
	defer rc.Close()
	src := &errReader{r: rc}
	fs, werr := scanParts(src, p.opts.MaxPartBytes)
	if src.err != nil {
		return nil, fmt.Errorf("mail parts: reading message %s of folder %q: %w", ref.Key, f.Name, src.err)
	}
	if werr != nil {
		p.opts.Logger.Warn("a message's structure does not parse; parts after the problem are not looked for", "folder", f.Name, "key", ref.Key, "err", werr)
	}
	// Read to the end, so that the source's session stays usable.
	if _, err := io.Copy(io.Discard, src); err != nil {
		return nil, fmt.Errorf("mail parts: reading message %s of folder %q: %w", ref.Key, f.Name, err)
	}
	for i := range fs {
		fs[i].loc = location{folder: f, msg: ref, n: fs[i].loc.n}
	}
	return fs, nil
}

// errReader remembers the first error of r other than io.EOF, so that a
// source failure is told apart from a structure that does not parse.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// scanParts walks one message and measures its vCard and iCalendar parts:
// decoded size, SHA-256 and, for iCalendar, its metadata. Part content is
// streamed through, never held. The error is the walk's (a structure that
// does not parse), with the parts found before it.
func scanParts(r io.Reader, maxBytes int64) ([]found, error) {
	var out []found
	err := walk(r, func(l *leaf) error {
		k := partKind(l.MediaType, l.Filename)
		if k == "" {
			return nil
		}
		h := &lineHash{h: sha256.New()}
		var ics icalScanner
		w := io.Writer(h)
		if k == kindICal {
			w = io.MultiWriter(h, &ics)
		}
		n, err := io.Copy(w, io.LimitReader(l.Body, maxBytes+1))
		if err != nil {
			return err
		}
		ics.Close()
		fd := found{kind: k, loc: location{n: l.N}, size: n, sum: hex.EncodeToString(h.h.Sum(nil)), ical: ics.meta}
		if n > maxBytes {
			fd.big = true
			fd.size, _ = io.Copy(io.Discard, l.Body)
			fd.size += n
		}
		out = append(out, fd)
		return nil
	})
	return out, err
}

// lineHash hashes a part as its content key sees it: without CR bytes
// and without the line ends at its end, so that one card sent as
// base64 (its last CRLF kept) and as quoted-printable (its last CRLF
// taken by the multipart delimiter, RFC 2046 section 5.1.1), or with
// LF line ends, has one key.
type lineHash struct {
	h   hash.Hash
	lfs int // line feeds held back: they count only if more follows
}

var lf = []byte{'\n'}

func (l *lineHash) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			i = len(p)
		}
		if i > 0 {
			for ; l.lfs > 0; l.lfs-- {
				l.h.Write(lf)
			}
			l.h.Write(p[:i])
		}
		if i < len(p) {
			if p[i] == '\n' {
				l.lfs++
			}
			i++
		}
		p = p[i:]
	}
	return n, nil
}

// notEvents are the METHODs (RFC 5546 section 1.4) whose parts are
// messages about a meeting, not the meeting, and the reasons they are
// skipped with.
var notEvents = map[string]string{
	"REPLY":          "a meeting reply, not an event",
	"CANCEL":         "a meeting cancellation, not an event",
	"COUNTER":        "a meeting counter-proposal, not an event",
	"DECLINECOUNTER": "a declined meeting counter-proposal, not an event",
	"REFRESH":        "a request for the latest version of a meeting, not an event",
}

// listing turns the parts found into the two folders' items.
func (p *parts) listing(all []found) *scan {
	s := &scan{items: map[source.Kind][]source.ItemRef{}, where: map[string]location{}}
	add := func(k source.Kind, key string, fd found, skip string) {
		s.items[k] = append(s.items[k], source.ItemRef{Key: key, Size: fd.size, Date: fd.loc.msg.Date, Skip: skip})
		s.where[string(k)+"\x00"+key] = fd.loc
	}
	events := map[string]found{}   // best part per key
	cancels := map[string]found{}  // latest CANCEL per key
	seenCards := map[string]bool{} // vCard keys listed
	for _, fd := range all {
		kind := source.KindContact
		if fd.kind == kindICal {
			kind = source.KindEvent
		}
		if fd.big {
			noun := "a vCard"
			if fd.kind == kindICal {
				noun = "an iCalendar"
			}
			add(kind, locationKey(fd.loc), fd, fmt.Sprintf("%s part of %d bytes, larger than the %d MB this source reads from mail", noun, fd.size, p.opts.MaxPartBytes>>20))
			continue
		}
		if kind == source.KindContact {
			key := "mail-vcard:" + fd.sum[:32]
			if !seenCards[key] {
				seenCards[key] = true
				add(kind, key, fd, "")
			}
			continue
		}
		m := fd.ical
		switch {
		case m.Method == "CANCEL" && m.UID != "" && m.RecurrenceID == "":
			add(kind, locationKey(fd.loc), fd, notEvents[m.Method])
			k := icalKey(m.UID, fd.sum)
			if c, ok := cancels[k]; !ok || better(fd, c) {
				cancels[k] = fd
			}
		case notEvents[m.Method] != "":
			add(kind, locationKey(fd.loc), fd, notEvents[m.Method])
		case m.Events == 0:
			add(kind, locationKey(fd.loc), fd, "an iCalendar part without an event (VEVENT)")
		case !m.Master:
			add(kind, locationKey(fd.loc), fd, "an update of one occurrence of a series (RECURRENCE-ID): not merged into its series yet")
		default:
			k := icalKey(m.UID, fd.sum)
			if b, ok := events[k]; !ok || better(fd, b) {
				events[k] = fd
			}
		}
	}
	for k, fd := range events {
		skip := ""
		if c, ok := cancels[k]; ok && c.ical.Sequence >= fd.ical.Sequence {
			skip = "a meeting its organizer cancelled (a later METHOD:CANCEL in mail)"
		}
		add(source.KindEvent, k, fd, skip)
	}
	for _, refs := range s.items {
		slices.SortFunc(refs, func(a, b source.ItemRef) int { return strings.Compare(a.Key, b.Key) })
	}
	return s
}

// better reports whether iCalendar part a supersedes b: a higher
// SEQUENCE, then a later DTSTAMP, then a later message.
func better(a, b found) bool {
	if c := cmp.Or(cmp.Compare(a.ical.Sequence, b.ical.Sequence), strings.Compare(a.ical.DTStamp, b.ical.DTStamp), a.loc.msg.Date.Compare(b.loc.msg.Date)); c != 0 {
		return c > 0
	}
	return false
}

// icalKey is an event's key: by UID, or by content without one.
func icalKey(uid, sum string) string {
	if uid == "" {
		return "mail-ical:content:" + sum[:32]
	}
	if plainUID(uid) {
		return "mail-ical:" + uid
	}
	h := sha256.Sum256([]byte(uid))
	return "mail-ical:sha256:" + hex.EncodeToString(h[:])[:32]
}

// plainUID reports whether a UID can be a key as it is: printable ASCII,
// no '#' (the engine's key#n suffixes), at most 200 bytes.
func plainUID(uid string) bool {
	if len(uid) > 200 || strings.HasPrefix(uid, "sha256:") || strings.HasPrefix(uid, "content:") {
		return false
	}
	for i := 0; i < len(uid); i++ {
		if c := uid[i]; c <= ' ' || c >= 0x7f || c == '#' {
			return false
		}
	}
	return true
}

// locationKey is the key of a part listed by where it is.
func locationKey(l location) string {
	return "mail:" + l.folder.Name + "/" + l.msg.Key + "/" + strconv.Itoa(l.n)
}

var _ source.Account = (*parts)(nil)
