package source

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// IdentityHexLen is how many hex digits of the SHA-256 a HeaderIdentity
// keeps (128 bits).
const IdentityHexLen = 32

// HeaderIdentity identifies a message across sources and servers by its
// size and its Date and Message-ID fields, as Dovecot's POP3 migrations
// match POP mail to IMAP mail (size and a hash of Date + Message-ID):
//
//	size + ":" + hex(SHA-256(HeaderNorm(date) + "\n" + HeaderNorm(messageID)))[:32]
//
// where date and messageID are the raw field values, unfolded and trimmed
// ("" when absent), and size the item's size as the server counts it
// (IMAP RFC822.SIZE, POP3 LIST; Dovecot gives both with CRLF line
// endings). It is the key of a POP3 message on a server without UIDL
// (source/pop3's FallbackKey) and what the plan matches a POP maildrop
// against an IMAP account with. Identical copies (same size, Date and
// Message-ID) share one identity.
func HeaderIdentity(size int64, date, messageID string) string {
	sum := sha256.Sum256([]byte(HeaderNorm(date) + "\n" + HeaderNorm(messageID)))
	return strconv.FormatInt(size, 10) + ":" + hex.EncodeToString(sum[:])[:IdentityHexLen]
}

// HeaderNorm replaces every run of control characters (below 0x20, tab
// included, and 0x7f), 8-bit bytes (0x80 and above) and '?' in a header
// value with one '?', as Dovecot's header hash (version 2, lib-mail
// message-header-hash.c) does because some servers (Zimbra, Yahoo) turn
// 8-bit header characters into '?' when they send headers alone.
func HeaderNorm(v string) string {
	var b strings.Builder
	q := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c >= 0x7f || c == '?' {
			if !q {
				b.WriteByte('?')
			}
			q = true
			continue
		}
		q = false
		b.WriteByte(c)
	}
	return b.String()
}

// BodyScheme is the scheme of a BodyIdentity ("body:" and hex).
const BodyScheme = "body"

// BodyIdentity identifies one message across a server and a local store
// of the same mail, whose bytes differ in the header (a client adds or
// drops fields: X-Mozilla-*, Status, X-UID, Received...) and in line ends
// (a server sends CRLF, a store on Unix keeps LF):
//
//	"body:" + hex(SHA-256(HeaderNorm(date) "\n" HeaderNorm(messageID) "\n" bodySize "\n" hex(bodySum)))[:32]
//
// where date and messageID are the raw Date and Message-ID values,
// unfolded and trimmed, and bodySize and bodySum the size and SHA-256 of
// the body (everything after the header's empty line) with every CRLF
// made LF and the line ends at its end dropped (BodyHasher computes them).
// So two messages are one when their Date and Message-ID are equal and
// their bodies are the same bytes; never by Message-ID alone (converters
// write identical headers). A message without Message-ID is matched by
// Date and body; one with neither gets "" (not matched).
func BodyIdentity(date, messageID string, bodySize int64, bodySum []byte) string {
	date, messageID = strings.Join(strings.Fields(date), " "), strings.Join(strings.Fields(messageID), " ")
	if date == "" && messageID == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(HeaderNorm(date) + "\n" + HeaderNorm(messageID) + "\n" + strconv.FormatInt(bodySize, 10) + "\n" + hex.EncodeToString(bodySum)))
	return BodyScheme + ":" + hex.EncodeToString(sum[:])[:IdentityHexLen]
}

// maxHeaderLine bounds how much of one header line BodyHasher keeps to
// find Date and Message-ID in (longer lines are cut; the fields are short).
const maxHeaderLine = 4 << 10

// BodyHasher is an io.Writer that is fed a message's bytes as the source
// streams them and computes its BodyIdentity: it finds the Date and
// Message-ID fields in the header and hashes the body normalised as
// BodyIdentity says. Its memory is bounded whatever the message: one
// header line (4 KB), Date and Message-ID values of at most 4 KB each,
// and, for the line ends at the end of what was written so far (which
// BodyIdentity drops if nothing follows them), the hash's state from
// before them instead of the line ends themselves. The zero value is not
// ready: use NewBodyHasher.
type BodyHasher struct {
	h      hash.Hash
	size   int64
	inBody bool
	line   []byte // the header line being read
	cut    bool   // line was longer than maxHeaderLine
	field  string // the name of the field being unfolded ("date", "message-id" or "")
	date   string
	id     string
	seenD  bool
	seenID bool
	// The body's trailing line ends are hashed as they come; mark is the
	// hash state and size from before them (nil when the body written so
	// far does not end in a line end), restored by Identity. cr is a CR
	// not yet hashed, in case an LF follows (CRLF is hashed as LF).
	mark     []byte
	markSize int64
	cr       bool
}

// NewBodyHasher returns a BodyHasher at the start of a message.
func NewBodyHasher() *BodyHasher { return &BodyHasher{h: sha256.New()} }

// Write implements io.Writer; it never fails.
func (b *BodyHasher) Write(p []byte) (int, error) {
	n := len(p)
	for !b.inBody && len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			b.addLine(p)
			return n, nil
		}
		b.addLine(p[:i])
		p = p[i+1:]
		b.endLine()
	}
	if len(p) > 0 {
		b.body(p)
	}
	return n, nil
}

func (b *BodyHasher) addLine(p []byte) {
	if room := maxHeaderLine - len(b.line); room < len(p) {
		p, b.cut = p[:max(room, 0)], true
	}
	b.line = append(b.line, p...)
}

// endLine ends a header line: an empty one starts the body; a field line
// starts or continues Date or Message-ID.
func (b *BodyHasher) endLine() {
	line := strings.TrimSuffix(string(b.line), "\r")
	b.line, b.cut = b.line[:0], false
	switch {
	case line == "":
		b.inBody = true
	case line[0] == ' ' || line[0] == '\t':
		switch b.field {
		case "date":
			b.date = capped(b.date + " " + line)
		case "message-id":
			b.id = capped(b.id + " " + line)
		}
	default:
		name, value, ok := strings.Cut(line, ":")
		b.field = ""
		if !ok {
			return
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "date":
			if !b.seenD {
				b.field, b.date, b.seenD = "date", value, true
			}
		case "message-id":
			if !b.seenID {
				b.field, b.id, b.seenID = "message-id", value, true
			}
		}
	}
}

// body hashes body bytes: CRLF becomes LF; before the first line end of
// a run of them, the hash's state is kept (mark), so that Identity can
// drop the run when it ends the body.
func (b *BodyHasher) body(p []byte) {
	start := 0
	for i, c := range p {
		if c != '\r' && c != '\n' {
			continue
		}
		if start < i {
			b.text(p[start:i])
		}
		start = i + 1
		if b.mark == nil {
			b.markHere()
		}
		switch {
		case c == '\n':
			b.cr = false // a pending CR and this LF are one LF
			b.write([]byte{'\n'})
		case b.cr:
			b.write([]byte{'\r'}) // a lone CR, kept as it is
		default:
			b.cr = true
		}
	}
	if start < len(p) {
		b.text(p[start:])
	}
}

// text hashes bytes that are not line ends: the run of line ends before
// them is part of the body after all.
func (b *BodyHasher) text(p []byte) {
	if b.cr {
		b.write([]byte{'\r'})
		b.cr = false
	}
	b.mark = nil
	b.write(p)
}

// markHere keeps the hash's state and size before a run of line ends.
func (b *BodyHasher) markHere() {
	m, err := b.h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic(fmt.Sprintf("source: sha256 state: %v", err)) // crypto/sha256 always marshals
	}
	b.mark, b.markSize = m, b.size
}

func (b *BodyHasher) write(p []byte) {
	b.h.Write(p)
	b.size += int64(len(p))
}

// capped cuts a folded field value at maxHeaderLine bytes.
func capped(v string) string {
	if len(v) > maxHeaderLine {
		return v[:maxHeaderLine]
	}
	return v
}

// Identity returns the BodyIdentity of what was written ("" for a message
// with neither Date nor Message-ID).
func (b *BodyHasher) Identity() string {
	if !b.inBody && len(b.line) > 0 {
		b.endLine() // a header without a final line end, and no body
	}
	h, size := b.h, b.size
	if b.mark != nil {
		h, size = sha256.New(), b.markSize
		if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(b.mark); err != nil {
			panic(fmt.Sprintf("source: sha256 state: %v", err)) // it was marshalled by sha256
		}
	}
	return BodyIdentity(b.date, b.id, size, h.Sum(nil))
}
