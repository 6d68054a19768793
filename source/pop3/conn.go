package pop3

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// idleConn gives every Read and Write its own deadline, Timeout from now:
// an inactivity limit. POP3 is client-driven, so no Read is pending between
// calls and an idle session never times out on our side.
type idleConn struct {
	net.Conn
	timeout time.Duration
}

// Read implements net.Conn.
func (c *idleConn) Read(p []byte) (int, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(p)
}

// Write implements net.Conn.
func (c *idleConn) Write(p []byte) (int, error) {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(p)
}

// conn is one POP3 session's connection.
type conn struct {
	nc  net.Conn // the raw or TLS connection
	br  *bufio.Reader
	bw  *bufio.Writer
	tls string // TLS version in use, "" without TLS
	// greeting is the text of the server's +OK greeting.
	greeting string
	// caps is what CAPA listed (RFC 2449), tag (upper case) to
	// parameters; nil when the server has no CAPA.
	caps map[string]string
}

// capa sends CAPA and keeps what it lists in c.caps; a server without
// CAPA (-ERR) leaves c.caps nil.
func (c *conn) capa(ctx context.Context) error {
	caps := map[string]string{}
	err := c.lines(ctx, "CAPA", func(l string) error {
		tag, params, _ := strings.Cut(strings.TrimSpace(l), " ")
		caps[strings.ToUpper(tag)] = strings.TrimSpace(params)
		return nil
	})
	var re *respError
	switch {
	case errors.As(err, &re):
		c.caps = nil
		return nil
	case err != nil:
		return err
	}
	c.caps = caps
	return nil
}

// has reports whether CAPA listed tag; known is false when the server has
// no CAPA, so nothing can be told.
func (c *conn) has(tag string) (has, known bool) {
	if c.caps == nil {
		return false, false
	}
	_, ok := c.caps[tag]
	return ok, true
}

// sasl reports whether CAPA's SASL line lists mech.
func (c *conn) sasl(mech string) bool {
	for _, m := range strings.Fields(c.caps["SASL"]) {
		if strings.EqualFold(m, mech) {
			return true
		}
	}
	return false
}

// maxLine bounds a status or listing line (RFC 2449 allows 512 octets for
// a status line; leave room for odd servers).
const maxLine = 64 << 10

func newConn(nc net.Conn, timeout time.Duration) *conn {
	ic := &idleConn{Conn: nc, timeout: timeout}
	return &conn{nc: nc, br: bufio.NewReaderSize(ic, 32<<10), bw: bufio.NewWriter(ic)}
}

// watch makes the connection fail at once when ctx is done, until the
// returned stop is called.
func (c *conn) watch(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
}

// line reads one line without its line ending.
func (c *conn) line() (string, error) {
	var b []byte
	for {
		frag, err := c.br.ReadSlice('\n')
		b = append(b, frag...)
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
		if len(b) > maxLine {
			return "", fmt.Errorf("server line longer than %d bytes", maxLine)
		}
	}
	return string(bytes.TrimRight(b, "\r\n")), nil
}

// status reads a status line: the text after "+OK", or a *respError.
func (c *conn) status(verb string) (string, error) {
	l, err := c.line()
	if err != nil {
		return "", fmt.Errorf("%s: reading the answer: %w", verb, err)
	}
	switch {
	case l == "+OK" || strings.HasPrefix(l, "+OK "):
		return strings.TrimPrefix(strings.TrimPrefix(l, "+OK"), " "), nil
	case l == "-ERR" || strings.HasPrefix(l, "-ERR "):
		return "", &respError{cmd: verb, text: strings.TrimPrefix(strings.TrimPrefix(l, "-ERR"), " ")}
	}
	return "", fmt.Errorf("%s: unexpected answer %q", verb, truncate(l))
}

// cmd sends one command line and reads its status line. The verb alone is
// used in errors, so arguments (a password) never appear in them.
func (c *conn) cmd(ctx context.Context, line string) (string, error) {
	stop := c.watch(ctx)
	defer stop()
	verb, _, _ := strings.Cut(line, " ")
	if err := c.send(line); err != nil {
		return "", fmt.Errorf("%s: %w", verb, err)
	}
	return c.status(verb)
}

// send writes one line and CRLF. Its error never holds the line.
func (c *conn) send(line string) error {
	if _, err := c.bw.WriteString(line + "\r\n"); err != nil {
		return err
	}
	return c.bw.Flush()
}

// lines sends a command whose answer is multi-line and calls fn for each
// dot-unstuffed line of it. After an error from fn the rest of the answer
// is still read, so the session stays usable.
func (c *conn) lines(ctx context.Context, line string, fn func(string) error) error {
	if _, err := c.cmd(ctx, line); err != nil {
		return err
	}
	stop := c.watch(ctx)
	defer stop()
	var ferr error
	for {
		l, err := c.line()
		if err != nil {
			return fmt.Errorf("%s: reading the listing: %w", line, err)
		}
		if l == "." {
			return ferr
		}
		l = strings.TrimPrefix(l, ".")
		if ferr == nil {
			ferr = fn(l)
		}
	}
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// dial opens the connection, secures it as cfg says and reads the
// greeting. For STLS the greeting is read, and CAPA and STLS sent, in
// plaintext before the handshake.
func dial(ctx context.Context, cfg *config) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	d := net.Dialer{KeepAlive: 30 * time.Second}
	raw, err := d.DialContext(ctx, "tcp", cfg.addr)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*conn, error) {
		raw.Close()
		return nil, err
	}
	c := newConn(raw, cfg.Timeout)
	if cfg.Security == SecurityTLS {
		if c, err = handshake(ctx, raw, cfg); err != nil {
			return fail(err)
		}
	}
	stop := c.watch(ctx)
	greeting, err := c.status("greeting")
	stop()
	if err != nil {
		return fail(err)
	}
	if cfg.Security == SecuritySTARTTLS {
		if _, err := c.cmd(ctx, "STLS"); err != nil {
			return fail(fmt.Errorf("STLS refused: %w", err))
		}
		if n := c.br.Buffered(); n > 0 {
			// Bytes sent before the handshake would be taken as protected
			// (CVE-2011-0411 style command injection).
			return fail(fmt.Errorf("STLS: server sent %d unexpected bytes before the TLS handshake: refusing", n))
		}
		if c, err = handshake(ctx, raw, cfg); err != nil {
			return fail(err)
		}
	}
	c.greeting = greeting
	if err := c.capa(ctx); err != nil {
		return fail(err)
	}
	return c, nil
}

// handshake runs the TLS handshake on raw and returns the connection over it.
func handshake(ctx context.Context, raw net.Conn, cfg *config) (*conn, error) {
	tc := tls.Client(raw, cfg.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		var verr *tls.CertificateVerificationError
		if errors.As(err, &verr) {
			return nil, fmt.Errorf("TLS handshake: %w (trust the server's CA with a CA file, source.ca_file, or for tests only set source.insecure_skip_verify)", err)
		}
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	c := newConn(tc, cfg.Timeout)
	c.tls = tls.VersionName(tc.ConnectionState().Version)
	return c, nil
}

// dotReader streams a multi-line answer (RFC 1939 section 3) dot-unstuffed,
// up to and without its terminating ".CRLF" line, keeping every other byte,
// line endings included, as the server sent it. It reads from the bufio
// buffer and holds no more than that buffer, whatever the line lengths.
type dotReader struct {
	br   *bufio.Reader
	bol  bool // at the beginning of a line
	done bool // the terminator was read
}

func newDotReader(br *bufio.Reader) *dotReader { return &dotReader{br: br, bol: true} }

// Read implements io.Reader. It returns io.EOF after the terminator, and
// io.ErrUnexpectedEOF when the connection ends before it.
func (d *dotReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && !d.done {
		if n > 0 && d.br.Buffered() == 0 {
			break // return what we have rather than block
		}
		if d.bol {
			b, err := d.br.Peek(1)
			if err != nil {
				return n, unexpected(err)
			}
			if b[0] == '.' {
				b, err := d.br.Peek(3)
				switch {
				case len(b) >= 2 && b[1] == '\n': // ".LF": a lenient terminator
					_, _ = d.br.Discard(2)
					d.done = true
				case len(b) == 3 && b[1] == '\r' && b[2] == '\n':
					_, _ = d.br.Discard(3)
					d.done = true
				case len(b) < 3 && err != nil:
					return n, unexpected(err)
				}
				if d.done {
					break
				}
				_, _ = d.br.Discard(1) // the stuffed dot
			}
			d.bol = false
		}
		if d.br.Buffered() == 0 {
			if _, err := d.br.Peek(1); err != nil {
				return n, unexpected(err)
			}
		}
		buf, _ := d.br.Peek(min(d.br.Buffered(), len(p)-n))
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[:i+1]
			d.bol = true
		}
		n += copy(p[n:], buf)
		_, _ = d.br.Discard(len(buf))
	}
	if d.done && n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// addedEOLReader undoes the line ending a server adds to a message that
// does not end with one: RFC 1939 section 3 puts the terminating "." on a
// line of its own, so Dovecot (and others) send "last line\r\n." for a
// message ending in "last line", one CRLF more than LIST's size. When
// what arrives exceeds size by exactly a final CRLF (or LF), that is
// dropped, so Open streams the message as stored, in the size listed.
// Bytes past size are held back (two at most) until the end; with size
// < 0 (unknown) or more than two bytes past it everything passes.
type addedEOLReader struct {
	r    io.Reader
	size int64
	pos  int64  // bytes read from r
	hold []byte // bytes past size, not given out yet
	out  []byte // held bytes to give out
	pass bool   // more than two bytes past size: pass everything
	eof  bool
}

// Read implements io.Reader.
func (a *addedEOLReader) Read(p []byte) (int, error) {
	if len(a.out) > 0 {
		n := copy(p, a.out)
		a.out = a.out[n:]
		return n, nil
	}
	if a.eof {
		return 0, io.EOF
	}
	n, err := a.r.Read(p)
	if a.size >= 0 && !a.pass {
		start := a.pos
		a.pos += int64(n)
		if a.pos > a.size {
			keep := int(max(0, a.size-start))
			a.hold = append(a.hold, p[keep:n]...)
			n = keep
			if len(a.hold) > 2 {
				a.out, a.hold, a.pass = a.hold, nil, true
			}
		}
	}
	if errors.Is(err, io.EOF) {
		if h := string(a.hold); h != "\r\n" && h != "\n" {
			a.out = append(a.out, a.hold...)
		}
		a.hold, a.eof = nil, true
		if len(a.out) > 0 || n > 0 {
			return n, nil
		}
		return 0, io.EOF
	}
	return n, err
}
