package imap

import (
	"bytes"
	"encoding/base64"
	"io"
	"sort"
	"strings"
	"sync"
)

const (
	// traceMaxLine is the longest line the tracer buffers; longer lines
	// (a message body without line breaks) are written in pieces.
	traceMaxLine = 64 << 10
	// traceMinSecret is the shortest secret blanked wherever it appears.
	// Shorter ones would blank ordinary protocol text; LOGIN and
	// AUTHENTICATE lines are redacted whatever the secret's length.
	traceMinSecret = 4
	redacted       = "[redacted]"
)

// tracer writes a redacted transcript of the IMAP conversation to w. Each
// direction is split into lines, prefixed "C: " or "S: ". Client lines are
// redacted: LOGIN and AUTHENTICATE arguments, every client line of an
// authentication exchange, and any known secret wherever it appears.
//
// Errors from w are ignored: a failing trace must not break the session.
type tracer struct {
	mu      sync.Mutex
	w       io.Writer
	secrets [][]byte // longest first
	c, s    []byte   // pending partial lines
	// authTag is the tag of a LOGIN or AUTHENTICATE in progress: until the
	// server completes it, every client line belongs to it.
	authTag string
}

func newTracer(w io.Writer, secrets ...string) *tracer {
	t := &tracer{w: w}
	seen := map[string]bool{}
	for _, s := range secrets {
		if len(s) < traceMinSecret || seen[s] {
			continue
		}
		seen[s] = true
		t.secrets = append(t.secrets, []byte(s))
	}
	sort.Slice(t.secrets, func(i, j int) bool { return len(t.secrets[i]) > len(t.secrets[j]) })
	return t
}

// secretForms returns the encodings in which a secret can travel: raw, as
// an IMAP quoted string's content, and base64 (SASL).
func secretForms(secret string) []string {
	if secret == "" {
		return nil
	}
	quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(secret)
	return []string{secret, quoted, base64.StdEncoding.EncodeToString([]byte(secret))}
}

// note writes a line of the adapter's own (not protocol data).
func (t *tracer) note(s string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	_, _ = io.WriteString(t.w, "-- "+s+"\n")
}

// client records bytes the client sent.
func (t *tracer) client(p []byte) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.c = t.feed(t.c, p, "C: ", t.clientLine, false)
}

// server records bytes the server sent.
func (t *tracer) server(p []byte) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.s = t.feed(t.s, p, "S: ", t.serverLine, true)
}

// feed appends p to the pending bytes of one direction, writes every
// complete line through redact, and returns what is left pending. With split,
// a line longer than traceMaxLine is written in pieces; client lines are
// never split (the client sends no long lines, and a piece could hide half a
// secret from redaction).
func (t *tracer) feed(pending, p []byte, prefix string, redact func([]byte) []byte, split bool) []byte {
	pending = append(pending, p...)
	for {
		i := bytes.IndexByte(pending, '\n')
		if i < 0 {
			break
		}
		line := bytes.TrimRight(pending[:i], "\r")
		t.write(prefix, redact(line))
		pending = pending[i+1:]
	}
	if split && len(pending) > traceMaxLine {
		t.write(prefix, append(pending, " [line continues]"...))
		pending = pending[:0]
	}
	// Keep the pending buffer from pinning a large array.
	return append([]byte(nil), pending...)
}

func (t *tracer) write(prefix string, line []byte) {
	buf := make([]byte, 0, len(prefix)+len(line)+1)
	buf = append(buf, prefix...)
	buf = append(buf, line...)
	buf = append(buf, '\n')
	_, _ = t.w.Write(buf)
}

// clientLine redacts one line the client sent.
func (t *tracer) clientLine(line []byte) []byte {
	tag, rest, _ := strings.Cut(string(line), " ")
	cmd, args, _ := strings.Cut(rest, " ")
	switch {
	case strings.EqualFold(cmd, "LOGIN"):
		t.authTag = tag
		return []byte(tag + " " + cmd + " " + redacted)
	case strings.EqualFold(cmd, "AUTHENTICATE"):
		t.authTag = tag
		mech, ir, _ := strings.Cut(args, " ")
		out := tag + " " + cmd + " " + mech
		if ir != "" {
			out += " " + redacted
		}
		return []byte(out)
	case t.authTag != "":
		// A SASL response or the rest of a LOGIN sent as a literal.
		return []byte(redacted)
	}
	return t.blank(line)
}

// serverLine notes the end of an authentication exchange; server lines are
// not otherwise redacted.
func (t *tracer) serverLine(line []byte) []byte {
	if t.authTag != "" && bytes.HasPrefix(line, []byte(t.authTag+" ")) {
		t.authTag = ""
	}
	return line
}

// blank replaces every known secret in b.
func (t *tracer) blank(b []byte) []byte {
	for _, s := range t.secrets {
		if bytes.Contains(b, s) {
			b = bytes.ReplaceAll(b, s, []byte(redacted))
		}
	}
	return b
}
