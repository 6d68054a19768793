package pop3

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/migrate-tool/migrate/source"
)

var _ source.Deleter = (*Account)(nil)

// Delete implements source.Deleter, the one method of the adapter that
// changes the maildrop; only `migrate pop3-delete` calls it. In one
// session it finds each key's message number in the session's index
// (UIDL, or the fallback keys of a server without UIDL, made as Items
// makes them), sends DELE for each, and then QUIT.
//
// RFC 1939 section 6: DELE only marks a message; the server removes the
// marked messages when QUIT moves the session to the UPDATE state, and a
// session that ends any other way (a dropped connection, a timeout, a
// cancelled ctx) removes nothing. So an error before QUIT was answered
// deletes nothing, and Delete says so. When QUIT is answered with -ERR or
// not at all, a new session lists the maildrop again to tell which keys
// are gone.
//
// A key the session does not list, or whose DELE is answered with -ERR
// (another client deleted it), is in DeleteResult.NotFound. The session
// ends with QUIT (even when nothing was marked); the next call on the
// Account opens a new one.
func (a *Account) Delete(ctx context.Context, f source.Folder, keys []string) (source.DeleteResult, error) {
	var res source.DeleteResult
	if err := a.checkFolder(f); err != nil {
		return res, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(keys) == 0 {
		return res, nil
	}
	// Loading the index may open a new session; nothing is marked yet.
	ix, err := a.load(ctx)
	if err != nil {
		return res, err
	}
	c := a.c
	var marked []message
	seen := map[string]bool{}
	for _, key := range keys {
		if seen[key] {
			continue
		}
		seen[key] = true
		i, ok := ix.byKey[key]
		if !ok || a.gone[key] {
			res.NotFound = append(res.NotFound, key)
			continue
		}
		m := ix.msgs[i]
		_, err := c.cmd(ctx, "DELE "+strconv.Itoa(m.num))
		var re *respError
		switch {
		case errors.As(err, &re):
			a.cfg.log.Info("DELE refused: the message is gone", "key", key, "err", err)
			res.NotFound = append(res.NotFound, key)
			continue
		case err != nil:
			a.drop(c, "DELE failed", err)
			return source.DeleteResult{}, fmt.Errorf("pop3: mailbox %q: DELE of key %q: %w; the session ended before QUIT, so nothing was deleted (RFC 1939 section 6)", a.cfg.Username, key, err)
		}
		marked = append(marked, m)
	}
	if err := ctx.Err(); err != nil {
		a.drop(c, "cancelled before QUIT", err)
		return source.DeleteResult{}, fmt.Errorf("pop3: mailbox %q: %w before QUIT: nothing was deleted (RFC 1939 section 6)", a.cfg.Username, err)
	}
	_, qerr := c.cmd(ctx, "QUIT")
	c.nc.Close()
	a.c, a.index = nil, nil
	a.why = "the session ended with QUIT after DELE"
	if qerr == nil {
		for _, m := range marked {
			res.Deleted = append(res.Deleted, m.key)
			res.Bytes += m.size
		}
		return res, nil
	}
	if len(marked) == 0 {
		return res, nil // nothing was marked: nothing to tell
	}
	// QUIT failed: some, all or none of the marked messages may be gone.
	// Another session tells.
	a.cfg.log.Warn("QUIT after DELE was not answered with +OK: listing the maildrop again to tell what was deleted", "err", qerr)
	ix, err = a.load(ctx)
	if err != nil {
		return source.DeleteResult{}, fmt.Errorf("pop3: mailbox %q: QUIT after DELE: %w; listing the maildrop again failed too (%w): which messages were deleted is unknown", a.cfg.Username, qerr, err)
	}
	for _, m := range marked {
		if _, still := ix.byKey[m.key]; !still {
			res.Deleted = append(res.Deleted, m.key)
			res.Bytes += m.size
		}
	}
	if len(res.Deleted) < len(marked) {
		return res, fmt.Errorf("pop3: mailbox %q: QUIT after DELE: %w: %d of %d marked messages are still in the maildrop", a.cfg.Username, qerr, len(marked)-len(res.Deleted), len(marked))
	}
	return res, nil
}
