// Package targettest checks target adapters against the contract written
// in package target, in the manner of rclone's fstests: Run is the
// conformance suite every target runs, and Memory is an in-memory target
// that passes it, for the engine's unit tests.
package targettest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/migrate-tool/migrate/target"
)

// Memory is an in-memory target holding any number of mailboxes. It keeps
// the contract of target.Mailbox, target.Inspector, target.ContactWriter,
// target.EventWriter and target.EventInspector: folders compared without regard to case, items
// created atomically and stamped, Stamps paged (PageSize items per page,
// like Graph's $top) so that a listing past a page boundary is exercised.
//
// Faults are injected with FailPuts; Items and Messages show what was
// created. It is safe for concurrent use.
type Memory struct {
	// PageSize is the number of stamps per page (default 1000, Graph's
	// largest $top for messages).
	PageSize int
	// MaxBytes refuses messages whose raw size is larger with a
	// *target.ItemError (0: no limit).
	MaxBytes int64
	// Quota is what Inspector.Quota answers for every mailbox (the zero
	// value: unknown).
	Quota target.Quota

	mu        sync.Mutex
	mailboxes map[string]*memMailbox
	failPuts  int
	failErr   error
	puts      int
	pages     int
	// Breakages for the suite's self-test.
	partialOnFail  bool
	caseSensitive  bool
	unstampedList  bool
	noContentID    bool
	firstPageOnly  bool
	dropCategories bool
	keepCancelled  bool
	findNothing    bool
}

// NewMemory returns an empty in-memory target.
func NewMemory() *Memory {
	return &Memory{mailboxes: map[string]*memMailbox{}}
}

// Open returns the mailbox of address (created empty on first use); its
// signature is the engine's TargetOpener.
func (m *Memory) Open(ctx context.Context, address string) (target.Mailbox, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := strings.ToLower(address)
	mb, ok := m.mailboxes[key]
	if !ok {
		mb = &memMailbox{m: m, address: address, folders: map[target.FolderID]*memFolder{}}
		for _, wk := range []string{target.Root, target.Inbox, target.SentItems, target.Drafts, target.DeletedItems, target.JunkEmail, target.Archive} {
			mb.newFolder(kindMail, wk, "", wk)
		}
		mb.newFolder(kindContact, "contacts", "", "Contacts")
		mb.newFolder(kindEvent, "calendar", "", "Calendar")
		m.mailboxes[key] = mb
	}
	return mb, nil
}

// FailPuts makes the next n item creations (messages, contacts, events)
// fail with err, after a partial item was made and removed again, as an
// atomic target does.
func (m *Memory) FailPuts(n int, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failPuts, m.failErr = n, err
}

// Stats returns how many item creations were asked for and how many
// Stamps pages were served.
func (m *Memory) Stats() (puts, pages int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.puts, m.pages
}

// Item is one item created in a Memory target.
type Item struct {
	ID                   target.ItemID
	Folder               target.FolderID
	Kind                 string // "message", "contact" or "event"
	SourceKey, ContentID string
	// BodyID is a message's body identity (target.Message.BodyID).
	BodyID string
	// Message, Contact or Event is the item as created (a message's
	// attachments are read and dropped: Attachments holds their SHA-256).
	Message     *target.Message
	Contact     *target.Contact
	Event       *target.Event
	Attachments []string
	// Subject is the message's or event's subject, or the contact's
	// display name.
	Subject string
}

// Items returns every item created in address's mailbox, in creation
// order.
func (m *Memory) Items(address string) []Item {
	m.mu.Lock()
	defer m.mu.Unlock()
	mb, ok := m.mailboxes[strings.ToLower(address)]
	if !ok {
		return nil
	}
	var out []Item
	for _, it := range mb.items {
		if !it.partial {
			out = append(out, it.Item)
		}
	}
	return out
}

// Delete removes an item, as a user deleting it in Outlook would.
func (m *Memory) Delete(address string, id target.ItemID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	mb, ok := m.mailboxes[strings.ToLower(address)]
	if !ok {
		return false
	}
	for i, it := range mb.items {
		if it.ID == id {
			mb.items = slices.Delete(mb.items, i, i+1)
			return true
		}
	}
	return false
}

// Duplicate creates a second item like id, with the same stamp, as a
// second tool or a broken run would; it returns the copy's id.
func (m *Memory) Duplicate(address string, id target.ItemID) (target.ItemID, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mb, ok := m.mailboxes[strings.ToLower(address)]
	if !ok {
		return "", false
	}
	for _, it := range mb.items {
		if it.ID == id && !it.partial {
			mb.next++
			c := *it
			c.ID = target.ItemID(fmt.Sprintf("%s-I%d", it.Kind, mb.next))
			mb.items = append(mb.items, &c)
			return c.ID, true
		}
	}
	return "", false
}

// FolderPath returns the names from the root of the item's folder.
func (m *Memory) FolderPath(address string, f target.FolderID) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	mb, ok := m.mailboxes[strings.ToLower(address)]
	if !ok {
		return nil
	}
	var path []string
	for fo := mb.folders[f]; fo != nil && fo.parent != ""; fo = mb.folders[fo.parent] {
		path = append([]string{fo.name}, path...)
	}
	return path
}

const (
	kindMail    = "message"
	kindContact = "contact"
	kindEvent   = "event"
)

type memMailbox struct {
	m       *Memory
	address string
	folders map[target.FolderID]*memFolder
	items   []*memItem
	next    int
}

type memFolder struct {
	id, parent target.FolderID
	kind       string
	wellKnown  string
	name       string
}

type memItem struct {
	Item
	partial bool
}

// newFolder adds a folder; the caller holds the lock.
func (mb *memMailbox) newFolder(kind, wellKnown string, parent target.FolderID, name string) *memFolder {
	mb.next++
	f := &memFolder{id: target.FolderID(fmt.Sprintf("%s-F%d", kind, mb.next)), parent: parent, kind: kind, wellKnown: wellKnown, name: name}
	if wellKnown == target.Root {
		f.parent = ""
	} else if parent == "" && kind == kindMail {
		f.parent = mb.wellKnown(kindMail, target.Root).id
	}
	mb.folders[f.id] = f
	return f
}

func (mb *memMailbox) wellKnown(kind, name string) *memFolder {
	for _, f := range mb.folders {
		if f.kind == kind && f.wellKnown == name {
			return f
		}
	}
	return nil
}

func (mb *memMailbox) sameName(a, b string) bool {
	if mb.m.caseSensitive {
		return a == b
	}
	return strings.EqualFold(a, b)
}

// ensure finds or creates the folder at path below parent.
func (mb *memMailbox) ensure(ctx context.Context, kind string, parent *memFolder, path []string) (target.FolderID, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	mb.m.mu.Lock()
	defer mb.m.mu.Unlock()
	cur := parent
	for _, name := range path {
		name = strings.TrimSpace(name)
		if name == "" {
			return "", &target.ItemError{Reason: "empty folder name"}
		}
		var found *memFolder
		for _, f := range mb.folders {
			if f.parent == cur.id && f.kind == kind && mb.sameName(f.name, name) {
				found = f
				break
			}
		}
		if found == nil {
			found = mb.newFolder(kind, "", cur.id, name)
		}
		cur = found
	}
	return cur.id, nil
}

// EnsureFolder implements target.Mailbox.
func (mb *memMailbox) EnsureFolder(ctx context.Context, parent string, path []string) (target.FolderID, error) {
	mb.m.mu.Lock()
	p := mb.wellKnown(kindMail, parent)
	mb.m.mu.Unlock()
	if p == nil {
		return "", fmt.Errorf("well-known folder %q: %w", parent, target.ErrNotFound)
	}
	return mb.ensure(ctx, kindMail, p, path)
}

// EnsureContactFolder implements target.ContactWriter.
func (mb *memMailbox) EnsureContactFolder(ctx context.Context, path []string) (target.FolderID, error) {
	mb.m.mu.Lock()
	p := mb.wellKnown(kindContact, "contacts")
	mb.m.mu.Unlock()
	return mb.ensure(ctx, kindContact, p, path)
}

var _ target.PIMFinder = (*memMailbox)(nil)

// find returns the folder at path below parent without creating it.
func (mb *memMailbox) find(ctx context.Context, kind string, parent *memFolder, path []string) (target.FolderID, bool, error) {
	if err := ctx.Err(); err != nil || mb.m.findNothing {
		return "", false, err
	}
	mb.m.mu.Lock()
	defer mb.m.mu.Unlock()
	cur := parent
	for _, name := range path {
		name = strings.TrimSpace(name)
		var found *memFolder
		for _, f := range mb.folders {
			if f.parent == cur.id && f.kind == kind && mb.sameName(f.name, name) {
				found = f
				break
			}
		}
		if found == nil {
			return "", false, nil
		}
		cur = found
	}
	return cur.id, true, nil
}

// FindContactFolder implements target.PIMFinder.
func (mb *memMailbox) FindContactFolder(ctx context.Context, path []string) (target.FolderID, bool, error) {
	mb.m.mu.Lock()
	p := mb.wellKnown(kindContact, "contacts")
	mb.m.mu.Unlock()
	return mb.find(ctx, kindContact, p, path)
}

// FindCalendar implements target.PIMFinder.
func (mb *memMailbox) FindCalendar(ctx context.Context, name string) (target.FolderID, bool, error) {
	if err := ctx.Err(); err != nil || mb.m.findNothing {
		return "", false, err
	}
	mb.m.mu.Lock()
	defer mb.m.mu.Unlock()
	if name == "" {
		return mb.wellKnown(kindEvent, "calendar").id, true, nil
	}
	for _, f := range mb.folders {
		if f.kind == kindEvent && mb.sameName(f.name, name) {
			return f.id, true, nil
		}
	}
	return "", false, nil
}

// EnsureCalendar implements target.EventWriter.
func (mb *memMailbox) EnsureCalendar(ctx context.Context, name string) (target.FolderID, error) {
	mb.m.mu.Lock()
	p := mb.wellKnown(kindEvent, "calendar")
	mb.m.mu.Unlock()
	if name == "" {
		return p.id, nil
	}
	// Calendars are flat: a named calendar is a sibling of the default
	// one, found by name without regard to case.
	mb.m.mu.Lock()
	defer mb.m.mu.Unlock()
	for _, f := range mb.folders {
		if f.kind == kindEvent && mb.sameName(f.name, name) {
			return f.id, nil
		}
	}
	return mb.newFolder(kindEvent, "", "", name).id, nil
}

// put creates one item atomically: a partial item exists while it is
// made, and is removed again when the creation fails.
func (mb *memMailbox) put(ctx context.Context, kind string, f target.FolderID, it Item, attach func() ([]string, error)) (target.Created, error) {
	if err := ctx.Err(); err != nil {
		return target.Created{}, err
	}
	mb.m.mu.Lock()
	mb.m.puts++
	fo, ok := mb.folders[f]
	if !ok || fo.kind != kind {
		mb.m.mu.Unlock()
		return target.Created{}, fmt.Errorf("%s folder %s: %w", kind, f, target.ErrNotFound)
	}
	mb.next++
	it.ID = target.ItemID(fmt.Sprintf("%s-I%d", kind, mb.next))
	it.Folder, it.Kind = f, kind
	mi := &memItem{Item: it, partial: true}
	mb.items = append(mb.items, mi)
	fail := mb.m.failPuts > 0
	failErr := mb.m.failErr
	if fail {
		mb.m.failPuts--
	}
	mb.m.mu.Unlock()

	var err error
	if attach != nil {
		mi.Attachments, err = attach()
	}
	if err == nil && fail {
		err = failErr
	}
	mb.m.mu.Lock()
	defer mb.m.mu.Unlock()
	if err != nil {
		if !mb.m.partialOnFail {
			mb.remove(mi)
		}
		return target.Created{}, err
	}
	mi.partial = false
	return target.Created{ID: it.ID}, nil
}

func (mb *memMailbox) remove(mi *memItem) {
	for i, x := range mb.items {
		if x == mi {
			mb.items = slices.Delete(mb.items, i, i+1)
			return
		}
	}
}

// PutMessage implements target.Mailbox. Attachments are read to the end,
// as a target uploading them would.
func (mb *memMailbox) PutMessage(ctx context.Context, f target.FolderID, m *target.Message) (target.Created, error) {
	if m == nil || m.Content == nil || m.SourceKey == "" {
		return target.Created{}, errors.New("targettest: PutMessage needs a message with content and a source key")
	}
	if mb.m.MaxBytes > 0 && m.Content.Size > mb.m.MaxBytes {
		return target.Created{}, &target.ItemError{Reason: fmt.Sprintf("the message is %d bytes, more than the target's limit of %d", m.Content.Size, mb.m.MaxBytes)}
	}
	it := Item{SourceKey: m.SourceKey, ContentID: m.ContentID, BodyID: m.BodyID, Message: m, Subject: m.Content.Subject}
	return mb.put(ctx, kindMail, f, it, func() ([]string, error) {
		var sums []string
		for _, a := range m.Content.Attachments {
			rc, err := a.Open()
			if err != nil {
				return nil, fmt.Errorf("attachment %q: %w", a.Name, err)
			}
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
			if err != nil {
				return nil, fmt.Errorf("attachment %q: %w", a.Name, err)
			}
			sums = append(sums, a.SHA256)
		}
		return sums, nil
	})
}

// PutContact implements target.ContactWriter.
func (mb *memMailbox) PutContact(ctx context.Context, f target.FolderID, c *target.Contact) (target.Created, error) {
	if c == nil || c.SourceKey == "" {
		return target.Created{}, errors.New("targettest: PutContact needs a contact with a source key")
	}
	cc := *c
	if mb.m.dropCategories {
		cc.Categories = nil
	}
	return mb.put(ctx, kindContact, f, Item{SourceKey: c.SourceKey, ContentID: c.ContentID, Contact: &cc, Subject: c.DisplayName}, nil)
}

// PutEvent implements target.EventWriter. An event with attendees is
// created without them, as EventWriter promises: Attendees is kept as
// information only.
func (mb *memMailbox) PutEvent(ctx context.Context, f target.FolderID, e *target.Event) (target.Created, error) {
	if e == nil || e.SourceKey == "" {
		return target.Created{}, errors.New("targettest: PutEvent needs an event with a source key")
	}
	if !e.End.IsZero() && e.End.Before(e.Start) {
		return target.Created{}, &target.ItemError{Reason: fmt.Sprintf("the event ends (%s) before it starts (%s)", e.End.Format(time.RFC3339), e.Start.Format(time.RFC3339))}
	}
	ec := *e
	if mb.m.dropCategories {
		ec.Categories = nil
	}
	// Attachments are read to the end, as a target uploading them would.
	return mb.put(ctx, kindEvent, f, Item{SourceKey: e.SourceKey, ContentID: e.ContentID, Event: &ec, Subject: e.Subject}, func() ([]string, error) {
		var sums []string
		for _, a := range e.Attachments {
			if a.Open == nil {
				return nil, fmt.Errorf("attachment %q has no content", a.Name)
			}
			rc, err := a.Open()
			if err != nil {
				return nil, fmt.Errorf("attachment %q: %w", a.Name, err)
			}
			h := sha256.New()
			n, err := io.Copy(h, rc)
			rc.Close()
			if err != nil {
				return nil, fmt.Errorf("attachment %q: %w", a.Name, err)
			}
			if n != a.Size {
				return nil, fmt.Errorf("attachment %q has %d bytes, not the %d announced", a.Name, n, a.Size)
			}
			sums = append(sums, hex.EncodeToString(h.Sum(nil)))
		}
		return sums, nil
	})
}

// Kept reads back what the mailbox of address kept of contact or event
// id, for Harness.Kept.
func (m *Memory) Kept(address string, id target.ItemID) (Kept, error) {
	for _, it := range m.Items(address) {
		if it.ID != id {
			continue
		}
		switch {
		case it.Contact != nil:
			return Kept{Categories: it.Contact.Categories, Anniversary: it.Contact.Anniversary}, nil
		case it.Event != nil:
			k := Kept{Categories: it.Event.Categories}
			for _, a := range it.Event.Attachments {
				k.Attachments = append(k.Attachments, KeptFile{Name: a.Name, ContentType: a.ContentType, Size: a.Size})
			}
			return k, nil
		}
		return Kept{}, fmt.Errorf("targettest: item %s is not a contact or an event", id)
	}
	return Kept{}, fmt.Errorf("targettest: item %s: %w", id, target.ErrNotFound)
}

// Lookup implements target.Mailbox.
func (mb *memMailbox) Lookup(ctx context.Context, f target.FolderID, sourceKey string) (target.ItemID, bool, error) {
	mb.m.mu.Lock()
	defer mb.m.mu.Unlock()
	if _, ok := mb.folders[f]; !ok {
		return "", false, fmt.Errorf("folder %s: %w", f, target.ErrNotFound)
	}
	for _, it := range mb.items {
		if it.Folder == f && it.SourceKey == sourceKey && !it.partial {
			return it.ID, true, nil
		}
	}
	return "", false, nil
}

// stamps pages through the complete items of folder f.
func (mb *memMailbox) stamps(ctx context.Context, kind string, f target.FolderID) iter.Seq2[target.Stamp, error] {
	return func(yield func(target.Stamp, error) bool) {
		size := mb.m.PageSize
		if size <= 0 {
			size = 1000
		}
		for start := 0; ; start += size {
			if err := ctx.Err(); err != nil {
				yield(target.Stamp{}, err)
				return
			}
			mb.m.mu.Lock()
			if fo, ok := mb.folders[f]; !ok || fo.kind != kind {
				mb.m.mu.Unlock()
				yield(target.Stamp{}, fmt.Errorf("%s folder %s: %w", kind, f, target.ErrNotFound))
				return
			}
			mb.m.pages++
			var page []target.Stamp
			n := 0
			for _, it := range mb.items {
				if it.Folder != f {
					continue
				}
				if n >= start && n < start+size && (!it.partial || mb.m.partialOnFail) {
					s := target.Stamp{SourceKey: it.SourceKey, ContentID: it.ContentID, BodyID: it.BodyID, ID: it.ID}
					if mb.m.unstampedList {
						s.SourceKey = ""
					}
					if mb.m.noContentID {
						s.ContentID, s.BodyID = "", ""
					}
					page = append(page, s)
				}
				n++
			}
			more := n > start+size && !mb.m.firstPageOnly
			mb.m.mu.Unlock()
			for _, s := range page {
				if !yield(s, nil) {
					return
				}
			}
			if !more {
				return
			}
		}
	}
}

// Stamps implements target.Mailbox.
func (mb *memMailbox) Stamps(ctx context.Context, f target.FolderID) iter.Seq2[target.Stamp, error] {
	return mb.stamps(ctx, kindMail, f)
}

// ContactStamps implements target.ContactWriter.
func (mb *memMailbox) ContactStamps(ctx context.Context, f target.FolderID) iter.Seq2[target.Stamp, error] {
	return mb.stamps(ctx, kindContact, f)
}

// EventStamps implements target.EventWriter.
func (mb *memMailbox) EventStamps(ctx context.Context, f target.FolderID) iter.Seq2[target.Stamp, error] {
	return mb.stamps(ctx, kindEvent, f)
}

// Folders implements target.Inspector: the mail folders.
func (mb *memMailbox) Folders(ctx context.Context) ([]target.FolderInfo, error) {
	mb.m.mu.Lock()
	defer mb.m.mu.Unlock()
	var out []target.FolderInfo
	for _, f := range mb.folders {
		if f.kind != kindMail {
			continue
		}
		info := target.FolderInfo{ID: f.id, ParentID: f.parent, Name: f.name, WellKnown: f.wellKnown}
		for _, it := range mb.items {
			if it.Folder == f.id && !it.partial {
				info.Items++
				if it.Message != nil {
					info.Bytes += it.Message.Content.Size
				}
			}
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b target.FolderInfo) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out, nil
}

// Quota implements target.Inspector: Memory.Quota.
func (mb *memMailbox) Quota(ctx context.Context) (target.Quota, error) {
	mb.m.mu.Lock()
	defer mb.m.mu.Unlock()
	return mb.m.Quota, nil
}
