package mailparts

import (
	"bufio"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"path"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// maxDepth bounds how deep multiparts nest before the walk stops
// descending (a deeper multipart is passed over as one leaf).
const maxDepth = 20

// maxHeaderBytes bounds one header block (of the message or a part), as
// go-message's textproto.ReadHeader's documentation asks of its callers.
const maxHeaderBytes = 1 << 20

// leaf is one leaf part of a message: its header and its body decoded from
// its Content-Transfer-Encoding (base64, quoted-printable; others as they
// are). The charset is left as sent: a vCard 2.1 declares its own CHARSET
// per property, which the contact parser reads.
type leaf struct {
	// N numbers the message's leaf parts depth first, from 0 (a message
	// that is not multipart is leaf 0).
	N         int
	MediaType string
	Filename  string
	Header    textproto.Header
	Body      io.Reader
}

// partKind says whether a leaf is a vCard or an iCalendar part: by its
// media type (text/vcard, text/x-vcard, text/directory; text/calendar,
// application/ics), else by its file name's extension (.vcf, .vcard;
// .ics), so that an attachment sent as application/octet-stream is found.
// "" is neither.
func partKind(mediaType, filename string) string {
	switch mediaType {
	case "text/vcard", "text/x-vcard", "text/directory":
		return kindVCard
	case "text/calendar", "application/ics", "text/x-vcalendar":
		return kindICal
	}
	switch strings.ToLower(path.Ext(filename)) {
	case ".vcf", ".vcard":
		return kindVCard
	case ".ics", ".ical", ".icalendar":
		return kindICal
	}
	return ""
}

const (
	kindVCard = "vcard"
	kindICal  = "ical"
)

// errStop ends a walk early without an error.
var errStop = errors.New("stop")

// walk reads the message r and calls fn for each leaf part in order. The
// body given to fn is valid only during the call; what fn leaves unread is
// skipped. fn returning errStop ends the walk with nil, the parts after the
// current one unread. A structure that does not parse (a malformed header,
// a broken multipart) ends the walk with the error.
func walk(r io.Reader, fn func(l *leaf) error) error {
	lr := &limitReader{r: r, n: maxHeaderBytes}
	br := bufio.NewReader(lr)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return err
	}
	lr.n = -1 // the body is not limited
	n := 0
	err = walkEntity(h, br, 0, &n, fn)
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// limitReader reads at most n bytes from r, then fails, so that a header
// block without end is not read into memory; n < 0 is no limit.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return l.r.Read(p)
	}
	if l.n == 0 {
		return 0, errors.New("header block longer than 1 MiB")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

func walkEntity(h textproto.Header, body io.Reader, depth int, n *int, fn func(l *leaf) error) error {
	mt, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
	mt = strings.ToLower(mt)
	if mt == "" {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" && depth < maxDepth {
		mr := textproto.NewMultipartReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walkEntity(p.Header, p, depth+1, n, fn); err != nil {
				return err
			}
		}
	}
	l := &leaf{N: *n, MediaType: mt, Filename: filename(h, params), Header: h, Body: decode(h.Get("Content-Transfer-Encoding"), body)}
	*n++
	return fn(l)
}

// filename is a part's file name: Content-Disposition's filename, else
// Content-Type's name (RFC 2231 continuations and charsets as Go's mime
// package decodes them), without directories.
func filename(h textproto.Header, ctParams map[string]string) string {
	name := ""
	if _, dp, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil {
		name = dp["filename"]
	}
	if name == "" {
		name = ctParams["name"]
	}
	if dec, err := new(mime.WordDecoder).DecodeHeader(name); err == nil {
		name = dec
	}
	return path.Base(strings.ReplaceAll(name, `\`, "/"))
}

// decode undoes a Content-Transfer-Encoding: base64 (characters outside
// its alphabet ignored, as RFC 2045 section 6.8 asks) and
// quoted-printable; 7bit, 8bit, binary and unknown encodings are read as
// they are.
func decode(enc string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Filter{r: r})
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// base64Filter drops every byte outside the base64 alphabet and '='.
type base64Filter struct{ r io.Reader }

func (f *base64Filter) Read(p []byte) (int, error) {
	for {
		n, err := f.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' {
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}
