package graphemu

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/migrate-tool/migrate/target/graphemu/internal/ids"
)

// Item and folder kinds.
const (
	kindMail     = "mail"     // mailFolder / message
	kindContact  = "contact"  // contactFolder / contact
	kindCalendar = "calendar" // calendar / event
)

// blobThreshold is the size above which item bodies and attachment bytes
// live in files under the blob directory instead of memory.
const blobThreshold = 256 << 10

// ExtProp is a singleValueLegacyExtendedProperty (id and value).
// https://learn.microsoft.com/graph/api/resources/singlevaluelegacyextendedproperty
type ExtProp struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// MultiExtProp is a multiValueLegacyExtendedProperty (id and values).
// https://learn.microsoft.com/graph/api/resources/multivaluelegacyextendedproperty
type MultiExtProp struct {
	ID    string   `json:"id"`
	Value []string `json:"value"`
}

// mailbox is one user of the tenant. It is configured, not persisted: its
// id is derived from the tenant and UPN so it is stable across restarts.
type mailbox struct {
	ID          string
	UPN         string
	DisplayName string
}

// folder is a mailFolder, contactFolder or calendar.
type folder struct {
	ID          string `json:"id"`
	Mailbox     string `json:"mailbox"`
	Kind        string `json:"kind"`
	ParentID    string `json:"parentId,omitempty"`
	DisplayName string `json:"displayName"`
	WellKnown   string `json:"wellKnown,omitempty"`
	Hidden      bool   `json:"hidden,omitempty"` // root folders: not listed
	// IsHidden is a mail folder created with isHidden true: listed only
	// with includeHiddenFolders=true.
	IsHidden  bool                       `json:"isHidden,omitempty"`
	Props     map[string]json.RawMessage `json:"props,omitempty"`
	Ext       []ExtProp                  `json:"ext,omitempty"`
	Multi     []MultiExtProp             `json:"multi,omitempty"`
	Created   time.Time                  `json:"created"`
	Modified  time.Time                  `json:"modified"`
	ChangeKey string                     `json:"changeKey"`
	Seq       int64                      `json:"seq"`
}

// attachment is a fileAttachment (itemAttachment and referenceAttachment
// are not modelled).
type attachment struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	ContentType string    `json:"contentType"`
	Size        int64     `json:"size"`
	IsInline    bool      `json:"isInline"`
	ContentID   string    `json:"contentId,omitempty"`
	Modified    time.Time `json:"modified"`
	Data        []byte    `json:"data,omitempty"` // at most blobThreshold bytes
	Blob        string    `json:"blob,omitempty"` // file name under the blob dir
	SHA256      string    `json:"sha256"`
}

// item is a message, contact or event.
type item struct {
	ID        string                     `json:"id"`
	Mailbox   string                     `json:"mailbox"`
	Kind      string                     `json:"kind"`
	FolderID  string                     `json:"folderId"`
	Props     map[string]json.RawMessage `json:"props"`
	Ext       []ExtProp                  `json:"ext,omitempty"`
	Multi     []MultiExtProp             `json:"multi,omitempty"`
	Created   time.Time                  `json:"created"`
	Modified  time.Time                  `json:"modified"`
	ChangeKey string                     `json:"changeKey"`
	Seq       int64                      `json:"seq"`
	// BodyBlob holds body.content when it is larger than blobThreshold.
	BodyBlob    string        `json:"bodyBlob,omitempty"`
	BodySize    int64         `json:"bodySize"`
	BodyPreview string        `json:"bodyPreview,omitempty"` // of a blob body
	Attachments []*attachment `json:"attachments,omitempty"`
	// Messages.
	IsDraft  bool      `json:"isDraft,omitempty"`
	IsRead   bool      `json:"isRead,omitempty"`
	Received time.Time `json:"received"`
	Sent     time.Time `json:"sent"`
	ViaMIME  bool      `json:"viaMime,omitempty"`
	// Contacts.
	Photo *attachment `json:"photo,omitempty"`
	// Events.
	TransactionID     string   `json:"transactionId,omitempty"`
	InvitationsSent   bool     `json:"invitationsSent,omitempty"`
	InvitationsSentTo []string `json:"invitationsSentTo,omitempty"`
	// Exceptions are a series master's changed and deleted occurrences,
	// by original start (occurrenceKey).
	Exceptions map[string]*exception `json:"exceptions,omitempty"`
}

// uploadSession is an Outlook attachment upload session.
// https://learn.microsoft.com/graph/api/attachment-createuploadsession
type uploadSession struct {
	ID          string    `json:"id"`
	Token       string    `json:"token"`
	App         string    `json:"app"`
	Mailbox     string    `json:"mailbox"`
	ItemID      string    `json:"itemId"`
	Name        string    `json:"name"`
	ContentType string    `json:"contentType"`
	IsInline    bool      `json:"isInline"`
	ContentID   string    `json:"contentId,omitempty"`
	Size        int64     `json:"size"`
	Next        int64     `json:"next"`
	Blob        string    `json:"blob"`
	Expires     time.Time `json:"expires"`
}

// record is one journal entry.
type record struct {
	Op      string         `json:"op"` // folder, item, session, del-folder, del-item, del-session, reset, seq
	Folder  *folder        `json:"folder,omitempty"`
	Item    *item          `json:"item,omitempty"`
	Session *uploadSession `json:"session,omitempty"`
	// Category is an outlookCategory of a mailbox's master list.
	Category *category `json:"category,omitempty"`
	ID       string    `json:"id,omitempty"`
}

// store holds the tenant's data. Metadata is in memory; large bodies and
// attachment bytes are files in blobDir. When persistent, every mutation
// is appended to a journal and fsynced before the request is answered
// (write-ahead), so a killed emulator loses nothing it acknowledged; the
// journal is compacted into a snapshot at load.
type store struct {
	mu        sync.RWMutex
	mailboxes map[string]*mailbox // by id
	byUPN     map[string]*mailbox // by lower-case UPN
	folders   map[string]*folder
	items     map[string]*item
	sessions  map[string]*uploadSession
	// categories are the mailboxes' master category lists, by id.
	categories map[string]*category
	seq        int64

	blobDir    string
	journal    *os.File
	journalBuf *bufio.Writer
	persistent bool
}

func newStore(dataDir string) (*store, error) {
	s := &store{
		mailboxes: map[string]*mailbox{},
		byUPN:     map[string]*mailbox{},
		folders:   map[string]*folder{},
		items:     map[string]*item{},
		sessions:  map[string]*uploadSession{},

		categories: map[string]*category{},
	}
	if dataDir == "" {
		dir, err := os.MkdirTemp("", "graphemu-blobs-")
		if err != nil {
			return nil, fmt.Errorf("graphemu: blob directory: %w", err)
		}
		s.blobDir = dir
		return s, nil
	}
	s.persistent = true
	s.blobDir = filepath.Join(dataDir, "blobs")
	if err := os.MkdirAll(s.blobDir, 0o700); err != nil {
		return nil, fmt.Errorf("graphemu: data directory: %w", err)
	}
	if err := s.load(filepath.Join(dataDir, "journal.jsonl")); err != nil {
		return nil, err
	}
	return s, nil
}

// load replays the journal, then rewrites it as a compact snapshot and
// opens it for appending. A torn last line (the process was killed while
// writing it) is ignored: its request was never acknowledged.
func (s *store) load(path string) error {
	f, err := os.Open(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("graphemu: open journal: %w", err)
	default:
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var rec record
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				break // torn tail
			}
			s.apply(&rec)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return fmt.Errorf("graphemu: read journal: %w", err)
		}
	}
	tmp := path + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("graphemu: write snapshot: %w", err)
	}
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	_ = enc.Encode(&record{Op: "seq", ID: fmt.Sprint(s.seq)})
	for _, f := range sortedFolders(s.folders) {
		_ = enc.Encode(&record{Op: "folder", Folder: f})
	}
	for _, it := range sortedItems(s.items) {
		_ = enc.Encode(&record{Op: "item", Item: it})
	}
	for _, ss := range s.sessions {
		_ = enc.Encode(&record{Op: "session", Session: ss})
	}
	for _, c := range sortedCategories(s.categories) {
		_ = enc.Encode(&record{Op: "category", Category: c})
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return fmt.Errorf("graphemu: write snapshot: %w", err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("graphemu: sync snapshot: %w", err)
	}
	out.Close()
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("graphemu: install snapshot: %w", err)
	}
	j, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("graphemu: open journal: %w", err)
	}
	s.journal = j
	s.journalBuf = bufio.NewWriter(j)
	return nil
}

func (s *store) apply(rec *record) {
	switch rec.Op {
	case "seq":
		var n int64
		fmt.Sscan(rec.ID, &n)
		if n > s.seq {
			s.seq = n
		}
	case "folder":
		s.folders[rec.Folder.ID] = rec.Folder
		s.bump(rec.Folder.Seq)
	case "item":
		s.items[rec.Item.ID] = rec.Item
		s.bump(rec.Item.Seq)
	case "session":
		s.sessions[rec.Session.ID] = rec.Session
	case "del-folder":
		delete(s.folders, rec.ID)
	case "del-item":
		delete(s.items, rec.ID)
	case "del-session":
		delete(s.sessions, rec.ID)
	case "category":
		s.categories[rec.Category.ID] = rec.Category
		s.bump(rec.Category.Seq)
	case "reset":
		s.folders = map[string]*folder{}
		s.items = map[string]*item{}
		s.sessions = map[string]*uploadSession{}
		s.categories = map[string]*category{}
	}
}

func (s *store) bump(n int64) {
	if n > s.seq {
		s.seq = n
	}
}

// commit applies rec and, when persistent, appends it to the journal and
// fsyncs. Callers hold s.mu for writing.
func (s *store) commit(rec *record) error {
	s.apply(rec)
	if !s.persistent {
		return nil
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("graphemu: journal encode: %w", err)
	}
	b = append(b, '\n')
	if _, err := s.journalBuf.Write(b); err != nil {
		return fmt.Errorf("graphemu: journal write: %w", err)
	}
	if err := s.journalBuf.Flush(); err != nil {
		return fmt.Errorf("graphemu: journal write: %w", err)
	}
	if err := s.journal.Sync(); err != nil {
		return fmt.Errorf("graphemu: journal sync: %w", err)
	}
	return nil
}

func (s *store) nextSeq() int64 {
	s.seq++
	return s.seq
}

func (s *store) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journal != nil {
		err := s.journal.Close()
		s.journal = nil
		return err
	}
	if !s.persistent && s.blobDir != "" {
		return os.RemoveAll(s.blobDir)
	}
	return nil
}

// writeBlob stores r in a new blob file and returns its name, size and
// SHA-256 (hex).
func (s *store) writeBlob(r io.Reader) (name string, n int64, sum string, err error) {
	name = ids.RandomHex(16)
	f, err := os.OpenFile(filepath.Join(s.blobDir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", 0, "", fmt.Errorf("graphemu: create blob: %w", err)
	}
	h := newHasher()
	n, err = io.Copy(io.MultiWriter(f, h), r)
	if err == nil && s.persistent {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(filepath.Join(s.blobDir, name))
		return "", 0, "", fmt.Errorf("graphemu: write blob: %w", err)
	}
	return name, n, h.sum(), nil
}

func (s *store) openBlob(name string) (*os.File, error) {
	f, err := os.Open(filepath.Join(s.blobDir, name))
	if err != nil {
		return nil, fmt.Errorf("graphemu: open blob: %w", err)
	}
	return f, nil
}

func (s *store) blobPath(name string) string { return filepath.Join(s.blobDir, name) }

func (s *store) removeBlob(name string) {
	if name != "" {
		os.Remove(filepath.Join(s.blobDir, name))
	}
}

// removeItemBlobs deletes the files an item owns.
func (s *store) removeItemBlobs(it *item) {
	s.removeBlob(it.BodyBlob)
	for _, a := range it.Attachments {
		s.removeBlob(a.Blob)
	}
	if it.Photo != nil {
		s.removeBlob(it.Photo.Blob)
	}
}

// mailboxByKey finds a mailbox by id or UPN (case-insensitive).
func (s *store) mailboxByKey(key string) *mailbox {
	if m, ok := s.mailboxes[key]; ok {
		return m
	}
	if m, ok := s.mailboxes[strings.ToLower(key)]; ok {
		return m
	}
	return s.byUPN[strings.ToLower(key)]
}

// childFolders lists the folders under parent in creation order.
func (s *store) childFolders(mbox, kind, parent string) []*folder {
	var out []*folder
	for _, f := range s.folders {
		if f.Mailbox == mbox && f.Kind == kind && f.ParentID == parent && !f.Hidden {
			out = append(out, f)
		}
	}
	return bySeq(out)
}

// folderItems lists the items of a folder ("" = every folder of kind).
func (s *store) folderItems(mbox, kind, folderID string) []*item {
	var out []*item
	for _, it := range s.items {
		if it.Mailbox == mbox && it.Kind == kind && (folderID == "" || it.FolderID == folderID) {
			out = append(out, it)
		}
	}
	return bySeq(out)
}

// seqNo orders folders and items by creation.
func (f *folder) seqNo() int64 { return f.Seq }
func (it *item) seqNo() int64  { return it.Seq }

// bySeq sorts folders or items in creation order.
func bySeq[T interface{ seqNo() int64 }](s []T) []T {
	sort.Slice(s, func(i, j int) bool { return s[i].seqNo() < s[j].seqNo() })
	return s
}

func sortedFolders(m map[string]*folder) []*folder { return bySeq(slices.Collect(maps.Values(m))) }

func sortedItems(m map[string]*item) []*item { return bySeq(slices.Collect(maps.Values(m))) }

// newGraphID returns an Exchange-style opaque id: URL-safe base64 with a
// fixed prefix, like the "AAMkAD..." ids Graph returns for Outlook items.
func newGraphID(prefix string) string {
	var b [33]byte
	_, _ = rand.Read(b[:])
	return prefix + base64.URLEncoding.EncodeToString(b[:])
}

// stableGraphID derives a deterministic id from parts.
func stableGraphID(prefix string, parts ...string) string {
	h := sha1.Sum([]byte(strings.Join(parts, "\x00")))
	return prefix + base64.URLEncoding.EncodeToString(append(h[:], 0, 0, 0, 1, 0))
}

func newChangeKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "CQAAABYAAA" + base64.StdEncoding.EncodeToString(b[:])
}

// readAllLimited reads r fully, failing when it holds more than limit bytes.
func readAllLimited(r io.Reader, limit int64) ([]byte, bool, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if n > limit {
		return nil, true, nil
	}
	return buf.Bytes(), false, nil
}

// hasher computes a hex SHA-256 while data is written.
type hasher struct{ hash.Hash }

func newHasher() *hasher      { return &hasher{sha256.New()} }
func (h *hasher) sum() string { return hex.EncodeToString(h.Sum(nil)) }
