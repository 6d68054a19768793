package imap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/specialuse"
)

// Folders lists the mailbox's folders with LIST "" "*".
//
//   - Names arrive decoded from modified UTF-7 (go-imap decodes them);
//     Folder.Name is that UTF-8 name, which go-imap encodes again when the
//     folder is selected. Path is Name split at the server's delimiter,
//     without the personal namespace prefix ("INBOX." on Courier-style
//     servers), so that "INBOX.Sent" is the top-level ["Sent"].
//   - Folders in other users' and shared namespaces (NAMESPACE) are left
//     out: they are not this mailbox's.
//   - Roles come from the server's SPECIAL-USE attributes (RFC 6154, with
//     LIST RETURN (SPECIAL-USE) when LIST-EXTENDED allows it). Each role
//     that no folder announces (all of them when the server announces
//     none, or Options.NoSpecialUse is set) is guessed from the names by
//     specialuse.GuessMissing, which sets SpecialUseGuessed: a server that
//     announces \Sent and \Trash but not \Archive still has its "Archive"
//     folder recognised. INBOX is always source.Inbox.
//   - Count, Bytes and Validity come from STATUS (MESSAGES UIDVALIDITY,
//     and SIZE when the server has STATUS=SIZE), in the LIST command itself
//     when the server has LIST-STATUS. Bytes is -1 without STATUS=SIZE;
//     all three are unknown (-1, "") for \Noselect folders.
//
// Folders are sorted by path, INBOX first.
func (a *Account) Folders(ctx context.Context) ([]source.Folder, error) {
	var out []source.Folder
	err := a.call(ctx, "list folders", func(c *imapclient.Client) error {
		var err error
		out, err = a.list(c)
		return err
	})
	return out, err
}

func (a *Account) list(c *imapclient.Client) ([]source.Folder, error) {
	caps := a.caps
	listExtended := caps.Has(imap.CapListExtended) // implied by IMAP4rev2
	serverRoles := caps.Has(imap.CapSpecialUse) && !a.cfg.NoSpecialUse
	statusOpts := &imap.StatusOptions{
		NumMessages: true,
		UIDValidity: true,
		Size:        caps.Has(imap.CapStatusSize),
	}

	var personal, foreign []string
	if caps.Has(imap.CapNamespace) {
		ns, err := c.Namespace().Wait()
		var ierr *imap.Error
		switch {
		case errors.As(err, &ierr):
			a.cfg.log.Debug("NAMESPACE refused", "err", err)
		case err != nil:
			return nil, fmt.Errorf("imap: mailbox %q: NAMESPACE: %w", a.cfg.user, err)
		default:
			for _, d := range ns.Personal {
				personal = append(personal, d.Prefix)
			}
			for _, d := range slices.Concat(ns.Other, ns.Shared) {
				if d.Prefix != "" {
					foreign = append(foreign, d.Prefix)
				}
			}
		}
	}

	var listOpts *imap.ListOptions
	if listExtended {
		listOpts = &imap.ListOptions{ReturnSpecialUse: serverRoles}
		if caps.Has(imap.CapListStatus) {
			listOpts.ReturnStatus = statusOpts
		}
		if !listOpts.ReturnSpecialUse && listOpts.ReturnStatus == nil {
			listOpts = nil
		}
	}
	cmd := c.List("", "*", listOpts)
	var listed []*imap.ListData
	for d := cmd.Next(); d != nil; d = cmd.Next() {
		listed = append(listed, d)
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("imap: mailbox %q: LIST: %w", a.cfg.user, err)
	}

	var folders []source.Folder
	for _, d := range listed {
		if d.Mailbox == "" || hasAnyPrefix(d.Mailbox, foreign) {
			continue
		}
		f := source.Folder{
			Name:     d.Mailbox,
			Path:     splitPath(d.Mailbox, d.Delim, personal),
			Kind:     source.KindMessage,
			Count:    -1,
			Bytes:    -1,
			NoSelect: hasAttr(d.Attrs, imap.MailboxAttrNoSelect) || hasAttr(d.Attrs, imap.MailboxAttrNonExistent),
		}
		if d.Delim != 0 {
			f.Delimiter = string(d.Delim)
		}
		if strings.EqualFold(d.Mailbox, "INBOX") {
			f.SpecialUse = source.Inbox
		} else if serverRoles {
			f.SpecialUse = roleOf(d.Attrs)
		}
		if !f.NoSelect {
			st := d.Status
			if st == nil {
				var err error
				st, err = c.Status(d.Mailbox, statusOpts).Wait()
				var ierr *imap.Error
				if errors.As(err, &ierr) {
					// Gone since LIST, or not readable: keep it, unknown.
					a.cfg.log.Warn("STATUS refused", "folder", d.Mailbox, "err", err)
					st = nil
				} else if err != nil {
					return nil, fmt.Errorf("imap: mailbox %q folder %q: STATUS: %w", a.cfg.user, d.Mailbox, err)
				}
			}
			if st != nil {
				applyStatus(&f, st)
			}
		}
		folders = append(folders, f)
	}

	// The roles no folder announces, from the names (imapsync's --automap).
	specialuse.GuessMissing(folders)

	slices.SortFunc(folders, func(x, y source.Folder) int {
		if xi, yi := x.SpecialUse == source.Inbox, y.SpecialUse == source.Inbox; xi != yi {
			if xi {
				return -1
			}
			return 1
		}
		return slices.Compare(x.Path, y.Path)
	})
	return folders, nil
}

func applyStatus(f *source.Folder, st *imap.StatusData) {
	if st.NumMessages != nil {
		f.Count = int64(*st.NumMessages)
	}
	if st.Size != nil {
		f.Bytes = *st.Size
	}
	if st.UIDValidity != 0 {
		f.Validity = strconv.FormatUint(uint64(st.UIDValidity), 10)
	}
}

// splitPath splits a mailbox name at its delimiter, after removing a
// personal namespace prefix (but never from INBOX itself).
func splitPath(name string, delim rune, personal []string) []string {
	if strings.EqualFold(name, "INBOX") {
		return []string{"INBOX"}
	}
	for _, p := range personal {
		if p != "" && len(name) > len(p) && strings.HasPrefix(name, p) {
			name = name[len(p):]
			break
		}
	}
	if delim == 0 {
		return []string{name}
	}
	return strings.Split(name, string(delim))
}

func hasAnyPrefix(name string, prefixes []string) bool {
	for _, p := range prefixes {
		// The namespace's root ("Shared" for "Shared/") is foreign too.
		if strings.HasPrefix(name, p) || (len(p) > 1 && name == p[:len(p)-1]) {
			return true
		}
	}
	return false
}

func hasAttr(attrs []imap.MailboxAttr, want imap.MailboxAttr) bool {
	return slices.ContainsFunc(attrs, func(a imap.MailboxAttr) bool { return strings.EqualFold(string(a), string(want)) })
}

// roleOf maps RFC 6154 attributes to a role.
func roleOf(attrs []imap.MailboxAttr) source.SpecialUse {
	roles := []struct {
		attr imap.MailboxAttr
		role source.SpecialUse
	}{
		{imap.MailboxAttrSent, source.Sent},
		{imap.MailboxAttrDrafts, source.Drafts},
		{imap.MailboxAttrTrash, source.Trash},
		{imap.MailboxAttrJunk, source.Junk},
		{imap.MailboxAttrArchive, source.Archive},
		{imap.MailboxAttrAll, source.All},
		{imap.MailboxAttrFlagged, source.Flagged},
	}
	for _, r := range roles {
		if hasAttr(attrs, r.attr) {
			return r.role
		}
	}
	return ""
}
