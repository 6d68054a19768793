package imap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/migrate-tool/migrate/source"
)

// Account is one IMAP mailbox, connected and authenticated. It implements
// source.Account; see the package documentation for its guarantees and for
// the one-command-at-a-time rule.
type Account struct {
	cfg *config
	tr  *tracer

	// mu serialises calls; it is not held while Items yields.
	mu     sync.Mutex
	c      *imapclient.Client // nil when disconnected
	wc     *wireConn
	caps   imap.CapSet
	sel    *selection  // the folder EXAMINEd on c, or nil
	reader *bodyReader // the open reader from Open, or nil
	closed bool
	info   ConnInfo
}

var _ source.Account = (*Account)(nil)

// selection is the state of the EXAMINEd folder.
type selection struct {
	name     string
	validity uint32
	uidNext  imap.UID
	messages uint32
}

// ConnInfo describes the connection, for the migration report.
type ConnInfo struct {
	// Mailbox is the user whose mailbox is open (AuthzID for an admin
	// login, else Username).
	Mailbox string
	// Addr is host:port.
	Addr string
	// Security is the mode in use.
	Security Security
	// TLSVersion is "TLS 1.3" and the like, "" without TLS.
	TLSVersion string
	// InsecureSkipVerify is true when the certificate was not verified.
	InsecureSkipVerify bool
	// AuthMechanism is "PLAIN", "XOAUTH2", "OAUTHBEARER" or "LOGIN" (the
	// IMAP command); AdminLogin is true when an authorization identity
	// was used.
	AuthMechanism string
	AdminLogin    bool
	// Capabilities the server announced after login, sorted.
	Capabilities []string
	// Reconnects counts the connections re-opened after a drop.
	Reconnects int
}

// Dial connects to the server, secures the connection and logs in. Its
// errors match ErrConnect (unreachable, TLS failure, unavailable),
// ErrAuth (credentials refused) or ErrPlaintextNotAllowed; other errors are
// invalid options. No secret appears in them.
func Dial(ctx context.Context, opts *Options) (*Account, error) {
	if opts == nil {
		return nil, errors.New("imap: nil options")
	}
	cfg, err := opts.check()
	if err != nil {
		return nil, err
	}
	a := &Account{cfg: cfg}
	if cfg.Trace != nil {
		a.tr = newTracer(cfg.Trace, traceSecrets(cfg)...)
	}
	a.info = ConnInfo{
		Mailbox:            cfg.user,
		Addr:               cfg.addr,
		Security:           cfg.Security,
		InsecureSkipVerify: cfg.Security != SecurityPlain && cfg.InsecureSkipVerify,
		AdminLogin:         cfg.AuthzID != "",
	}
	if a.info.InsecureSkipVerify {
		cfg.log.Warn("TLS certificate verification is disabled", "addr", cfg.addr)
	}
	if err := a.connect(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// Info describes the connection.
func (a *Account) Info() ConnInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	info := a.info
	info.Capabilities = slices.Clone(info.Capabilities)
	return info
}

// connect opens a new connection and logs in.
func (a *Account) connect(ctx context.Context) error {
	cfg := a.cfg
	wc, version, err := dial(ctx, cfg, a.tr)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("imap: mailbox %q: connecting to %s: %w", cfg.user, cfg.addr, ctx.Err())
		}
		return fmt.Errorf("imap: mailbox %q: %w: %s: %w", cfg.user, ErrConnect, cfg.addr, err)
	}

	tctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	wc.begin()
	stop := context.AfterFunc(tctx, func() { _ = wc.Conn.Close() })
	c := imapclient.New(wc, nil)
	mech := "PREAUTH"
	err = c.WaitGreeting()
	if err != nil {
		err = fmt.Errorf("%w: greeting: %w", ErrConnect, err)
	} else if c.State() == imap.ConnStateNotAuthenticated {
		mech, err = login(c, cfg)
	}
	var caps imap.CapSet
	if err == nil {
		if caps = c.Caps(); caps == nil {
			err = fmt.Errorf("%w: no capabilities received after login", ErrConnect)
		}
	}
	fired := !stop()
	wc.end()
	if err != nil || fired {
		_ = wc.Conn.Close()
		_ = c.Close()
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("imap: mailbox %q: connecting to %s: %w", cfg.user, cfg.addr, ctx.Err())
		case fired:
			return fmt.Errorf("imap: mailbox %q: %w: %s: no answer within %v", cfg.user, ErrConnect, cfg.addr, cfg.Timeout)
		}
		return fmt.Errorf("imap: mailbox %q: %s: %w", cfg.user, cfg.addr, err)
	}

	a.c, a.wc, a.caps, a.sel = c, wc, caps, nil
	a.info.TLSVersion = version
	a.info.AuthMechanism = mech
	a.info.Capabilities = a.info.Capabilities[:0]
	for cp := range caps {
		a.info.Capabilities = append(a.info.Capabilities, string(cp))
	}
	slices.Sort(a.info.Capabilities)
	cfg.log.Info("connected", "addr", cfg.addr,
		"security", string(cfg.Security), "tls", version, "auth", mech)
	return nil
}

// drop closes the connection; the next call re-opens it.
func (a *Account) drop() {
	if a.c == nil {
		return
	}
	_ = a.wc.Conn.Close()
	if r := a.reader; r != nil {
		// imapclient's Close waits for its reader goroutine, which waits
		// for a literal it delivered to be consumed: the body in flight is
		// discarded first (with the connection closed, at once).
		r.discard()
	}
	_ = a.c.Close()
	a.c, a.wc, a.sel = nil, nil, nil
}

// guard arms the inactivity timeout and makes ctx's end close the
// connection, which unblocks whatever waits on it. The returned function
// disarms both and reports whether ctx ended first.
func (a *Account) guard(ctx context.Context) func() (fired bool) {
	wc := a.wc
	wc.begin()
	stop := context.AfterFunc(ctx, func() { _ = wc.Conn.Close() })
	return func() bool {
		fired := !stop()
		wc.end()
		return fired
	}
}

// call runs op under the account lock, with reconnection (see retry).
func (a *Account) call(ctx context.Context, what string, op func(c *imapclient.Client) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.usable(); err != nil {
		return err
	}
	return a.retry(ctx, what, op)
}

// usable reports why no call may run now.
func (a *Account) usable() error {
	switch {
	case a.closed:
		return fmt.Errorf("imap: mailbox %q: %w", a.cfg.user, ErrClosed)
	case a.reader != nil:
		return fmt.Errorf("imap: mailbox %q: folder %q uid %d: %w", a.cfg.user, a.reader.folder.Name, a.reader.uid, ErrBusy)
	}
	return nil
}

// retry runs op on a live connection. When the connection fails, it is
// dropped and op is run again on a new one, at most cfg.retries times in a
// row, with exponential back-off. op must be safe to repeat; errors that are
// not connection failures are returned at once. a.mu must be held.
func (a *Account) retry(ctx context.Context, what string, op func(c *imapclient.Client) error) error {
	for attempt := 0; ; attempt++ {
		err := a.once(ctx, what, op)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || !isConnFailure(err) || attempt >= a.cfg.retries {
			return err
		}
		delay := min(a.cfg.RetryDelay<<attempt, 30*time.Second)
		a.cfg.log.Warn("connection lost, reconnecting", "op", what,
			"attempt", attempt+1, "max", a.cfg.retries, "delay", delay, "err", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("imap: mailbox %q: %s: %w (after: %w)", a.cfg.user, what, ctx.Err(), err)
		case <-t.C:
		}
	}
}

// once runs op on the current connection, opening one if needed.
func (a *Account) once(ctx context.Context, what string, op func(c *imapclient.Client) error) error {
	if a.c == nil {
		reconnect := a.info.AuthMechanism != ""
		if err := a.connect(ctx); err != nil {
			return err
		}
		if reconnect {
			a.info.Reconnects++
		}
	}
	stop := a.guard(ctx)
	err := op(a.c)
	if stop() {
		a.drop()
		return fmt.Errorf("imap: mailbox %q: %s: %w", a.cfg.user, what, ctx.Err())
	}
	if err != nil && isConnFailure(err) {
		a.drop()
	}
	return err
}

// permanentError marks an error of this package that retrying cannot fix.
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

// isConnFailure reports whether err means the connection is unusable, as
// opposed to a refusal by the server (a tagged NO or BAD) or an error of
// this package.
func isConnFailure(err error) bool {
	var ierr *imap.Error
	var perm permanentError
	switch {
	case errors.As(err, &ierr), errors.As(err, &perm),
		errors.Is(err, ErrAuth), errors.Is(err, ErrValidityChanged), errors.Is(err, ErrNotFound),
		errors.Is(err, ErrBusy), errors.Is(err, ErrClosed),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	}
	return true
}

// examine makes f the selected folder, read-only, unless it already is (and
// fresh is false). A non-zero want is the UIDVALIDITY the caller expects.
func (a *Account) examine(c *imapclient.Client, f *source.Folder, want uint32, fresh bool) (*selection, error) {
	if fresh || a.sel == nil || a.sel.name != f.Name {
		a.sel = nil // a failed EXAMINE leaves nothing selected
		data, err := c.Select(f.Name, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil && a.missing(c, f.Name, err) {
			return nil, fmt.Errorf("imap: mailbox %q folder %q: EXAMINE: %w: %w", a.cfg.user, f.Name, ErrNotFound, err)
		}
		if err != nil {
			return nil, fmt.Errorf("imap: mailbox %q folder %q: EXAMINE: %w", a.cfg.user, f.Name, err)
		}
		if data.UIDValidity == 0 {
			return nil, permanentError{fmt.Errorf("imap: mailbox %q folder %q: the server reports no UIDVALIDITY, so items cannot be keyed", a.cfg.user, f.Name)}
		}
		a.sel = &selection{name: f.Name, validity: data.UIDValidity, uidNext: data.UIDNext, messages: data.NumMessages}
	}
	if want != 0 && a.sel.validity != want {
		return nil, &ValidityChangedError{Mailbox: a.cfg.user, Folder: f.Name, Want: want, Got: a.sel.validity}
	}
	return a.sel, nil
}

// missing reports whether a refused EXAMINE of name means the folder does
// not exist: the NONEXISTENT (RFC 5530) or TRYCREATE code says so, and
// servers that send neither (Dovecot 2.3) are asked with a LIST of the
// exact name, never judged by the refusal's text.
func (a *Account) missing(c *imapclient.Client, name string, err error) bool {
	var ierr *imap.Error
	if !errors.As(err, &ierr) || ierr.Type != imap.StatusResponseTypeNo {
		return false
	}
	if ierr.Code == imap.ResponseCodeNonExistent || ierr.Code == imap.ResponseCodeTryCreate {
		return true
	}
	list, lerr := c.List("", name, nil).Collect()
	return lerr == nil && len(list) == 0
}

// Close logs out and closes the connection. An open reader from Open is
// aborted. Close is idempotent.
func (a *Account) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	if a.reader != nil {
		a.reader.abort()
	}
	if a.c == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), min(a.cfg.Timeout, 5*time.Second))
	defer cancel()
	stop := a.guard(ctx)
	if err := a.c.Logout().Wait(); err != nil {
		a.cfg.log.Debug("LOGOUT failed", "err", err)
	}
	stop()
	a.drop()
	a.cfg.log.Info("closed")
	return nil
}

// Key returns the item key for a UID in a folder generation:
// "UIDVALIDITY.UID".
func Key(validity uint32, uid uint32) string {
	return strconv.FormatUint(uint64(validity), 10) + "." + strconv.FormatUint(uint64(uid), 10)
}

// ParseKey splits an item key made by Key.
func ParseKey(key string) (validity uint32, uid uint32, err error) {
	v, u, ok := strings.Cut(key, ".")
	if ok {
		var vv, uu uint64
		vv, err = strconv.ParseUint(v, 10, 32)
		if err == nil {
			uu, err = strconv.ParseUint(u, 10, 32)
		}
		if err == nil && vv != 0 && uu != 0 {
			return uint32(vv), uint32(uu), nil
		}
	}
	return 0, 0, fmt.Errorf("imap: invalid item key %q (want UIDVALIDITY.UID)", key)
}

// parseValidity reads source.Folder.Validity; "" is 0 (unknown).
func parseValidity(f *source.Folder) (uint32, error) {
	if f.Validity == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(f.Validity, 10, 32)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("imap: folder %q: invalid validity %q (want the decimal UIDVALIDITY)", f.Name, f.Validity)
	}
	return uint32(v), nil
}
