package events

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/migrate-tool/migrate/target"
)

func parseFile(t *testing.T, name string) *Calendar {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cal, err := Parse(f)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return cal
}

// mapUID maps the group with uid and returns its events and report.
func mapUID(t *testing.T, cal *Calendar, uid string) ([]target.Event, Report) {
	t.Helper()
	for _, g := range cal.Groups {
		if g.UID == uid {
			return Map(g)
		}
	}
	t.Fatalf("no group %q", uid)
	return nil, Report{}
}

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestMap(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cmpTimes := cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })
	fifteen := 15 * time.Minute
	tests := []struct {
		name, file, uid string
		want            []target.Event
		notes           []string // substrings the report must hold
		expanded        int      // Report.Expanded
	}{{
		name: "weekly series across DST, one moved and one cancelled",
		file: "dst-weekly.ics", uid: "weekly-dst@example.org",
		want: []target.Event{{
			UID: "weekly-dst@example.org", Subject: "Team meeting", Location: "Room 1",
			Body: "Weekly sync\n\n-- Participants in the original calendar (not invited by the migration) --\n" +
				"Organizer: Alice <alice@example.org>\nAttendee: Bob <bob@example.org> (accepted)\n" +
				"Attendee: Carol <carol@example.org> (declined, optional)",
			Start: utc("2025-03-17T09:00:00Z"), End: utc("2025-03-17T10:00:00Z"),
			TimeZone: "W. Europe Standard Time", ShowAs: "free", Private: true,
			Reminder: &fifteen, Categories: []string{"Work", "Team"},
			Recurrence: &target.Recurrence{Pattern: "weekly", Interval: 1, DaysOfWeek: []string{"monday"},
				FirstDayOfWeek: "monday", StartDate: utc("2025-03-17T00:00:00Z"), Occurrences: 4},
			Cancelled: []time.Time{utc("2025-03-24T09:00:00Z")},
			// After the DST change 10:00 Berlin is 08:00 UTC.
			Overrides: []target.Occurrence{{OriginalStart: utc("2025-03-31T08:00:00Z"),
				Start: utc("2025-03-31T09:30:00Z"), End: utc("2025-03-31T10:30:00Z"), Subject: "Team meeting (moved)"}},
			Organizer: target.Address{Name: "Alice", Address: "alice@example.org"},
			Attendees: []target.Attendee{
				{Address: target.Address{Name: "Bob", Address: "bob@example.org"}, Response: "accepted"},
				{Address: target.Address{Name: "Carol", Address: "carol@example.org"}, Response: "declined", Optional: true}},
		}},
		notes: []string{"no one is invited"},
	}, {
		name: "Outlook Windows TZID with its VTIMEZONE, EXDATE list",
		file: "outlook.ics", uid: "040000008200E00074C5B7101A82E0080000000010",
		want: []target.Event{{
			UID: "040000008200E00074C5B7101A82E0080000000010", Subject: "Stand-up",
			Start: utc("2025-01-06T08:00:00Z"), End: utc("2025-01-06T08:30:00Z"),
			TimeZone: "W. Europe Standard Time", ShowAs: "oof",
			Recurrence: &target.Recurrence{Pattern: "daily", Interval: 1,
				StartDate: utc("2025-01-06T00:00:00Z"), EndDate: utc("2025-01-10T00:00:00Z")},
			Cancelled: []time.Time{utc("2025-01-07T08:00:00Z"), utc("2025-01-08T08:00:00Z")},
		}},
	}, {
		name: "Windows TZID without VTIMEZONE",
		file: "outlook.ics", uid: "no-vtimezone@example.org",
		want: []target.Event{{
			UID: "no-vtimezone@example.org", Subject: "Windows TZID without VTIMEZONE",
			Start: utc("2025-07-01T13:00:00Z"), End: utc("2025-07-01T14:00:00Z"),
			TimeZone: "Eastern Standard Time",
		}},
	}, {
		name: "Outlook custom VTIMEZONE matched by its offsets",
		file: "outlook.ics", uid: "custom-zone@example.org",
		want: []target.Event{{
			UID: "custom-zone@example.org", Subject: "Custom VTIMEZONE",
			Start: utc("2025-03-01T04:30:00Z"), End: utc("2025-03-01T05:30:00Z"),
			TimeZone: "India Standard Time",
		}},
	}, {
		name: "all-day event, midnight to midnight, end exclusive",
		file: "mixed.ics", uid: "allday@example.org",
		want: []target.Event{{
			UID: "allday@example.org", Subject: "Conference", AllDay: true, TimeZone: "UTC",
			Start: utc("2025-05-01T00:00:00Z"), End: utc("2025-05-03T00:00:00Z"),
		}},
	}, {
		name: "monthly last Friday",
		file: "mixed.ics", uid: "last-friday@example.org",
		want: []target.Event{{
			UID: "last-friday@example.org", Subject: "Month end review", TimeZone: "UTC",
			Start: utc("2025-01-31T15:00:00Z"), End: utc("2025-01-31T16:00:00Z"),
			Recurrence: &target.Recurrence{Pattern: "relativeMonthly", Interval: 1, Index: "last",
				DaysOfWeek: []string{"friday"}, StartDate: utc("2025-01-31T00:00:00Z"), EndDate: utc("2025-12-31T00:00:00Z")},
		}},
	}, {
		name: "series Graph cannot express is expanded",
		file: "mixed.ics", uid: "inexpressible@example.org",
		want: func() []target.Event {
			var out []target.Event
			for _, d := range []string{"2025-06-02", "2025-06-30", "2025-07-01", "2025-07-31"} {
				out = append(out, target.Event{UID: "inexpressible@example.org", Subject: "First and last weekday",
					TimeZone: "Eastern Standard Time", Start: utc(d + "T13:00:00Z"), End: utc(d + "T14:00:00Z")})
			}
			return out
		}(),
		notes:    []string{"expanded into 4 single events"},
		expanded: 4,
	}, {
		name: "yearly relative all-day, free",
		file: "more.ics", uid: "thanksgiving@example.org",
		want: []target.Event{{
			UID: "thanksgiving@example.org", Subject: "Thanksgiving", AllDay: true, TimeZone: "UTC", ShowAs: "free",
			Start: utc("2025-11-27T00:00:00Z"), End: utc("2025-11-28T00:00:00Z"),
			Recurrence: &target.Recurrence{Pattern: "relativeYearly", Interval: 1, Month: 11, Index: "fourth",
				DaysOfWeek: []string{"thursday"}, StartDate: utc("2025-11-27T00:00:00Z")},
		}},
	}, {
		name: "biweekly on two days, WKST, local UNTIL, absolute VALARM first of two",
		file: "more.ics", uid: "biweekly@example.org",
		want: []target.Event{{
			UID: "biweekly@example.org", Subject: "Gym", TimeZone: "W. Europe Standard Time",
			Start: utc("2025-01-06T07:00:00Z"), End: utc("2025-01-06T07:30:00Z"), Reminder: &fifteen,
			Recurrence: &target.Recurrence{Pattern: "weekly", Interval: 2, DaysOfWeek: []string{"monday", "thursday"},
				FirstDayOfWeek: "sunday", StartDate: utc("2025-01-06T00:00:00Z"), EndDate: utc("2025-03-01T00:00:00Z")},
		}},
		notes: []string{"2 VALARMs: only the first kept"},
	}, {
		name: "RDATE list is expanded",
		file: "more.ics", uid: "rdates@example.org",
		want: func() []target.Event {
			var out []target.Event
			for _, d := range []string{"2025-02-10", "2025-02-12", "2025-02-14"} {
				out = append(out, target.Event{UID: "rdates@example.org", Subject: "Ad hoc", TimeZone: "UTC",
					Start: utc(d + "T12:00:00Z"), End: utc(d + "T13:00:00Z")})
			}
			return out
		}(),
		notes:    []string{"0 RRULE(s) and 1 RDATE(s)"},
		expanded: 3,
	}, {
		name: "override without its master is a single event",
		file: "more.ics", uid: "orphan@example.org",
		want: []target.Event{{
			UID: "orphan@example.org", Subject: "Invited occurrence only", TimeZone: "UTC",
			Start: utc("2025-03-01T10:00:00Z"), End: utc("2025-03-01T11:00:00Z"),
		}},
		notes: []string{"no series master"},
	}, {
		name: "all-day series with an Outlook-style DATE-TIME EXDATE in a TZID",
		file: "more.ics", uid: "allday-weekly@example.org",
		want: []target.Event{{
			UID: "allday-weekly@example.org", Subject: "Home office", AllDay: true, TimeZone: "UTC",
			Start: utc("2025-01-06T00:00:00Z"), End: utc("2025-01-07T00:00:00Z"),
			Recurrence: &target.Recurrence{Pattern: "weekly", Interval: 1, DaysOfWeek: []string{"monday"},
				FirstDayOfWeek: "monday", StartDate: utc("2025-01-06T00:00:00Z"), Occurrences: 3},
			Cancelled: []time.Time{utc("2025-01-13T00:00:00Z")},
		}},
	}, {
		name: "two RRULEs merged and expanded, EXDATE applied",
		file: "more.ics", uid: "two-rules@example.org",
		want: func() []target.Event {
			var out []target.Event
			for _, d := range []string{"2025-03-03", "2025-03-05", "2025-03-10"} {
				out = append(out, target.Event{UID: "two-rules@example.org", Subject: "Two rules", TimeZone: "UTC",
					Start: utc(d + "T09:00:00Z"), End: utc(d + "T09:30:00Z")})
			}
			return out
		}(),
		notes:    []string{"2 RRULE(s) and 0 RDATE(s)"},
		expanded: 3,
	}, {
		name: "negative BYMONTHDAY expanded across DST keeps the wall clock",
		file: "more.ics", uid: "month-end@example.org",
		want: []target.Event{
			{UID: "month-end@example.org", Subject: "Month end", TimeZone: "W. Europe Standard Time",
				Start: utc("2025-02-28T08:00:00Z"), End: utc("2025-02-28T09:00:00Z")},
			{UID: "month-end@example.org", Subject: "Month end", TimeZone: "W. Europe Standard Time",
				Start: utc("2025-03-31T07:00:00Z"), End: utc("2025-03-31T08:00:00Z")},
		},
		notes:    []string{"negative BYMONTHDAY"},
		expanded: 2,
	}, {
		name: "override in another time zone than its series",
		file: "more.ics", uid: "other-zone-override@example.org",
		want: []target.Event{{
			UID: "other-zone-override@example.org", Subject: "Transatlantic", TimeZone: "W. Europe Standard Time",
			Start: utc("2025-04-07T14:00:00Z"), End: utc("2025-04-07T15:00:00Z"),
			Recurrence: &target.Recurrence{Pattern: "weekly", Interval: 1, DaysOfWeek: []string{"monday"},
				FirstDayOfWeek: "monday", StartDate: utc("2025-04-07T00:00:00Z"), Occurrences: 3},
			Overrides: []target.Occurrence{{OriginalStart: utc("2025-04-14T14:00:00Z"),
				Start: utc("2025-04-14T13:00:00Z"), End: utc("2025-04-14T14:00:00Z"), Location: "New York office"}},
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := parseFile(t, tt.file)
			got, rep := mapUID(t, cal, tt.uid)
			if diff := cmp.Diff(tt.want, got, cmpTimes); diff != "" {
				t.Errorf("Map (-want +got):\n%s", diff)
			}
			for _, n := range tt.notes {
				if !strings.Contains(strings.Join(rep.Notes, "\n"), n) {
					t.Errorf("report %q lacks %q", rep.Notes, n)
				}
			}
			if len(rep.Findings) != len(rep.Notes) {
				t.Errorf("report: %d findings for %d notes %q", len(rep.Findings), len(rep.Notes), rep.Notes)
			}
			for _, f := range rep.Findings {
				if f.Property == "" || f.Action == "" {
					t.Errorf("finding %+v names no property or action", f)
				}
			}
			if rep.Expanded != tt.expanded {
				t.Errorf("report: expanded %d, want %d", rep.Expanded, tt.expanded)
			}
		})
	}
}

func TestParseBadEventBetweenGoodOnes(t *testing.T) {
	cal := parseFile(t, "mixed.ics")
	var uids []string
	for _, g := range cal.Groups {
		uids = append(uids, g.UID)
	}
	want := []string{"allday@example.org", "last-friday@example.org", "inexpressible@example.org"}
	if diff := cmp.Diff(want, uids); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if len(cal.Bad) != 1 || cal.Bad[0].Index != 1 || cal.Bad[0].UID != "broken@example.org" ||
		!strings.Contains(cal.Bad[0].Error(), "DTSTART") {
		t.Fatalf("Bad = %v, want VEVENT 1 broken@example.org on DTSTART", cal.Bad)
	}
}

func TestParseNotCalendar(t *testing.T) {
	_, err := Parse(strings.NewReader("BEGIN:VCARD\r\nEND:VCARD\r\n"))
	if !errors.Is(err, ErrNotCalendar) {
		t.Fatalf("err = %v, want ErrNotCalendar", err)
	}
}

func TestZones(t *testing.T) {
	cal := parseFile(t, "outlook.ics")
	z := cal.Groups[0].zones
	tests := []struct {
		tzid, want string
		err        error
	}{
		{tzid: "W. Europe Standard Time", want: "Europe/Berlin"},
		{tzid: "Europe/Zurich", want: "Europe/Zurich"},
		{tzid: "Tokyo Standard Time", want: "Asia/Tokyo"},
		{tzid: "Mars/Olympus", err: ErrUnknownZone},
	}
	for _, tt := range tests {
		loc, err := z.location(tt.tzid)
		if !errors.Is(err, tt.err) || (err == nil && loc.String() != tt.want) {
			t.Errorf("location(%q) = %v, %v; want %s, %v", tt.tzid, loc, err, tt.want, tt.err)
		}
	}
	if got, _ := WindowsZone(berlin(t)); got != "W. Europe Standard Time" {
		t.Errorf("WindowsZone(Berlin) = %q", got)
	}
}

func TestParseBadEvents(t *testing.T) {
	good := "BEGIN:VEVENT\r\nUID:good@example.org\r\nDTSTART:20250101T100000Z\r\nEND:VEVENT\r\n"
	tests := []struct {
		name, bad, reason string
	}{
		{name: "line without a colon", bad: "BEGIN:VEVENT\r\nUID:bad@example.org\r\nDTSTART:20250101T100000Z\r\nNOCOLONHERE\r\nEND:VEVENT\r\n", reason: "ical"},
		{name: "no UID", bad: "BEGIN:VEVENT\r\nDTSTART:20250101T100000Z\r\nEND:VEVENT\r\n", reason: "no UID"},
		{name: "no DTSTART", bad: "BEGIN:VEVENT\r\nUID:bad@example.org\r\nEND:VEVENT\r\n", reason: "DTSTART: missing"},
		{name: "unknown TZID", bad: "BEGIN:VEVENT\r\nUID:bad@example.org\r\nDTSTART;TZID=Mars/Olympus:20250101T100000\r\nEND:VEVENT\r\n", reason: "unknown time zone"},
		{name: "nested component not closed", bad: "BEGIN:VEVENT\r\nUID:bad@example.org\r\nDTSTART:20250101T100000Z\r\nBEGIN:VALARM\r\nEND:VEVENT\r\n", reason: "ical"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + good + tt.bad +
				strings.ReplaceAll(good, "good@", "good2@") + "END:VCALENDAR\r\n"
			cal, err := Parse(strings.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			if len(cal.Groups) != 2 || cal.Groups[0].UID != "good@example.org" || cal.Groups[1].UID != "good2@example.org" {
				t.Errorf("groups = %d, want the two good ones", len(cal.Groups))
			}
			if len(cal.Bad) != 1 || cal.Bad[0].Index != 1 || !strings.Contains(cal.Bad[0].Error(), tt.reason) {
				t.Fatalf("Bad = %v, want VEVENT 1 with %q", cal.Bad, tt.reason)
			}
		})
	}
}
