package events

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/migrate-tool/migrate/target"
	"github.com/teambition/rrule-go"
)

// maxExpanded bounds the single events a series Graph cannot express is
// expanded into; the rest is reported.
const maxExpanded = 500

// Report is what Map changed or dropped of one group, one readable line
// each; empty when everything was kept.
type Report struct {
	UID   string
	Notes []string
	// Findings name, one for each of Notes and in the same order, the
	// property the note is about and what became of it, never a value:
	// what a plan counts.
	Findings []Finding
	// Expanded is the number of single events a series Graph cannot
	// express was expanded into (0 when it was not).
	Expanded int
}

// Finding is the property one note of a Report is about (RRULE, VALARM,
// ATTENDEE...) and what became of it: one of the Action constants.
type Finding struct {
	Property string
	Action   string
}

// The actions of a Finding.
const (
	// Dropped: not kept.
	Dropped = "dropped"
	// Changed: kept in another form (a series expanded, times in UTC).
	Changed = "changed"
	// InBody: kept as text in the event's body.
	InBody = "body"
)

func (r *Report) note(prop, action, format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
	r.Findings = append(r.Findings, Finding{Property: prop, Action: action})
}

// Map maps a group to the events to create: one event (a single event,
// or a series with its cancelled and changed occurrences) in the usual
// case, or, for a series whose rule Graph cannot express (several
// RRULEs, RDATE, BYSETPOS combinations, hourly rules...), one single
// event per occurrence, at most 500. The report says what did not fit.
func Map(g *Group) ([]target.Event, Report) {
	rep := Report{UID: g.UID}
	if g.Master == nil {
		// Overrides of a series kept elsewhere: each is a single event.
		var out []target.Event
		for _, o := range g.Overrides {
			ev, err := base(o, g.zones, &rep)
			if err != nil {
				rep.note(ical.PropRecurrenceID, Dropped, "override dropped: %v", err)
				continue
			}
			out = append(out, ev)
		}
		rep.note(ical.PropRecurrenceID, Changed, "no series master in the file: %d override(s) created as single events", len(out))
		return out, rep
	}
	ev, err := base(g.Master, g.zones, &rep)
	if err != nil {
		rep.note(ical.CompEvent, Dropped, "dropped: %v", err)
		return nil, rep
	}
	props := g.Master.Props
	rrules := props.Values(ical.PropRecurrenceRule)
	rdates := props.Values(ical.PropRecurrenceDates)
	if len(rrules) == 0 && len(rdates) == 0 {
		if len(g.Overrides) > 0 {
			rep.note(ical.PropRecurrenceID, Dropped, "%d RECURRENCE-ID override(s) of a single event ignored", len(g.Overrides))
		}
		return []target.Event{ev}, rep
	}
	var exdates []time.Time
	for i := range props.Values(ical.PropExceptionDates) {
		p := &props.Values(ical.PropExceptionDates)[i]
		ts, err := dateTimes(p, g.zones)
		if err != nil {
			rep.note(ical.PropExceptionDates, Dropped, "EXDATE dropped: %v", err)
			continue
		}
		for _, t := range ts {
			if ev.AllDay || isDate(p) {
				t = onDate(t, ev)
			}
			exdates = append(exdates, t)
		}
	}
	var overrides []target.Occurrence
	for _, o := range g.Overrides {
		rid, ridDate, err := dateTime(o.Props.Get(ical.PropRecurrenceID), g.zones)
		if err != nil {
			rep.note(ical.PropRecurrenceID, Dropped, "override dropped: RECURRENCE-ID: %v", err)
			continue
		}
		if ev.AllDay || ridDate {
			rid = onDate(rid, ev)
		}
		if st, _ := o.Props.Text(ical.PropStatus); strings.EqualFold(st, "CANCELLED") {
			exdates = append(exdates, rid)
			continue
		}
		oe, err := base(o, g.zones, &Report{})
		if err != nil {
			rep.note(ical.PropRecurrenceID, Dropped, "override of %s dropped: %v", rid.Format(time.RFC3339), err)
			continue
		}
		occ := target.Occurrence{OriginalStart: rid, Start: oe.Start, End: oe.End}
		if oe.Subject != ev.Subject {
			occ.Subject = oe.Subject
		}
		if oe.Location != ev.Location {
			occ.Location = oe.Location
		}
		overrides = append(overrides, occ)
	}

	var rec *target.Recurrence
	var why string
	if len(rrules) == 1 && len(rdates) == 0 {
		rec, why = recurrence(&rrules[0], ev)
	} else {
		why = fmt.Sprintf("%d RRULE(s) and %d RDATE(s)", len(rrules), len(rdates))
	}
	if rec != nil {
		ev.Recurrence = rec
		ev.Cancelled = exdates
		ev.Overrides = overrides
		return []target.Event{ev}, rep
	}
	return expand(g, ev, rrules, rdates, exdates, overrides, why, &rep), rep
}

// expand turns a series Graph cannot express into single events.
func expand(g *Group, ev target.Event, rrules []ical.Prop, rdates []ical.Prop, exdates []time.Time, overrides []target.Occurrence, why string, rep *Report) []target.Event {
	loc := ev.Start.Location()
	// DTSTART is always the first instance (RFC 5545 3.8.5.3). rrule-go's
	// Set holds one RRULE only, so the rules are merged here.
	starts := []time.Time{ev.Start}
	for i := range rrules {
		opt, err := rrule.StrToROption(rrules[i].Value)
		if err != nil {
			rep.note(ical.PropRecurrenceRule, Dropped, "RRULE %q dropped: %v", rrules[i].Value, err)
			continue
		}
		opt.Dtstart = ev.Start
		if !opt.Until.IsZero() && !utcUntil(rrules[i].Value) {
			u := opt.Until
			opt.Until = time.Date(u.Year(), u.Month(), u.Day(), u.Hour(), u.Minute(), u.Second(), 0, loc)
		}
		if opt.Count == 0 || opt.Count > maxExpanded+1 {
			// Enough to tell that the series is longer than the bound.
			opt.Count = maxExpanded + 1
		}
		all, err := occurrences(*opt)
		if err != nil {
			rep.note(ical.PropRecurrenceRule, Dropped, "RRULE %q dropped: %v", rrules[i].Value, err)
			continue
		}
		starts = append(starts, all...)
	}
	for i := range rdates {
		ts, err := dateTimes(&rdates[i], g.zones)
		if err != nil {
			rep.note(ical.PropRecurrenceDates, Dropped, "RDATE dropped: %v", err)
			continue
		}
		for _, t := range ts {
			if isDate(&rdates[i]) {
				t = onDate(t, ev)
			}
			starts = append(starts, t)
		}
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	starts = slices.CompactFunc(starts, func(a, b time.Time) bool { return a.Equal(b) })
	starts = slices.DeleteFunc(starts, func(t time.Time) bool {
		return slices.ContainsFunc(exdates, func(x time.Time) bool { return x.Equal(t) })
	})
	if len(starts) > maxExpanded {
		rep.note(ical.PropRecurrenceRule, Dropped, "expansion stopped at %d occurrences", maxExpanded)
		starts = starts[:maxExpanded]
	}
	dur := ev.End.Sub(ev.Start)
	var out []target.Event
	for _, t := range starts {
		one := ev
		one.Start, one.End = t.In(loc), t.In(loc).Add(dur)
		for _, o := range overrides {
			if o.OriginalStart.Equal(t) {
				one.Start, one.End = o.Start, o.End
				if o.Subject != "" {
					one.Subject = o.Subject
				}
				if o.Location != "" {
					one.Location = o.Location
				}
			}
		}
		out = append(out, one)
	}
	rep.note(ical.PropRecurrenceRule, Changed, "series not expressible in Graph (%s): expanded into %d single events", why, len(out))
	rep.Expanded = len(out)
	return out
}

// ErrRuleIterator is returned (wrapped) when rrule-go panics while
// listing a rule's occurrences instead of returning an error: for
// example a WEEKLY rule from a DTSTART in year 0 indexes past its
// weekday mask (rrule-go v1.8.2 calcDaySet, found by FuzzParseMap). The
// rule is dropped like one that does not parse.
var ErrRuleIterator = errors.New("recurrence rule iterator failed")

// occurrences lists the starts of the rule opt (bounded by its Count or
// Until) with rrule-go, turning a panic of rrule-go into ErrRuleIterator.
func occurrences(opt rrule.ROption) (_ []time.Time, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrRuleIterator, r)
		}
	}()
	r, err := rrule.NewRRule(opt)
	if err != nil {
		return nil, err
	}
	return r.All(), nil
}

// onDate returns the occurrence of ev on t's date (as t's own zone has
// it): midnight UTC for an all-day event, else that date at ev's local
// start time. Outlook writes an all-day series' EXDATE as a DATE-TIME in
// a TZID, and a DATE may stand for a timed occurrence.
func onDate(t time.Time, ev target.Event) time.Time {
	if ev.AllDay {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	s := ev.Start
	return time.Date(t.Year(), t.Month(), t.Day(), s.Hour(), s.Minute(), s.Second(), 0, s.Location())
}

// base maps what every VEVENT has: texts, times, zone, flags, people.
func base(c *ical.Component, z *zones, rep *Report) (target.Event, error) {
	ev := target.Event{}
	ev.UID, _ = c.Props.Text(ical.PropUID)
	ev.Subject, _ = c.Props.Text(ical.PropSummary)
	ev.Location, _ = c.Props.Text(ical.PropLocation)
	ev.Body, _ = c.Props.Text(ical.PropDescription)

	start, allDay, err := dateTime(c.Props.Get(ical.PropDateTimeStart), z)
	if err != nil {
		return ev, fmt.Errorf("DTSTART: %w", err)
	}
	var end time.Time
	switch {
	case c.Props.Get(ical.PropDateTimeEnd) != nil:
		end, _, err = dateTime(c.Props.Get(ical.PropDateTimeEnd), z)
		if err != nil {
			return ev, fmt.Errorf("DTEND: %w", err)
		}
	case c.Props.Get(ical.PropDuration) != nil:
		d, err := c.Props.Get(ical.PropDuration).Duration()
		if err != nil {
			return ev, fmt.Errorf("DURATION: %w", err)
		}
		end = start.Add(d)
		if allDay && d%(24*time.Hour) == 0 {
			end = start.AddDate(0, 0, int(d/(24*time.Hour)))
		}
	case allDay:
		end = start.AddDate(0, 0, 1) // RFC 5545 3.6.1: one day
	default:
		end = start
	}
	if allDay {
		// Graph: midnight to midnight in one zone, end exclusive, >= 24 h.
		ev.AllDay, ev.TimeZone = true, "UTC"
		start = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
		end = time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, time.UTC)
		if !end.After(start) {
			end = start.AddDate(0, 0, 1)
		}
	} else {
		name, ok := WindowsZone(start.Location())
		if !ok {
			rep.note(ical.ParamTimezoneID, Changed, "time zone %q has no Windows name: times given in UTC", start.Location())
			start, end, name = start.UTC(), end.UTC(), "UTC"
		}
		ev.TimeZone = name
	}
	if end.Before(start) {
		end = start
	}
	ev.Start, ev.End = start, end

	switch strings.ToUpper(propValue(c, "X-MICROSOFT-CDO-BUSYSTATUS")) {
	case "FREE":
		ev.ShowAs = "free"
	case "TENTATIVE":
		ev.ShowAs = "tentative"
	case "OOF":
		ev.ShowAs = "oof"
	case "WORKINGELSEWHERE":
		ev.ShowAs = "workingElsewhere"
	case "BUSY":
	default:
		if strings.EqualFold(propValue(c, ical.PropTransparency), "TRANSPARENT") {
			ev.ShowAs = "free"
		}
	}
	switch strings.ToUpper(propValue(c, ical.PropClass)) {
	case "PRIVATE", "CONFIDENTIAL":
		ev.Private = true
	}
	for i := range c.Props.Values(ical.PropCategories) {
		l, _ := c.Props.Values(ical.PropCategories)[i].TextList()
		for _, s := range l {
			if s = strings.TrimSpace(s); s != "" && !slices.Contains(ev.Categories, s) {
				ev.Categories = append(ev.Categories, s)
			}
		}
	}
	alarms := 0
	for _, a := range c.Children {
		if a.Name != ical.CompAlarm {
			continue
		}
		alarms++
		if ev.Reminder != nil {
			continue
		}
		if d, ok := trigger(a, start, end); ok {
			ev.Reminder = &d
		} else {
			rep.note(ical.CompAlarm, Dropped, "VALARM trigger %q dropped", propValue(a, "TRIGGER"))
		}
	}
	if alarms > 1 {
		rep.note(ical.CompAlarm, Dropped, "%d VALARMs: only the first kept (Graph has one reminder)", alarms)
	}
	if p := c.Props.Get(ical.PropOrganizer); p != nil {
		ev.Organizer = address(p)
	}
	for _, p := range c.Props.Values(ical.PropAttendee) {
		a := target.Attendee{Address: address(&p)}
		switch strings.ToUpper(p.Params.Get(ical.ParamParticipationStatus)) {
		case "ACCEPTED":
			a.Response = "accepted"
		case "DECLINED":
			a.Response = "declined"
		case "TENTATIVE":
			a.Response = "tentativelyAccepted"
		}
		a.Optional = strings.EqualFold(p.Params.Get(ical.ParamRole), "OPT-PARTICIPANT")
		ev.Attendees = append(ev.Attendees, a)
	}
	attachments(c, &ev, rep)
	if block := peopleBlock(ev); block != "" {
		if ev.Body != "" {
			ev.Body += "\n\n"
		}
		ev.Body += block
		rep.note(ical.PropAttendee, InBody, "organizer and %d attendee(s) kept as text in the body; no one is invited", len(ev.Attendees))
	}
	return ev, nil
}

// attachmentNameParams are the ATTACH parameters clients name the file
// in: RFC 5545 defines none; X-FILENAME (Apple's and others'),
// FILENAME and X-APPLE-FILENAME are what calendar programs write.
var attachmentNameParams = []string{"X-FILENAME", "FILENAME", "X-APPLE-FILENAME"}

// attachments adds c's ATTACH properties to ev (RFC 5545 3.8.1.1): an
// inline one (VALUE=BINARY;ENCODING=BASE64) as an attachment, decoded,
// with FMTTYPE as its type and its file name parameter as its name
// (else "attachment-N"); one by URI as an "Attachment: <uri>" line in
// the body, as Graph's fileAttachment holds content, not links.
func attachments(c *ical.Component, ev *target.Event, rep *Report) {
	var links []string
	for _, p := range c.Props.Values(ical.PropAttach) {
		enc := strings.ToUpper(p.Params.Get(ical.ParamEncoding))
		if enc == "" && !strings.EqualFold(p.Params.Get(ical.ParamValue), "BINARY") {
			if uri := strings.TrimSpace(p.Value); uri != "" {
				links = append(links, uri)
			}
			continue
		}
		n := len(ev.Attachments) + 1
		if enc != "BASE64" {
			rep.note(ical.PropAttach, Dropped, "attachment %d dropped: encoding %q is not BASE64", n, enc)
			continue
		}
		data, err := decodeBase64(p.Value)
		if err != nil {
			rep.note(ical.PropAttach, Dropped, "attachment %d dropped: %v", n, err)
			continue
		}
		name := ""
		for _, k := range attachmentNameParams {
			if name = strings.TrimSpace(p.Params.Get(k)); name != "" {
				break
			}
		}
		if name == "" {
			name = fmt.Sprintf("attachment-%d", n)
		}
		ct := strings.ToLower(strings.TrimSpace(p.Params.Get(ical.ParamFormatType)))
		ev.Attachments = append(ev.Attachments, target.EventAttachment{Name: name, ContentType: ct, Size: int64(len(data)),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }})
	}
	if len(links) == 0 {
		return
	}
	lines := make([]string, len(links))
	for i, l := range links {
		lines[i] = "Attachment: " + l
	}
	if ev.Body != "" {
		ev.Body += "\n\n"
	}
	ev.Body += strings.Join(lines, "\n")
	rep.note(ical.PropAttach, InBody, "%d attachment(s) by URI kept as links in the body", len(links))
}

// decodeBase64 decodes an inline attachment's base64, with or without
// padding and white space.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("its base64 does not decode: %w", err)
	}
	return b, nil
}

// trigger returns a VALARM's lead time before the start.
func trigger(a *ical.Component, start, end time.Time) (time.Duration, bool) {
	p := a.Props.Get("TRIGGER")
	if p == nil {
		return 0, false
	}
	if strings.EqualFold(p.Params.Get(ical.ParamValue), "DATE-TIME") {
		t, err := time.Parse("20060102T150405Z", p.Value)
		if err != nil || t.After(start) {
			return 0, false
		}
		return start.Sub(t), true
	}
	d, err := p.Duration()
	if err != nil {
		return 0, false
	}
	if strings.EqualFold(p.Params.Get("RELATED"), "END") {
		d += end.Sub(start)
	}
	if d > 0 {
		return 0, false
	}
	return -d, true
}

func propValue(c *ical.Component, name string) string {
	if p := c.Props.Get(name); p != nil {
		return strings.TrimSpace(p.Value)
	}
	return ""
}

func address(p *ical.Prop) target.Address {
	addr := p.Value
	if len(addr) > 7 && strings.EqualFold(addr[:7], "mailto:") {
		addr = addr[7:]
	}
	return target.Address{Name: p.Params.Get(ical.ParamCommonName), Address: addr}
}

// peopleBlock is the readable organizer and attendee list appended to
// the body, since the event is created without attendees.
func peopleBlock(ev target.Event) string {
	if ev.Organizer.Address == "" && len(ev.Attendees) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("-- Participants in the original calendar (not invited by the migration) --\n")
	if ev.Organizer.Address != "" {
		fmt.Fprintf(&b, "Organizer: %s\n", formatAddress(ev.Organizer))
	}
	for _, a := range ev.Attendees {
		resp := a.Response
		if resp == "" {
			resp = "no response"
		}
		opt := ""
		if a.Optional {
			opt = ", optional"
		}
		fmt.Fprintf(&b, "Attendee: %s (%s%s)\n", formatAddress(a.Address), resp, opt)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func formatAddress(a target.Address) string {
	if a.Name == "" {
		return a.Address
	}
	return fmt.Sprintf("%s <%s>", a.Name, a.Address)
}

// graphDay names rrule-go's weekday (0 Monday) as Graph does.
func graphDay(d int) string {
	return [...]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}[d]
}

// graphIndex names an occurrence index as Graph's weekIndex does.
func graphIndex(n int) (string, bool) {
	switch n {
	case 1:
		return "first", true
	case 2:
		return "second", true
	case 3:
		return "third", true
	case 4:
		return "fourth", true
	case -1:
		return "last", true
	}
	return "", false
}

// utcUntil tells whether an RRULE's UNTIL is in UTC (ends in Z).
func utcUntil(rule string) bool {
	for _, part := range strings.Split(strings.ToUpper(rule), ";") {
		if v, ok := strings.CutPrefix(part, "UNTIL="); ok {
			return strings.HasSuffix(v, "Z")
		}
	}
	return false
}

// recurrence maps one RRULE to Graph's patternedRecurrence, or says why
// it cannot.
func recurrence(p *ical.Prop, ev target.Event) (*target.Recurrence, string) {
	opt, err := rrule.StrToROption(p.Value)
	if err != nil {
		return nil, fmt.Sprintf("RRULE %q: %v", p.Value, err)
	}
	if len(opt.Byhour)+len(opt.Byminute)+len(opt.Bysecond)+len(opt.Byyearday)+len(opt.Byweekno)+len(opt.Byeaster) > 0 {
		return nil, "RRULE with BYHOUR/BYMINUTE/BYSECOND/BYYEARDAY/BYWEEKNO"
	}
	if len(opt.Bymonth) > 1 || len(opt.Bymonthday) > 1 || len(opt.Bysetpos) > 1 {
		return nil, "RRULE with several BYMONTH, BYMONTHDAY or BYSETPOS values"
	}
	for _, d := range opt.Bymonthday {
		if d < 1 {
			return nil, "RRULE with a negative BYMONTHDAY"
		}
	}
	local := ev.Start
	r := &target.Recurrence{Interval: max(opt.Interval, 1)}
	r.StartDate = time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	r.Occurrences = opt.Count
	if !opt.Until.IsZero() {
		u := opt.Until
		if utcUntil(p.Value) && !ev.AllDay {
			u = u.In(local.Location())
		}
		r.EndDate = time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	}
	days := func() []string {
		var out []string
		for _, w := range opt.Byweekday {
			out = append(out, graphDay(w.Day()))
		}
		return out
	}
	// relative: one weekday with an index, or weekdays with one BYSETPOS.
	relative := func() (string, bool) {
		if len(opt.Byweekday) == 0 || len(opt.Bymonthday) > 0 {
			return "", false
		}
		if len(opt.Bysetpos) == 1 {
			for _, w := range opt.Byweekday {
				if w.N() != 0 {
					return "", false
				}
			}
			idx, ok := graphIndex(opt.Bysetpos[0])
			return idx, ok
		}
		if len(opt.Byweekday) != 1 {
			return "", false
		}
		idx, ok := graphIndex(opt.Byweekday[0].N())
		return idx, ok
	}
	switch opt.Freq {
	case rrule.DAILY:
		if len(opt.Byweekday)+len(opt.Bymonthday)+len(opt.Bymonth)+len(opt.Bysetpos) > 0 {
			return nil, "DAILY RRULE with BY parts"
		}
		r.Pattern = "daily"
	case rrule.WEEKLY:
		if len(opt.Bymonthday)+len(opt.Bymonth)+len(opt.Bysetpos) > 0 {
			return nil, "WEEKLY RRULE with BYMONTH, BYMONTHDAY or BYSETPOS"
		}
		for _, w := range opt.Byweekday {
			if w.N() != 0 {
				return nil, "WEEKLY RRULE with numbered BYDAY"
			}
		}
		r.Pattern = "weekly"
		r.DaysOfWeek = days()
		if len(r.DaysOfWeek) == 0 {
			r.DaysOfWeek = []string{strings.ToLower(local.Weekday().String())}
		}
		r.FirstDayOfWeek = graphDay(opt.Wkst.Day())
	case rrule.MONTHLY:
		if len(opt.Bymonth) > 0 {
			return nil, "MONTHLY RRULE with BYMONTH"
		}
		if len(opt.Byweekday) == 0 {
			if len(opt.Bysetpos) > 0 {
				return nil, "MONTHLY RRULE with BYSETPOS"
			}
			r.Pattern, r.DayOfMonth = "absoluteMonthly", local.Day()
			if len(opt.Bymonthday) == 1 {
				r.DayOfMonth = opt.Bymonthday[0]
			}
			break
		}
		idx, ok := relative()
		if !ok {
			return nil, "MONTHLY RRULE with a BYDAY/BYSETPOS combination"
		}
		r.Pattern, r.Index = "relativeMonthly", idx
		r.DaysOfWeek = days()
	case rrule.YEARLY:
		r.Month = int(local.Month())
		if len(opt.Bymonth) == 1 {
			r.Month = opt.Bymonth[0]
		}
		if len(opt.Byweekday) == 0 {
			if len(opt.Bysetpos) > 0 {
				return nil, "YEARLY RRULE with BYSETPOS"
			}
			r.Pattern, r.DayOfMonth = "absoluteYearly", local.Day()
			if len(opt.Bymonthday) == 1 {
				r.DayOfMonth = opt.Bymonthday[0]
			}
			break
		}
		idx, ok := relative()
		if !ok || len(opt.Bymonth) != 1 {
			return nil, "YEARLY RRULE with a BYDAY/BYSETPOS combination"
		}
		r.Pattern, r.Index = "relativeYearly", idx
		r.DaysOfWeek = days()
	default:
		return nil, fmt.Sprintf("%s RRULE", opt.Freq)
	}
	return r, ""
}
