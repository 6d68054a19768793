// Package events maps iCalendar (RFC 5545) files to target.Event, in the
// terms Graph's event resource can take: it parses an .ics with many
// VEVENTs one VEVENT at a time (one bad VEVENT is reported, the others
// still come back), groups them by UID into a series master and its
// RECURRENCE-ID overrides, resolves TZIDs (the file's own VTIMEZONE, then
// IANA names, then Windows names through CLDR's windowsZones table) and
// maps each group to the events to create, with a report of what was
// changed or dropped. It sends nothing and writes nothing: attendees are
// kept as information only.
//
// github.com/emersion/go-ical decodes each VEVENT; the pieces it lacks
// (in-file VTIMEZONE and Windows TZIDs, comma-separated EXDATE and RDATE
// lists, isolating one malformed VEVENT) are written here.
package events

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// Group is one event as a calendar holds it: the VEVENTs sharing a UID,
// the series (or single event) and its overrides.
type Group struct {
	// UID is the shared UID.
	UID string
	// Master is the VEVENT without RECURRENCE-ID; nil when the file holds
	// only overrides of a series kept elsewhere.
	Master *ical.Component
	// Overrides are the VEVENTs with a RECURRENCE-ID.
	Overrides []*ical.Component
	zones     *zones
}

// BadEvent is a VEVENT that could not be read: its position among the
// file's VEVENTs (from 0), its UID when it could be seen, and why.
type BadEvent struct {
	Index int
	UID   string
	Err   error
}

// Error describes the bad VEVENT.
func (b *BadEvent) Error() string {
	if b.UID != "" {
		return fmt.Sprintf("VEVENT %d (UID %q): %v", b.Index, b.UID, b.Err)
	}
	return fmt.Sprintf("VEVENT %d: %v", b.Index, b.Err)
}

// Unwrap returns the reason.
func (b *BadEvent) Unwrap() error { return b.Err }

// Calendar is what Parse read of one file.
type Calendar struct {
	// Groups are the events, in the order their first VEVENT came.
	Groups []*Group
	// Bad are the VEVENTs that could not be read.
	Bad []*BadEvent
}

// ErrNotCalendar is returned (wrapped) when the input holds no VCALENDAR.
var ErrNotCalendar = errors.New("not an iCalendar file")

// Parse reads an iCalendar file. Each VEVENT is decoded on its own, so a
// malformed one lands in Calendar.Bad with its index and UID and the
// others still come back; an error is returned only when the input
// cannot be read or is no calendar at all.
func Parse(r io.Reader) (*Calendar, error) {
	lines, err := unfold(r)
	if err != nil {
		return nil, fmt.Errorf("events: read: %w", err)
	}
	var (
		header  []string   // VCALENDAR-level content, VTIMEZONEs included
		vevents [][]string // each top-level VEVENT's lines
		cur     []string
		depth   int
		inEvent bool
		seenCal bool
	)
	for _, l := range lines {
		name, value := lineName(l)
		switch {
		case name == "BEGIN" && strings.EqualFold(value, "VCALENDAR") && depth == 0:
			seenCal = true
			depth = 1
			continue
		case name == "END" && strings.EqualFold(value, "VCALENDAR") && depth >= 1:
			if inEvent { // VEVENT never ended
				vevents = append(vevents, cur)
				cur, inEvent = nil, false
			}
			depth = 0
			continue
		case depth == 0:
			continue
		case name == "BEGIN" && strings.EqualFold(value, "VEVENT") && !inEvent:
			inEvent, cur = true, []string{l}
			continue
		}
		if inEvent {
			cur = append(cur, l)
			if name == "END" && strings.EqualFold(value, "VEVENT") {
				vevents = append(vevents, cur)
				cur, inEvent = nil, false
			}
			continue
		}
		header = append(header, l)
	}
	if inEvent {
		vevents = append(vevents, cur)
	}
	if !seenCal {
		return nil, fmt.Errorf("events: %w", ErrNotCalendar)
	}

	vtz := map[string]*ical.Component{}
	if hc, err := decode(header); err == nil {
		for _, c := range hc.Children {
			if c.Name == ical.CompTimezone {
				if id := c.Props.Get(ical.PropTimezoneID); id != nil {
					vtz[id.Value] = c
				}
			}
		}
	}
	z := newZones(vtz)

	cal := &Calendar{}
	byUID := map[string]*Group{}
	for i, ev := range vevents {
		comp, err := decodeEvent(ev, z)
		if err != nil {
			cal.Bad = append(cal.Bad, &BadEvent{Index: i, UID: rawUID(ev), Err: err})
			continue
		}
		uid := comp.Props.Get(ical.PropUID).Value
		g, ok := byUID[uid]
		if !ok {
			g = &Group{UID: uid, zones: z}
			byUID[uid] = g
			cal.Groups = append(cal.Groups, g)
		}
		if comp.Props.Get(ical.PropRecurrenceID) != nil {
			g.Overrides = append(g.Overrides, comp)
			continue
		}
		if g.Master != nil {
			cal.Bad = append(cal.Bad, &BadEvent{Index: i, UID: uid, Err: errors.New("second VEVENT with this UID and no RECURRENCE-ID")})
			continue
		}
		g.Master = comp
	}
	return cal, nil
}

// decodeEvent decodes one VEVENT's lines and checks what mapping needs.
func decodeEvent(lines []string, z *zones) (*ical.Component, error) {
	if n, v := lineName(lines[len(lines)-1]); n != "END" || !strings.EqualFold(v, "VEVENT") {
		return nil, errors.New("VEVENT not closed")
	}
	cal, err := decode(lines)
	if err != nil {
		return nil, err
	}
	if len(cal.Children) != 1 || cal.Children[0].Name != ical.CompEvent {
		return nil, errors.New("not one VEVENT")
	}
	comp := cal.Children[0]
	if p := comp.Props.Get(ical.PropUID); p == nil || p.Value == "" {
		return nil, errors.New("no UID")
	}
	if _, _, err := dateTime(comp.Props.Get(ical.PropDateTimeStart), z); err != nil {
		return nil, fmt.Errorf("DTSTART: %w", err)
	}
	for _, name := range []string{ical.PropDateTimeEnd, ical.PropRecurrenceID} {
		if p := comp.Props.Get(name); p != nil {
			if _, _, err := dateTime(p, z); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	return comp, nil
}

// ErrDecoderPanic is returned (wrapped) when go-ical panics on a
// malformed line instead of returning an error: for example a parameter
// with an empty value at the end of a line ("X;P=") indexes past the
// line in go-ical's lineDecoder.peek (found by FuzzParseMap). The
// VEVENT is reported bad like any other that does not decode.
var ErrDecoderPanic = errors.New("iCalendar decoder failed on a malformed line")

// decode wraps lines into a VCALENDAR and decodes it with go-ical.
func decode(lines []string) (_ *ical.Component, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrDecoderPanic, r)
		}
	}()
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\n")
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	cal, err := ical.NewDecoder(strings.NewReader(b.String())).Decode()
	if err != nil {
		return nil, err
	}
	return cal.Component, nil
}

// unfold reads content lines, joining folded continuations (RFC 5545 3.1).
func unfold(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var lines []string
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), "\r")
		if l == "" {
			continue
		}
		if (l[0] == ' ' || l[0] == '\t') && len(lines) > 0 {
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	return lines, sc.Err()
}

// lineName returns a content line's upper-cased name and its value.
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

// rawUID finds a UID line among raw lines, for reporting a bad VEVENT.
func rawUID(lines []string) string {
	for _, l := range lines {
		if n, v := lineName(l); n == "UID" {
			return v
		}
	}
	return ""
}

// dateTime parses a DATE or DATE-TIME property (DTSTART, DTEND,
// RECURRENCE-ID), resolving its TZID; allDay is true for a DATE.
func dateTime(p *ical.Prop, z *zones) (t time.Time, allDay bool, err error) {
	if p == nil {
		return time.Time{}, false, errors.New("missing")
	}
	ts, err := dateTimes(p, z)
	if err != nil {
		return time.Time{}, false, err
	}
	if len(ts) != 1 {
		return time.Time{}, false, fmt.Errorf("%d values, want one", len(ts))
	}
	return ts[0], isDate(p), nil
}

func isDate(p *ical.Prop) bool {
	return strings.EqualFold(p.Params.Get(ical.ParamValue), "DATE") || len(strings.TrimSpace(p.Value)) == 8
}

// dateTimes parses a property holding a comma-separated list of DATE or
// DATE-TIME values (EXDATE, RDATE) in its TZID; go-ical reads only one.
// DATE values are midnight UTC.
func dateTimes(p *ical.Prop, z *zones) ([]time.Time, error) {
	loc, err := z.location(p.Params.Get(ical.PropTimezoneID))
	if err != nil {
		return nil, err
	}
	var out []time.Time
	for _, v := range strings.Split(p.Value, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if i := strings.IndexByte(v, '/'); i >= 0 { // RDATE PERIOD: its start
			v = v[:i]
		}
		var t time.Time
		switch {
		case len(v) == 8:
			t, err = time.ParseInLocation("20060102", v, time.UTC)
		case strings.HasSuffix(v, "Z"):
			t, err = time.ParseInLocation("20060102T150405Z", v, time.UTC)
		default:
			t, err = time.ParseInLocation("20060102T150405", v, loc)
		}
		if err != nil {
			return nil, fmt.Errorf("bad date-time %q", v)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, errors.New("empty value")
	}
	return out, nil
}
