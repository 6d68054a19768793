package testserver

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/migrate-tool/migrate/source/testserver/seed"
)

// ManifestFile is the name of the mail corpus manifest at the root of a
// seed directory, such as the embedded corpus of package seed.
const ManifestFile = "accounts.yaml"

// Manifest describes the seed mail corpus: the accounts, their folders and
// the messages in each folder, in the order they are appended. It is what
// [StartDovecot] and [StartMemIMAP] seed, and what tests of other packages
// compare migrated data against.
type Manifest struct {
	// Dir is the absolute directory holding the manifest, whose message
	// files are relative to it; "" for the embedded corpus (package seed).
	Dir string `yaml:"-"`
	// Users are the mail accounts, in seeding order.
	Users []ManifestUser `yaml:"users"`
}

// ManifestUser is one mail account of the corpus.
type ManifestUser struct {
	// Name is the login name, for example "alice@example.test".
	Name string `yaml:"name"`
	// Password is the account's plain-text test password.
	Password string `yaml:"password"`
	// Folders are the account's folders in creation order. The first is
	// always INBOX, which POP3 clients see.
	Folders []ManifestFolder `yaml:"folders"`
}

// ManifestFolder is one folder of an account.
type ManifestFolder struct {
	// Name is the full folder name in UTF-8 with "/" as the hierarchy
	// separator, for example "Projects/2024/Q1" or "Ärger/Köln".
	Name string `yaml:"name"`
	// SpecialUse is the RFC 6154 attribute the server announces for the
	// folder, such as `\Sent`, or "" for none. With
	// DovecotOptions.NoSpecialUse the server announces none and clients
	// must guess from the name; the manifest still says what it is.
	SpecialUse string `yaml:"special_use,omitempty"`
	// Unsubscribed leaves the folder out of the subscription list.
	Unsubscribed bool `yaml:"unsubscribed,omitempty"`
	// Note says what the folder is there to exercise.
	Note string `yaml:"note,omitempty"`
	// Messages are appended in this order, so their UIDs ascend in it.
	Messages []ManifestMessage `yaml:"messages,omitempty"`
}

// ManifestMessage is one message of a folder: either a file of the corpus
// or a message generated at seed time.
type ManifestMessage struct {
	// File is the message's slash-separated path relative to the
	// manifest's directory.
	File string `yaml:"file,omitempty"`
	// Generate, when File is empty, describes a generated message.
	Generate *Generator `yaml:"generate,omitempty"`
	// Flags are the IMAP flags and keywords set on APPEND, for example
	// `\Seen`, `$Forwarded` or `Important`.
	Flags []string `yaml:"flags,omitempty"`
	// Date is the INTERNALDATE (received time) set on APPEND.
	Date time.Time `yaml:"date"`
	// Note says what the message is there to exercise.
	Note string `yaml:"note,omitempty"`

	fsys fs.FS // the manifest's directory, set by LoadManifest
}

// LoadManifest reads and checks dir/accounts.yaml. An empty dir means the
// corpus embedded in package seed, which needs no checkout.
func LoadManifest(dir string) (*Manifest, error) {
	if dir == "" {
		return loadManifest(seed.Mail(), "", "embedded corpus")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("load mail manifest: %w", err)
	}
	return loadManifest(os.DirFS(dir), dir, filepath.Join(dir, ManifestFile))
}

// loadManifest reads accounts.yaml at the root of fsys; dir is what
// Manifest.Dir reports and where names the manifest in errors.
func loadManifest(fsys fs.FS, dir, where string) (*Manifest, error) {
	b, err := fs.ReadFile(fsys, ManifestFile)
	if err != nil {
		return nil, fmt.Errorf("load mail manifest %s: %w", where, err)
	}
	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("load mail manifest %s: %w", where, err)
	}
	m.Dir = dir
	for ui := range m.Users {
		for fi := range m.Users[ui].Folders {
			for mi := range m.Users[ui].Folders[fi].Messages {
				m.Users[ui].Folders[fi].Messages[mi].fsys = fsys
			}
		}
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("load mail manifest %s: %w", where, err)
	}
	return &m, nil
}

var systemFlags = []string{`\Seen`, `\Answered`, `\Flagged`, `\Deleted`, `\Draft`}

var specialUses = []string{`\All`, `\Archive`, `\Drafts`, `\Flagged`, `\Junk`, `\Sent`, `\Trash`}

func (m *Manifest) validate() error {
	var errs []error
	if len(m.Users) == 0 {
		errs = append(errs, errors.New("no users"))
	}
	users := map[string]bool{}
	for _, u := range m.Users {
		if u.Name == "" || u.Password == "" {
			errs = append(errs, fmt.Errorf("user %q: name and password are required", u.Name))
		}
		if strings.ContainsAny(u.Name, ":*\n\r \t") || strings.ContainsAny(u.Password, ":\n\r") {
			errs = append(errs, fmt.Errorf("user %q: name or password holds a character a passwd-file cannot", u.Name))
		}
		if users[u.Name] {
			errs = append(errs, fmt.Errorf("user %q: listed twice", u.Name))
		}
		users[u.Name] = true
		if len(u.Folders) == 0 || u.Folders[0].Name != "INBOX" {
			errs = append(errs, fmt.Errorf("user %q: the first folder must be INBOX", u.Name))
		}
		folders := map[string]bool{}
		for _, f := range u.Folders {
			if f.Name == "" || strings.HasPrefix(f.Name, "/") || strings.HasSuffix(f.Name, "/") || strings.Contains(f.Name, "//") {
				errs = append(errs, fmt.Errorf("user %q: bad folder name %q", u.Name, f.Name))
			}
			if folders[f.Name] {
				errs = append(errs, fmt.Errorf("user %q: folder %q listed twice", u.Name, f.Name))
			}
			folders[f.Name] = true
			if f.SpecialUse != "" && !slices.Contains(specialUses, f.SpecialUse) {
				errs = append(errs, fmt.Errorf("user %q folder %q: unknown special use %q", u.Name, f.Name, f.SpecialUse))
			}
			for i, msg := range f.Messages {
				if err := msg.validate(); err != nil {
					errs = append(errs, fmt.Errorf("user %q folder %q message %d: %w", u.Name, f.Name, i+1, err))
				}
			}
		}
	}
	return errors.Join(errs...)
}

func (msg *ManifestMessage) validate() error {
	switch {
	case msg.File != "" && msg.Generate != nil:
		return errors.New("both file and generate are set")
	case msg.File == "" && msg.Generate == nil:
		return errors.New("neither file nor generate is set")
	case msg.File != "":
		if !fs.ValidPath(msg.File) {
			return fmt.Errorf("file %q must be a slash-separated path relative to the manifest, without \".\" or \"..\" elements", msg.File)
		}
		if _, err := fs.Stat(msg.fsys, msg.File); err != nil {
			return fmt.Errorf("file: %w", err)
		}
	default:
		if err := msg.Generate.validate(); err != nil {
			return err
		}
	}
	if msg.Date.IsZero() {
		return errors.New("date is required")
	}
	for _, f := range msg.Flags {
		switch {
		case strings.HasPrefix(f, `\`) && !slices.Contains(systemFlags, f):
			return fmt.Errorf("flag %q is not a settable system flag", f)
		case f == "" || strings.ContainsAny(f, " ()]{%*\"\\\r\n") && !strings.HasPrefix(f, `\`):
			return fmt.Errorf("flag %q is not a valid keyword", f)
		}
	}
	return nil
}

// User returns the account with the given login name.
func (m *Manifest) User(name string) (*ManifestUser, bool) {
	for i := range m.Users {
		if m.Users[i].Name == name {
			return &m.Users[i], true
		}
	}
	return nil, false
}

// Folder returns the folder with the given full name (case-sensitive).
func (u *ManifestUser) Folder(name string) (*ManifestFolder, bool) {
	for i := range u.Folders {
		if u.Folders[i].Name == name {
			return &u.Folders[i], true
		}
	}
	return nil, false
}

// Inbox returns the INBOX folder, which is what a POP3 client sees.
func (u *ManifestUser) Inbox() *ManifestFolder {
	f, _ := u.Folder("INBOX")
	return f
}

// MessageCount returns the number of messages in all of u's folders.
func (u *ManifestUser) MessageCount() int {
	n := 0
	for _, f := range u.Folders {
		n += len(f.Messages)
	}
	return n
}

// Open returns the message exactly as it is appended: a corpus file with
// bare LF line endings turned into CRLF (as servers store and serve it),
// or a generated message streamed without holding it in memory.
func (msg *ManifestMessage) Open() (io.ReadCloser, error) {
	if msg.Generate != nil {
		return io.NopCloser(msg.Generate.reader(msg.Date)), nil
	}
	b, err := msg.Bytes()
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// Bytes returns the whole message as [ManifestMessage.Open] streams it.
// Use Open for generated messages, which may be large.
func (msg *ManifestMessage) Bytes() ([]byte, error) {
	if msg.Generate != nil {
		return io.ReadAll(msg.Generate.reader(msg.Date))
	}
	if msg.fsys == nil {
		return nil, fmt.Errorf("message %q: not loaded through LoadManifest", msg.File)
	}
	b, err := fs.ReadFile(msg.fsys, msg.File)
	if err != nil {
		return nil, fmt.Errorf("read seed message: %w", err)
	}
	return toCRLF(b), nil
}

// Size returns the length in bytes of what [ManifestMessage.Open] returns,
// which is the RFC822.SIZE a server reports for the message.
func (msg *ManifestMessage) Size() (int64, error) {
	if msg.Generate != nil {
		return msg.Generate.size(msg.Date), nil
	}
	b, err := msg.Bytes()
	if err != nil {
		return 0, err
	}
	return int64(len(b)), nil
}

// SHA256 returns the SHA-256 of what [ManifestMessage.Open] returns.
func (msg *ManifestMessage) SHA256() ([32]byte, error) {
	r, err := msg.Open()
	if err != nil {
		return [32]byte{}, err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return [32]byte{}, fmt.Errorf("hash seed message: %w", err)
	}
	return [32]byte(h.Sum(nil)), nil
}

// Name returns the message's file name, or for a generated message its
// seed, for use in test names and messages.
func (msg *ManifestMessage) Name() string {
	if msg.Generate != nil {
		return "generated:" + msg.Generate.Seed
	}
	return msg.File
}

// toCRLF turns every LF not preceded by CR into CRLF.
func toCRLF(b []byte) []byte {
	n := bytes.Count(b, []byte("\n")) - bytes.Count(b, []byte("\r\n"))
	if n == 0 {
		return b
	}
	out := make([]byte, 0, len(b)+n)
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}
