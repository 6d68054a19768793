package testserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5" //nolint:gosec // APOP (RFC 1939 section 7) is defined on MD5
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MemPOP3Options configure [StartMemPOP3]. The zero value serves plain
// POP3 with STLS offered, UIDL, TOP, USER/PASS and SASL PLAIN.
type MemPOP3Options struct {
	// Accounts are the server's accounts, each with an empty maildrop;
	// add messages with MemPOP3.Add. Required.
	Accounts []User
	// NoTLS offers no STLS; ImplicitTLS serves TLS from the first byte, as
	// on port 995, instead of offering STLS. A certificate from a
	// generated CA is written to MemPOP3.CAFile unless NoTLS.
	NoTLS, ImplicitTLS bool
	// NoUIDL answers UIDL with -ERR and leaves it out of CAPA.
	NoUIDL bool
	// NoTOP answers TOP with -ERR and leaves it out of CAPA.
	NoTOP bool
	// NoCAPA answers CAPA with -ERR, as RFC 1939-only servers do.
	NoCAPA bool
	// NoUSER refuses USER (and leaves it out of CAPA), so only SASL or
	// APOP log in.
	NoUSER bool
	// Mechanisms are the SASL mechanisms offered: nil means PLAIN, empty
	// none. Only PLAIN is implemented.
	Mechanisms []string
	// APOP puts an RFC 1939 timestamp in the greeting and accepts APOP.
	APOP bool
	// APOPRefused puts the timestamp in the greeting but refuses every
	// APOP, as a server keeping no plaintext passwords does.
	APOPRefused bool
	// AllowDelete accepts DELE and RSET as RFC 1939 says: DELE marks a
	// message in the session, and QUIT (the UPDATE state) removes the
	// marked messages; a session that ends without QUIT removes nothing.
	// Without it DELE and RSET are refused and nothing is ever changed.
	AllowDelete bool
	// OneSession refuses a login with "-ERR [IN-USE]" while another
	// session of the same account is logged in, as servers that lock the
	// maildrop do.
	OneSession bool
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
}

// MemPOP3 is an in-process POP3 server (RFC 1939, CAPA of RFC 2449, STLS
// of RFC 2595, AUTH PLAIN of RFC 5034, APOP) on 127.0.0.1 for what a real
// Dovecot cannot be made to show: no UIDL, no TOP, one session per account,
// a locked maildrop, connections dropped between commands or in the middle
// of RETR. Each session sees the maildrop as it was at login, as RFC 1939
// says; Delete removes a message behind the sessions' backs (RETR of it
// then answers -ERR, as Dovecot does). It never changes a message, and
// refuses DELE unless MemPOP3Options.AllowDelete.
type MemPOP3 struct {
	// Host is "127.0.0.1".
	Host string
	// Port is the POP3 (or, with ImplicitTLS, POP3S) port.
	Port int
	// CAFile is the PEM file of the CA that signed the server
	// certificate, "" with NoTLS.
	CAFile string

	opts   MemPOP3Options
	ln     net.Listener
	tlsCfg *tls.Config
	dir    string
	log    *slog.Logger
	wg     sync.WaitGroup
	once   sync.Once

	mu        sync.Mutex
	boxes     map[string]*memMaildrop
	conns     map[net.Conn]bool
	commands  []string
	logins    int
	locked    int   // logins still to refuse with [IN-USE]
	dropRETR  int64 // >= 0: the next RETR is cut after this many bytes
	dropAfter int   // > 0: the connection is closed before answering the n-th next command
	seq       int
}

type memMaildrop struct {
	password string
	msgs     []*memPOP3Msg
	inUse    int
}

type memPOP3Msg struct {
	uidl    string
	data    []byte
	deleted bool
}

// StartMemPOP3 starts the server on a free 127.0.0.1 port. Cancelling ctx
// stops it; call Close to stop it and clean up.
func StartMemPOP3(ctx context.Context, opts *MemPOP3Options) (_ *MemPOP3, err error) {
	if opts == nil || len(opts.Accounts) == 0 {
		return nil, errors.New("start in-memory POP3: no accounts given")
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	s := &MemPOP3{Host: "127.0.0.1", opts: *opts, log: lg.With("component", "mempop3"),
		boxes: map[string]*memMaildrop{}, conns: map[net.Conn]bool{}, dropRETR: -1}
	if s.opts.Mechanisms == nil {
		s.opts.Mechanisms = []string{"PLAIN"}
	}
	for _, u := range opts.Accounts {
		s.boxes[u.Name] = &memMaildrop{password: u.Password}
	}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if !opts.NoTLS {
		if s.dir, err = os.MkdirTemp("", "mempop3-"); err != nil {
			return nil, fmt.Errorf("start in-memory POP3: %w", err)
		}
		certs, err := writeCerts(s.dir)
		if err != nil {
			return nil, fmt.Errorf("start in-memory POP3: %w", err)
		}
		s.tlsCfg, s.CAFile = certs.serverTLSConfig(), certs.CAFile
	}
	var lc net.ListenConfig
	if s.ln, err = lc.Listen(ctx, "tcp", "127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start in-memory POP3: %w", err)
	}
	s.Port = s.ln.Addr().(*net.TCPAddr).Port
	s.wg.Add(1)
	go s.serve()
	context.AfterFunc(ctx, func() { _ = s.Close() })
	s.log.Info("in-memory POP3 ready", "addr", s.Addr())
	return s, nil
}

// Addr returns host:port of the server.
func (s *MemPOP3) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Close stops the server, closing open connections, and removes its
// certificate directory. It is safe to call more than once.
func (s *MemPOP3) Close() error {
	var err error
	s.once.Do(func() {
		if s.ln != nil {
			_ = s.ln.Close()
		}
		s.KillConnections()
		s.wg.Wait()
		if s.dir != "" {
			err = os.RemoveAll(s.dir)
		}
	})
	return err
}

// Add appends msg (stored and served byte for byte) to user's maildrop
// and returns its UIDL. Sessions already logged in do not see it.
func (s *MemPOP3) Add(user string, msg []byte) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.boxes[user]
	if !ok {
		return "", fmt.Errorf("mempop3: no account %q", user)
	}
	s.seq++
	m := &memPOP3Msg{uidl: fmt.Sprintf("u%06d", s.seq), data: bytes.Clone(msg)}
	b.msgs = append(b.msgs, m)
	return m.uidl, nil
}

// Delete removes the message with the given UIDL from user's maildrop, as
// another client's DELE and QUIT would. Sessions that listed it answer
// RETR and TOP of it with -ERR.
func (s *MemPOP3) Delete(user, uidl string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.boxes[user]
	if !ok {
		return fmt.Errorf("mempop3: no account %q", user)
	}
	for i, m := range b.msgs {
		if m.uidl == uidl {
			m.deleted = true
			b.msgs = append(b.msgs[:i:i], b.msgs[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("mempop3: account %q has no UIDL %q", user, uidl)
}

// LockLogins makes the next n logins (PASS, AUTH or APOP with the right
// credentials) fail with "-ERR [IN-USE]", as a maildrop locked by another
// session does.
func (s *MemPOP3) LockLogins(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locked = n
}

// DropNextRETR makes the next RETR send its +OK and the first n bytes of
// the message, then close the connection.
func (s *MemPOP3) DropNextRETR(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropRETR = n
}

// DropBeforeCommand closes the connection that receives the n-th next
// command (1: the next one) without answering it, as a server dropping an
// idle session does.
func (s *MemPOP3) DropBeforeCommand(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropAfter = n
}

// KillConnections closes every open connection at once.
func (s *MemPOP3) KillConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.Close()
	}
}

// Logins returns how many logins succeeded.
func (s *MemPOP3) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// Commands returns the verbs received so far, in order, of all sessions
// ("USER", "RETR", ...; never their arguments).
func (s *MemPOP3) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

func (s *MemPOP3) serve() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		if s.opts.ImplicitTLS && s.tlsCfg != nil {
			nc = tls.Server(nc, s.tlsCfg)
		}
		s.mu.Lock()
		s.conns[nc] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			ss := &memPOP3Session{s: s, nc: nc}
			ss.run()
			s.mu.Lock()
			delete(s.conns, nc)
			if ss.box != nil {
				ss.box.inUse--
			}
			s.mu.Unlock()
			_ = nc.Close()
		}()
	}
}

// memPOP3Session is one connection.
type memPOP3Session struct {
	s     *MemPOP3
	nc    net.Conn
	br    *bufio.Reader
	bw    *bufio.Writer
	stamp string // APOP timestamp
	user  string
	box   *memMaildrop
	msgs  []*memPOP3Msg // the maildrop at login
	// marked are the messages DELE marked (AllowDelete), removed at QUIT.
	marked map[*memPOP3Msg]bool
	tls    bool
}

func (ss *memPOP3Session) reply(format string, args ...any) error {
	fmt.Fprintf(ss.bw, format+"\r\n", args...)
	return ss.bw.Flush()
}

func (ss *memPOP3Session) run() {
	ss.br, ss.bw = bufio.NewReader(ss.nc), bufio.NewWriter(ss.nc)
	_ = ss.nc.SetDeadline(time.Now().Add(5 * time.Minute))
	greeting := "+OK mempop3 ready"
	if ss.s.opts.APOP || ss.s.opts.APOPRefused {
		ss.stamp = fmt.Sprintf("<%d.%d@mempop3.test>", os.Getpid(), time.Now().UnixNano())
		greeting += " " + ss.stamp
	}
	ss.tls = ss.s.opts.ImplicitTLS
	if ss.reply("%s", greeting) != nil {
		return
	}
	for {
		line, err := ss.br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		ss.s.mu.Lock()
		ss.s.commands = append(ss.s.commands, verb)
		drop := false
		if ss.s.dropAfter > 0 {
			ss.s.dropAfter--
			drop = ss.s.dropAfter == 0
		}
		ss.s.mu.Unlock()
		if drop {
			return
		}
		if !ss.command(verb, arg) {
			return
		}
	}
}

// command answers one command; false ends the session.
func (ss *memPOP3Session) command(verb, arg string) bool {
	o := &ss.s.opts
	ok := func(format string, args ...any) bool { return ss.reply("+OK "+format, args...) == nil }
	bad := func(text string) bool { return ss.reply("-ERR %s", text) == nil }
	if verb == "CAPA" {
		return ss.capa()
	}
	if ss.box == nil {
		switch verb {
		case "STLS":
			if o.NoTLS || ss.tls {
				return bad("STLS not available")
			}
			if !ok("begin TLS") {
				return false
			}
			tc := tls.Server(ss.nc, ss.s.tlsCfg)
			if tc.Handshake() != nil {
				return false
			}
			ss.nc, ss.tls = tc, true
			ss.br, ss.bw = bufio.NewReader(tc), bufio.NewWriter(tc)
			return true
		case "USER":
			if o.NoUSER {
				return bad("USER not allowed")
			}
			ss.user = arg
			return ok("send PASS")
		case "PASS":
			if ss.user == "" {
				return bad("USER first")
			}
			return ss.login(ss.user, func(pw string) bool { return pw == arg })
		case "APOP":
			name, digest, _ := strings.Cut(arg, " ")
			if !o.APOP {
				return bad("[AUTH] APOP not available")
			}
			return ss.login(name, func(pw string) bool {
				sum := md5.Sum([]byte(ss.stamp + pw)) //nolint:gosec // APOP is MD5
				return hex.EncodeToString(sum[:]) == strings.ToLower(digest)
			})
		case "AUTH":
			mech, ir, _ := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") || len(o.Mechanisms) == 0 {
				return bad("unsupported mechanism")
			}
			if ir == "" {
				if ss.reply("+ ") != nil {
					return false
				}
				l, err := ss.br.ReadString('\n')
				if err != nil {
					return false
				}
				ir = strings.TrimRight(l, "\r\n")
			}
			if ir == "*" {
				return bad("AUTH cancelled")
			}
			raw, err := base64.StdEncoding.DecodeString(ir)
			parts := strings.Split(string(raw), "\x00")
			if err != nil || len(parts) != 3 || parts[0] != "" && parts[0] != parts[1] {
				return bad("[AUTH] malformed PLAIN response")
			}
			return ss.login(parts[1], func(pw string) bool { return pw == parts[2] })
		case "QUIT":
			_ = ok("bye")
			return false
		}
		return bad("unknown command or not logged in")
	}
	switch verb {
	case "NOOP":
		return ok("")
	case "STAT":
		var n, size int
		for _, m := range ss.msgs {
			if !ss.marked[m] {
				n++
				size += len(m.data)
			}
		}
		return ok("%d %d", n, size)
	case "LIST", "UIDL":
		if verb == "UIDL" && o.NoUIDL {
			return bad("unknown command")
		}
		if arg != "" {
			m, n := ss.msg(arg)
			if m == nil {
				return bad("no such message")
			}
			if verb == "UIDL" {
				return ok("%d %s", n, m.uidl)
			}
			return ok("%d %d", n, len(m.data))
		}
		fmt.Fprintf(ss.bw, "+OK %d messages\r\n", len(ss.msgs)-len(ss.marked))
		for i, m := range ss.msgs {
			if ss.marked[m] {
				continue
			}
			if verb == "UIDL" {
				fmt.Fprintf(ss.bw, "%d %s\r\n", i+1, m.uidl)
			} else {
				fmt.Fprintf(ss.bw, "%d %d\r\n", i+1, len(m.data))
			}
		}
		return ss.reply(".") == nil
	case "RETR", "TOP":
		if verb == "TOP" && o.NoTOP {
			return bad("unknown command")
		}
		num, lines, _ := strings.Cut(arg, " ")
		m, _ := ss.msg(num)
		if m == nil {
			return bad("no such message")
		}
		ss.s.mu.Lock()
		deleted := m.deleted
		data := m.data
		cut := int64(-1)
		if verb == "RETR" {
			cut, ss.s.dropRETR = ss.s.dropRETR, -1
		}
		ss.s.mu.Unlock()
		if deleted {
			return bad("message was deleted by another session")
		}
		if verb == "TOP" {
			n, err := strconv.Atoi(lines)
			if err != nil || n < 0 {
				return bad("bad line count")
			}
			data = topLines(data, n)
		}
		wire := stuff(data)
		fmt.Fprintf(ss.bw, "+OK %d octets\r\n", len(m.data))
		if cut >= 0 {
			_, _ = ss.bw.Write(wire[:min(int(cut), len(wire))])
			_ = ss.bw.Flush()
			return false
		}
		_, _ = ss.bw.Write(wire)
		if len(data) > 0 && data[len(data)-1] != '\n' {
			ss.bw.WriteString("\r\n")
		}
		return ss.reply(".") == nil
	case "DELE", "RSET":
		if !o.AllowDelete {
			return bad("this test server changes nothing")
		}
		if verb == "RSET" {
			ss.marked = nil
			return ok("maildrop has %d messages", len(ss.msgs))
		}
		m, n := ss.msg(arg)
		if m == nil {
			return bad("no such message")
		}
		ss.s.mu.Lock()
		gone := m.deleted
		ss.s.mu.Unlock()
		if gone {
			return bad("message was deleted by another session")
		}
		if ss.marked == nil {
			ss.marked = map[*memPOP3Msg]bool{}
		}
		ss.marked[m] = true
		return ok("message %d deleted", n)
	case "QUIT":
		ss.update()
		_ = ok("bye")
		return false
	}
	return bad("unknown command")
}

// update removes the messages DELE marked from the maildrop: the UPDATE
// state of RFC 1939 section 6, entered only by QUIT.
func (ss *memPOP3Session) update() {
	if len(ss.marked) == 0 {
		return
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	kept := ss.box.msgs[:0]
	for _, m := range ss.box.msgs {
		if ss.marked[m] {
			m.deleted = true
			continue
		}
		kept = append(kept, m)
	}
	ss.box.msgs = kept
}

// capa answers CAPA (RFC 2449): the login capabilities before login, the
// others after.
func (ss *memPOP3Session) capa() bool {
	o := &ss.s.opts
	if o.NoCAPA {
		return ss.reply("-ERR unknown command") == nil
	}
	caps := []string{"PIPELINING", "RESP-CODES"}
	if !o.NoUIDL {
		caps = append(caps, "UIDL")
	}
	if !o.NoTOP {
		caps = append(caps, "TOP")
	}
	if ss.box == nil {
		if !o.NoUSER {
			caps = append(caps, "USER")
		}
		if len(o.Mechanisms) > 0 {
			caps = append(caps, "SASL "+strings.Join(o.Mechanisms, " "))
		}
		if !o.NoTLS && !ss.tls {
			caps = append(caps, "STLS")
		}
	}
	return ss.reply("+OK\r\n%s\r\n.", strings.Join(caps, "\r\n")) == nil
}

func (ss *memPOP3Session) login(name string, check func(password string) bool) bool {
	s := ss.s
	s.mu.Lock()
	b, found := s.boxes[name]
	good := found && check(b.password)
	locked := false
	if good && (s.locked > 0 || s.opts.OneSession && b.inUse > 0) {
		locked = true
		if s.locked > 0 {
			s.locked--
		}
	}
	if good && !locked {
		b.inUse++
		s.logins++
		ss.box, ss.user = b, name
		ss.msgs = append([]*memPOP3Msg(nil), b.msgs...)
	}
	s.mu.Unlock()
	switch {
	case !good:
		return ss.reply("-ERR [AUTH] authentication failed") == nil
	case locked:
		return ss.reply("-ERR [IN-USE] the maildrop is locked by another session") == nil
	}
	return ss.reply("+OK logged in") == nil
}

// msg returns the message with the session number arg, or nil (also for
// a message DELE marked).
func (ss *memPOP3Session) msg(arg string) (*memPOP3Msg, int) {
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 || n > len(ss.msgs) || ss.marked[ss.msgs[n-1]] {
		return nil, 0
	}
	return ss.msgs[n-1], n
}

// topLines returns the header, the empty line after it, and n lines of
// the body.
func topLines(data []byte, n int) []byte {
	i := 0
	for i < len(data) {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			return data
		}
		line := data[i : i+j+1]
		i += j + 1
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
		}
	}
	for ; n > 0 && i < len(data); n-- {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			return data
		}
		i += j + 1
	}
	return data[:i]
}

// stuff dot-stuffs data (RFC 1939 section 3): a line beginning with "."
// gets another.
func stuff(data []byte) []byte {
	var out bytes.Buffer
	bol := true
	for _, c := range data {
		if bol && c == '.' {
			out.WriteByte('.')
		}
		out.WriteByte(c)
		bol = c == '\n'
	}
	return out.Bytes()
}
