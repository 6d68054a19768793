package emlx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"howett.net/plist"
)

// ErrMalformed is returned by Open for a file that is not an .emlx file: its
// first line is not a byte count, or the count runs past the file's end.
var ErrMalformed = errors.New("not an Apple Mail .emlx file (no byte count line, or a count past the end of the file)")

// maxCountLine bounds the first line (the byte count, which Apple Mail pads
// with spaces).
const maxCountLine = 64

// maxTrailer bounds the XML property list read after the message: Apple
// Mail's is well under a kilobyte; a larger one is not read.
const maxTrailer = 1 << 20

// Bits of the plist's flags integer. Apple documents none of them; the
// meanings are those Jamie Zawinski worked out
// (https://www.jwz.org/blog/2005/07/emlx-flags/) and that Thunderbird's
// Apple Mail import relies on (mozilla-central,
// mailnews/import/applemail/src/nsEmlxHelperUtils.h, EmlxMetadataMask).
const (
	flagRead      = 1 << 0
	flagDeleted   = 1 << 1
	flagAnswered  = 1 << 2
	flagFlagged   = 1 << 4
	flagDraft     = 1 << 6
	flagForwarded = 1 << 8
)

// imapFlags maps the flag bits to IMAP flag names, in this order.
var imapFlags = []struct {
	bit  uint64
	name string
}{
	{flagRead, `\Seen`},
	{flagAnswered, `\Answered`},
	{flagFlagged, `\Flagged`},
	{flagDraft, `\Draft`},
	{flagForwarded, "$Forwarded"},
}

// flagNames returns the IMAP flags of an emlx flags integer.
func flagNames(flags uint64) []string {
	var out []string
	for _, f := range imapFlags {
		if flags&f.bit != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

// layout is where an .emlx file's parts are: the message is the bytes
// [start, start+length), the property list follows it up to size.
type layout struct {
	start, length, size int64
}

// trailer returns the section of the file after the message.
func (l layout) trailer() (off, n int64) { return l.start + l.length, l.size - l.start - l.length }

// readLayout reads the byte count line of an .emlx file of size bytes.
func readLayout(r io.ReaderAt, size int64) (layout, error) {
	buf := make([]byte, maxCountLine)
	n, err := r.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return layout{}, err
	}
	return parseCountLine(buf[:n], size)
}

// parseCountLine parses the first bytes of an .emlx file of size bytes: a
// decimal byte count, optionally padded with spaces, and a line end.
func parseCountLine(head []byte, size int64) (layout, error) {
	i := bytes.IndexByte(head, '\n')
	if i < 0 {
		return layout{}, ErrMalformed
	}
	count, err := strconv.ParseInt(strings.TrimSpace(string(head[:i])), 10, 64)
	if err != nil || count < 0 {
		return layout{}, ErrMalformed
	}
	l := layout{start: int64(i) + 1, length: count, size: size}
	if l.start+l.length > size {
		return layout{}, ErrMalformed
	}
	return l, nil
}

// meta is what is read of the property list after the message.
type meta struct {
	Flags        any `plist:"flags"`
	DateReceived any `plist:"date-received"`
}

// info is what the trailer says of a message.
type info struct {
	flags    uint64
	received time.Time
}

// readInfo parses the property list of the n bytes at off, with
// howett.net/plist (which reads Apple's XML plists, and binary ones).
func readInfo(r io.ReaderAt, off, n int64) (info, error) {
	if n <= 0 {
		return info{}, errors.New("no property list after the message")
	}
	if n > maxTrailer {
		return info{}, fmt.Errorf("property list of %d bytes, over the %d read", n, maxTrailer)
	}
	var m meta
	if err := plist.NewDecoder(io.NewSectionReader(r, off, n)).Decode(&m); err != nil {
		return info{}, fmt.Errorf("property list: %w", err)
	}
	var in info
	if v, ok := number(m.Flags); ok && v >= 0 {
		in.flags = uint64(v)
	}
	// date-received is seconds since 1970 (not Apple's 2001 epoch).
	if v, ok := number(m.DateReceived); ok && v > 0 && v < math.MaxInt32*4 {
		in.received = time.Unix(int64(v), 0).UTC()
	}
	return in, nil
}

// number returns a plist integer or real as a float64.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case uint64:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case string: // an OpenStep plist has strings only
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		return f, err == nil
	}
	return 0, false
}

// messageFile is one .emlx file as Items sees it.
type messageFile struct {
	path    string
	partial bool
	layout  layout
	info    info
	mtime   time.Time
	err     error // the file is not an .emlx file, or cannot be read
}

// readMessageFile reads the layout and the trailer of the file at path. An
// unreadable trailer leaves info empty and is returned as infoErr; a
// file that is no .emlx file has err set.
func readMessageFile(path string) (m messageFile, infoErr error) {
	m = messageFile{path: path, partial: isPartial(path)}
	fh, err := os.Open(path)
	if err != nil {
		m.err = err
		return m, nil
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		m.err = err
		return m, nil
	}
	m.mtime = fi.ModTime()
	if m.layout, err = readLayout(fh, fi.Size()); err != nil {
		m.err = err
		return m, nil
	}
	off, n := m.layout.trailer()
	m.info, infoErr = readInfo(fh, off, n)
	return m, infoErr
}
