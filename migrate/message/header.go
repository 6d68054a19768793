package message

import (
	"bufio"
	"bytes"
	"io"
	"net/textproto"
	"strings"
)

// field is one header field.
type field struct {
	name  string // canonical form (net/textproto.CanonicalMIMEHeaderKey)
	value string // unfolded and trimmed, UTF-8; encoded words are left as they are
}

// header is a header block read leniently: it never fails on content, only
// on errors of the underlying reader.
type header struct {
	fields  []field // only the fields this package uses (keepField)
	raw     []byte  // the field lines with CRLF endings, whole lines only, capped
	rawCut  bool    // raw lost lines to the cap
	size    int64   // bytes consumed, the blank line included
	stored  int64   // bytes of fields values kept
	cut     []string
	latin   []string // fields whose 8-bit bytes were decoded as windows-1252
	junk    int      // lines that were not header fields, skipped
	dropped int      // fields not kept because the kept ones reached 4*limit
	noBlank bool     // ended by a line that is not a header field
	mbox    bool     // an mbox "From " line was skipped
	empty   bool     // no header at all: the body starts at once
	recvd   int      // Received fields kept (top header only, at most maxReceived)
}

// maxReceived is how many Received fields of a message's top header are
// kept: the received date is the newest (topmost) one that parses, so a
// few suffice, and a long relay trace must not crowd out other fields.
const maxReceived = 20

// headerProbe is how much of a line is inspected to classify it.
const headerProbe = 1024

// keepField reports whether a field is kept in header.fields.
func keepField(name string) bool {
	switch name {
	case "From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date",
		"Message-Id", "In-Reply-To", "References", "Importance", "X-Priority",
		"Priority", "X-Msmail-Priority", "Disposition-Notification-To",
		"Return-Receipt-To", "X-Confirm-Reading-To", "Mime-Version",
		"Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
		"Content-Id", "Content-Location", "Content-Description":
		return true
	}
	return false
}

func validKeyByte(c byte) bool { return c >= 33 && c <= 126 && c != ':' }

type lineKind int

const (
	lineEnd lineKind = iota // end of input
	lineBlank
	lineCont
	lineField
	lineOther
)

// classify looks at the next line without consuming it.
func classify(br *bufio.Reader) (lineKind, []byte, error) {
	peek, err := br.Peek(headerProbe)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull && isFatal(err) {
		return lineEnd, nil, err
	}
	if len(peek) == 0 {
		return lineEnd, nil, nil
	}
	line := peek
	if i := bytes.IndexByte(peek, '\n'); i >= 0 {
		line = peek[:i+1]
	}
	if len(bytes.Trim(line, " \t\r\n")) == 0 && (line[len(line)-1] == '\n' || len(line) < headerProbe) {
		return lineBlank, line, nil
	}
	if line[0] == ' ' || line[0] == '\t' {
		return lineCont, line, nil
	}
	i := 0
	for i < len(line) && validKeyByte(line[i]) {
		i++
	}
	j := i
	for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
		j++
	}
	if i > 0 && j < len(line) && line[j] == ':' {
		return lineField, line[:i], nil
	}
	return lineOther, line, nil
}

// readLine consumes one line, through its '\n' or the end of input, writes
// all of it to tee (if not nil) and returns at most keep bytes of it, and the
// number of bytes consumed.
func readLine(br *bufio.Reader, keep int, tee io.Writer) ([]byte, int64, error) {
	var line []byte
	var n int64
	for {
		chunk, err := br.ReadSlice('\n')
		n += int64(len(chunk))
		if tee != nil && len(chunk) > 0 {
			if _, werr := tee.Write(chunk); werr != nil {
				return line, n, werr
			}
		}
		if room := keep - len(line); room > 0 {
			line = append(line, chunk[:min(room, len(chunk))]...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			err = nil
		}
		return line, n, err
	}
}

// chomp removes the line break at the end of a line.
func chomp(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// readHeader reads a header block from br, leniently:
//
//   - a line that is neither a field, a continuation nor blank ends the header
//     and starts the body (as Python's email.feedparser does), unless the line
//     after it is a header field, in which case the line is skipped as junk;
//   - with no field at all, nothing is consumed and the body starts at once;
//   - lines of any length are read; fields are capped at limit bytes each and
//     the raw copy at limit bytes in all;
//   - a first line "From " (an mbox separator) is skipped when top is true.
//
// Every byte consumed is written to tee if it is not nil.
func readHeader(br *bufio.Reader, limit int, tee io.Writer, top bool) (*header, error) {
	h := &header{}
	var cur []byte // value of the field being read
	var curName string
	curKeep, curCut := false, false
	first := true

	flushField := func() {
		if curName == "" {
			return
		}
		if curKeep {
			v, ok := headerText(cur)
			if !ok {
				h.latin = append(h.latin, curName)
			}
			v = strings.TrimSpace(strings.Map(func(r rune) rune {
				if r == '\r' || r == '\n' {
					return ' '
				}
				return r
			}, v))
			h.fields = append(h.fields, field{name: curName, value: v})
			h.stored += int64(len(v))
			if curCut {
				h.cut = append(h.cut, curName)
			}
		}
		curName, cur, curKeep, curCut = "", nil, false, false
	}
	addRaw := func(line []byte, whole bool) {
		if h.rawCut {
			return
		}
		line = chomp(line)
		if !whole || len(h.raw)+len(line)+2 > limit {
			h.rawCut = true
			return
		}
		h.raw = append(h.raw, line...)
		h.raw = append(h.raw, '\r', '\n')
	}

	for {
		kind, probe, err := classify(br)
		if err != nil {
			return h, err
		}
		if first && top && kind == lineOther && bytes.HasPrefix(probe, []byte("From ")) {
			_, n, err := readLine(br, 0, tee)
			h.size += n
			h.mbox = true
			if err != nil {
				return h, err
			}
			continue
		}
		if first && (kind == lineOther || kind == lineCont) {
			h.empty = true
			return h, nil
		}
		first = false
		switch kind {
		case lineEnd:
			flushField()
			return h, nil
		case lineBlank:
			_, n, err := readLine(br, 0, tee)
			h.size += n
			flushField()
			return h, err
		case lineOther:
			if !nextIsField(br, len(probe)) {
				flushField()
				h.noBlank = true
				return h, nil
			}
			line, n, err := readLine(br, limit, tee)
			h.size += n
			h.junk++
			addRaw(line, int64(len(line)) == n)
			if err != nil {
				return h, err
			}
			continue
		case lineField:
			flushField()
			curName = textproto.CanonicalMIMEHeaderKey(string(probe))
			curKeep = keepField(curName)
			if curName == "Received" && top && h.recvd < maxReceived {
				curKeep = true
				h.recvd++
			}
			if curKeep && h.stored >= 4*int64(limit) {
				curKeep = false
				h.dropped++
			}
		}
		// A field line or a continuation: keep its bytes.
		keep := 0
		if curKeep || !h.rawCut {
			keep = limit
		}
		line, n, err := readLine(br, keep, tee)
		h.size += n
		whole := int64(len(line)) == n
		addRaw(line, whole)
		if curKeep {
			v := chomp(line)
			if kind == lineField {
				_, v, _ = bytes.Cut(v, []byte(":"))
			}
			if room := limit - len(cur); room < len(v) || !whole {
				v = v[:min(len(v), max(room, 0))]
				curCut = true
			}
			cur = append(cur, v...)
		}
		if err != nil {
			return h, err
		}
	}
}

// nextIsField reports whether the line after the next one (which is n bytes
// long as far as the probe saw) is a header field or the blank line.
func nextIsField(br *bufio.Reader, n int) bool {
	peek, _ := br.Peek(n + headerProbe)
	if n >= len(peek) || n == 0 || peek[n-1] != '\n' {
		return false
	}
	rest := peek[n:]
	if len(rest) == 0 {
		return false
	}
	if rest[0] == '\n' || (rest[0] == '\r' && len(rest) > 1 && rest[1] == '\n') {
		return true
	}
	i := 0
	for i < len(rest) && validKeyByte(rest[i]) {
		i++
	}
	for i < len(rest) && (rest[i] == ' ' || rest[i] == '\t') {
		i++
	}
	return i > 0 && i < len(rest) && rest[i] == ':'
}

// get returns the value of the first field of that canonical name, or "".
func (h *header) get(name string) string {
	for _, f := range h.fields {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

// has reports whether a field of that canonical name is present.
func (h *header) has(name string) bool {
	for _, f := range h.fields {
		if f.name == name {
			return true
		}
	}
	return false
}

// all returns the values of all fields of that canonical name.
func (h *header) all(name string) []string {
	var vs []string
	for _, f := range h.fields {
		if f.name == name {
			vs = append(vs, f.value)
		}
	}
	return vs
}

// rawText returns the raw header as UTF-8, line by line: a line that is not
// UTF-8 is decoded as windows-1252.
func (h *header) rawText() string {
	if s, ok := headerText(h.raw); ok {
		return s
	}
	var b strings.Builder
	b.Grow(len(h.raw) + len(h.raw)/4)
	for line := range bytes.Lines(h.raw) {
		s, _ := headerText(line)
		b.WriteString(s)
	}
	return b.String()
}
