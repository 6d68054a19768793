package mailparts

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
)

// icalMeta is what the listing needs of one iCalendar part, read line by
// line while the part streams past (RFC 5545 section 3.1: content lines,
// folded at CRLF followed by a space or tab): the VCALENDAR's METHOD and,
// over its VEVENTs, the first UID, the highest SEQUENCE, the latest
// DTSTAMP, and whether one of them is a series or single event itself
// (no RECURRENCE-ID) rather than only occurrences of a series.
type icalMeta struct {
	Method   string
	UID      string
	Sequence int
	DTStamp  string // as written: UTC basic format (RFC 5545 3.8.7.2), comparable as text
	Events   int    // VEVENTs
	Master   bool   // a VEVENT without RECURRENCE-ID
	// RecurrenceID is the first VEVENT's RECURRENCE-ID value, when it has
	// one.
	RecurrenceID string
}

// maxLine bounds how much of one unfolded content line is kept; the
// properties read here are short, and the rest of a longer line (an inline
// ATTACH) is read and dropped.
const maxLine = 8 << 10

// icalScanner is an io.Writer that parses the part's content lines as they
// are written, holding at most one line of maxLine bytes.
type icalScanner struct {
	meta    icalMeta
	line    []byte // the logical line being unfolded
	pending []byte // the physical line being read, up to its LF
	inEvent int    // nesting depth inside a VEVENT (VALARM in it...)
	depth   int
	hasRID  bool // the current VEVENT has a RECURRENCE-ID
}

// Write implements io.Writer.
func (s *icalScanner) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.addPhysical(p, false)
			return n, nil
		}
		s.addPhysical(p[:i], true)
		p = p[i+1:]
	}
	return n, nil
}

// addPhysical adds a piece of a physical line; end says the line ends.
func (s *icalScanner) addPhysical(b []byte, end bool) {
	if len(s.pending) < maxLine {
		s.pending = append(s.pending, b[:min(len(b), maxLine-len(s.pending))]...)
	}
	if !end {
		return
	}
	phys := bytes.TrimSuffix(s.pending, []byte("\r"))
	s.pending = s.pending[:0]
	if len(phys) > 0 && (phys[0] == ' ' || phys[0] == '\t') {
		if len(s.line)+len(phys)-1 > maxLine {
			return // the rest of a long line is not needed
		}
		s.line = append(s.line, phys[1:]...)
		return
	}
	s.flush()
	s.line = append(s.line[:0], phys...)
}

// Close ends the part: the last line is parsed.
func (s *icalScanner) Close() {
	if len(s.pending) > 0 {
		s.addPhysical(nil, true)
	}
	s.flush()
}

// flush parses the logical line held, if any.
func (s *icalScanner) flush() {
	if len(s.line) == 0 {
		return
	}
	name, value := contentLine(string(s.line))
	s.line = s.line[:0]
	switch name {
	case "BEGIN":
		s.depth++
		if s.inEvent > 0 {
			s.inEvent++
		} else if strings.EqualFold(value, "VEVENT") {
			s.inEvent, s.hasRID = 1, false
			s.meta.Events++
		}
		return
	case "END":
		s.depth--
		if s.inEvent > 0 {
			s.inEvent--
			if s.inEvent == 0 && !s.hasRID {
				s.meta.Master = true
			}
		}
		return
	}
	if s.inEvent == 0 {
		if name == "METHOD" && s.depth == 1 && s.meta.Method == "" {
			s.meta.Method = strings.ToUpper(strings.TrimSpace(value))
		}
		return
	}
	if s.inEvent != 1 {
		return // a property of a VALARM inside the VEVENT
	}
	switch name {
	case "UID":
		if s.meta.UID == "" {
			s.meta.UID = strings.TrimSpace(value)
		}
	case "SEQUENCE":
		if n, err := strconv.Atoi(strings.TrimSpace(value)); err == nil && n > s.meta.Sequence {
			s.meta.Sequence = n
		}
	case "DTSTAMP":
		if v := strings.TrimSpace(value); v > s.meta.DTStamp {
			s.meta.DTStamp = v
		}
	case "RECURRENCE-ID":
		s.hasRID = true
		if s.meta.Events == 1 && s.meta.RecurrenceID == "" {
			s.meta.RecurrenceID = strings.TrimSpace(value)
		}
	}
}

// contentLine splits "NAME;PARAM=x:value" into the upper-cased name and
// the value (after the first colon outside a quoted parameter value).
func contentLine(l string) (name, value string) {
	quoted := false
	nameEnd := -1
	for i := 0; i < len(l); i++ {
		switch c := l[i]; {
		case c == '"':
			quoted = !quoted
		case c == ';' && nameEnd < 0 && !quoted:
			nameEnd = i
		case c == ':' && !quoted:
			if nameEnd < 0 {
				nameEnd = i
			}
			return strings.ToUpper(strings.TrimSpace(l[:nameEnd])), l[i+1:]
		}
	}
	return "", ""
}

// scanICal reads an iCalendar stream whole and returns its metadata
// (tests, and anything that holds a part in hand).
func scanICal(r io.Reader) (icalMeta, error) {
	var s icalScanner
	_, err := io.Copy(&s, bufio.NewReader(r))
	s.Close()
	if err != nil && !errors.Is(err, io.EOF) {
		return s.meta, err
	}
	return s.meta, nil
}
