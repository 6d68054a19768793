package imap

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
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
