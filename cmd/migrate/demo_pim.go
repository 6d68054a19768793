package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/source/testserver"
)

// demoPIM is where the demo's address books and calendars are: a started
// Radicale seeded with source/testserver's DAV corpus, or, where Radicale
// cannot be used, the same corpus written as export files.
type demoPIM struct {
	// name says what serves them, for the demo's "Source:" lines.
	name string
	// url is Radicale's base URL; "" with export files.
	url string
	// users are the seeded accounts by login name.
	users map[string]testserver.User
	// exports are each user's export files (one per collection), with
	// export files only.
	exports map[string][]string
	close   func() error
}

// startDemoPIM starts Radicale, or writes the DAV seed as export files
// under outDir when Radicale is missing or cannot be used, saying why in
// one warning, as the demo falls back from Dovecot to the in-memory IMAP
// server.
func startDemoPIM(ctx context.Context, o *demoOptions, outDir string, log *slog.Logger) (*demoPIM, error) {
	r, err := testserver.StartRadicale(ctx, &testserver.RadicaleOptions{Binary: o.radicale, Logger: log})
	switch {
	case err == nil:
		p := &demoPIM{name: fmt.Sprintf("Radicale on %s (CardDAV and CalDAV over http)", r.URL), url: r.URL, users: map[string]testserver.User{}, close: r.Close}
		for _, u := range r.Users {
			p.users[u.Name] = u
		}
		return p, nil
	case ctx.Err() != nil:
		return nil, fmt.Errorf("demo: starting Radicale: %w", err)
	case errors.Is(err, testserver.ErrNotInstalled):
		log.Warn("Radicale is not installed; reading the seeded address books and calendars from export files instead (make deps installs Radicale)")
	default:
		log.Warn("Radicale cannot be used; reading the seeded address books and calendars from export files instead", "err", err)
	}
	return writeDemoExports(filepath.Join(outDir, "pim-export"))
}

// writeDemoExports writes the embedded DAV seed under dir as export files:
// one directory per user, one .vcf (address book) or .ics (calendar) per
// collection, named after its display name so that the folders are named
// as Radicale's would be. A calendar file holds its objects' VCALENDARs
// one after another, as source/files reads them.
func writeDemoExports(dir string) (*demoPIM, error) {
	m, err := testserver.LoadDAVManifest("")
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	p := &demoPIM{name: "export files in " + dir + " (Radicale's seed)", users: map[string]testserver.User{}, exports: map[string][]string{}, close: func() error { return nil }}
	for _, u := range m.Users {
		p.users[u.Name] = testserver.User{Name: u.Name, Password: u.Password}
		udir := filepath.Join(dir, u.Name)
		if err := os.MkdirAll(udir, 0o700); err != nil {
			return nil, fmt.Errorf("demo: export files of %s: %w", u.Name, err)
		}
		for _, c := range u.Collections {
			name := c.DisplayName
			if name == "" {
				name = c.Name
			}
			ext := ".ics"
			if c.Kind == testserver.KindAddressBook {
				ext = ".vcf"
			}
			var b bytes.Buffer
			for _, obj := range c.Objects {
				b.Write(obj.Data)
			}
			path := filepath.Join(udir, strings.ReplaceAll(name, string(filepath.Separator), "_")+ext)
			if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
				return nil, fmt.Errorf("demo: export files of %s: %w", u.Name, err)
			}
			p.exports[u.Name] = append(p.exports[u.Name], path)
		}
	}
	return p, nil
}

// attach gives each mailbox row whose address is a seeded user its
// address books and calendars: Radicale's root URL (the adapter finds the
// user's collections through the principal), logging in as the user, or
// the user's export files.
func (p *demoPIM) attach(mailboxes []config.Mailbox) {
	for i := range mailboxes {
		m := &mailboxes[i]
		u, ok := p.users[m.EmailAddress]
		if !ok {
			continue
		}
		if p.url == "" {
			m.ExportFiles = p.exports[u.Name]
			continue
		}
		m.DAVURL = p.url + "/"
		if u.Name != m.UserName || u.Password != m.Password.Value() {
			m.DAVUserName, m.DAVPassword = u.Name, config.NewSecret(u.Password)
		}
	}
}

// secrets returns the seeded users' passwords, for the logs' redaction.
func (p *demoPIM) secrets() []string {
	var out []string
	for _, u := range p.users {
		out = append(out, u.Password)
	}
	return out
}
