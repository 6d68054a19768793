package pop3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/migrate-tool/migrate/source"
)

// FolderName is the name of the one folder a POP3 account has.
const FolderName = "INBOX"

// Account is one POP3 maildrop, connected and authenticated. It implements
// source.Account with one folder, INBOX, source.HeaderReader and
// source.Deleter (Delete, the one method that changes the maildrop).
//
// POP3 numbers messages per session and addresses them only by number, so
// the Account keeps an index of the session's messages (number, key and
// size: tens of bytes per message, no content), read once per session
// with UIDL and LIST; Items yields from it and Open looks the key up in it.
//
// The Account keeps one session. When a call finds the connection broken
// (the server dropped an idle session, a reset, a timeout, a RETR cut
// short), it opens a new session (Options.MaxRetries times at most, with
// exponential back-off and jitter), re-reads UIDL and LIST and goes on by
// key; a login refused because the maildrop is locked ([IN-USE]) or
// [SYS/TEMP] is retried the same way. Each re-open is logged at info with
// a "reason" attribute.
type Account struct {
	cfg *config

	mu     sync.Mutex
	c      *conn // nil after Close or a broken connection
	closed bool
	why    string // why the last connection was dropped, for the log
	reader *retrReader
	index  *index
	gone   map[string]bool // keys RETR or TOP found gone
	noTop  bool            // TOP failed where RETR worked: read headers with RETR
	tls    string
	auth   Auth
	scheme string // KeysUIDL or KeysFallback, once the index was read
}

var (
	_ source.Account      = (*Account)(nil)
	_ source.HeaderReader = (*Account)(nil)
)

// index is the current session's messages, in message-number order.
type index struct {
	msgs  []message
	byKey map[string]int // key -> position in msgs
}

type message struct {
	num  int
	key  string // "" when no key could be made (the message went away)
	size int64
}

// errMalformed marks a server answer that could not be parsed; the
// session is still usable (the whole answer was read).
var errMalformed = errors.New("malformed server answer")

// Dial connects, secures the connection as opts say, and logs in as
// opts.Auth says. A login refused because the maildrop is locked is
// retried as Options.MaxRetries says. It sends nothing that changes the
// maildrop.
func Dial(ctx context.Context, opts *Options) (*Account, error) {
	if opts == nil {
		return nil, errors.New("pop3: nil options")
	}
	cfg, err := opts.check()
	if err != nil {
		return nil, err
	}
	if cfg.Security != SecurityPlain && cfg.InsecureSkipVerify {
		cfg.log.Warn("TLS certificate verification is disabled", "addr", cfg.addr)
	}
	a := &Account{cfg: cfg, gone: map[string]bool{}}
	if err := a.connect(ctx, false); err != nil {
		return nil, err
	}
	return a, nil
}

// connect opens a session: dial, secure, log in, with retries. Retried
// are a locked maildrop and [SYS/TEMP] always, and any connection failure
// when again is set (a session that worked before was lost). The caller
// holds a.mu (or is Dial).
func (a *Account) connect(ctx context.Context, again bool) error {
	cfg := a.cfg
	for attempt := 0; ; attempt++ {
		c, method, err := connectOnce(ctx, cfg)
		if err == nil {
			a.c, a.tls, a.auth, a.index = c, c.tls, method, nil
			if again {
				cfg.log.Info("session re-opened", "addr", cfg.addr, "reason", a.why, "attempts", attempt+1)
			} else {
				cfg.log.Info("connected", "addr", cfg.addr, "security", string(cfg.Security), "tls", c.tls, "auth", string(method))
			}
			return nil
		}
		reason, retry := retryable(err, again)
		if !retry || attempt >= cfg.retries || ctx.Err() != nil {
			return err
		}
		wait := backoff(cfg.RetryDelay, attempt+1)
		cfg.log.Info("cannot open a session: retrying", "addr", cfg.addr, "reason", reason, "err", err, "attempt", attempt+1, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("pop3: mailbox %q: opening a session: %w (after %w)", cfg.Username, ctx.Err(), err)
		case <-t.C:
		}
	}
}

// connectOnce dials and logs in once.
func connectOnce(ctx context.Context, cfg *config) (*conn, Auth, error) {
	c, err := dial(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", fmt.Errorf("pop3: mailbox %q: connecting to %s: %w", cfg.Username, cfg.addr, ctx.Err())
		}
		return nil, "", fmt.Errorf("pop3: mailbox %q: %w: %s: %w", cfg.Username, ErrConnect, cfg.addr, err)
	}
	method, err := login(ctx, c, cfg)
	if err == nil {
		// RFC 2449 section 5: the capabilities may differ after login
		// (TOP and UIDL are transaction-state ones).
		if err = c.capa(ctx); err != nil {
			err = fmt.Errorf("%w: %w", ErrConnect, err)
		}
	}
	if err != nil {
		c.nc.Close()
		return nil, "", fmt.Errorf("pop3: mailbox %q: %s: %w", cfg.Username, cfg.addr, err)
	}
	return c, method, nil
}

// retryable says whether a failed connect is worth another attempt, and
// why, for the log. The decision is made on RFC 2449 response codes,
// never on the server's text.
func retryable(err error, again bool) (string, bool) {
	var re *respError
	switch {
	case errors.As(err, &re) && re.code() == "IN-USE":
		return "maildrop locked by another session ([IN-USE])", true
	case errors.As(err, &re) && re.code() == "SYS/TEMP":
		return "temporary server failure ([SYS/TEMP])", true
	case errors.Is(err, ErrAuth):
		return "", false
	case again && errors.Is(err, ErrConnect):
		return "connection failed", true
	}
	return "", false
}

// backoff is the wait before retry n (1, 2, ...): a random duration in
// [d/2, d] with d = base * 2^(n-1), at most maxRetryDelay.
func backoff(base time.Duration, n int) time.Duration {
	d := base << min(n-1, 16)
	if d > maxRetryDelay || d <= 0 {
		d = maxRetryDelay
	}
	return d/2 + rand.N(d/2+1)
}

// Auth returns the login method the current session used.
func (a *Account) Auth() Auth {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.auth
}

// TLSVersion is the TLS version the current session uses ("TLS 1.3"), ""
// without TLS.
func (a *Account) TLSVersion() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.tls
}

// session returns the connection for a call, opening a new session when
// the last one was found broken. The caller holds a.mu.
func (a *Account) session(ctx context.Context) (*conn, error) {
	switch {
	case a.reader != nil:
		return nil, ErrBusy
	case a.closed:
		return nil, fmt.Errorf("pop3: mailbox %q: %w", a.cfg.Username, ErrClosed)
	case a.c == nil:
		if err := a.connect(ctx, true); err != nil {
			return nil, err
		}
	}
	return a.c, nil
}

// isBroken reports whether the connection's state is unknown after err:
// anything but a -ERR answer or an answer that was read whole but could
// not be parsed.
func isBroken(err error) bool {
	var re *respError
	return !errors.As(err, &re) && !errors.Is(err, errMalformed)
}

// drop closes a connection found broken and says why, for the log of the
// next session. The caller holds a.mu.
func (a *Account) drop(c *conn, why string, err error) {
	if a.c == c && c != nil {
		c.nc.Close()
		a.c, a.index = nil, nil
		a.why = why + ": " + err.Error()
	}
}

// do runs fn on the session. When fn finds the connection broken, it is
// dropped and fn runs once more on a new session (an idle session the
// server dropped is only found when the next command is sent). The caller
// holds a.mu.
func (a *Account) do(ctx context.Context, what string, fn func(c *conn) error) error {
	for attempt := 0; ; attempt++ {
		c, err := a.session(ctx)
		if err != nil {
			return err
		}
		err = fn(c)
		if err == nil || !isBroken(err) {
			return err
		}
		a.drop(a.c, what+" failed", err) // a.c: fn may have re-opened the session
		if attempt > 0 || ctx.Err() != nil || a.cfg.retries == 0 {
			return fmt.Errorf("pop3: mailbox %q: %w", a.cfg.Username, err)
		}
	}
}

// Folders returns the one folder, INBOX, with the count and size STAT
// gives.
func (a *Account) Folders(ctx context.Context) ([]source.Folder, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var st string
	err := a.do(ctx, "STAT", func(c *conn) (err error) {
		st, err = c.cmd(ctx, "STAT")
		return err
	})
	if err != nil {
		return nil, wrap(a.cfg, err)
	}
	f := inbox()
	var count, size int64
	if _, err := fmt.Sscan(st, &count, &size); err == nil {
		f.Count, f.Bytes = count, size
	}
	return []source.Folder{f}, nil
}

// wrap names the mailbox in err unless it already does.
func wrap(cfg *config, err error) error {
	if strings.HasPrefix(err.Error(), "pop3: ") {
		return err
	}
	return fmt.Errorf("pop3: mailbox %q: %w", cfg.Username, err)
}

func inbox() source.Folder {
	return source.Folder{Path: []string{FolderName}, Name: FolderName, SpecialUse: source.Inbox,
		Kind: source.KindMessage, Count: -1, Bytes: -1}
}

// KeyScheme reports how this maildrop's keys are made, reading the index
// if needed: KeysUIDL (the server's UIDL values) or KeysFallback (the
// server has no UIDL: FallbackKey's size, Date and Message-ID).
//
// Fallback keys have caveats the plan should show: a message whose Date
// or Message-ID the server changes gets a new key; of identical messages
// (same size, Date and Message-ID), the "#n" suffixes follow the message
// numbers, so when one of them is deleted on the server the later ones
// change keys and are seen as new items (the engine's content identity
// keeps them from being copied twice). Reading the keys costs one TOP n 0
// per message per session (RETR, read to the end, when the server has no
// TOP).
func (a *Account) KeyScheme(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.load(ctx); err != nil {
		return "", err
	}
	return a.scheme, nil
}

// load reads the session's index with UIDL and LIST, once per session.
// The caller holds a.mu.
func (a *Account) load(ctx context.Context) (*index, error) {
	if a.index != nil {
		return a.index, nil
	}
	var ix *index
	err := a.do(ctx, "LIST/UIDL", func(c *conn) (err error) {
		ix, err = a.readIndex(ctx, c)
		return err
	})
	if err != nil {
		return nil, wrap(a.cfg, err)
	}
	a.index = ix
	return ix, nil
}

// readIndex reads the session's index: LIST for sizes, and UIDL for keys,
// or, when the server has no UIDL, fallback keys from each message's
// header.
func (a *Account) readIndex(ctx context.Context, c *conn) (*index, error) {
	ix := &index{byKey: map[string]int{}}
	byNum := map[int]int{}
	err := c.lines(ctx, "LIST", func(l string) error {
		num, size, err := parsePair(l)
		if err != nil {
			return fmt.Errorf("LIST: %w", err)
		}
		n, err := strconv.ParseInt(size, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("LIST: %w: bad size in %q", errMalformed, truncate(l))
		}
		byNum[num] = len(ix.msgs)
		ix.msgs = append(ix.msgs, message{num: num, size: n})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// UIDL is sent even when CAPA does not list it (a -ERR costs one
	// round trip; a CAPA that forgets UIDL would cost every key).
	var re *respError
	err = c.lines(ctx, "UIDL", func(l string) error {
		num, uidl, err := parsePair(l)
		if err != nil {
			return fmt.Errorf("UIDL: %w", err)
		}
		i, ok := byNum[num]
		if !ok {
			return nil // not in LIST: a message deleted in between
		}
		if _, dup := ix.byKey[uidl]; dup {
			return fmt.Errorf("UIDL: %w: the server gives UIDL %q to two messages", errMalformed, uidl)
		}
		ix.byKey[uidl] = i
		ix.msgs[i].key = uidl
		return nil
	})
	switch {
	case err == nil:
		a.scheme = KeysUIDL
		return ix, nil
	case !errors.As(err, &re):
		return nil, err
	}
	if a.scheme != KeysFallback {
		a.cfg.log.Info("the server has no UIDL: using fallback keys (size, Date, Message-ID)", "reason", "UIDL refused: "+re.Error())
	}
	a.scheme = KeysFallback
	return ix, a.fallbackKeys(ctx, c, ix)
}

// fallbackKeys gives each message of ix its FallbackKey, in message-number
// order; a message whose header cannot be read (-ERR: deleted since) is
// left without a key and out of the listing.
func (a *Account) fallbackKeys(ctx context.Context, c *conn, ix *index) error {
	want := canonical(keyFields)
	seen := map[string]int{}
	for start := 0; start < len(ix.msgs); start += headerWindow {
		window := ix.msgs[start:min(start+headerWindow, len(ix.msgs))]
		nums := make([]int, len(window))
		for i, m := range window {
			nums[i] = m.num
		}
		hs, err := a.readHeaders(ctx, c, nums, want)
		if err != nil {
			return err
		}
		for i, h := range hs {
			if h == nil {
				continue
			}
			m := &window[i]
			key := FallbackKey(m.size, h.Get("Date"), h.Get("Message-Id"))
			seen[key]++
			if n := seen[key]; n > 1 {
				key += "#" + strconv.Itoa(n)
			}
			m.key = key
			ix.byKey[key] = start + i
		}
	}
	return nil
}

// headerWindow is how many TOP commands are sent at once to a server that
// lists PIPELINING (RFC 2449 section 6.6).
const headerWindow = 64

// readHeaders reads the header fields want of the messages nums, one
// TOP n 0 each (all of them sent at once when CAPA lists PIPELINING and
// TOP), or as readHeader says. A message answered with -ERR (gone) has a
// nil header. The caller holds a.mu.
func (a *Account) readHeaders(ctx context.Context, c *conn, nums []int, want map[string]bool) ([]textproto.MIMEHeader, error) {
	out := make([]textproto.MIMEHeader, len(nums))
	pipe, _ := c.has("PIPELINING")
	top, _ := c.has("TOP")
	if !pipe || !top || a.noTop || len(nums) <= 1 {
		for i, n := range nums {
			h, err := a.readHeader(ctx, c, n, want)
			var re *respError
			if err != nil && !errors.As(err, &re) {
				return nil, err
			}
			out[i] = h
		}
		return out, nil
	}
	stop := c.watch(ctx)
	defer stop()
	var cmds strings.Builder
	for _, n := range nums {
		fmt.Fprintf(&cmds, "TOP %d 0\r\n", n)
	}
	if _, err := c.bw.WriteString(cmds.String()); err != nil {
		return nil, fmt.Errorf("TOP: %w", err)
	}
	if err := c.bw.Flush(); err != nil {
		return nil, fmt.Errorf("TOP: %w", err)
	}
	var re *respError
	for i, n := range nums {
		if _, err := c.status("TOP"); errors.As(err, &re) {
			continue
		} else if err != nil {
			return nil, err
		}
		dr := newDotReader(c.br)
		h, err := scanHeader(dr, want)
		if err == nil {
			_, err = io.Copy(io.Discard, dr)
		}
		if err != nil {
			return nil, fmt.Errorf("TOP %d 0: reading the answer: %w", n, err)
		}
		out[i] = h
	}
	return out, nil
}

// readHeader reads the header fields want of message num with TOP num 0,
// or with RETR (read to its end) when the server has no TOP. A -ERR answer
// is a *respError. The caller holds a.mu.
func (a *Account) readHeader(ctx context.Context, c *conn, num int, want map[string]bool) (textproto.MIMEHeader, error) {
	has, known := c.has("TOP")
	useTop := !a.noTop && (has || !known)
	cmd := "TOP " + strconv.Itoa(num) + " 0"
	if !useTop {
		cmd = "RETR " + strconv.Itoa(num)
	}
	_, err := c.cmd(ctx, cmd)
	var re *respError
	if useTop && !known && errors.As(err, &re) {
		// No CAPA: TOP may be missing, or the message gone; RETR tells.
		cmd = "RETR " + strconv.Itoa(num)
		if _, err = c.cmd(ctx, cmd); err == nil {
			a.noTop = true
		}
	}
	if err != nil {
		return nil, err
	}
	stop := c.watch(ctx)
	defer stop()
	dr := newDotReader(c.br)
	h, err := scanHeader(dr, want)
	if err == nil {
		_, err = io.Copy(io.Discard, dr)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: reading the answer: %w", cmd, err)
	}
	return h, nil
}

// parsePair splits "number value" (a UIDL or LIST line).
func parsePair(l string) (int, string, error) {
	f := strings.Fields(l)
	if len(f) < 2 {
		return 0, "", fmt.Errorf("%w: %q", errMalformed, truncate(l))
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 {
		return 0, "", fmt.Errorf("%w: bad message number in %q", errMalformed, truncate(l))
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

// Items lists INBOX's messages in message-number order: Key is the UIDL
// (or a fallback key, see KeyScheme), Size what LIST says (the size RETR
// streams), Date zero (POP3 has no received date) and no flags. Messages
// found gone are left out.
func (a *Account) Items(ctx context.Context, f source.Folder) iter.Seq2[source.ItemRef, error] {
	return func(yield func(source.ItemRef, error) bool) {
		if err := a.checkFolder(f); err != nil {
			yield(source.ItemRef{}, err)
			return
		}
		a.mu.Lock()
		ix, err := a.load(ctx)
		a.mu.Unlock()
		if err != nil {
			yield(source.ItemRef{}, err)
			return
		}
		for _, m := range ix.msgs {
			a.mu.Lock()
			gone := m.key == "" || a.gone[m.key]
			a.mu.Unlock()
			if gone {
				continue
			}
			if !yield(source.ItemRef{Key: m.key, Size: m.size}, nil) {
				return
			}
		}
	}
}

// lookup finds key in the current session's index. The caller holds a.mu.
func (a *Account) lookup(ctx context.Context, key string) (message, error) {
	ix, err := a.load(ctx)
	if err != nil {
		return message{}, err
	}
	i, ok := ix.byKey[key]
	if !ok || a.gone[key] {
		return message{}, fmt.Errorf("pop3: mailbox %q: key %q: %w", a.cfg.Username, key, ErrNotFound)
	}
	return ix.msgs[i], nil
}

// Open streams the message whose key is ref.Key with RETR, dot-unstuffed
// as it arrives, without the CRLF a server adds to a message that does not
// end with a line ending (see addedEOLReader), so byte for byte as stored. The message's number is the one it has in this session.
// An answer longer than twice LIST's size (source.MaxBodySize) fails with a
// reason, so a server that never ends a RETR cannot hold the run.
// The reader must be closed before the next call on the Account; closing it
// early reads the rest of the message off the connection. A connection
// broken while reading makes Read fail; the next call opens a new session.
func (a *Account) Open(ctx context.Context, f source.Folder, ref source.ItemRef) (io.ReadCloser, error) {
	if err := a.checkFolder(f); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var r *retrReader
	err := a.do(ctx, "RETR", func(*conn) error {
		m, err := a.lookup(ctx, ref.Key)
		if err != nil {
			return err
		}
		c := a.c // lookup may have re-opened the session
		what := fmt.Sprintf("key %q (message %d)", ref.Key, m.num)
		if _, err := c.cmd(ctx, "RETR "+strconv.Itoa(m.num)); err != nil {
			var re *respError
			if errors.As(err, &re) {
				// The message went away behind this session (another
				// client deleted it); Dovecot answers RETR with -ERR then.
				a.gone[ref.Key] = true
				return fmt.Errorf("pop3: mailbox %q: %s: %w: %w", a.cfg.Username, what, ErrNotFound, err)
			}
			return err
		}
		lim := &sizeCap{r: newDotReader(c.br), listed: m.size, max: source.MaxBodySize(m.size)}
		r = &retrReader{a: a, c: c, dr: lim, src: &addedEOLReader{r: lim, size: m.size}, stop: c.watch(ctx), what: what}
		return nil
	})
	if err != nil {
		return nil, wrap(a.cfg, err)
	}
	a.reader = r
	return r, nil
}

// sizeCap fails a RETR answer that goes on past max bytes.
type sizeCap struct {
	r        io.Reader
	listed   int64
	max, got int64
}

// errOversized means a RETR answer was longer than its LIST size allows.
var errOversized = errors.New("the server sends more than its LIST size allows")

// Read implements io.Reader.
func (s *sizeCap) Read(p []byte) (int, error) {
	if s.got >= s.max {
		return 0, fmt.Errorf("%w: over %d bytes for a message LIST gave as %d", errOversized, s.max, s.listed)
	}
	n, err := s.r.Read(p[:min(int64(len(p)), s.max-s.got+1)])
	s.got += int64(n)
	if s.got > s.max {
		return 0, fmt.Errorf("%w: over %d bytes for a message LIST gave as %d", errOversized, s.max, s.listed)
	}
	return n, err
}

// retrReader is the reader Open returns.
type retrReader struct {
	a    *Account
	c    *conn
	dr   io.Reader // the dot-unstuffed answer, capped by sizeCap
	src  io.Reader // dr without a line ending the server added
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
	n, err := r.src.Read(p)
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
		cause := r.err
		if cause == nil {
			cause = err
		}
		r.a.drop(r.c, "RETR "+r.what+" broken", cause)
		if err != nil {
			return fmt.Errorf("pop3: mailbox %q: RETR %s: %w", r.a.cfg.Username, r.what, err)
		}
	}
	return nil
}

// Headers implements source.HeaderReader with one TOP n 0 per item (RFC
// 1939 section 7, which reads without marking anything), 64 at a time
// when the server lists PIPELINING, or, on a server without TOP, with RETR
// read to the end. Each item's fields are kept up to 16 KB. Items not in
// the session or found gone (-ERR) are left out; a dropped connection is
// re-opened as for any call and the window read again.
func (a *Account) Headers(ctx context.Context, f source.Folder, refs []source.ItemRef, fields []string) iter.Seq2[source.ItemHeader, error] {
	return func(yield func(source.ItemHeader, error) bool) {
		if err := a.checkFolder(f); err != nil {
			yield(source.ItemHeader{}, err)
			return
		}
		want := canonical(fields)
		for window := range slices.Chunk(refs, headerWindow) {
			var out []source.ItemHeader
			a.mu.Lock()
			err := a.do(ctx, "TOP", func(*conn) error {
				out = out[:0]
				var keys []string
				var nums []int
				for _, ref := range window {
					m, err := a.lookup(ctx, ref.Key)
					switch {
					case errors.Is(err, ErrNotFound):
						continue
					case err != nil:
						return err
					}
					keys, nums = append(keys, ref.Key), append(nums, m.num)
				}
				hs, err := a.readHeaders(ctx, a.c, nums, want) // a.c: lookup may have re-opened the session
				if err != nil {
					return err
				}
				for i, h := range hs {
					if h == nil {
						a.gone[keys[i]] = true
						continue
					}
					out = append(out, source.ItemHeader{Key: keys[i], Header: h})
				}
				return nil
			})
			a.mu.Unlock()
			if err != nil {
				yield(source.ItemHeader{}, wrap(a.cfg, err))
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

// Close ends the session with QUIT (which deletes nothing: only Delete
// sends DELE, and it ends its own session) and closes the connection.
func (a *Account) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
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
