package files

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
	"slices"
	"strings"
)

// maxRaw bounds how much of one content line (unfolded) is kept in memory
// while a file is scanned. Longer lines (a base64 PHOTO or ATTACH) are
// streamed through the block's hash and never held; only short lines can
// be BEGIN, END, UID or carry a TZID that matters.
const maxRaw = 64 << 10

// bom is the UTF-8 byte order mark some exporters write first.
var bom = []byte{0xEF, 0xBB, 0xBF}

// span is a byte range of a file.
type span struct {
	off, n int64
	// nl is true when the range ends with a line feed; Open adds CRLF
	// after one that does not (the last line of a file without a final
	// newline) before appending anything else.
	nl bool
}

// size is how many bytes the span takes in what Open yields.
func (s span) size() int64 {
	if s.nl {
		return s.n
	}
	return s.n + 2
}

// line is one content line: a physical line and its continuation lines
// (RFC 5545 3.1, RFC 6350 3.2).
type line struct {
	start, end int64
	// raw is the line's bytes, line ends included, unless long.
	raw []byte
	// text is the unfolded line without line ends, unless long.
	text string
	// long is true when the line was over maxRaw: raw and text are cut
	// and its bytes went straight to the active hash.
	long bool
	nl   bool
}

// lineSink receives a file's content lines one by one.
type lineSink interface {
	// hasher is the hash of the block being read, or nil outside one:
	// the bytes of a long line go there as they are read.
	hasher() hash.Hash
	// line handles one complete content line.
	line(l *line)
	// eof is called at the end of the file, at offset end.
	eof(end int64)
}

// scanLines reads r once, splitting it into content lines for sink. It
// holds at most one short line in memory.
func scanLines(ctx context.Context, r io.Reader, sink lineSink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var off int64
	if b, err := br.Peek(len(bom)); err == nil && bytes.Equal(b, bom) {
		br.Discard(len(bom))
		off = int64(len(bom))
	}
	var (
		cur   line
		have  bool
		raw   []byte
		text  []byte
		count int
	)
	flush := func() {
		if !have {
			return
		}
		if !cur.long {
			cur.raw, cur.text = raw, string(text)
		}
		sink.line(&cur)
		have = false
	}
	for {
		if count++; count%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		b, err := br.Peek(1)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		cont := have && (b[0] == ' ' || b[0] == '\t')
		if !cont {
			flush()
			cur, have = line{start: off}, true
			raw, text = raw[:0], text[:0]
		}
		first := true
		physText := len(text)
		for {
			chunk, err := br.ReadSlice('\n')
			off += int64(len(chunk))
			cur.end = off
			cur.nl = len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
			if !cur.long && len(raw)+len(chunk) > maxRaw {
				cur.long = true
				if h := sink.hasher(); h != nil {
					h.Write(raw)
				}
				raw, text = raw[:0], text[:0]
			}
			if cur.long {
				if h := sink.hasher(); h != nil {
					h.Write(chunk)
				}
			} else {
				raw = append(raw, chunk...)
				t := chunk
				if cont && first && len(t) > 0 {
					t = t[1:]
				}
				text = append(text, t...)
			}
			first = false
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil && err != io.EOF {
				return err
			}
			break
		}
		if !cur.long {
			end := len(text)
			for end > physText && (text[end-1] == '\n' || text[end-1] == '\r') {
				end--
			}
			text = text[:end]
		}
	}
	flush()
	sink.eof(off)
	return nil
}

// lineName returns a content line's upper-cased name and its value (after
// the first colon, trimmed), as migrate/events reads them.
func lineName(l string) (name, value string) {
	end := strings.IndexAny(l, ":;")
	if end < 0 {
		return strings.ToUpper(l), ""
	}
	name = strings.ToUpper(l[:end])
	if i := strings.IndexByte(l, ':'); i >= 0 {
		value = strings.TrimSpace(l[i+1:])
	}
	return name, value
}

// tzidParam returns the value of a TZID parameter of a content line
// (DTSTART;TZID="W. Europe Standard Time":...), or "".
func tzidParam(l string) string {
	i := strings.IndexByte(l, ';')
	if i < 0 {
		return ""
	}
	rest := l[i+1:]
	for rest != "" {
		// One parameter: name=value, value possibly quoted.
		eq := strings.IndexAny(rest, "=:;")
		if eq < 0 || rest[eq] != '=' {
			if eq >= 0 && rest[eq] == ';' {
				rest = rest[eq+1:]
				continue
			}
			return ""
		}
		name := rest[:eq]
		rest = rest[eq+1:]
		var value string
		if strings.HasPrefix(rest, `"`) {
			q := strings.IndexByte(rest[1:], '"')
			if q < 0 {
				return ""
			}
			value, rest = rest[1:1+q], rest[2+q:]
		} else {
			e := strings.IndexAny(rest, ":;")
			if e < 0 {
				return ""
			}
			value, rest = rest[:e], rest[e:]
		}
		if strings.EqualFold(strings.TrimSpace(name), "TZID") {
			return value
		}
		if rest == "" || rest[0] == ':' {
			return ""
		}
		rest = rest[1:] // ';' (or ',' of a value list, read as a separator)
	}
	return ""
}

// item is one object Open yields: the spans of the file it is made of.
type item struct {
	key string
	// parts are the file's ranges, in order; for a calendar object they
	// are wrapped in BEGIN:VCALENDAR ... END:VCALENDAR.
	parts []span
	size  int64
}

const (
	calBegin = "BEGIN:VCALENDAR\r\n"
	calEnd   = "END:VCALENDAR\r\n"
)

// block is a BEGIN...END object of a file while it is scanned.
type block struct {
	span
	uid   string
	tzids []string
	sum   [sha256.Size]byte
}

// keyer gives the keys of a file's objects: "uid:<UID>" for a UID that
// is unique in the file, else "sha256:<hex>" of the object's bytes, with
// "#2", "#3" ... for identical objects.
type keyer struct{ seen map[[sha256.Size]byte]int }

func (k *keyer) hashKey(sum [sha256.Size]byte) string {
	if k.seen == nil {
		k.seen = map[[sha256.Size]byte]int{}
	}
	k.seen[sum]++
	key := "sha256:" + hex.EncodeToString(sum[:])
	if n := k.seen[sum]; n > 1 {
		key += fmt.Sprintf("#%d", n)
	}
	return key
}

// vcardSink splits a .vcf into its BEGIN:VCARD ... END:VCARD blocks, as
// migrate/contacts.Parse does: a card without END:VCARD ends at the next
// BEGIN:VCARD or at the end of the file.
type vcardSink struct {
	cards []block
	in    bool
	cur   block
	h     hash.Hash
}

func (s *vcardSink) hasher() hash.Hash {
	if s.in {
		return s.h
	}
	return nil
}

// close ends the card at end. A card is yielded as it is, with or
// without a final newline, so its span is always marked nl.
func (s *vcardSink) close(end int64) {
	s.cur.n, s.cur.nl = end-s.cur.off, true
	s.h.Sum(s.cur.sum[:0])
	s.cards = append(s.cards, s.cur)
	s.in = false
}

func (s *vcardSink) line(l *line) {
	trimmed := strings.TrimSpace(l.text)
	if !l.long && strings.EqualFold(trimmed, "BEGIN:VCARD") {
		if s.in {
			s.close(l.start)
		}
		s.in, s.cur, s.h = true, block{span: span{off: l.start}}, sha256.New()
		s.h.Write(l.raw)
		return
	}
	if !s.in {
		return
	}
	if l.long {
		return
	}
	s.h.Write(l.raw)
	if name, value := lineName(l.text); name == "UID" && s.cur.uid == "" {
		s.cur.uid = value
	}
	if strings.EqualFold(trimmed, "END:VCARD") {
		s.close(l.end)
	}
}

func (s *vcardSink) eof(end int64) {
	if s.in {
		s.close(end)
	}
}

// items keys the cards.
func (s *vcardSink) items() []item {
	uids := map[string]int{}
	for _, c := range s.cards {
		if c.uid != "" {
			uids[c.uid]++
		}
	}
	var k keyer
	out := make([]item, 0, len(s.cards))
	for _, c := range s.cards {
		key := "uid:" + c.uid
		if c.uid == "" || uids[c.uid] > 1 {
			key = k.hashKey(c.sum)
		}
		out = append(out, item{key: key, parts: []span{c.span}, size: c.n})
	}
	return out
}

// calendarSink splits an .ics into its VEVENTs, VTIMEZONEs and calendar
// properties, as migrate/events.Parse reads them: VEVENTs inside a
// VCALENDAR, a VEVENT without END:VEVENT ending at END:VCALENDAR or at
// the end of the file.
type calendarSink struct {
	depth   int // 1 inside a VCALENDAR
	sawCal  bool
	inEvent bool
	nest    int // components open inside the VEVENT (VALARM)
	sub     int // components open at calendar level (VTIMEZONE, VTODO)
	cur     block
	h       hash.Hash
	lastNL  bool // whether the last line read ended with a line feed
	content bool // whether the file has any line that is not blank

	inZone bool
	zone   span
	zoneID string

	header []span // VERSION, PRODID, CALSCALE, METHOD: the first of each
	names  []string
	zones  map[string]span
	events []block
}

func (s *calendarSink) hasher() hash.Hash {
	if s.inEvent {
		return s.h
	}
	return nil
}

func (s *calendarSink) closeEvent(end int64, nl bool) {
	s.cur.n, s.cur.nl = end-s.cur.off, nl
	s.h.Sum(s.cur.sum[:0])
	s.events = append(s.events, s.cur)
	s.inEvent = false
}

func (s *calendarSink) line(l *line) {
	s.lastNL = l.nl
	if l.long || strings.TrimSpace(l.text) != "" {
		s.content = true
	}
	name, value := lineName(l.text)
	if l.long {
		name, value = "", ""
	}
	switch {
	case name == "BEGIN" && strings.EqualFold(value, "VCALENDAR") && s.depth == 0:
		s.depth, s.sawCal, s.sub = 1, true, 0
		return
	case name == "END" && strings.EqualFold(value, "VCALENDAR") && s.depth >= 1:
		if s.inEvent {
			s.closeEvent(l.start, true)
		}
		s.depth = 0
		return
	case s.depth == 0:
		return
	case name == "BEGIN" && strings.EqualFold(value, "VEVENT") && !s.inEvent:
		s.inEvent, s.nest, s.cur, s.h = true, 0, block{span: span{off: l.start}}, sha256.New()
		s.h.Write(l.raw)
		return
	}
	if s.inEvent {
		if l.long {
			return
		}
		s.h.Write(l.raw)
		switch name {
		case "BEGIN":
			s.nest++
		case "END":
			if strings.EqualFold(value, "VEVENT") {
				s.closeEvent(l.end, l.nl)
				return
			}
			s.nest--
		case "UID":
			if s.nest <= 0 && s.cur.uid == "" {
				s.cur.uid = value
			}
		}
		if tz := tzidParam(l.text); tz != "" && !slices.Contains(s.cur.tzids, tz) {
			s.cur.tzids = append(s.cur.tzids, tz)
		}
		return
	}
	switch name {
	case "BEGIN":
		if s.sub == 0 && strings.EqualFold(value, "VTIMEZONE") {
			s.inZone, s.zone, s.zoneID = true, span{off: l.start}, ""
		}
		s.sub++
	case "END":
		if s.sub--; s.sub <= 0 {
			s.sub = 0
			if s.inZone {
				s.inZone = false
				s.zone.n, s.zone.nl = l.end-s.zone.off, l.nl
				if _, dup := s.zones[s.zoneID]; s.zoneID != "" && !dup {
					if s.zones == nil {
						s.zones = map[string]span{}
					}
					s.zones[s.zoneID] = s.zone
				}
			}
		}
	case "TZID":
		if s.inZone && s.sub == 1 && s.zoneID == "" {
			s.zoneID = value
		}
	case "VERSION", "PRODID", "CALSCALE", "METHOD":
		if s.sub == 0 && !slices.Contains(s.names, name) {
			s.names = append(s.names, name)
			s.header = append(s.header, span{off: l.start, n: l.end - l.start, nl: l.nl})
		}
	}
}

func (s *calendarSink) eof(end int64) {
	if s.inEvent {
		s.closeEvent(end, s.lastNL)
	}
}

// items groups the VEVENTs by UID (master and RECURRENCE-ID overrides),
// in the order of each UID's first VEVENT; a VEVENT without UID is an
// object of its own.
func (s *calendarSink) items() []item {
	var (
		k     keyer
		out   []item
		byUID = map[string]int{}
	)
	for _, ev := range s.events {
		if ev.uid == "" {
			out = append(out, item{key: k.hashKey(ev.sum), parts: []span{ev.span}})
			continue
		}
		if i, ok := byUID[ev.uid]; ok {
			out[i].parts = append(out[i].parts, ev.span)
			continue
		}
		byUID[ev.uid] = len(out)
		out = append(out, item{key: "uid:" + ev.uid, parts: []span{ev.span}})
	}
	// tzids per item, from its events.
	tzOf := map[string][]string{}
	for _, ev := range s.events {
		key := "uid:" + ev.uid
		for _, tz := range ev.tzids {
			if !slices.Contains(tzOf[key], tz) {
				tzOf[key] = append(tzOf[key], tz)
			}
		}
	}
	for i := range out {
		events := out[i].parts
		var tzids []string
		if strings.HasPrefix(out[i].key, "uid:") {
			tzids = tzOf[out[i].key]
		} else {
			tzids = s.blockAt(events[0].off).tzids
		}
		var zones []span
		for _, tz := range tzids {
			if z, ok := s.zones[tz]; ok && !slices.Contains(zones, z) {
				zones = append(zones, z)
			}
		}
		slices.SortFunc(zones, func(a, b span) int { return int(min(max(a.off-b.off, -1), 1)) })
		parts := slices.Concat(s.header, zones, events)
		size := int64(len(calBegin) + len(calEnd))
		for _, p := range parts {
			size += p.size()
		}
		out[i].parts, out[i].size = parts, size
	}
	return out
}

func (s *calendarSink) blockAt(off int64) block {
	i, _ := slices.BinarySearchFunc(s.events, off, func(b block, off int64) int { return int(min(max(b.off-off, -1), 1)) })
	return s.events[i]
}

// errNoCalendar is returned (wrapped) for an .ics with content but no
// VCALENDAR.
var errNoCalendar = errors.New("no BEGIN:VCALENDAR: not an iCalendar file")
