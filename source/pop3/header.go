package pop3

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/textproto"

	"github.com/migrate-tool/migrate/source"
)

// maxHeaderFields bounds the bytes kept of one item's requested header
// fields (as source/imap does), so that a hostile message (a 1 MB
// Message-ID line) cannot make the Account large; the rest is read and
// dropped.
const maxHeaderFields = 16 << 10

// scanHeader reads a message's header from r up to the empty line that
// ends it (or the end of r) and keeps the fields named in want (canonical
// names), at most maxHeaderFields bytes of them in all. Each field's value
// is unfolded as net/textproto does: every line trimmed of spaces and tabs
// at both ends, the lines joined with one space. Lines of any length are
// read through a bounded buffer.
func scanHeader(r io.Reader, want map[string]bool) (textproto.MIMEHeader, error) {
	br := bufio.NewReaderSize(r, 4096)
	h := textproto.MIMEHeader{}
	kept := 0
	var name string
	var val []byte
	keep := false
	flush := func() {
		if keep {
			h[name] = append(h[name], string(val))
			kept += len(val)
		}
		keep, val = false, nil
	}
	for {
		line, err := boundedLine(br, maxHeaderFields)
		if err != nil && !errors.Is(err, io.EOF) {
			return h, err
		}
		if len(line) == 0 { // the empty line ending the header, or the end
			flush()
			return h, nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			if keep {
				if t := bytes.Trim(line, " \t"); len(t) > 0 && kept+len(val)+len(t) < maxHeaderFields {
					if len(val) > 0 {
						val = append(val, ' ')
					}
					val = append(val, t...)
				}
			}
		} else {
			flush()
			n, v, ok := bytes.Cut(line, []byte(":"))
			name = textproto.CanonicalMIMEHeaderKey(string(bytes.TrimRight(n, " \t")))
			if keep = ok && want[name] && kept < maxHeaderFields; keep {
				v = bytes.Trim(v, " \t")
				val = append([]byte(nil), v[:min(len(v), maxHeaderFields-kept)]...)
			}
		}
		if err != nil {
			flush()
			return h, nil
		}
	}
}

// boundedLine reads one line and returns it without its line ending, cut
// to limit bytes; the rest of a longer line is read and dropped. It
// returns io.EOF with the last, unterminated, line.
func boundedLine(br *bufio.Reader, limit int) ([]byte, error) {
	var b []byte
	for {
		frag, err := br.ReadSlice('\n')
		if room := limit - len(b); room > 0 {
			b = append(b, frag[:min(len(frag), room)]...)
		}
		switch {
		case err == nil:
			return bytes.TrimRight(b, "\r\n"), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		}
		return bytes.TrimRight(b, "\r\n"), err
	}
}

func canonical(fields []string) map[string]bool {
	m := make(map[string]bool, len(fields))
	for _, f := range fields {
		m[textproto.CanonicalMIMEHeaderKey(f)] = true
	}
	return m
}

// keyFields are the fields a fallback key hashes.
var keyFields = []string{"Date", "Message-Id"}

// Key schemes, as Account.KeyScheme reports them.
const (
	// KeysUIDL: keys are the server's UIDL values.
	KeysUIDL = "uidl"
	// KeysFallback: the server has no UIDL and keys are fallback keys
	// (see FallbackKey).
	KeysFallback = "size+date+message-id"
)

// fallbackHexLen is how many hex digits of the SHA-256 a fallback key
// keeps (128 bits).
const fallbackHexLen = source.IdentityHexLen

// FallbackKey is the key of a message on a server without UIDL:
//
//	"nouidl:" + source.HeaderIdentity(size, Date, Message-ID)
//
// that is "nouidl:" + size + ":" + hex(SHA-256(norm(Date) + "\n" +
// norm(Message-ID)))[:32], where size is the size LIST gives, Date and
// Message-ID are the first such fields of the header (unfolded as
// scanHeader does; "" when absent) and norm is source.HeaderNorm
// (Dovecot's normalisation of header hashes). Messages with equal size,
// Date and Message-ID get "#2", "#3"... appended in message-number order
// after the first; see Account.KeyScheme for the caveats.
func FallbackKey(size int64, date, messageID string) string {
	return "nouidl:" + source.HeaderIdentity(size, date, messageID)
}

// normHeader is FallbackKey's norm.
func normHeader(v string) string { return source.HeaderNorm(v) }
