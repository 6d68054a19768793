package imap

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"net/textproto"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/migrate-tool/migrate/source"
)

// maxHeaderFields bounds the bytes kept of one item's requested header
// fields, so that a hostile message (a 1 MB Message-ID line) cannot make a
// window of Options.WindowSize items large; the rest is read and dropped.
const maxHeaderFields = 16 << 10

var _ source.HeaderReader = (*Account)(nil)

// Headers implements source.HeaderReader: for each window of
// Options.WindowSize UIDs among refs it sends one
// UID FETCH <set> (UID BODY.PEEK[HEADER.FIELDS (<fields>)]), so the
// Message-IDs of a 100,000-message folder take about a hundred round trips.
// Nothing is marked \Seen. Each item's fields are kept up to 16 KB.
//
// The folder's UIDVALIDITY must be the one in the keys (else an error
// matching ErrValidityChanged); items expunged since they were listed are
// left out. A dropped connection repeats the window on a new one.
func (a *Account) Headers(ctx context.Context, f source.Folder, refs []source.ItemRef, fields []string) iter.Seq2[source.ItemHeader, error] {
	return func(yield func(source.ItemHeader, error) bool) {
		if len(refs) == 0 || f.NoSelect {
			return
		}
		want, err := parseValidity(&f)
		if err != nil {
			yield(source.ItemHeader{}, fmt.Errorf("imap: mailbox %q: %w", a.cfg.user, err))
			return
		}
		uids := make([]imap.UID, 0, len(refs))
		for _, ref := range refs {
			validity, uid, err := ParseKey(ref.Key)
			if err != nil {
				yield(source.ItemHeader{}, fmt.Errorf("imap: mailbox %q folder %q: %w", a.cfg.user, f.Name, err))
				return
			}
			if want == 0 {
				want = validity
			}
			if validity != want {
				yield(source.ItemHeader{}, &ValidityChangedError{Mailbox: a.cfg.user, Folder: f.Name, Want: validity, Got: want})
				return
			}
			uids = append(uids, imap.UID(uid))
		}
		slices.Sort(uids)
		uids = slices.Compact(uids)
		for window := range slices.Chunk(uids, a.cfg.WindowSize) {
			var out []source.ItemHeader
			err := a.call(ctx, "read headers", func(c *imapclient.Client) error {
				out = out[:0]
				sel, err := a.examine(c, &f, want, false)
				if err != nil {
					return err
				}
				out, err = a.fetchHeaders(c, &f, sel.validity, window, fields, out)
				return err
			})
			if err != nil {
				yield(source.ItemHeader{}, err)
				return
			}
			for _, h := range out {
				if !yield(h, nil) {
					return
				}
			}
		}
	}
}

// fetchHeaders sends one UID FETCH for the header fields of uids (sorted)
// and appends what the server sent to out.
func (a *Account) fetchHeaders(c *imapclient.Client, f *source.Folder, validity uint32, uids []imap.UID, fields []string, out []source.ItemHeader) ([]source.ItemHeader, error) {
	set := imap.UIDSetNum(uids...)
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: fields, Peek: true}
	cmd := c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	defer cmd.Close()
	fail := func(err error) ([]source.ItemHeader, error) {
		return nil, fmt.Errorf("imap: mailbox %q folder %q: UID FETCH %d UIDs (BODY.PEEK[HEADER.FIELDS]): %w", a.cfg.user, f.Name, len(uids), err)
	}
	seen := make(map[imap.UID]bool, len(uids))
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		var uid imap.UID
		var raw []byte
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = it.UID
			case imapclient.FetchItemDataBodySection:
				if it.Literal == nil {
					continue
				}
				b, err := io.ReadAll(io.LimitReader(it.Literal, maxHeaderFields))
				if err == nil {
					_, err = io.Copy(io.Discard, it.Literal)
				}
				if err != nil {
					return fail(err)
				}
				raw = b
			}
		}
		if uid == 0 || seen[uid] || !set.Contains(uid) {
			continue // an unsolicited FETCH (a flag change) or a repeat
		}
		seen[uid] = true
		out = append(out, source.ItemHeader{Key: Key(validity, uint32(uid)), Header: parseFields(raw)})
	}
	if err := cmd.Close(); err != nil {
		return fail(err)
	}
	return out, nil
}

// parseFields parses a header block as the server sent it; what does not
// parse (a block cut at maxHeaderFields, a malformed line) is left out.
func parseFields(raw []byte) textproto.MIMEHeader {
	if !bytes.HasSuffix(raw, []byte("\r\n\r\n")) && !bytes.HasSuffix(raw, []byte("\n\n")) {
		raw = append(raw, "\r\n\r\n"...)
	}
	h, _ := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw))).ReadMIMEHeader()
	if h == nil {
		h = textproto.MIMEHeader{}
	}
	return h
}
