// Package sourcetest holds the conformance suite that every source adapter
// runs (Run) and an in-memory source (Memory) that the engine's tests use
// and that passes the suite, in the manner of rclone's fstests.
package sourcetest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/migrate-tool/migrate/source"
)

// Memory is an in-memory source mailbox: folders of items whose content,
// dates and flags a test sets. Accounts opened from it see its current
// contents, keyed "VALIDITY.UID" like IMAP; reading an item changes
// nothing. It is safe for concurrent use.
type Memory struct {
	mu       sync.Mutex
	folders  []*memFolder
	validity uint32 // the last validity handed out
	login    error  // Open fails with it when set
	fail     map[string]error
	sessions int
	reads    int

	// Defects, for the suite's own tests: each breaks one promise.
	seenOnOpen   bool // Open adds \Seen
	unstableKeys bool // every session numbers items anew
}

type memFolder struct {
	f     source.Folder
	next  uint32
	items []*memItem
}

type memItem struct {
	uid     uint32
	content []byte
	date    time.Time
	flags   []string
}

// NewMemory returns an empty source mailbox.
func NewMemory() *Memory {
	return &Memory{validity: 1000, fail: map[string]error{}}
}

// AddFolder adds the folder named name ("/" separates levels) with a
// role and a kind ("" is KindMessage), or sets them on the folder if it
// exists.
func (m *Memory) AddFolder(name string, role source.SpecialUse, kind source.Kind) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.folder(name)
	f.f.SpecialUse, f.f.Kind = role, kind
}

// folder returns the folder named name, creating it. m.mu is held.
func (m *Memory) folder(name string) *memFolder {
	for _, f := range m.folders {
		if f.f.Name == name {
			return f
		}
	}
	m.validity++
	f := &memFolder{f: source.Folder{Path: strings.Split(name, "/"), Delimiter: "/", Name: name,
		Kind: source.KindMessage, Validity: strconv.FormatUint(uint64(m.validity), 10)}, next: 1}
	if strings.EqualFold(name, "INBOX") {
		f.f.SpecialUse = source.Inbox
	}
	m.folders = append(m.folders, f)
	return f
}

// Add appends an item to the folder named folder (created if missing) and
// returns its key.
func (m *Memory) Add(folder string, content []byte, date time.Time, flags ...string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.folder(folder)
	it := &memItem{uid: f.next, content: slices.Clone(content), date: date, flags: slices.Clone(flags)}
	f.next++
	f.items = append(f.items, it)
	return key(f.f.Validity, it.uid)
}

// Expunge removes the item with key from folder, as another client
// would; it reports whether it was there.
func (m *Memory) Expunge(folder, k string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.folder(folder)
	for i, it := range f.items {
		if key(f.f.Validity, it.uid) == k {
			f.items = slices.Delete(f.items, i, i+1)
			return true
		}
	}
	return false
}

// Renumber gives folder a new validity and its items new keys, in the same
// order, as a hoster that rebuilds its indexes does.
func (m *Memory) Renumber(folder string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.folder(folder)
	m.validity++
	f.f.Validity = strconv.FormatUint(uint64(m.validity), 10)
	f.next = 1
	for _, it := range f.items {
		it.uid = f.next
		f.next++
	}
}

// FailLogin makes every later Open fail with err (nil: succeed again).
func (m *Memory) FailLogin(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.login = err
}

// FailItem makes Account.Open of the item with key k fail with err (nil:
// succeed again).
func (m *Memory) FailItem(k string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil {
		delete(m.fail, k)
		return
	}
	m.fail[k] = err
}

// Stats returns how many sessions were opened and items read.
func (m *Memory) Stats() (sessions, reads int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sessions, m.reads
}

// Flags returns the flags of the item with key k in folder.
func (m *Memory) Flags(folder, k string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.folder(folder)
	for _, it := range f.items {
		if key(f.f.Validity, it.uid) == k {
			return slices.Clone(it.flags)
		}
	}
	return nil
}

// Open opens a session; it implements source.Opener.
func (m *Memory) Open(ctx context.Context) (source.Account, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.login != nil {
		return nil, m.login
	}
	m.sessions++
	if m.unstableKeys {
		for _, f := range m.folders {
			m.validity++
			f.f.Validity = strconv.FormatUint(uint64(m.validity), 10)
		}
	}
	return &MemoryAccount{m: m}, nil
}

func key(validity string, uid uint32) string {
	return validity + "." + strconv.FormatUint(uint64(uid), 10)
}

// MemoryAccount is a session on a Memory. It implements source.Account
// and source.HeaderReader.
type MemoryAccount struct {
	m      *Memory
	closed bool
}

var (
	_ source.Account      = (*MemoryAccount)(nil)
	_ source.HeaderReader = (*MemoryAccount)(nil)
)

// ErrClosed is returned by a closed MemoryAccount.
var ErrClosed = errors.New("sourcetest: account is closed")

// Folders implements source.Account.
func (a *MemoryAccount) Folders(ctx context.Context) ([]source.Folder, error) {
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	if a.closed {
		return nil, ErrClosed
	}
	out := make([]source.Folder, 0, len(a.m.folders))
	for _, f := range a.m.folders {
		sf := f.f
		sf.Path = slices.Clone(sf.Path)
		sf.Count = int64(len(f.items))
		sf.Bytes = 0
		for _, it := range f.items {
			sf.Bytes += int64(len(it.content))
		}
		out = append(out, sf)
	}
	return out, nil
}

// lookup finds f in a.m; a.m.mu is held.
func (a *MemoryAccount) lookup(f source.Folder) (*memFolder, error) {
	if a.closed {
		return nil, ErrClosed
	}
	for _, mf := range a.m.folders {
		if mf.f.Name == f.Name {
			if f.Validity != "" && f.Validity != mf.f.Validity {
				return nil, fmt.Errorf("sourcetest: folder %q: validity is %s, expected %s: %w", f.Name, mf.f.Validity, f.Validity, source.ErrValidityChanged)
			}
			return mf, nil
		}
	}
	return nil, fmt.Errorf("sourcetest: folder %q: %w", f.Name, source.ErrNotFound)
}

// Items implements source.Account. It copies one window of 100 items at a
// time, so that the caller's loop body runs without the lock.
func (a *MemoryAccount) Items(ctx context.Context, f source.Folder) iter.Seq2[source.ItemRef, error] {
	return func(yield func(source.ItemRef, error) bool) {
		var after uint32
		for {
			if err := ctx.Err(); err != nil {
				yield(source.ItemRef{}, err)
				return
			}
			a.m.mu.Lock()
			mf, err := a.lookup(f)
			var window []source.ItemRef
			if err == nil {
				for _, it := range mf.items {
					if it.uid > after && len(window) < 100 {
						window = append(window, source.ItemRef{Key: key(mf.f.Validity, it.uid), Size: int64(len(it.content)), Date: it.date, Flags: slices.Clone(it.flags)})
						after = it.uid
					}
				}
			}
			a.m.mu.Unlock()
			if err != nil {
				yield(source.ItemRef{}, err)
				return
			}
			if len(window) == 0 {
				return
			}
			for _, ref := range window {
				if !yield(ref, nil) {
					return
				}
			}
		}
	}
}

// item finds ref in f; a.m.mu is held.
func (a *MemoryAccount) item(f source.Folder, ref source.ItemRef) (*memItem, error) {
	mf, err := a.lookup(f)
	if err != nil {
		return nil, err
	}
	v, _, _ := strings.Cut(ref.Key, ".")
	if v != mf.f.Validity {
		return nil, fmt.Errorf("sourcetest: folder %q item %s: the folder's validity is %s: %w", f.Name, ref.Key, mf.f.Validity, source.ErrValidityChanged)
	}
	for _, it := range mf.items {
		if key(mf.f.Validity, it.uid) == ref.Key {
			return it, nil
		}
	}
	return nil, fmt.Errorf("sourcetest: folder %q item %s: %w", f.Name, ref.Key, source.ErrNotFound)
}

// Open implements source.Account.
func (a *MemoryAccount) Open(ctx context.Context, f source.Folder, ref source.ItemRef) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	it, err := a.item(f, ref)
	if err != nil {
		return nil, err
	}
	if err := a.m.fail[ref.Key]; err != nil {
		return nil, fmt.Errorf("sourcetest: folder %q item %s: %w", f.Name, ref.Key, err)
	}
	a.m.reads++
	if a.m.seenOnOpen && !slices.Contains(it.flags, `\Seen`) {
		it.flags = append(it.flags, `\Seen`)
	}
	return io.NopCloser(bytes.NewReader(it.content)), nil
}

// Headers implements source.HeaderReader.
func (a *MemoryAccount) Headers(ctx context.Context, f source.Folder, refs []source.ItemRef, fields []string) iter.Seq2[source.ItemHeader, error] {
	return func(yield func(source.ItemHeader, error) bool) {
		for _, ref := range refs {
			a.m.mu.Lock()
			it, err := a.item(f, ref)
			var content []byte
			if err == nil {
				content = it.content
			}
			a.m.mu.Unlock()
			if err != nil && !errors.Is(err, source.ErrNotFound) {
				yield(source.ItemHeader{}, err)
				return
			}
			if err != nil {
				continue // gone: left out
			}
			h, _ := textproto.NewReader(bufio.NewReader(bytes.NewReader(content))).ReadMIMEHeader()
			out := textproto.MIMEHeader{}
			for _, name := range fields {
				if v := h.Values(name); len(v) > 0 {
					out[textproto.CanonicalMIMEHeaderKey(name)] = v
				}
			}
			if !yield(source.ItemHeader{Key: ref.Key, Header: out}, nil) {
				return
			}
		}
	}
}

// Close implements source.Account.
func (a *MemoryAccount) Close() error {
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	a.closed = true
	return nil
}
