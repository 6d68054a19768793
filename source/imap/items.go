package imap

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/migrate-tool/migrate/source"
)

// Items streams the metadata of every message in f, in UID order.
//
// It EXAMINEs the folder, checks its UIDVALIDITY against f.Validity (an
// error matching ErrValidityChanged if they differ; an empty f.Validity
// accepts the server's), takes the folder's UIDs with one UID SEARCH ALL
// (ESEARCH's compact form when available), then sends
// UID FETCH <window> (UID FLAGS INTERNALDATE RFC822.SIZE) for one window of
// Options.WindowSize UIDs at a time. A window is read completely before its
// items are yielded, so no command is open while the caller's loop body
// runs. Messages that arrive after the search are not listed (the next
// listing will see them); messages expunged meanwhile are skipped.
//
// ItemRef.Flags holds the flags and keywords as the server has them, minus
// the session-only \Recent. ItemRef.Date is INTERNALDATE, ItemRef.Size
// RFC822.SIZE.
//
// After a dropped connection the listing continues after the last UID
// yielded, on a new connection, once the folder's UIDVALIDITY is found
// unchanged. A \Noselect folder has no items. After an error the iterator
// stops.
func (a *Account) Items(ctx context.Context, f source.Folder) iter.Seq2[source.ItemRef, error] {
	return func(yield func(source.ItemRef, error) bool) {
		if f.NoSelect {
			return
		}
		want, err := parseValidity(&f)
		if err != nil {
			yield(source.ItemRef{}, fmt.Errorf("imap: mailbox %q: %w", a.cfg.user, err))
			return
		}
		var (
			uids     imap.UIDSet // every UID of the folder, from the search
			searched bool
			last     imap.UID // the last UID yielded
			fresh    = true   // EXAMINE again before the first window
		)
		for {
			var window []source.ItemRef
			var windowLast imap.UID
			err := a.call(ctx, "list items", func(c *imapclient.Client) error {
				sel, err := a.examine(c, &f, want, fresh)
				if err != nil {
					return err
				}
				fresh = false
				want = sel.validity // pinned: a later change is an error
				if !searched {
					if uids, err = a.searchAll(c, &f); err != nil {
						return err
					}
					searched = true
				}
				set := nextWindow(uids, last, a.cfg.WindowSize)
				if len(set) == 0 {
					window = nil
					return nil
				}
				windowLast = set[len(set)-1].Stop
				window, err = a.fetchWindow(c, &f, sel.validity, set, last)
				return err
			})
			if err != nil {
				yield(source.ItemRef{}, err)
				return
			}
			if windowLast == 0 {
				return // no UIDs left
			}
			for _, ref := range window {
				if !yield(ref, nil) {
					return
				}
			}
			last = windowLast
		}
	}
}

// searchAll returns every UID in the selected folder, sorted and merged.
func (a *Account) searchAll(c *imapclient.Client, f *source.Folder) (imap.UIDSet, error) {
	var opts *imap.SearchOptions
	if a.caps.Has(imap.CapESearch) {
		opts = &imap.SearchOptions{ReturnAll: true}
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{}, opts).Wait()
	if err != nil {
		return nil, fmt.Errorf("imap: mailbox %q folder %q: UID SEARCH ALL: %w", a.cfg.user, f.Name, err)
	}
	var set imap.UIDSet
	if all, ok := data.All.(imap.UIDSet); ok {
		set = normalise(all)
	}
	return set, nil
}

// normalise sorts and merges a UID set and drops dynamic ranges ("*"),
// which a search result never legitimately holds.
func normalise(in imap.UIDSet) imap.UIDSet {
	rs := make([]imap.UIDRange, 0, len(in))
	for _, r := range in {
		if r.Start == 0 || r.Stop == 0 {
			continue
		}
		if r.Start > r.Stop {
			r.Start, r.Stop = r.Stop, r.Start
		}
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(x, y imap.UIDRange) int { return cmp.Compare(x.Start, y.Start) })
	var out imap.UIDSet
	for _, r := range rs {
		if n := len(out); n > 0 && uint64(r.Start) <= uint64(out[n-1].Stop)+1 {
			out[n-1].Stop = max(out[n-1].Stop, r.Stop)
			continue
		}
		out = append(out, r)
	}
	return out
}

// nextWindow returns the first n UIDs of set greater than after, as ranges.
func nextWindow(set imap.UIDSet, after imap.UID, n int) imap.UIDSet {
	var out imap.UIDSet
	for _, r := range set {
		if r.Stop <= after {
			continue
		}
		start := max(r.Start, after+1)
		take := min(uint64(r.Stop-start)+1, uint64(n))
		out = append(out, imap.UIDRange{Start: start, Stop: start + imap.UID(take) - 1})
		n -= int(take)
		if n == 0 {
			break
		}
	}
	return out
}

// fetchWindow fetches the metadata of the UIDs in set, skipping any not
// greater than after.
func (a *Account) fetchWindow(c *imapclient.Client, f *source.Folder, validity uint32, set imap.UIDSet, after imap.UID) ([]source.ItemRef, error) {
	cmd := c.Fetch(set, &imap.FetchOptions{UID: true, Flags: true, InternalDate: true, RFC822Size: true})
	defer cmd.Close()
	type item struct {
		uid imap.UID
		ref source.ItemRef
	}
	var items []item
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		buf, err := msg.Collect()
		if err != nil {
			return nil, fmt.Errorf("imap: mailbox %q folder %q: UID FETCH %s: %w", a.cfg.user, f.Name, set, err)
		}
		if buf.UID == 0 || buf.UID <= after || !set.Contains(buf.UID) {
			continue // not ours: an unsolicited FETCH (flag change)
		}
		ref := source.ItemRef{
			Key:   Key(validity, uint32(buf.UID)),
			Size:  buf.RFC822Size,
			Date:  buf.InternalDate,
			Flags: make([]string, 0, len(buf.Flags)),
		}
		for _, fl := range buf.Flags {
			if !strings.EqualFold(string(fl), `\Recent`) {
				ref.Flags = append(ref.Flags, string(fl))
			}
		}
		items = append(items, item{buf.UID, ref})
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("imap: mailbox %q folder %q: UID FETCH %s: %w", a.cfg.user, f.Name, set, err)
	}
	// Servers answer in sequence order, which is UID order; make sure, and
	// never list a UID twice.
	slices.SortStableFunc(items, func(x, y item) int { return cmp.Compare(x.uid, y.uid) })
	items = slices.CompactFunc(items, func(x, y item) bool { return x.uid == y.uid })
	refs := make([]source.ItemRef, len(items))
	for i, it := range items {
		refs[i] = it.ref
	}
	return refs, nil
}
