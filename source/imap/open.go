package imap

import (
	"context"
	"fmt"
	"io"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/migrate-tool/migrate/source"
)

// drainMax is the most Close reads to finish a reader the caller left
// early; beyond it the connection is dropped instead.
const drainMax = 1 << 20

// Open streams the message that ref designates, exactly as the server stores
// it, with UID FETCH uid (BODY.PEEK[]): the message is not marked \Seen.
//
// The folder is EXAMINEd if it is not already, and its UIDVALIDITY must be
// the one in ref.Key (else an error matching ErrValidityChanged); a message
// expunged since it was listed gives ErrNotFound. A body the server
// announces larger than Options.MaxMessageSize, or far larger than
// ref.Size (the RFC822.SIZE Items listed; source.MaxBodySize) when that is
// known, is refused before a byte of it is read.
//
// The returned reader reads the literal straight off the connection, so
// memory stays bounded whatever the message's size. It holds the
// connection: close it before any other call on the Account (which fails
// with ErrBusy until then). ctx governs the whole stream: cancelling it makes
// a blocked Read return. A connection dropped mid-stream is re-opened and the
// stream resumes at the same byte with BODY.PEEK[]<offset.length>, so the
// caller sees one uninterrupted, complete message or an error, never a
// truncated message. Read and Close must not be called concurrently.
func (a *Account) Open(ctx context.Context, f source.Folder, ref source.ItemRef) (io.ReadCloser, error) {
	validity, uid, err := ParseKey(ref.Key)
	if err != nil {
		return nil, fmt.Errorf("imap: mailbox %q folder %q: %w", a.cfg.user, f.Name, err)
	}
	want, err := parseValidity(&f)
	if err != nil {
		return nil, fmt.Errorf("imap: mailbox %q: %w", a.cfg.user, err)
	}
	if want != 0 && want != validity {
		return nil, &ValidityChangedError{Mailbox: a.cfg.user, Folder: f.Name, Want: validity, Got: want}
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.usable(); err != nil {
		return nil, err
	}
	r := &bodyReader{a: a, ctx: ctx, folder: f, validity: validity, uid: imap.UID(uid), listed: ref.Size}
	// The reader is the account's from the first FETCH on, so that a
	// connection dropped while its literal is pending discards it (see drop).
	a.reader = r
	if err := a.retry(ctx, "open message", r.start); err != nil {
		a.reader = nil
		if r.lit != nil {
			r.abort()
		}
		return nil, err
	}
	r.release = a.guard(ctx)
	return r, nil
}

// bodyReader streams one message body; see Open.
type bodyReader struct {
	a        *Account
	ctx      context.Context
	folder   source.Folder
	validity uint32
	uid      imap.UID
	listed   int64 // the size Items listed (RFC822.SIZE); 0 when unknown

	// The FETCH in progress and its literal; nil when none.
	cmd     *imapclient.FetchCommand
	msg     *imapclient.FetchMessageData
	lit     imap.LiteralReader
	litSize int64 // size of the current literal
	litRead int64 // bytes read from the current literal
	release func() bool

	total   int64 // the message's size, from the first literal
	off     int64 // bytes delivered to the caller
	resumes int   // resumptions in a row without progress
	resumed int64 // off at the last resumption

	eof, closed bool
	err         error
}

// start sends the FETCH (from r.off on) and waits for the literal. It runs
// under a.mu, inside retry.
func (r *bodyReader) start(c *imapclient.Client) error {
	a := r.a
	if _, err := a.examine(c, &r.folder, r.validity, false); err != nil {
		return err
	}
	section := &imap.FetchItemBodySection{Peek: true}
	if r.off > 0 {
		section.Partial = &imap.SectionPartial{Offset: r.off, Size: r.total - r.off}
	}
	cmd := c.Fetch(imap.UIDSetNum(r.uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	msg := cmd.Next()
	if msg == nil {
		if err := cmd.Close(); err != nil {
			return r.errorf("UID FETCH BODY.PEEK[]: %w", err)
		}
		return r.errorf("%w", ErrNotFound)
	}
	for item := msg.Next(); item != nil; item = msg.Next() {
		body, ok := item.(imapclient.FetchItemDataBodySection)
		if !ok {
			continue
		}
		var problem string
		switch {
		case body.Literal == nil:
			problem = "the server sent NIL for the body"
		case r.off == 0 && body.Literal.Size() > a.cfg.MaxMessageSize:
			// A hostile or broken server: never start reading it.
			problem = fmt.Sprintf("the server announces a body of %d bytes, over the limit of %d bytes (Options.MaxMessageSize)", body.Literal.Size(), a.cfg.MaxMessageSize)
		case r.off == 0 && r.listed > 0 && body.Literal.Size() > source.MaxBodySize(r.listed):
			// RFC 9051 section 7.5.2: RFC822.SIZE is the size of the
			// message, BODY[] the message. Some servers' RFC822.SIZE is a
			// little off (computed before a line-end conversion), so
			// only a body far larger (source.MaxBodySize) is a lie.
			problem = fmt.Sprintf("the server announces a body of %d bytes for a message it listed with RFC822.SIZE %d", body.Literal.Size(), r.listed)
		case r.off == 0:
			r.total = body.Literal.Size()
		case body.Section == nil || body.Section.Partial == nil || body.Section.Partial.Offset != r.off:
			problem = fmt.Sprintf("the server ignored the resume offset %d", r.off)
		case r.off+body.Literal.Size() != r.total:
			problem = fmt.Sprintf("resuming at %d gave %d bytes, but the message has %d", r.off, body.Literal.Size(), r.total)
		}
		if problem != "" {
			r.cmd, r.msg, r.lit = cmd, msg, body.Literal
			r.abort()
			return permanentError{r.errorf("%s", problem)}
		}
		r.cmd, r.msg, r.lit = cmd, msg, body.Literal
		r.litSize, r.litRead = body.Literal.Size(), 0
		return nil
	}
	if err := cmd.Close(); err != nil {
		return r.errorf("UID FETCH BODY.PEEK[]: %w", err)
	}
	return permanentError{r.errorf("the server sent no body")}
}

func (r *bodyReader) errorf(format string, args ...any) error {
	return fmt.Errorf("imap: mailbox %q folder %q uid %d: "+format,
		append([]any{r.a.cfg.user, r.folder.Name, r.uid}, args...)...)
}

// Read implements io.Reader.
func (r *bodyReader) Read(p []byte) (int, error) {
	for {
		switch {
		case r.err != nil:
			return 0, r.err
		case r.eof:
			return 0, io.EOF
		case r.closed:
			return 0, r.errorf("read after Close")
		case r.lit == nil:
			return 0, r.errorf("%w", ErrClosed)
		}
		n, err := r.lit.Read(p)
		r.litRead += int64(n)
		r.off += int64(n)
		if r.litRead == r.litSize && (err == nil || err == io.EOF) {
			r.complete()
			if n > 0 {
				return n, nil
			}
			return 0, io.EOF
		}
		if n > 0 || err == nil {
			return n, nil // an error shows again on the next Read
		}
		// The literal ended early (the connection closed) or failed.
		if rerr := r.resume(err); rerr != nil {
			r.err = rerr
			return 0, rerr
		}
	}
}

// complete ends the FETCH after the whole literal has been read.
func (r *bodyReader) complete() {
	a := r.a
	a.mu.Lock()
	defer a.mu.Unlock()
	_, _ = r.lit.Read(nil) // reports io.EOF, releasing imapclient's reader
	for r.msg.Next() != nil {
	}
	err := r.cmd.Close()
	r.cmd, r.msg, r.lit = nil, nil, nil
	r.eof = true
	if r.release != nil {
		r.release()
		r.release = nil
	}
	if err != nil {
		// Every byte arrived (the literal's length was met): keep the
		// message, but do not trust the connection.
		a.cfg.log.Debug("FETCH ended badly after a complete body",
			"folder", r.folder.Name, "uid", r.uid, "err", err)
		if isConnFailure(err) {
			a.drop()
		}
	}
}

// resume re-opens the connection after the stream failed with cause and
// fetches the rest of the message.
func (r *bodyReader) resume(cause error) error {
	a := r.a
	a.mu.Lock()
	defer a.mu.Unlock()
	r.abort()
	if a.closed {
		return r.errorf("%w", ErrClosed)
	}
	if err := r.ctx.Err(); err != nil {
		return r.errorf("reading body: %w", err)
	}
	if r.off > r.resumed {
		r.resumes = 0
	}
	r.resumes++
	r.resumed = r.off
	if r.resumes > a.cfg.retries {
		return r.errorf("reading body at byte %d of %d: %w", r.off, r.total, cause)
	}
	a.cfg.log.Warn("message stream interrupted, resuming",
		"folder", r.folder.Name, "uid", r.uid, "offset", r.off, "size", r.total, "err", cause)
	if err := a.retry(r.ctx, "resume message", r.start); err != nil {
		return err
	}
	r.release = a.guard(r.ctx)
	return nil
}

// abort ends the FETCH in progress by closing the connection. a.mu must be
// held.
func (r *bodyReader) abort() {
	a := r.a
	if r.release != nil {
		r.release()
		r.release = nil
	}
	if r.lit != nil {
		if a.wc != nil {
			_ = a.wc.Conn.Close()
		}
		r.discard()
	}
	a.drop()
}

// discard consumes and forgets the FETCH in progress, if any, once its
// connection is closed: the reads return at once, and imapclient's reader
// goroutine, which waits for the literal to be consumed, is released. a.mu
// must be held.
func (r *bodyReader) discard() {
	if r.lit == nil {
		return
	}
	_, _ = io.Copy(io.Discard, r.lit)
	for r.msg.Next() != nil {
	}
	_ = r.cmd.Close()
	r.cmd, r.msg, r.lit = nil, nil, nil
}

// Close implements io.Closer. A reader not read to the end is drained when
// at most 1 MiB is left, else its connection is dropped (the next call
// reconnects). Close is idempotent and does not report the stream's errors.
func (r *bodyReader) Close() error {
	a := r.a
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	if a.reader == r {
		a.reader = nil
	}
	if r.eof || r.lit == nil {
		return nil
	}
	if left := r.litSize - r.litRead; left <= drainMax && r.ctx.Err() == nil {
		n, err := io.Copy(io.Discard, r.lit)
		if err == nil && n == left {
			r.litRead += n
			for r.msg.Next() != nil {
			}
			cerr := r.cmd.Close()
			r.cmd, r.msg, r.lit = nil, nil, nil
			if r.release != nil {
				r.release()
				r.release = nil
			}
			if cerr != nil && isConnFailure(cerr) {
				a.drop()
			}
			return nil
		}
	}
	r.abort()
	return nil
}

var _ io.ReadCloser = (*bodyReader)(nil)
