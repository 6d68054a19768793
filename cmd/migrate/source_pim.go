package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/source"
)

// openPIM opens row m's address books and calendars: not yet (the DAV and
// export-file adapters are being built), so a row that names them fails
// rather than leave them behind without a word.
func (s sourceSettings) openPIM(ctx context.Context, m config.Mailbox, log *slog.Logger) ([]source.Account, error) {
	if m.DAVURL != "" || len(m.ExportFiles) > 0 {
		return nil, fmt.Errorf("%s: DAVURL and ExportFiles: %w", m.EmailAddress, errors.ErrUnsupported)
	}
	return nil, nil
}
