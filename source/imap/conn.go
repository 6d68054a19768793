package imap

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// wireConn is the connection handed to imapclient. It owns the deadline
// policy and the trace:
//
//   - imapclient's own deadlines (30 s per response, 5 min per literal,
//     whatever the literal's size) are ignored. Instead, while a call is in
//     progress (begin..end), each Read and Write must make progress within
//     the timeout; between calls the connection may idle indefinitely.
//   - A call must also make real progress: once the server has started
//     answering, each further timeout period must bring at least
//     minProgress bytes, so a server that drips a byte at a time just
//     under the timeout cannot hold a call forever.
//   - A response line (literals excluded) longer than maxLine fails the
//     connection: imapclient's decoder would hold it whole (several
//     times over) in memory.
//   - Bytes are traced after TLS, so the trace is readable in every mode.
type wireConn struct {
	net.Conn
	timeout time.Duration
	tr      *tracer
	// prefix is returned by Read before any byte from Conn. After a
	// STARTTLS done by hand it holds a synthetic greeting for imapclient.
	prefix []byte

	mu   sync.Mutex
	busy bool
	rerr error // the first read error, returned by every later Read

	// Progress in the current call: the start of the period being
	// measured (zero before the first byte) and the bytes in it.
	since time.Time
	got   int64

	lines lineScan
}

// minProgress is the fewest bytes a call in progress must bring per
// timeout period once the server has started answering.
const minProgress = 1 << 10

// maxLine bounds an IMAP response line, literals excluded. A UID SEARCH
// answer without ESEARCH for 500,000 messages (Microsoft's per-mailbox
// limit for its own IMAP migration) is under 5 MB.
const maxLine = 8 << 20

// errTooSlow and errLineTooLong are the reasons a hostile server's
// connection fails; they are connection failures (see isConnFailure).
var (
	errTooSlow     = errors.New("the server is too slow")
	errLineTooLong = errors.New("the server sent a response line that is too long")
)

// lineScan follows the server's byte stream to measure response lines
// without the literals they announce ("{N}" at a line's end, RFC 9051
// section 4.3), which are skipped unread.
type lineScan struct {
	n       int64    // bytes of the current line so far
	literal int64    // literal bytes still to skip
	tail    [24]byte // the current line's last bytes
	tailN   int
}

// scan accounts for p and reports a line longer than maxLine.
func (l *lineScan) scan(p []byte) error {
	for len(p) > 0 {
		if l.literal > 0 {
			k := min(int64(len(p)), l.literal)
			l.literal -= k
			p = p[k:]
			continue
		}
		i := bytes.IndexByte(p, '\n')
		seg := p
		if i >= 0 {
			seg = p[:i]
		}
		l.n += int64(len(seg))
		if l.n > maxLine {
			return fmt.Errorf("%w: over %d bytes without a line end", errLineTooLong, maxLine)
		}
		l.keep(seg)
		if i < 0 {
			return nil
		}
		l.literal = l.announced()
		l.n, l.tailN = 0, 0
		p = p[i+1:]
	}
	return nil
}

// keep remembers the last bytes of the line.
func (l *lineScan) keep(seg []byte) {
	if len(seg) >= len(l.tail) {
		l.tailN = copy(l.tail[:], seg[len(seg)-len(l.tail):])
		return
	}
	if l.tailN+len(seg) > len(l.tail) {
		drop := l.tailN + len(seg) - len(l.tail)
		copy(l.tail[:], l.tail[drop:l.tailN])
		l.tailN -= drop
	}
	l.tailN += copy(l.tail[l.tailN:], seg)
}

// announced returns the size of the literal the line just ended
// announces, 0 if none.
func (l *lineScan) announced() int64 {
	t := bytes.TrimSuffix(l.tail[:l.tailN], []byte("\r"))
	if !bytes.HasSuffix(t, []byte("}")) {
		return 0
	}
	i := bytes.LastIndexByte(t, '{')
	if i < 0 {
		return 0
	}
	digits := bytes.TrimSuffix(t[i+1:len(t)-1], []byte("+"))
	n, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// Read implements net.Conn.
func (c *wireConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	c.mu.Lock()
	if err := c.rerr; err != nil {
		c.mu.Unlock()
		return 0, err
	}
	if c.busy {
		_ = c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	}
	c.mu.Unlock()
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.tr.server(p[:n])
		if perr := c.progress(p[:n]); perr != nil {
			_ = c.Conn.Close()
			n, err = 0, perr
		}
	}
	if err != nil {
		// Sticky: imapclient's decoder probes again after an error, and
		// each probe would otherwise wait out a fresh timeout.
		c.mu.Lock()
		c.rerr = err
		c.mu.Unlock()
	}
	return n, err
}

// progress applies the line limit and, during a call, the progress rule
// to the bytes just read.
func (c *wireConn) progress(p []byte) error {
	if err := c.lines.scan(p); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.busy {
		return nil
	}
	now := time.Now()
	if c.since.IsZero() {
		c.since = now
	}
	c.got += int64(len(p))
	if d := now.Sub(c.since); d >= c.timeout {
		if c.got < minProgress {
			return fmt.Errorf("%w: %d bytes in %v, under %d bytes per timeout (%v)", errTooSlow, c.got, d.Round(time.Millisecond), minProgress, c.timeout)
		}
		c.since, c.got = now, 0
	}
	return nil
}

// Write implements net.Conn.
func (c *wireConn) Write(p []byte) (int, error) {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	// Traced before it is sent, so that the trace never shows the answer
	// first (the tracer pairs LOGIN and AUTHENTICATE with their answer).
	c.tr.client(p)
	return c.Conn.Write(p)
}

// SetDeadline is a no-op: the Account owns the deadline policy.
func (c *wireConn) SetDeadline(time.Time) error { return nil }

// SetReadDeadline is a no-op: the Account owns the deadline policy.
func (c *wireConn) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline is a no-op: the Account owns the deadline policy.
func (c *wireConn) SetWriteDeadline(time.Time) error { return nil }

// begin arms the inactivity timeout, including for a Read already waiting.
func (c *wireConn) begin() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy = true
	c.since, c.got = time.Time{}, 0
	_ = c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
}

// end disarms the inactivity timeout: the connection may idle.
func (c *wireConn) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy = false
	_ = c.Conn.SetReadDeadline(time.Time{})
}

// dial opens the TCP connection and secures it as cfg says. The result is
// ready for imapclient.New: the greeting is next (for STARTTLS, a synthetic
// one, since the real greeting was consumed before the upgrade).
func dial(ctx context.Context, cfg *config, tr *tracer) (*wireConn, string, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	d := net.Dialer{KeepAlive: 30 * time.Second}
	raw, err := d.DialContext(ctx, "tcp", cfg.addr)
	if err != nil {
		return nil, "", err
	}
	wc := &wireConn{timeout: cfg.Timeout, tr: tr}
	switch cfg.Security {
	case SecurityPlain:
		wc.Conn = raw
		tr.note("connected to " + cfg.addr + " without encryption")
		return wc, "", nil
	case SecuritySTARTTLS:
		if err := startTLS(ctx, raw, tr); err != nil {
			raw.Close()
			return nil, "", err
		}
		wc.prefix = []byte("* OK [migrate] greeting consumed before STARTTLS\r\n")
	}
	tc := tls.Client(raw, cfg.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, "", tlsHint(err)
	}
	st := tc.ConnectionState()
	version := tls.VersionName(st.Version)
	tr.note(fmt.Sprintf("connected to %s with %s (%s), %s", cfg.addr, version, tls.CipherSuiteName(st.CipherSuite), cfg.Security))
	wc.Conn = tc
	return wc, version, nil
}

// tlsHint adds the option that fixes a certificate verification failure.
func tlsHint(err error) error {
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) {
		return fmt.Errorf("TLS handshake: %w (trust the server's CA with a CA file, source.ca_file, or for tests only set source.insecure_skip_verify)", err)
	}
	return fmt.Errorf("TLS handshake: %w", err)
}

// startTLS reads the greeting and performs STARTTLS on raw, by hand rather
// than with imapclient, so that the trace sees clear text after the upgrade
// and nothing the server sent before it can be mistaken for TLS data.
func startTLS(ctx context.Context, raw net.Conn, tr *tracer) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(dl)
		defer raw.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	br := bufio.NewReaderSize(raw, 16<<10)
	readLine := func() (string, error) {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return "", fmt.Errorf("STARTTLS: reading server response: %w", err)
		}
		tr.server(line)
		return string(bytes.TrimRight(line, "\r\n")), nil
	}
	greeting, err := readLine()
	if err != nil {
		return err
	}
	switch {
	case hasPrefixFold(greeting, "* OK"):
	case hasPrefixFold(greeting, "* PREAUTH"):
		// RFC 9051 section 7.1.4: a PREAUTH greeting on a connection to be
		// upgraded is a downgrade attack.
		return fmt.Errorf("STARTTLS: server sent PREAUTH on a plaintext connection: refusing")
	default:
		return fmt.Errorf("STARTTLS: server greeting %q", greeting)
	}
	const cmd = "S1 STARTTLS\r\n"
	if _, err := raw.Write([]byte(cmd)); err != nil {
		return fmt.Errorf("STARTTLS: %w", err)
	}
	tr.client([]byte(cmd))
	for {
		line, err := readLine()
		if err != nil {
			return err
		}
		if hasPrefixFold(line, "S1 OK") {
			break
		}
		if hasPrefixFold(line, "S1 ") {
			return fmt.Errorf("STARTTLS: server refused: %q", line)
		}
		// Untagged data (CAPABILITY...) before the answer: ignore.
	}
	if br.Buffered() > 0 {
		// Bytes sent before the handshake would be taken as protected
		// (CVE-2011-0411 style command injection).
		return fmt.Errorf("STARTTLS: server sent %d unexpected bytes before the TLS handshake: refusing", br.Buffered())
	}
	return nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
