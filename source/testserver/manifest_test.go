package testserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
)

func TestLoadManifestCorpus(t *testing.T) {
	t.Parallel()
	m, err := LoadManifest("")
	if err != nil {
		t.Fatalf("LoadManifest(\"\") = %v", err)
	}
	if len(m.Users) != 3 {
		t.Fatalf("corpus has %d users, want 3", len(m.Users))
	}
	var generated, files int
	flags := map[string]bool{}
	for _, u := range m.Users {
		for _, f := range u.Folders {
			for i := range f.Messages {
				msg := &f.Messages[i]
				size, err := msg.Size()
				if err != nil || size == 0 {
					t.Errorf("%s %s: Size() = %d, %v", u.Name, msg.Name(), size, err)
				}
				if msg.Generate != nil {
					generated++
				} else {
					files++
				}
				for _, fl := range msg.Flags {
					flags[fl] = true
				}
			}
		}
	}
	if generated == 0 || files < 20 {
		t.Errorf("corpus has %d files and %d generated messages, want >= 20 and >= 1", files, generated)
	}
	// The corpus promises these flags and keywords to other packages' tests.
	for _, f := range []string{`\Seen`, `\Flagged`, `\Answered`, `\Draft`, `\Deleted`, "$Forwarded", "$MDNSent", "$Junk", "Important", "$label1"} {
		if !flags[f] {
			t.Errorf("corpus has no message with flag %s", f)
		}
	}
	alice, ok := m.User("alice@example.test")
	if !ok {
		t.Fatal("corpus lacks alice@example.test")
	}
	for _, name := range []string{"INBOX", "Projects/2024/Q1", "Work", "work"} {
		if _, ok := alice.Folder(name); !ok {
			t.Errorf("alice lacks folder %q", name)
		}
	}
	if got := alice.Inbox(); got == nil || got.Name != "INBOX" {
		t.Errorf("Inbox() = %v", got)
	}
}

func TestLoadManifestErrors(t *testing.T) {
	t.Parallel()
	const eml = "Subject: x\n\nbody\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"no users", "users: []\n", "no users"},
		{"unknown field", "users:\n  - name: a\n    password: p\n    colour: red\n", "colour"},
		{"inbox not first", "users:\n  - name: a\n    password: p\n    folders:\n      - name: Sent\n", "first folder must be INBOX"},
		{"missing password", "users:\n  - name: a\n    folders:\n      - name: INBOX\n", "password"},
		{"duplicate folder", "users:\n  - name: a\n    password: p\n    folders:\n      - name: INBOX\n      - name: X\n      - name: X\n", "listed twice"},
		{"bad special use", "users:\n  - name: a\n    password: p\n    folders:\n      - name: INBOX\n      - name: S\n        special_use: '\\Outbox'\n", "unknown special use"},
		{"missing file", "users:\n  - name: a\n    password: p\n    folders:\n      - name: INBOX\n        messages:\n          - file: nope.eml\n            date: 2020-01-01T00:00:00Z\n", "nope.eml"},
		{"missing date", "users:\n  - name: a\n    password: p\n    folders:\n      - name: INBOX\n        messages:\n          - file: m.eml\n", "date is required"},
		{"recent flag", "users:\n  - name: a\n    password: p\n    folders:\n      - name: INBOX\n        messages:\n          - file: m.eml\n            flags: ['\\Recent']\n            date: 2020-01-01T00:00:00Z\n", "not a settable system flag"},
		{"bad keyword", "users:\n  - name: a\n    password: p\n    folders:\n      - name: INBOX\n        messages:\n          - file: m.eml\n            flags: ['two words']\n            date: 2020-01-01T00:00:00Z\n", "not a valid keyword"},
		{"file and generate", "users:\n  - name: a\n    password: p\n    folders:\n      - name: INBOX\n        messages:\n          - file: m.eml\n            generate: {seed: s}\n            date: 2020-01-01T00:00:00Z\n", "both file and generate"},
		{"escaping file", "users:\n  - name: a\n    password: p\n    folders:\n      - name: INBOX\n        messages:\n          - file: ../m.eml\n            date: 2020-01-01T00:00:00Z\n", "relative"},
		{"huge generated", "users:\n  - name: a\n    password: p\n    folders:\n      - name: INBOX\n        messages:\n          - generate: {seed: s, attachment_size: 9999999999}\n            date: 2020-01-01T00:00:00Z\n", "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "m.eml"), []byte(eml), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadManifest(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadManifest() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestToCRLF(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{"mixed\r\nlf\nend", "mixed\r\nlf\r\nend"},
		{"\n\n", "\r\n\r\n"},
		{"lone\rcr\n", "lone\rcr\r\n"},
	}
	for _, tt := range tests {
		if got := string(toCRLF([]byte(tt.in))); got != tt.want {
			t.Errorf("toCRLF(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestGenerator(t *testing.T) {
	t.Parallel()
	date := time.Date(2025, 2, 3, 12, 0, 0, 0, time.UTC)
	for _, size := range []int64{0, 1, 2, 3, 56, 57, 58, 114, 1000, 100_003} {
		g := &Generator{Subject: "gen", Seed: "table", AttachmentSize: size}
		msg := ManifestMessage{Generate: g, Date: date}
		b, err := msg.Bytes()
		if err != nil {
			t.Fatalf("size %d: Bytes() = %v", size, err)
		}
		if want, _ := msg.Size(); int64(len(b)) != want {
			t.Errorf("size %d: message is %d bytes, Size() says %d", size, len(b), want)
		}
		if bytes.Contains(bytes.ReplaceAll(b, []byte("\r\n"), nil), []byte("\n")) {
			t.Errorf("size %d: message has a bare LF", size)
		}
		att := parseAttachment(t, b)
		want, _ := io.ReadAll(g.Attachment())
		if !bytes.Equal(att, want) || int64(len(att)) != size {
			t.Errorf("size %d: decoded attachment (%d bytes) differs from Attachment() (%d bytes)", size, len(att), len(want))
		}
		if sha256.Sum256(att) != g.AttachmentSHA256() {
			t.Errorf("size %d: AttachmentSHA256() does not match the decoded attachment", size)
		}
	}
	// The bytes must not change between Go releases or platforms: other
	// tests and benchmarks may record checksums of generated messages.
	g := &Generator{Seed: "golden", AttachmentSize: 4096}
	sum := g.AttachmentSHA256()
	if got, want := hex.EncodeToString(sum[:]), goldenAttachmentSHA; got != want {
		t.Errorf("AttachmentSHA256(seed golden, 4096) = %s, want %s", got, want)
	}
}

const goldenAttachmentSHA = "2be2b633a026e98bc115fc1e721f2e2524b48a52d0705ea10ab8b29235c7c60f"

func parseAttachment(t *testing.T, raw []byte) []byte {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse generated message: %v", err)
	}
	mr := e.MultipartReader()
	if mr == nil {
		t.Fatal("generated message is not multipart")
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			t.Fatal("generated message has no attachment part")
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		if ct, _, _ := p.Header.ContentType(); ct == "application/octet-stream" {
			b, err := io.ReadAll(p.Body)
			if err != nil {
				t.Fatalf("read attachment: %v", err)
			}
			return b
		}
	}
}

// TestEmbeddedCorpus loads both corpora from a working directory outside
// the repository, as an installed binary does, and checks that the
// embedded files are the ones in seed/ and that a loaded directory
// (SeedDir) still works.
func TestEmbeddedCorpus(t *testing.T) {
	seedDir, err := filepath.Abs("seed")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	m, err := LoadManifest("")
	if err != nil {
		t.Fatalf("LoadManifest(\"\") outside the repository = %v", err)
	}
	if m.Dir != "" {
		t.Errorf("embedded Manifest.Dir = %q, want \"\"", m.Dir)
	}
	onDisk, err := LoadManifest(filepath.Join(seedDir, "mail"))
	if err != nil {
		t.Fatalf("LoadManifest(seed/mail) = %v", err)
	}
	if onDisk.Dir != filepath.Join(seedDir, "mail") {
		t.Errorf("Manifest.Dir = %q, want %q", onDisk.Dir, filepath.Join(seedDir, "mail"))
	}
	compared := 0
	for _, u := range m.Users {
		for _, f := range u.Folders {
			for _, msg := range f.Messages {
				if msg.File == "" {
					continue
				}
				got, err := msg.Bytes()
				if err != nil {
					t.Fatalf("%s: Bytes() = %v", msg.File, err)
				}
				want, err := os.ReadFile(filepath.Join(seedDir, "mail", filepath.FromSlash(msg.File)))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, toCRLF(want)) {
					t.Errorf("%s: embedded message differs from seed/mail", msg.File)
				}
				compared++
			}
		}
	}
	if compared < 20 {
		t.Errorf("compared %d embedded messages, want >= 20", compared)
	}
	dav, err := LoadDAVManifest("")
	if err != nil {
		t.Fatalf("LoadDAVManifest(\"\") outside the repository = %v", err)
	}
	if dav.Dir != "" || len(dav.Users) == 0 {
		t.Errorf("embedded DAV manifest: Dir %q, %d users", dav.Dir, len(dav.Users))
	}
}

func TestLoadDAVManifest(t *testing.T) {
	t.Parallel()
	m, err := LoadDAVManifest("")
	if err != nil {
		t.Fatalf("LoadDAVManifest(\"\") = %v", err)
	}
	alice, ok := m.User("alice@example.test")
	if !ok {
		t.Fatal("DAV corpus lacks alice@example.test")
	}
	book, ok := alice.Collection("contacts")
	if !ok || book.Kind != KindAddressBook || len(book.Objects) < 4 {
		t.Fatalf("alice's contacts = %+v", book)
	}
	cal, ok := alice.Collection("calendar")
	if !ok || cal.Kind != KindCalendar || len(cal.Objects) < 5 {
		t.Fatalf("alice's calendar = %+v", cal)
	}
	// Features other packages' tests rely on.
	has := func(c *DAVCollection, s string) bool {
		for _, o := range c.Objects {
			if bytes.Contains(o.Data, []byte(s)) {
				return true
			}
		}
		return false
	}
	for _, want := range []struct {
		c *DAVCollection
		s string
	}{{book, "PHOTO"}, {book, "BDAY"}, {book, "Zoë"}, {cal, "TZID:Europe/Berlin"}, {cal, "RRULE"}, {cal, "EXDATE"}, {cal, "RECURRENCE-ID"}, {cal, "ATTENDEE"}, {cal, "VALUE=DATE"}} {
		if !has(want.c, want.s) {
			t.Errorf("collection %s has no object with %q", want.c.Name, want.s)
		}
	}
}

func TestLoadDAVManifestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, file, content, want string
	}{
		{"missing UID", "users:\n  - name: u\n    password: p\n    collections:\n      - {name: c, kind: addressbook, display_name: C}\n", "c/x.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:X\nEND:VCARD\n", "no UID"},
		{"bad kind", "users:\n  - name: u\n    password: p\n    collections:\n      - {name: c, kind: todo, display_name: C}\n", "c/x.vcf", "UID:1\n", "kind"},
		{"empty collection", "users:\n  - name: u\n    password: p\n    collections:\n      - {name: c, kind: calendar, display_name: C}\n", "c/x.vcf", "UID:1\n", "no .ics files"},
		{"duplicate UID", "users:\n  - name: u\n    password: p\n    collections:\n      - {name: c, kind: addressbook, display_name: C}\n", "c/x.vcf", "UID:1\n", "repeats UID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "u", "c"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, DAVManifestFile), []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "u", tt.file), []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			if tt.name == "duplicate UID" {
				if err := os.WriteFile(filepath.Join(dir, "u", "c", "y.vcf"), []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := LoadDAVManifest(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadDAVManifest() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestFirstProperty(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, prop, want string }{
		{"BEGIN:VCARD\nUID:abc\nEND:VCARD\n", "UID", "abc"},
		{"UID;VALUE=text:x-1\r\n", "uid", "x-1"},
		{"UID:folded-\n value\n", "UID", "folded-value"},
		{"FN:No uid\n", "UID", ""},
		{"X-UID:nope\nUID:yes\n", "UID", "yes"},
	}
	for _, tt := range tests {
		if got := firstProperty([]byte(tt.in), tt.prop); got != tt.want {
			t.Errorf("firstProperty(%q, %q) = %q, want %q", tt.in, tt.prop, got, tt.want)
		}
	}
}
