package testserver

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// memSession is one connection to a MemIMAP: imapmemserver's session of
// the logged-in account, with the server's logins, listing and hooks.
type memSession struct {
	*imapmemserver.UserSession // nil until logged in
	s                          *MemIMAP
	a                          *memAccount // nil until logged in
	selected                   string
}

var (
	_ imapserver.SessionSASL      = (*memSession)(nil)
	_ imapserver.SessionNamespace = (*memSession)(nil)
)

func (ss *memSession) Close() error {
	if ss.UserSession != nil {
		return ss.UserSession.Close()
	}
	return nil
}

// login logs in as the account named user, the password already checked
// (or an admin's or a token's instead).
func (ss *memSession) login(user string) error {
	ss.s.mu.Lock()
	a := ss.s.accounts[user]
	ss.s.mu.Unlock()
	if a == nil {
		return imapserver.ErrAuthFailed
	}
	ss.a, ss.UserSession = a, imapmemserver.NewUserSession(a.user)
	return nil
}

func (ss *memSession) Login(username, password string) error {
	if !ss.s.loginAllowed() {
		return imapserver.ErrAuthFailed
	}
	ss.s.mu.Lock()
	a := ss.s.accounts[username]
	ss.s.mu.Unlock()
	if a == nil {
		return imapserver.ErrAuthFailed
	}
	if err := a.user.Login(username, password); err != nil {
		return err
	}
	return ss.login(username)
}

func (ss *memSession) AuthenticateMechanisms() []string {
	if ss.s.opts.Mechanisms == nil {
		return []string{"PLAIN"}
	}
	return ss.s.opts.Mechanisms
}

func (ss *memSession) Authenticate(mech string) (sasl.Server, error) {
	if !slices.Contains(ss.AuthenticateMechanisms(), mech) {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "unsupported mechanism"}
	}
	switch mech {
	case "PLAIN":
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity == "" || identity == username {
				return ss.Login(username, password)
			}
			// Master user: the admin authenticates and acts as identity.
			if !ss.s.loginAllowed() {
				return imapserver.ErrAuthFailed
			}
			admin := ss.s.opts.Admin
			if admin == nil || username != admin.Name || password != admin.Password {
				return imapserver.ErrAuthFailed
			}
			return ss.login(identity)
		}), nil
	case "XOAUTH2":
		return &xoauth2Server{ss: ss}, nil
	}
	return nil, errors.New("unsupported mechanism " + mech)
}

// xoauth2Server accepts "user=NAME\x01auth=Bearer TOKEN\x01\x01" with
// the token of MemIMAPOptions.Tokens for NAME.
type xoauth2Server struct {
	ss     *memSession
	failed bool
}

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, imapserver.ErrAuthFailed
	}
	if resp == nil {
		return []byte{}, false, nil
	}
	if !x.ss.s.loginAllowed() {
		return nil, true, imapserver.ErrAuthFailed
	}
	fields := strings.Split(string(resp), "\x01")
	if len(fields) == 4 && strings.HasPrefix(fields[0], "user=") {
		user := strings.TrimPrefix(fields[0], "user=")
		if tok, ok := x.ss.s.opts.Tokens[user]; ok && tok != "" && fields[1] == "auth=Bearer "+tok {
			return nil, true, x.ss.login(user)
		}
	}
	x.failed = true
	return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.example/"}`), false, nil
}

func (ss *memSession) Namespace() (*imap.NamespaceData, error) {
	o := ss.s.opts
	ns := &imap.NamespaceData{Personal: []imap.NamespaceDescriptor{{Prefix: o.PersonalPrefix, Delim: o.Delimiter}}}
	if o.SharedPrefix != "" {
		ns.Shared = []imap.NamespaceDescriptor{{Prefix: o.SharedPrefix, Delim: o.Delimiter}}
	}
	return ns, nil
}

func (ss *memSession) record(command string) {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.commands = append(ss.s.commands, command)
}

func (ss *memSession) Select(name string, options *imap.SelectOptions) (*imap.SelectData, error) {
	op := "SELECT"
	if options != nil && options.ReadOnly {
		op = "EXAMINE"
	}
	ss.record(op + " " + name)
	data, err := ss.UserSession.Select(name, options)
	if err == nil {
		ss.selected = name
	}
	return data, err
}

func (ss *memSession) Create(name string, options *imap.CreateOptions) error {
	var roles []imap.MailboxAttr
	if options != nil {
		roles = options.SpecialUse
	}
	return ss.s.create(ss.a, name, roles)
}

func (ss *memSession) Delete(name string) error { return ss.s.delete(ss.a, name) }

func (ss *memSession) Rename(from, to string, _ *imap.RenameOptions) error {
	return ss.s.rename(ss.a, from, to)
}

func (ss *memSession) Subscribe(name string) error { return ss.s.subscribe(ss.a, name, true) }

func (ss *memSession) Unsubscribe(name string) error { return ss.s.subscribe(ss.a, name, false) }

// List lists the account's folders, its \Noselect parents and its
// phantoms, sorted, with the server's delimiter.
func (ss *memSession) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	s, a, delim := ss.s, ss.a, ss.s.opts.Delimiter
	if len(patterns) == 0 {
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: delim})
	}
	s.mu.Lock()
	names := slices.Clone(a.names)
	for n := range a.noselect {
		names = append(names, n)
	}
	names = append(names, a.phantoms...)
	s.mu.Unlock()
	slices.Sort(names)
	for _, name := range names {
		if !slices.ContainsFunc(patterns, func(p string) bool { return imapserver.MatchList(name, delim, ref, p) }) {
			continue
		}
		s.mu.Lock()
		noselect, roles, subscribed := a.noselect[name], a.roles[name], a.subscribed[name]
		s.mu.Unlock()
		if options.SelectSubscribed && !subscribed {
			continue
		}
		data := &imap.ListData{Mailbox: name, Delim: delim}
		if noselect {
			data.Attrs = append(data.Attrs, imap.MailboxAttrNoSelect)
		}
		if subscribed {
			data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
		}
		if options.ReturnSpecialUse || s.opts.RolesUnasked {
			data.Attrs = append(data.Attrs, roles...)
		}
		if options.ReturnStatus != nil && !noselect {
			st, err := ss.UserSession.Status(name, options.ReturnStatus)
			if err != nil {
				return err
			}
			data.Status = st
		}
		if err := w.WriteList(data); err != nil {
			return err
		}
	}
	return nil
}

func (ss *memSession) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	s := ss.s
	s.mu.Lock()
	s.commands = append(s.commands, "FETCH "+numSet.String())
	hook := s.onFetch
	size, large := ss.a.large[ss.selected]
	s.mu.Unlock()
	if hook != nil {
		if err := hook(); err != nil {
			return err
		}
	}
	if large && len(options.BodySection) == 1 {
		return fetchLarge(w, numSet, options, size)
	}
	return ss.UserSession.Fetch(w, numSet, options)
}

// fetchLarge answers a body fetch for UID 1 of a folder made by AddLarge
// with LargeMessage(size), generated as it is written.
func fetchLarge(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions, size int64) error {
	if uids, ok := numSet.(imap.UIDSet); !ok || !uids.Contains(1) {
		return nil
	}
	bs := options.BodySection[0]
	off, n := int64(0), size
	if bs.Partial != nil {
		off = min(bs.Partial.Offset, size)
		n = min(bs.Partial.Size, size-off)
	}
	rw := w.CreateMessage(1)
	rw.WriteUID(1)
	wc := rw.WriteBodySection(bs, n)
	if _, err := io.Copy(wc, io.NewSectionReader(LargeMessage(size), off, n)); err != nil {
		return err
	}
	if err := wc.Close(); err != nil {
		return err
	}
	return rw.Close()
}

// LargeMessage returns a deterministic message of size bytes, generated
// as it is read: a header, then lines of 64 bytes that start with their
// own number in hex. A folder made by MemIMAP.AddLarge serves it.
func LargeMessage(size int64) io.ReaderAt { return largeMessage{size} }

type largeMessage struct{ size int64 }

const largeHeader = "From: big@example.test\r\nSubject: big\r\n\r\n"

func (b largeMessage) ReadAt(p []byte, off int64) (int, error) {
	const width = 64
	var line [width]byte
	lineNo := int64(-1)
	n := 0
	for n < len(p) && off < b.size {
		if off < int64(len(largeHeader)) {
			p[n] = largeHeader[off]
		} else {
			i := off - int64(len(largeHeader))
			if i/width != lineNo {
				lineNo = i / width
				// The line number in hex, then letters, then CRLF.
				num := strconv.AppendInt(line[:0], lineNo, 16)
				for k := len(num); k < width-2; k++ {
					line[k] = byte('a' + k%26)
				}
				line[width-2], line[width-1] = '\r', '\n'
			}
			p[n] = line[i%width]
		}
		n++
		off++
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
