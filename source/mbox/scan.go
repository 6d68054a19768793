package mbox

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/source"
)

// Escaping says how body lines beginning with "From " were escaped by the
// program that wrote an mbox file, and so what Open unescapes.
type Escaping string

// The escaping conventions (RFC 4155 section 2 and Appendix A; qmail's
// mbox(5) describes mboxrd).
const (
	// EscapingAuto decides per file: EscapingNone when some message line
	// begins with "From " without being a message separator (the writer
	// escapes nothing, as Thunderbird does: import-export-tools-ng#145,
	// #393), else EscapingMboxrd. It is the default ("" means it too).
	EscapingAuto Escaping = "auto"
	// EscapingMboxrd: every line matching ^>+From  loses one '>'.
	EscapingMboxrd Escaping = "mboxrd"
	// EscapingMboxo: only lines beginning ">From " lose their '>'.
	EscapingMboxo Escaping = "mboxo"
	// EscapingNone: nothing is unescaped.
	EscapingNone Escaping = "none"
)

// ParseEscaping checks an escaping name ("" is EscapingAuto).
func ParseEscaping(s string) (Escaping, error) {
	switch e := Escaping(s); e {
	case "", EscapingAuto:
		return EscapingAuto, nil
	case EscapingMboxrd, EscapingMboxo, EscapingNone:
		return e, nil
	}
	return "", fmt.Errorf("%q is not an mbox escaping; want auto, mboxrd, mboxo or none", s)
}

// Thunderbird's X-Mozilla-Status bits (comm-central mailnews/base/public
// nsMsgMessageFlags.idl: Read 0x1, Replied 0x2, Marked 0x4, Expunged 0x8,
// Forwarded 0x1000).
const (
	statusRead      = 0x1
	statusReplied   = 0x2
	statusFlagged   = 0x4
	statusExpunged  = 0x8
	statusForwarded = 0x1000
)

// stripped are the header fields that are not yielded: the writers'
// own metadata, rewritten in place whenever a flag or tag changes, so that
// keeping them would change a message's bytes (and its content identity)
// with its flags. Thunderbird's X-Mozilla-Status, X-Mozilla-Status2 and
// X-Mozilla-Keys; and the c-client fields Dovecot, UW-IMAP, mutt and
// Python's mailbox module write: X-IMAPbase, X-IMAP, X-UID, Status,
// X-Status, X-Keywords and Content-Length. Dovecot's documentation of its
// mbox format ("Dovecot's Metadata", doc.dovecot.org
// admin_manual/mailbox_formats/mbox, and the wiki page MailboxFormat.mbox
// Debian ships in dovecot-core) says "None of these headers are sent to
// IMAP/POP3 clients when they read the mail": without them, a message
// yields the bytes Dovecot serves for it over IMAP.
var stripped = [][]byte{
	[]byte("x-mozilla-status"), []byte("x-mozilla-status2"), []byte("x-mozilla-keys"),
	[]byte("x-imapbase"), []byte("x-imap"), []byte("x-uid"), []byte("status"), []byte("x-status"), []byte("x-keywords"), []byte("content-length"),
}

// message is what a scan found of one message: byte offsets into the
// file and what its header says.
type message struct {
	from  int64 // offset of the From_ line
	start int64 // first byte after the From_ line
	end   int64 // end of the content (a separating blank line excluded)
	date  time.Time
	// status is X-Mozilla-Status (hasStatus when present); keys are the
	// words of X-Mozilla-Keys.
	status    uint64
	hasStatus bool
	keys      []string
	// cstatus and xstatus are the letters of the Status and X-Status
	// fields (c-client's, as Dovecot, mutt and Python's mailbox write
	// them), xkeys the words of X-Keywords; pseudo marks c-client's
	// folder data message (an X-IMAP field), which is no message.
	cstatus, xstatus string
	xkeys            []string
	pseudo           bool
	// strip counts the bytes of the stripped header lines; rd the lines
	// matching ^>+From , o those matching ^>From .
	strip, rd, o int64
	sum          [16]byte // SHA-256 (first half) of the content, stripped lines excluded
}

// deleted reports whether the message is marked deleted but still in the
// file: Thunderbird's expunged bit (until the folder is compacted), else
// X-Status D (\Deleted, until Dovecot or mutt expunges it).
func (m *message) deleted() bool {
	if m.hasStatus {
		return m.status&statusExpunged != 0
	}
	return strings.ContainsRune(m.xstatus, 'D')
}

// listed reports whether the message is an item: neither deleted nor
// c-client's folder data message.
func (m *message) listed() bool { return !m.deleted() && !m.pseudo }

// size is the number of bytes Open yields for m under escaping e.
func (m *message) size(e Escaping) int64 {
	n := m.end - m.start - m.strip
	switch e {
	case EscapingMboxrd:
		n -= m.rd
	case EscapingMboxo:
		n -= m.o
	}
	return n
}

// flags are m's flags as IMAP names them, and its keywords. With
// X-Mozilla-Status, Thunderbird's fields give them (Thunderbird neither
// reads nor updates Status and X-Status, which may have come with the
// message); else Status R \Seen and X-Status A \Answered, F \Flagged and
// T \Draft, as Dovecot's mbox-sync-parse.c maps them (mbox_status_flags,
// mbox_xstatus_flags; O, not \Recent, and D, deleted, are no flags to
// migrate), and the words of X-Keywords.
func (m *message) flags() []string {
	var f []string
	if m.hasStatus {
		for _, b := range []struct {
			bit  uint64
			name string
		}{{statusRead, `\Seen`}, {statusReplied, `\Answered`}, {statusFlagged, `\Flagged`}, {statusForwarded, "$Forwarded"}} {
			if m.status&b.bit != 0 {
				f = append(f, b.name)
			}
		}
		return append(f, m.keys...)
	}
	if strings.ContainsRune(m.cstatus, 'R') {
		f = append(f, `\Seen`)
	}
	for _, b := range []struct {
		letter rune
		name   string
	}{{'A', `\Answered`}, {'F', `\Flagged`}, {'T', `\Draft`}} {
		if strings.ContainsRune(m.xstatus, b.letter) {
			f = append(f, b.name)
		}
	}
	return append(f, m.xkeys...)
}

// fileIndex is what one scan of a file found.
type fileIndex struct {
	size    int64
	mtime   time.Time
	msgs    []message // live and deleted, in file order
	keys    []string  // the key of each live message ("" for a deleted one)
	byKey   map[string]int
	mode    Escaping // the escaping Open applies, resolved
	garbage int64    // bytes before the first From_ line
	bare    bool     // a message line begins "From " without separating
	count   int64    // live messages
	bytes   int64    // their size
	deleted int64    // messages marked expunged
}

// maxHead bounds the part of a line that is classified; the rest of a
// longer line is streamed through without being looked at.
const maxHead = 64 << 10

// scanner is the state of one pass over a file.
type scanner struct {
	f    *os.File
	size int64
	loc  *time.Location
	idx  *fileIndex

	cur        *message
	h          hash.Hash
	inHeader   bool
	stripping  bool   // inside a stripped field (its continuation lines too)
	clen       int64  // the header's Content-Length, -1 when none
	clEnd      int64  // the end the Content-Length gives, -1 when not honoured
	pending    []byte // a blank line held back: it separates if a From_ line follows
	pendingOff int64
	prevBlank  bool
}

// scanFile reads the file once and records its messages' offsets.
func scanFile(ctx context.Context, path string, e Escaping, loc *time.Location, log *slog.Logger) (*fileIndex, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	s := &scanner{f: f, size: fi.Size(), loc: loc, idx: &fileIndex{size: fi.Size(), mtime: fi.ModTime()}, clen: -1, clEnd: -1}
	if err := s.run(ctx); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	idx := s.idx
	idx.mode = e
	if e == EscapingAuto || e == "" {
		idx.mode = EscapingMboxrd
		if idx.bare {
			idx.mode = EscapingNone
		}
	}
	idx.keys = make([]string, len(idx.msgs))
	idx.byKey = make(map[string]int, len(idx.msgs))
	seen := map[[16]byte]int{}
	for i := range idx.msgs {
		m := &idx.msgs[i]
		if m.pseudo {
			continue
		}
		if m.deleted() {
			idx.deleted++
			continue
		}
		seen[m.sum]++
		key := hex.EncodeToString(m.sum[:])
		if n := seen[m.sum]; n > 1 {
			key += "#" + strconv.Itoa(n)
		}
		idx.keys[i] = key
		idx.byKey[key] = i
		idx.count++
		idx.bytes += m.size(idx.mode)
	}
	if idx.garbage > 0 {
		log.Warn("bytes before the first From_ line ignored", "file", path, "bytes", idx.garbage)
	}
	return idx, nil
}

func (s *scanner) run(ctx context.Context) error {
	br := bufio.NewReaderSize(io.NewSectionReader(s.f, 0, s.size), maxHead)
	var pos int64
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		frag, err := br.ReadSlice('\n')
		if len(frag) == 0 {
			if err == nil || errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		off := pos
		keep := s.line(off, frag, err == nil || errors.Is(err, io.EOF))
		pos += int64(len(frag))
		for errors.Is(err, bufio.ErrBufferFull) {
			frag, err = br.ReadSlice('\n')
			if keep {
				s.h.Write(frag)
			} else if s.cur != nil && s.stripping {
				s.cur.strip += int64(len(frag))
			} else if s.cur == nil {
				s.idx.garbage += int64(len(frag))
			}
			pos += int64(len(frag))
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	s.finish(pos)
	return nil
}

// line handles the start of one line (head: its first fragment; whole:
// head is the whole line) at offset off, and reports whether its bytes
// are content to hash.
func (s *scanner) line(off int64, head []byte, whole bool) bool {
	text := trimEOL(head)
	blank := whole && len(text) == 0
	wasBlank := s.prevBlank
	s.prevBlank = blank
	if s.cur != nil && s.clEnd >= 0 && off < s.clEnd {
		// Inside a body whose Content-Length was found consistent.
		s.bodyLine(text)
		s.h.Write(head)
		return true
	}
	forced := s.clEnd >= 0 && off == s.clEnd
	s.clEnd = -1
	if date, ok := parseFromLine(text, s.loc); ok && whole {
		if s.cur == nil || wasBlank || forced || s.headerFollows(off+int64(len(head))) {
			s.finish(off)
			if date.Year() < 1971 {
				date = time.Time{} // an epoch placeholder, not a date
			}
			s.idx.msgs = append(s.idx.msgs, message{from: off, start: off + int64(len(head)), date: date})
			s.cur = &s.idx.msgs[len(s.idx.msgs)-1]
			s.h = sha256.New()
			s.inHeader, s.stripping, s.clen, s.pending = true, false, -1, nil
			return false
		}
	}
	if s.cur == nil {
		s.idx.garbage += int64(len(head))
		return false
	}
	if blank && s.inHeader {
		s.inHeader, s.stripping = false, false
		s.h.Write(head)
		s.contentLength(off + int64(len(head)))
		return true
	}
	s.flushPending()
	if blank {
		s.pending, s.pendingOff = append(s.pending[:0], head...), off
		return false
	}
	if s.inHeader {
		if s.stripping && len(text) > 0 && (text[0] == ' ' || text[0] == '\t') {
			s.cur.strip += int64(len(head))
			return false
		}
		s.stripping = false
		name, value, ok := bytes.Cut(text, []byte(":"))
		if ok && isStripped(name) {
			s.stripping = true
			s.cur.strip += int64(len(head))
			s.meta(bytes.TrimSpace(name), value)
			return false
		}
	}
	s.bodyLine(text)
	s.h.Write(head)
	return true
}

// bodyLine counts what a content line needs at Open: unescaping, and
// whether it is a bare "From " line (a writer that does not escape).
func (s *scanner) bodyLine(text []byte) {
	if bytes.HasPrefix(text, []byte("From ")) {
		s.idx.bare = true
	}
	if unescapes(text, EscapingMboxrd) {
		s.cur.rd++
	}
	if unescapes(text, EscapingMboxo) {
		s.cur.o++
	}
}

// meta records a stripped field's value.
func (s *scanner) meta(name, value []byte) {
	is := func(n string) bool { return bytes.EqualFold(name, []byte(n)) }
	switch {
	case is("X-Mozilla-Status"):
		if v, err := strconv.ParseUint(string(bytes.TrimSpace(value)), 16, 32); err == nil {
			s.cur.status, s.cur.hasStatus = v, true
		}
	case is("X-Mozilla-Keys"):
		for _, k := range bytes.Fields(value) {
			s.cur.keys = append(s.cur.keys, string(k))
		}
	case is("Status"):
		s.cur.cstatus += string(bytes.TrimSpace(value))
	case is("X-Status"):
		s.cur.xstatus += string(bytes.TrimSpace(value))
	case is("X-Keywords"):
		for _, k := range bytes.Fields(value) {
			s.cur.xkeys = append(s.cur.xkeys, string(k))
		}
	case is("X-IMAP"):
		s.cur.pseudo = true
	case is("Content-Length"):
		if n, err := strconv.ParseInt(string(bytes.TrimSpace(value)), 10, 64); err == nil && n >= 0 {
			s.clen = n
		}
	}
}

// flushPending hashes a held-back blank line: it did not separate.
func (s *scanner) flushPending() {
	if s.pending != nil {
		s.h.Write(s.pending)
		s.pending = nil
	}
}

// finish ends the current message at off, a separating blank line before
// it excluded.
func (s *scanner) finish(off int64) {
	if s.cur == nil {
		return
	}
	end := off
	if s.pending != nil {
		end = s.pendingOff
		s.pending = nil
	}
	s.cur.end = max(end, s.cur.start)
	copy(s.cur.sum[:], s.h.Sum(nil))
	s.cur = nil
}

// contentLength honours the header's Content-Length when the body it
// gives ends exactly where a From_ line (or a blank line and a From_
// line) or the end of the file is.
func (s *scanner) contentLength(body int64) {
	if s.clen < 0 {
		return
	}
	end := body + s.clen
	switch {
	case end > s.size:
		return
	case end == s.size:
		s.clEnd = end
		return
	}
	if end > body {
		var b [1]byte
		if _, err := s.f.ReadAt(b[:], end-1); err != nil || b[0] != '\n' {
			return
		}
	}
	buf := make([]byte, 1100)
	n, _ := s.f.ReadAt(buf, end)
	buf = buf[:n]
	first, rest, _ := bytes.Cut(buf, []byte("\n"))
	if len(trimEOL(append(first, '\n'))) == 0 {
		if end+int64(len(first))+1 >= s.size {
			s.clEnd = end
			return
		}
		first, _, _ = bytes.Cut(rest, []byte("\n"))
	}
	if _, ok := parseFromLine(trimEOL(append(first, '\n')), s.loc); ok {
		s.clEnd = end
	}
}

// headerFollows reports whether the line at off is a header field
// ("Name: value"): a valid From_ line without a blank line before it
// still separates then, as Thunderbird writes its folders (no blank line
// between messages: import-export-tools-ng#329 shows one).
func (s *scanner) headerFollows(off int64) bool {
	buf := make([]byte, 200)
	n, _ := s.f.ReadAt(buf, off)
	return source.IsHeaderField(buf[:n])
}

// isStripped reports whether a header field name is one not yielded.
func isStripped(name []byte) bool {
	name = bytes.TrimRight(name, " \t")
	for _, s := range stripped {
		if bytes.EqualFold(name, s) {
			return true
		}
	}
	return false
}

// unescapes reports whether a line loses its first '>' under e.
func unescapes(text []byte, e Escaping) bool {
	switch e {
	case EscapingMboxrd:
		i := 0
		for i < len(text) && text[i] == '>' {
			i++
		}
		return i > 0 && bytes.HasPrefix(text[i:], []byte("From "))
	case EscapingMboxo:
		return bytes.HasPrefix(text, []byte(">From "))
	}
	return false
}

// trimEOL returns b without its line ending (LF or CRLF).
func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}
