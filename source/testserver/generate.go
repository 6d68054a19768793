package testserver

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"
)

// MaxGeneratedAttachment bounds Generator.AttachmentSize (1 GiB).
const MaxGeneratedAttachment = 1 << 30

// Generator describes a message made at seed time instead of committed to
// the repository: a short text part and one application/octet-stream
// attachment of AttachmentSize pseudo-random bytes derived from Seed. The
// same Seed, size and date always give the same bytes, so checksums are
// reproducible, and the message is streamed, never held in memory.
type Generator struct {
	// Subject is the message's Subject header (ASCII).
	Subject string `yaml:"subject"`
	// Seed selects the attachment bytes and names the Message-ID.
	Seed string `yaml:"seed"`
	// AttachmentSize is the attachment's decoded length in bytes.
	AttachmentSize int64 `yaml:"attachment_size"`
}

func (g *Generator) validate() error {
	var errs []error
	if g.Seed == "" {
		errs = append(errs, errors.New("generate: seed is required"))
	}
	if g.AttachmentSize < 0 || g.AttachmentSize > MaxGeneratedAttachment {
		errs = append(errs, fmt.Errorf("generate: attachment_size %d is out of range 0..%d", g.AttachmentSize, MaxGeneratedAttachment))
	}
	if strings.ContainsAny(g.Subject, "\r\n") || strings.ContainsFunc(g.Subject, func(r rune) bool { return r > 126 }) {
		errs = append(errs, errors.New("generate: subject must be one line of ASCII"))
	}
	return errors.Join(errs...)
}

// AttachmentName is the file name of the generated attachment.
func (g *Generator) AttachmentName() string {
	return "generated-" + g.id() + ".bin"
}

// MessageID returns the Message-ID header value, with angle brackets.
func (g *Generator) MessageID() string {
	return "<" + g.id() + "@generated.example.test>"
}

// Attachment returns the decoded attachment bytes as a stream.
func (g *Generator) Attachment() io.Reader {
	return io.LimitReader(g.rng(), g.AttachmentSize)
}

// AttachmentSHA256 returns the SHA-256 of the decoded attachment.
func (g *Generator) AttachmentSHA256() [32]byte {
	h := sha256.New()
	_, _ = io.Copy(h, g.Attachment()) // neither side fails
	return [32]byte(h.Sum(nil))
}

func (g *Generator) id() string {
	sum := sha256.Sum256([]byte(g.Seed))
	return hex.EncodeToString(sum[:6])
}

func (g *Generator) rng() *rand.ChaCha8 {
	return rand.NewChaCha8(sha256.Sum256([]byte("migrate testserver generator\x00" + g.Seed)))
}

// head and tail return the MIME text around the base64 attachment lines.
func (g *Generator) head(date time.Time) string {
	boundary := "gen-" + g.id()
	var b strings.Builder
	fmt.Fprintf(&b, "From: Generated Sender <generator@example.test>\r\n")
	fmt.Fprintf(&b, "To: Test Recipient <recipient@example.test>\r\n")
	fmt.Fprintf(&b, "Subject: %s\r\n", g.Subject)
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: %s\r\n", g.MessageID())
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\n")
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n", boundary)
	fmt.Fprintf(&b, "\r\n")
	fmt.Fprintf(&b, "--%s\r\n", boundary)
	fmt.Fprintf(&b, "Content-Type: text/plain; charset=us-ascii\r\n")
	fmt.Fprintf(&b, "\r\n")
	fmt.Fprintf(&b, "This message carries a generated attachment of %d bytes (seed %q).\r\n", g.AttachmentSize, g.Seed)
	fmt.Fprintf(&b, "\r\n")
	fmt.Fprintf(&b, "--%s\r\n", boundary)
	fmt.Fprintf(&b, "Content-Type: application/octet-stream; name=\"%s\"\r\n", g.AttachmentName())
	fmt.Fprintf(&b, "Content-Disposition: attachment; filename=\"%s\"\r\n", g.AttachmentName())
	fmt.Fprintf(&b, "Content-Transfer-Encoding: base64\r\n")
	fmt.Fprintf(&b, "\r\n")
	return b.String()
}

func (g *Generator) tail() string {
	return "\r\n--gen-" + g.id() + "--\r\n"
}

// rawPerLine decoded bytes make one 76-character base64 line.
const rawPerLine = 57

func (g *Generator) encodedSize() int64 {
	full, rest := g.AttachmentSize/rawPerLine, g.AttachmentSize%rawPerLine
	n := full * (76 + 2)
	if rest > 0 {
		n += (rest+2)/3*4 + 2
	}
	return n
}

func (g *Generator) size(date time.Time) int64 {
	return int64(len(g.head(date))) + g.encodedSize() + int64(len(g.tail()))
}

func (g *Generator) reader(date time.Time) io.Reader {
	return io.MultiReader(
		strings.NewReader(g.head(date)),
		&base64Lines{src: g.rng(), left: g.AttachmentSize},
		strings.NewReader(g.tail()),
	)
}

// base64Lines encodes left bytes of src as base64 in CRLF-ended lines of
// 76 characters.
type base64Lines struct {
	src  io.Reader
	left int64
	raw  [rawPerLine]byte
	line [78]byte
	buf  []byte // unread part of line
}

func (b *base64Lines) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(b.buf) == 0 {
			if b.left == 0 {
				break
			}
			k := int(min(int64(rawPerLine), b.left))
			if _, err := io.ReadFull(b.src, b.raw[:k]); err != nil {
				return n, err
			}
			b.left -= int64(k)
			enc := base64.StdEncoding.EncodedLen(k)
			base64.StdEncoding.Encode(b.line[:enc], b.raw[:k])
			b.line[enc], b.line[enc+1] = '\r', '\n'
			b.buf = b.line[:enc+2]
		}
		c := copy(p[n:], b.buf)
		b.buf = b.buf[c:]
		n += c
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}
