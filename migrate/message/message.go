package message

import (
	"errors"
	"io"
	"sync"
	"time"
)

// Defaults of Options.
const (
	// DefaultMemoryLimit is the default of Options.MemoryLimit.
	DefaultMemoryLimit = 256 << 10
	// DefaultMaxBodyBytes is the default of Options.MaxBodyBytes.
	DefaultMaxBodyBytes = 3 << 20
	// DefaultMaxHeaderBytes is the default of Options.MaxHeaderBytes.
	DefaultMaxHeaderBytes = 64 << 10
)

// Limits that are not options: they bound the work and memory hostile input
// can cause, and are far above what real mail needs.
const (
	// MaxDepth is how deep multiparts may nest. A deeper multipart is kept
	// whole, unparsed, as an attachment. (message/rfc822 parts are attached
	// as they are, not parsed, so they do not nest.)
	MaxDepth = 20
	// MaxParts is how many MIME entities one message may have. The rest of
	// the message is kept, unparsed, as an attachment.
	MaxParts = 2000
	// MaxProblems is how many problems are listed; the last entry counts
	// the ones left out.
	MaxProblems = 100
)

// Options tunes Parse. A nil *Options, like the zero value, means defaults.
type Options struct {
	// SpoolDir is the directory for spool files; "" means os.TempDir().
	SpoolDir string
	// MemoryLimit is how many bytes of attachment content one Parse keeps
	// in memory, all attachments together; content beyond it goes to spool
	// files. 0 means DefaultMemoryLimit; a negative value spools everything.
	MemoryLimit int64
	// MaxBodyBytes is the most bytes of UTF-8 text kept in Body.Content; a
	// longer body is cut there and attached whole as body.txt or body.html.
	// It is also how much body text is kept in memory while parsing (the
	// rest is spooled). 0 means DefaultMaxBodyBytes; values below 1024 are
	// raised to 1024.
	MaxBodyBytes int64
	// MaxHeaderBytes caps RawHeader, each header field value and each part
	// header. 0 means DefaultMaxHeaderBytes; values below 1024 are raised to
	// 1024.
	MaxHeaderBytes int64
}

// Message is what Parse makes of one RFC 5322 message: the fields a Graph
// message resource is built from, with all text in UTF-8. It owns spool files
// until Close.
type Message struct {
	// Subject is the decoded Subject field, without control characters.
	Subject string
	// From is the first author in From, or nil if there is none.
	From *Address
	// Sender is the Sender field, or nil if there is none.
	Sender *Address
	// To, Cc, Bcc and ReplyTo are the recipients of those fields.
	To, Cc, Bcc, ReplyTo []Address
	// Date is the origination date from the Date field, with its offset;
	// the zero Time if the field is missing or unreadable.
	Date time.Time
	// Received is the date of the newest Received field whose date can be
	// read (the topmost one; see ReceivedDate), the zero Time if there is
	// none. A source without a received date of its own (POP3) takes the
	// message's received time from it.
	Received time.Time
	// MessageID is the Message-ID field in angle brackets, as Graph's
	// internetMessageId holds it, or "".
	MessageID string
	// InReplyTo is the first message ID of In-Reply-To, in angle brackets.
	InReplyTo string
	// References are the message IDs of References, in angle brackets.
	References []string
	// Importance is "low", "normal" or "high", from Importance, X-Priority,
	// Priority or X-MSMail-Priority (the first present wins); "normal" if
	// none is present or readable.
	Importance string
	// ReadReceiptRequested reports a Disposition-Notification-To field
	// (RFC 8098), or the older Return-Receipt-To or X-Confirm-Reading-To.
	// A migrated message must not request a receipt again; this is for the
	// report.
	ReadReceiptRequested bool
	// RawHeader is the original header block, field lines only, with CRLF
	// line ends, decoded to UTF-8 line by line (windows-1252 for lines that
	// are not UTF-8), for PR_TRANSPORT_MESSAGE_HEADERS. It is cut after the
	// last whole line within Options.MaxHeaderBytes; if it was cut, the full
	// header block is attached as original-headers.txt.
	RawHeader string
	// Body is the message text chosen as Graph's body.
	Body Body
	// Attachments are the attachments in the order they appear, followed
	// by the ones Parse adds to keep content it could not place elsewhere.
	Attachments []*Attachment
	// Size is the number of bytes read from the input.
	Size int64
	// Problems lists the defects tolerated, in human-readable form, such as
	// `part 2: unknown charset "x-foo", decoded as windows-1252`. Empty for
	// a well-formed message.
	Problems []string

	spools []*spool
	mu     sync.Mutex
	closed bool
}

// Address is a mailbox, as Graph's emailAddress holds it.
type Address struct {
	// Name is the display name, decoded; may be "".
	Name string
	// Address is the addr-spec. It is normally user@domain, but defective
	// mail can leave a bare local part; it is never empty unless Name is
	// the only thing that could be read.
	Address string
}

// Body is the text of a message, as Graph's itemBody holds it.
type Body struct {
	// ContentType is "text" or "html".
	ContentType string
	// Content is the text in UTF-8. For HTML, charset declarations in
	// <meta> tags are rewritten to utf-8.
	Content string
}

// Attachment is one attachment: a file, an inline image, an embedded message
// (.eml), or content Parse kept so that nothing is lost. Its content is in
// memory or in a spool file until Message.Close.
type Attachment struct {
	// Name is the file name, decoded from RFC 2231 or RFC 2047, without
	// directories or control characters; never empty (a name is made up).
	Name string
	// ContentType is the media type in lower case, without parameters,
	// such as "application/pdf".
	ContentType string
	// ContentID is the Content-ID without angle brackets, or "".
	ContentID string
	// Inline reports an attachment the HTML body shows through a cid: URL;
	// such an attachment has a ContentID.
	Inline bool
	// Size is the decoded size in bytes.
	Size int64
	// SHA256 is the lower-case hex SHA-256 of the decoded content.
	SHA256 string

	content *spool
	msg     *Message
}

// ErrClosed is returned by Attachment.Open after Message.Close.
var ErrClosed = errors.New("message: closed")

// Open returns a reader of the decoded content. It may be called any number
// of times, also concurrently (for retries); each reader must be closed.
func (a *Attachment) Open() (io.ReadCloser, error) {
	a.msg.mu.Lock()
	defer a.msg.mu.Unlock()
	if a.msg.closed {
		return nil, ErrClosed
	}
	rc, err := a.content.open()
	if err != nil {
		return nil, err
	}
	return rc, nil
}

// Close removes the spool files and frees the content of the attachments.
// It may be called more than once; readers already open stay readable.
func (m *Message) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	var errs []error
	for _, s := range m.spools {
		if err := s.remove(); err != nil {
			errs = append(errs, err)
		}
	}
	m.spools = nil
	return errors.Join(errs...)
}
