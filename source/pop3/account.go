package pop3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"sync"

	"github.com/migrate-tool/migrate/source"
)

// FolderName is the name of the one folder a POP3 account has.
const FolderName = "INBOX"

// Account is one POP3 maildrop, connected and authenticated. It implements
// source.Account with one folder, INBOX.
//
// POP3 numbers messages per session and addresses them only by number, so
// the Account keeps an index of the session's messages (number, UIDL and
// size: tens of bytes per message, no content), read once with UIDL and
// LIST; Items yields from it and Open looks the UIDL up in it.
type Account struct {
	cfg *config

	mu     sync.Mutex
	c      *conn // nil after Close or a broken connection
	reader *retrReader
	index  *index
	tls    string
}

var _ source.Account = (*Account)(nil)

// index is the current session's messages, in message-number order.
type index struct {
	msgs  []message
	byKey map[string]int // UIDL -> position in msgs
}

type message struct {
	num  int
	uidl string
	size int64
	gone bool // RETR answered -ERR in this session
}

// Dial connects, secures the connection as opts say, and logs in with USER
// and PASS. It sends nothing that changes the maildrop.
func Dial(ctx context.Context, opts *Options) (*Account, error) {
	if opts == nil {
		return nil, errors.New("pop3: nil options")
	}
	cfg, err := opts.check()
	if err != nil {
		return nil, err
	}
	if cfg.Security != SecurityPlain && cfg.InsecureSkipVerify {
		cfg.log.Warn("pop3: TLS certificate verification is disabled", "mailbox", cfg.Username, "addr", cfg.addr)
	}
	c, err := dial(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("pop3: mailbox %q: connecting to %s: %w", cfg.Username, cfg.addr, ctx.Err())
		}
		return nil, fmt.Errorf("pop3: mailbox %q: %w: %s: %w", cfg.Username, ErrConnect, cfg.addr, err)
	}
	if err := login(ctx, c, cfg); err != nil {
		c.nc.Close()
		return nil, fmt.Errorf("pop3: mailbox %q: %s: %w", cfg.Username, cfg.addr, err)
	}
	cfg.log.Info("pop3: connected", "mailbox", cfg.Username, "addr", cfg.addr, "security", string(cfg.Security), "tls", c.tls)
	return &Account{cfg: cfg, c: c, tls: c.tls}, nil
}

// login sends USER and PASS. A refusal is ErrAuth, except the RFC 3206
// codes that say the failure is temporary: [IN-USE] (the maildrop is
// locked by another session) and [SYS/TEMP], which are ErrConnect.
func login(ctx context.Context, c *conn, cfg *config) error {
	tctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	for _, line := range []string{"USER " + cfg.Username, "PASS " + cfg.Password} {
		if strings.ContainsAny(line, "\r\n") {
			return fmt.Errorf("%w: the username or password holds a line break", ErrAuth)
		}
		_, err := c.cmd(tctx, line)
		var re *respError
		switch {
		case err == nil:
			continue
		case errors.As(err, &re) && (re.code() == "IN-USE" || re.code() == "SYS/TEMP"):
			return fmt.Errorf("%w: %w", ErrConnect, err)
		case errors.As(err, &re):
			return fmt.Errorf("%w: %w", ErrAuth, err)
		case ctx.Err() != nil:
			return ctx.Err()
		default:
			return fmt.Errorf("%w: %w", ErrConnect, err)
		}
	}
	return nil
}

// TLSVersion is the TLS version in use ("TLS 1.3"), "" without TLS.
func (a *Account) TLSVersion() string { return a.tls }

// conn returns the connection for a call, or why there is none.
func (a *Account) conn() (*conn, error) {
	switch {
	case a.reader != nil:
		return nil, ErrBusy
	case a.c == nil:
		return nil, fmt.Errorf("pop3: mailbox %q: %w", a.cfg.Username, ErrClosed)
	}
	return a.c, nil
}

// broken drops a connection whose state is unknown after err.
func (a *Account) broken(err error) error {
	var re *respError
	if a.c != nil && !errors.As(err, &re) {
		a.c.nc.Close()
		a.c = nil
	}
	return fmt.Errorf("pop3: mailbox %q: %w", a.cfg.Username, err)
}

// Folders returns the one folder, INBOX, with the count and size STAT
// gives.
func (a *Account) Folders(ctx context.Context) ([]source.Folder, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, err := a.conn()
	if err != nil {
		return nil, err
	}
	st, err := c.cmd(ctx, "STAT")
	if err != nil {
		return nil, a.broken(err)
	}
	f := inbox()
	var count, size int64
	if _, err := fmt.Sscan(st, &count, &size); err == nil {
		f.Count, f.Bytes = count, size
	}
	return []source.Folder{f}, nil
}

func inbox() source.Folder {
	return source.Folder{Path: []string{FolderName}, Name: FolderName, SpecialUse: source.Inbox,
		Kind: source.KindMessage, Count: -1, Bytes: -1}
}

// load reads the session's index with UIDL and LIST, once per session.
func (a *Account) load(ctx context.Context, c *conn) (*index, error) {
	if a.index != nil {
		return a.index, nil
	}
	ix := &index{byKey: map[string]int{}}
	byNum := map[int]int{}
	err := c.lines(ctx, "UIDL", func(l string) error {
		num, uidl, err := parsePair(l)
		if err != nil {
			return fmt.Errorf("UIDL: %w", err)
		}
		if _, dup := ix.byKey[uidl]; dup {
			return fmt.Errorf("UIDL: the server gives UIDL %q to two messages", uidl)
		}
		ix.byKey[uidl] = len(ix.msgs)
		byNum[num] = len(ix.msgs)
		ix.msgs = append(ix.msgs, message{num: num, uidl: uidl, size: -1})
		return nil
	})
	var re *respError
	if errors.As(err, &re) {
		return nil, fmt.Errorf("pop3: mailbox %q: %w (%w)", a.cfg.Username, ErrNoUIDL, err)
	}
	if err != nil {
		return nil, a.broken(err)
	}
	err = c.lines(ctx, "LIST", func(l string) error {
		num, size, err := parsePair(l)
		if err != nil {
			return fmt.Errorf("LIST: %w", err)
		}
		n, err := strconv.ParseInt(size, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("LIST: bad size in %q", truncate(l))
		}
		if i, ok := byNum[num]; ok {
			ix.msgs[i].size = n
		}
		return nil
	})
	if err != nil {
		return nil, a.broken(err)
	}
	a.index = ix
	return ix, nil
}

// parsePair splits "number value" (a UIDL or LIST line).
func parsePair(l string) (int, string, error) {
	f := strings.Fields(l)
	if len(f) < 2 {
		return 0, "", fmt.Errorf("malformed line %q", truncate(l))
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 {
		return 0, "", fmt.Errorf("bad message number in %q", truncate(l))
	}
	return n, f[1], nil
}

// checkFolder returns ErrNotFound for any folder but INBOX.
func (a *Account) checkFolder(f source.Folder) error {
	if !strings.EqualFold(f.Name, FolderName) {
		return fmt.Errorf("pop3: mailbox %q folder %q: %w: a POP3 account has INBOX only", a.cfg.Username, f.Name, ErrNotFound)
	}
	return nil
}

// Items lists INBOX's messages in message-number order: Key is the UIDL,
// Size what LIST says (the size RETR streams), Date zero (POP3 has no
// received date) and no flags. Messages RETR found gone are left out.
func (a *Account) Items(ctx context.Context, f source.Folder) iter.Seq2[source.ItemRef, error] {
	return func(yield func(source.ItemRef, error) bool) {
		if err := a.checkFolder(f); err != nil {
			yield(source.ItemRef{}, err)
			return
		}
		a.mu.Lock()
		c, err := a.conn()
		var ix *index
		if err == nil {
			ix, err = a.load(ctx, c)
		}
		a.mu.Unlock()
		if err != nil {
			yield(source.ItemRef{}, err)
			return
		}
		for i := range ix.msgs {
			a.mu.Lock()
			m := ix.msgs[i]
			a.mu.Unlock()
			if m.gone {
				continue
			}
			if !yield(source.ItemRef{Key: m.uidl, Size: m.size}, nil) {
				return
			}
		}
	}
}

// Open streams the message whose UIDL is ref.Key with RETR, dot-unstuffed
// as it arrives. The message's number is the one it has in this session.
// The reader must be closed before the next call on the Account; closing it
// early reads the rest of the message off the connection.
func (a *Account) Open(ctx context.Context, f source.Folder, ref source.ItemRef) (io.ReadCloser, error) {
	if err := a.checkFolder(f); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c, err := a.conn()
	if err != nil {
		return nil, err
	}
	ix, err := a.load(ctx, c)
	if err != nil {
		return nil, err
	}
	i, ok := ix.byKey[ref.Key]
	if !ok || ix.msgs[i].gone {
		return nil, fmt.Errorf("pop3: mailbox %q: UIDL %q: %w", a.cfg.Username, ref.Key, ErrNotFound)
	}
	m := &ix.msgs[i]
	if _, err := c.cmd(ctx, "RETR "+strconv.Itoa(m.num)); err != nil {
		var re *respError
		if errors.As(err, &re) {
			// The message went away behind this session (another client
			// deleted it); Dovecot answers RETR with -ERR then.
			m.gone = true
			return nil, fmt.Errorf("pop3: mailbox %q: UIDL %q (message %d): %w: %w", a.cfg.Username, ref.Key, m.num, ErrNotFound, err)
		}
		return nil, a.broken(err)
	}
	r := &retrReader{a: a, c: c, dr: newDotReader(c.br), stop: c.watch(ctx), what: fmt.Sprintf("UIDL %q (message %d)", ref.Key, m.num)}
	a.reader = r
	return r, nil
}

// retrReader is the reader Open returns.
type retrReader struct {
	a    *Account
	c    *conn
	dr   *dotReader
	stop func() bool
	what string
	err  error
	done bool
}

// Read implements io.Reader.
func (r *retrReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.dr.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		r.err = fmt.Errorf("pop3: mailbox %q: RETR %s: %w", r.a.cfg.Username, r.what, err)
		return n, r.err
	}
	return n, err
}

// Close reads what is left of the message, so that the session stays
// usable, and frees the Account for the next call.
func (r *retrReader) Close() error {
	if r.done {
		return nil
	}
	r.done = true
	var err error
	if r.err == nil {
		_, err = io.Copy(io.Discard, r.dr)
	}
	r.stop()
	r.a.mu.Lock()
	defer r.a.mu.Unlock()
	r.a.reader = nil
	if err != nil || r.err != nil {
		if r.a.c == r.c {
			r.c.nc.Close()
			r.a.c = nil
		}
		if err != nil {
			return fmt.Errorf("pop3: mailbox %q: RETR %s: %w", r.a.cfg.Username, r.what, err)
		}
	}
	return nil
}

// Close ends the session with QUIT (which deletes nothing: no DELE was
// sent) and closes the connection.
func (a *Account) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.c == nil {
		return nil
	}
	c := a.c
	a.c, a.index = nil, nil
	defer c.nc.Close()
	if a.reader != nil {
		return nil // a RETR is still being read: just drop the connection
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.Timeout)
	defer cancel()
	if _, err := c.cmd(ctx, "QUIT"); err != nil {
		return fmt.Errorf("pop3: mailbox %q: %w", a.cfg.Username, err)
	}
	return nil
}
