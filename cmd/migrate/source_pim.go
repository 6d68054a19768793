package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/dav"
	"github.com/migrate-tool/migrate/source/files"
)

// openPIM opens row m's address books and calendars: its DAV server
// (DAVURL) and its export files (ExportFiles), none when it has neither.
// One that cannot be opened fails the row: its contacts and calendars
// would otherwise be left behind without a word.
func (s sourceSettings) openPIM(ctx context.Context, m config.Mailbox, log *slog.Logger) ([]source.Account, error) {
	var out []source.Account
	if m.DAVURL != "" {
		user, pw := m.DAVLogin()
		url := m.DAVURL
		if url == "auto" {
			url = "" // discovered from the address's domain
		}
		a, err := dav.Dial(ctx, &dav.Options{
			URL: url, Email: m.EmailAddress, Username: user, Password: pw.Value(),
			CAFile: s.CAFile, InsecureSkipVerify: s.InsecureSkipVerify, AllowPlaintext: s.AllowPlaintext,
			Timeout: s.Timeout, Logger: log,
		})
		if err != nil {
			return nil, fmt.Errorf("DAV server of %s: %w", m.EmailAddress, err)
		}
		out = append(out, a)
	}
	if len(m.ExportFiles) > 0 {
		a, err := files.Open(ctx, &files.Options{Paths: m.ExportFiles, Logger: log})
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, fmt.Errorf("export files of %s: %w", m.EmailAddress, err)
		}
		out = append(out, a)
	}
	return out, nil
}
