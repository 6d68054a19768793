package testserver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/migrate-tool/migrate/source/testserver/seed"
)

// DAVManifestFile is the name of the DAV corpus manifest at the root of a
// seed directory, such as the embedded corpus of package seed.
const DAVManifestFile = "accounts.yaml"

// Collection kinds of a [DAVCollection].
const (
	// KindAddressBook is a CardDAV address book of .vcf objects.
	KindAddressBook = "addressbook"
	// KindCalendar is a CalDAV calendar of .ics objects.
	KindCalendar = "calendar"
)

// DAVManifest describes the seed contacts and calendars: the accounts and
// their collections. The objects of a collection are the .vcf or .ics files
// in <Dir>/<user>/<collection>/, each one object with a UID.
type DAVManifest struct {
	// Dir is the absolute directory holding the manifest; "" for the
	// embedded corpus (package seed).
	Dir string `yaml:"-"`
	// Users are the DAV accounts.
	Users []DAVUser `yaml:"users"`
}

// DAVUser is one DAV account.
type DAVUser struct {
	// Name is the login name and the first path segment of its collections.
	Name string `yaml:"name"`
	// Password is the plain-text test password.
	Password string `yaml:"password"`
	// Collections are the account's address books and calendars.
	Collections []DAVCollection `yaml:"collections"`
}

// DAVCollection is one address book or calendar.
type DAVCollection struct {
	// Name is the collection's path segment and its directory name.
	Name string `yaml:"name"`
	// Kind is [KindAddressBook] or [KindCalendar].
	Kind string `yaml:"kind"`
	// DisplayName is the DAV:displayname property.
	DisplayName string `yaml:"display_name"`
	// Description is the collection's description property, if any.
	Description string `yaml:"description,omitempty"`
	// Objects are the collection's files, sorted by name; set by
	// LoadDAVManifest.
	Objects []DAVObject `yaml:"-"`
}

// DAVObject is one vCard or iCalendar file of a collection.
type DAVObject struct {
	// File is the slash-separated path relative to the manifest's
	// directory: <user>/<collection>/<name>.
	File string
	// UID is the object's UID property (for a calendar, of its first
	// component; a recurrence override shares it).
	UID string
	// Data is the file's content with CRLF line endings.
	Data []byte
}

// Href returns the object's path on the server: /<user>/<collection>/<file>.
func (c *DAVCollection) Href(user string, o DAVObject) string {
	return "/" + user + "/" + c.Name + "/" + path.Base(o.File)
}

// User returns the account with the given login name.
func (m *DAVManifest) User(name string) (*DAVUser, bool) {
	for i := range m.Users {
		if m.Users[i].Name == name {
			return &m.Users[i], true
		}
	}
	return nil, false
}

// Collection returns the collection with the given name.
func (u *DAVUser) Collection(name string) (*DAVCollection, bool) {
	for i := range u.Collections {
		if u.Collections[i].Name == name {
			return &u.Collections[i], true
		}
	}
	return nil, false
}

// LoadDAVManifest reads dir/accounts.yaml and the objects of every
// collection. An empty dir means the corpus embedded in package seed.
func LoadDAVManifest(dir string) (*DAVManifest, error) {
	if dir == "" {
		return loadDAVManifest(seed.DAV(), "", "embedded corpus")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("load DAV manifest: %w", err)
	}
	return loadDAVManifest(os.DirFS(dir), dir, filepath.Join(dir, DAVManifestFile))
}

// loadDAVManifest reads accounts.yaml at the root of fsys; dir is what
// DAVManifest.Dir reports and name names the manifest in errors.
func loadDAVManifest(fsys fs.FS, dir, name string) (*DAVManifest, error) {
	b, err := fs.ReadFile(fsys, DAVManifestFile)
	if err != nil {
		return nil, fmt.Errorf("load DAV manifest %s: %w", name, err)
	}
	var m DAVManifest
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("load DAV manifest %s: %w", name, err)
	}
	m.Dir = dir
	var errs []error
	users := map[string]bool{}
	for ui := range m.Users {
		u := &m.Users[ui]
		if u.Name == "" || u.Password == "" || strings.ContainsAny(u.Name, ":/\n\r \t") || strings.ContainsAny(u.Password, "\n\r") {
			errs = append(errs, fmt.Errorf("user %q: needs a name without ':', '/' or spaces and a one-line password", u.Name))
		}
		if users[u.Name] {
			errs = append(errs, fmt.Errorf("user %q: listed twice", u.Name))
		}
		users[u.Name] = true
		for ci := range u.Collections {
			c := &u.Collections[ci]
			if err := c.load(fsys, u.Name); err != nil {
				errs = append(errs, fmt.Errorf("user %q collection %q: %w", u.Name, c.Name, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("load DAV manifest %s: %w", name, err)
	}
	return &m, nil
}

func (c *DAVCollection) load(fsys fs.FS, user string) error {
	ext := map[string]string{KindAddressBook: ".vcf", KindCalendar: ".ics"}[c.Kind]
	if ext == "" {
		return fmt.Errorf("kind %q is neither %q nor %q", c.Kind, KindAddressBook, KindCalendar)
	}
	if c.Name == "" || strings.ContainsAny(c.Name, "/\\ ") {
		return errors.New("bad collection name")
	}
	entries, err := fs.ReadDir(fsys, path.Join(user, c.Name))
	if err != nil {
		return err
	}
	uids := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ext {
			continue
		}
		rel := path.Join(user, c.Name, e.Name())
		b, err := fs.ReadFile(fsys, rel)
		if err != nil {
			return err
		}
		uid := firstProperty(b, "UID")
		if uid == "" {
			return fmt.Errorf("%s has no UID (Radicale refuses it)", rel)
		}
		if uids[uid] {
			return fmt.Errorf("%s repeats UID %q", rel, uid)
		}
		uids[uid] = true
		c.Objects = append(c.Objects, DAVObject{File: rel, UID: uid, Data: toCRLF(b)})
	}
	slices.SortFunc(c.Objects, func(a, b DAVObject) int { return strings.Compare(a.File, b.File) })
	if len(c.Objects) == 0 {
		return fmt.Errorf("no %s files", ext)
	}
	return nil
}

// firstProperty returns the value of the first content line named prop
// (without parameters), after unfolding; "" when absent.
func firstProperty(b []byte, prop string) string {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	var lines []string
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), "\r")
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(lines) > 0 {
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	for _, l := range lines {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		name, _, _ = strings.Cut(name, ";")
		if strings.EqualFold(name, prop) {
			return value
		}
	}
	return ""
}
