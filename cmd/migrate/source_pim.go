package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/files"
)

// openPIM opens row m's address books and calendars: its DAV server
// (DAVURL) and its export files (ExportFiles), none when it has neither.
// One that cannot be opened fails the row: its contacts and calendars
// would otherwise be left behind without a word.
func (s sourceSettings) openPIM(ctx context.Context, m config.Mailbox, log *slog.Logger) ([]source.Account, error) {
	var out []source.Account
	if m.DAVURL != "" {
		return nil, fmt.Errorf("%s: DAVURL: %w", m.EmailAddress, errors.ErrUnsupported)
	}
	if len(m.ExportFiles) > 0 {
		a, err := files.Open(ctx, &files.Options{Paths: m.ExportFiles, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("export files of %s: %w", m.EmailAddress, err)
		}
		out = append(out, a)
	}
	return out, nil
}
