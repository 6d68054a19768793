package events

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseMap checks that no input makes Parse or Map panic or hang,
// that Parse fails only with ErrNotCalendar (the reader never fails),
// that every bad VEVENT has a reason, and that Map gives at most
// maxExpanded events per group, each ending no earlier than it starts.
// The seed corpus is testdata/*.ics, the DAV seed's calendars and
// testdata/fuzz/FuzzParseMap.
func FuzzParseMap(f *testing.F) {
	for _, pat := range []string{"testdata/*.ics", "../../testdata/pim/*.ics", "../../source/testserver/seed/dav/*/*/*.ics"} {
		files, _ := filepath.Glob(pat)
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T100000Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:b\r\nDTSTART;TZID=Nowhere:20240101T100000\r\nDTEND:19700101\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cal, err := Parse(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrNotCalendar) {
				t.Fatalf("Parse() = %v, want nil or ErrNotCalendar", err)
			}
			return
		}
		for _, b := range cal.Bad {
			if b.Err == nil {
				t.Fatalf("bad VEVENT %d without a reason", b.Index)
			}
		}
		for _, g := range cal.Groups {
			evs, _ := Map(g)
			if len(evs) > maxExpanded {
				t.Fatalf("group %q: %d events, more than %d", g.UID, len(evs), maxExpanded)
			}
			for _, ev := range evs {
				if ev.End.Before(ev.Start) {
					t.Fatalf("group %q: event ends %v before it starts %v", g.UID, ev.End, ev.Start)
				}
			}
		}
	})
}

// TestDecoderPanic: a line go-ical's decoder panics on (a parameter with
// an empty value at the end of the line) makes its VEVENT bad, with
// ErrDecoderPanic, and the other VEVENTs of the file still come back.
func TestDecoderPanic(t *testing.T) {
	in := "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:bad\r\nDTSTART:20240101T100000Z\r\nX-BROKEN;P=\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:good\r\nDTSTART:20240102T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	cal, err := Parse(bytes.NewReader([]byte(in)))
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	if len(cal.Bad) != 1 || !errors.Is(cal.Bad[0].Err, ErrDecoderPanic) || cal.Bad[0].UID != "bad" {
		t.Fatalf("Bad = %v, want the VEVENT with UID bad, ErrDecoderPanic", cal.Bad)
	}
	if len(cal.Groups) != 1 || cal.Groups[0].UID != "good" {
		t.Fatalf("Groups = %d, want the one with UID good", len(cal.Groups))
	}
}

// TestRuleIteratorPanic: a series rrule-go panics on while listing its
// occurrences (a WEEKLY rule from year 0, expanded because of its RDATE)
// loses the rule, with a note, instead of panicking; DTSTART and the
// RDATE remain.
func TestRuleIteratorPanic(t *testing.T) {
	in := "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:y0\r\nDTSTART:00000101\r\nRRULE:FREQ=WEEKLY\r\nRDATE;VALUE=DATE:00000110\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	cal, err := Parse(bytes.NewReader([]byte(in)))
	if err != nil || len(cal.Groups) != 1 {
		t.Fatalf("Parse() = %v, %v; want one group", cal, err)
	}
	evs, rep := Map(cal.Groups[0])
	dropped := false
	for _, n := range rep.Notes {
		dropped = dropped || strings.Contains(n, ErrRuleIterator.Error())
	}
	if !dropped || len(evs) != 2 {
		t.Fatalf("Map() = %d events, notes %q; want DTSTART and the RDATE, the rule dropped with %q", len(evs), rep.Notes, ErrRuleIterator)
	}
}
