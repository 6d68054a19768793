package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"iter"
	"net/http"
	"strings"
	"time"

	"github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/migrate-tool/migrate/target"
)

// AttendeesPropertyID is the id of the named extended property that keeps
// an event's organizer and attendees with their responses, as JSON
// ({"organizer":{...},"attendees":[...]}). Events are created without
// attendees: Graph sends invitations to every attendee of a created
// event and updates to every one added later, whatever
// responseRequested says (https://learn.microsoft.com/graph/api/user-post-events,
// microsoft-graph-docs-contrib #5674, #4068), and a migration sends
// nothing. The body says the same in words.
const AttendeesPropertyID = "String " + StampGUID + " Name Attendees"

// graphDateTime is the layout of dateTimeTimeZone.dateTime.
const graphDateTime = "2006-01-02T15:04:05"

// EnsureCalendar implements target.EventWriter: the default calendar
// (GET /users/{id}/calendar) for "", else the calendar of that name
// among /users/{id}/calendars (case-insensitive), created when missing.
// https://learn.microsoft.com/graph/api/user-list-calendars,
// https://learn.microsoft.com/graph/api/user-post-calendars.
func (mb *mailbox) EnsureCalendar(ctx context.Context, name string) (target.FolderID, error) {
	name = strings.TrimSpace(name)
	key := calendarKey(name)
	if id, ok := mb.cached(key); ok {
		return id, nil
	}
	where := fmt.Sprintf("mailbox %s, calendar %q", mb.address, name)
	if name == "" {
		var id string
		err := mb.c.retry(ctx, mb.pace, where, "get the default calendar", func(ctx context.Context) error {
			cal, err := mb.user().Calendar().Get(ctx, &users.ItemCalendarRequestBuilderGetRequestConfiguration{
				QueryParameters: &users.ItemCalendarRequestBuilderGetQueryParameters{Select: []string{"id", "name"}},
			})
			if err != nil {
				return err
			}
			id = val(cal.GetId())
			return nil
		}, nil)
		if err != nil {
			return "", mb.c.describe(err, where, "get the default calendar", permCalendars)
		}
		mb.remember(key, target.FolderID(id), "Calendar")
		return target.FolderID(id), nil
	}
	find := func(ctx context.Context) (target.FolderID, error) {
		return mb.findCalendar(ctx, name, where)
	}
	create := func(ctx context.Context) (string, error) {
		body := models.NewCalendar()
		body.SetName(&name)
		c, err := mb.user().Calendars().Post(ctx, body, nil)
		if err != nil {
			return "", err
		}
		return val(c.GetId()), nil
	}
	id, err := mb.ensureNamed(ctx, name, where, permCalendars, find, create)
	if err != nil {
		return "", err
	}
	mb.remember(key, id, name)
	return id, nil
}

// calendarKey is the folder cache key of a calendar name.
func calendarKey(name string) string {
	return "\x01calendar\x00" + strings.ToLower(name)
}

// findCalendar returns the calendar named name among /users/{id}/calendars
// (ignoring case and surrounding white space), or "".
// https://learn.microsoft.com/graph/api/user-list-calendars
func (mb *mailbox) findCalendar(ctx context.Context, name, where string) (target.FolderID, error) {
	b := mb.user().Calendars()
	cfg := &users.ItemCalendarsRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemCalendarsRequestBuilderGetQueryParameters{Select: []string{"id", "name"}},
	}
	for c, err := range permPages(ctx, mb, permCalendars, where, "list calendars",
		func(ctx context.Context) (models.CalendarCollectionResponseable, error) { return b.Get(ctx, cfg) },
		func(ctx context.Context, link string) (models.CalendarCollectionResponseable, error) {
			return b.WithUrl(link).Get(ctx, nil)
		}) {
		if err != nil {
			return "", err
		}
		if strings.EqualFold(strings.TrimSpace(val(c.GetName())), name) && val(c.GetId()) != "" {
			return target.FolderID(*c.GetId()), nil
		}
	}
	return "", nil
}

// FindCalendar implements target.PIMFinder: the default calendar (a GET,
// as EnsureCalendar, which never creates it) for "", else the calendar of
// that name as EnsureCalendar finds it, creating nothing.
func (mb *mailbox) FindCalendar(ctx context.Context, name string) (target.FolderID, bool, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		id, err := mb.EnsureCalendar(ctx, "")
		return id, err == nil, err
	}
	key := calendarKey(name)
	if id, ok := mb.cached(key); ok {
		return id, true, nil
	}
	id, err := mb.findCalendar(ctx, name, fmt.Sprintf("mailbox %s, calendar %q", mb.address, name))
	if err != nil || id == "" {
		return "", false, err
	}
	mb.remember(key, id, name)
	return id, true, nil
}

// PutEvent implements target.EventWriter: one POST to the calendar's
// events, with no attendees (see AttendeesPropertyID), the stamp, and a
// transactionId derived from the stamp so that a retried POST returns
// the event created already instead of a second one
// (https://learn.microsoft.com/graph/api/resources/event: transactionId
// lets "the server ... avoid redundant POST operations in case of client
// retries to create the same event").
//
// A series with exceptions is created with a pending stamp; its
// occurrences are found with GET .../instances over the window of the
// exceptions (https://learn.microsoft.com/graph/api/event-list-instances),
// each cancelled one is DELETEd and each changed one PATCHed, and only
// then is the stamp completed; a failure deletes the partial series. An
// event without attendees is a meeting of no one, so none of these
// requests mails anybody (the cancel action, which does, is never used).
func (mb *mailbox) PutEvent(ctx context.Context, f target.FolderID, e *target.Event) (target.Created, error) {
	if e == nil || e.SourceKey == "" {
		return target.Created{}, errors.New("graph: PutEvent: no event or empty source key")
	}
	where := mb.where(f, e.SourceKey)
	exceptions := len(e.Cancelled)+len(e.Overrides) > 0
	if exceptions && e.Recurrence == nil {
		return target.Created{}, &target.ItemError{Reason: fmt.Sprintf("graph: %s: cancelled or changed occurrences without a recurrence", where)}
	}
	atts, err := mb.eventAttachments(ctx, e)
	if err != nil {
		return target.Created{}, err
	}
	final := stampValue(e.SourceKey, e.ContentID)
	stamp := final
	if exceptions || len(atts) > 0 {
		stamp = pendingPrefix + final
		if err := mb.deleteStaleEvents(ctx, f, e.SourceKey, where); err != nil {
			return target.Created{}, err
		}
	}
	body, err := buildEvent(e, stamp, transactionID(final))
	if err != nil {
		return target.Created{}, &target.ItemError{Reason: fmt.Sprintf("graph: %s", where), Err: err}
	}
	notes, err := mb.ensureCategories(ctx, e.Categories, where)
	if err != nil {
		return target.Created{}, err
	}
	var id string
	// transactionId makes the POST idempotent, so it is simply retried.
	err = mb.c.retry(ctx, mb.pace, where, "create the event", func(ctx context.Context) error {
		res, err := mb.user().Calendars().ByCalendarId(string(f)).Events().Post(ctx, body, nil)
		if err != nil {
			return err
		}
		if val(res.GetId()) == "" {
			return errors.New("the created event came back without an id")
		}
		id = *res.GetId()
		return nil
	}, nil)
	if err != nil {
		if he, ok := asHTTPError(err); ok && he.status == http.StatusBadRequest {
			return target.Created{}, &target.ItemError{Reason: fmt.Sprintf("graph: %s: Graph refused the event", where), Err: err}
		}
		return target.Created{}, mb.c.describe(err, where, "create the event", permCalendars)
	}
	if len(e.Attendees) > 0 {
		notes = append(notes, fmt.Sprintf("created without its %d attendee(s), so that no one is invited; the organizer and attendees are listed in the body", len(e.Attendees)))
	}
	if !exceptions && len(atts) == 0 {
		return target.Created{ID: target.ItemID(id), Notes: notes}, nil
	}
	if exceptions {
		more, err := mb.applyExceptions(ctx, id, e, where)
		if err != nil {
			mb.discardEvent(ctx, id, where)
			return target.Created{}, err
		}
		notes = append(notes, more...)
	}
	for i, a := range atts {
		// An event has no draft fallback: a refusal is the error.
		session, err := mb.viaSession(ctx, a)
		switch {
		case err != nil:
		case session:
			err = mb.uploadAttachment(ctx, attachHome{id: id, event: true}, a, i, true, where)
		default:
			err = mb.postAttachment(ctx, attachHome{id: id, event: true}, a, i, true, where)
		}
		if err != nil {
			mb.discardEvent(ctx, id, where)
			return target.Created{}, err
		}
	}
	patch := models.NewEvent()
	patch.SetSingleValueExtendedProperties([]models.SingleValueLegacyExtendedPropertyable{stampProperty(final)})
	err = mb.c.retry(ctx, mb.pace, where, "stamp the complete event", func(ctx context.Context) error {
		_, err := mb.user().Events().ByEventId(id).Patch(ctx, patch, nil)
		return err
	}, nil)
	if err != nil {
		mb.discardEvent(ctx, id, where)
		return target.Created{}, mb.c.describe(err, where, "stamp the complete event", permCalendars)
	}
	return target.Created{ID: target.ItemID(id), Notes: notes}, nil
}

// eventAttachments are e's attachments as the writer sends them; one
// past Graph's limits (150 MB, or one whose POST exceeds 4 MB while too
// small for an upload session) is an *target.ItemError before anything
// is created. Each goes after the event is created, as for a message:
// POST .../attachments under 3 MB, an upload session from 3 MB
// ("Event attachments: as for messages", user calendars only;
// https://learn.microsoft.com/graph/api/event-post-attachments,
// https://learn.microsoft.com/graph/outlook-large-attachments).
func (mb *mailbox) eventAttachments(ctx context.Context, e *target.Event) ([]attachment, error) {
	var out []attachment
	for _, a := range e.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		at := attachment{name: a.Name, contentType: ct, contentID: a.ContentID, inline: a.Inline && a.ContentID != "", size: a.Size, open: a.Open}
		if at.open == nil {
			return nil, fmt.Errorf("graph: %s: attachment %q has no content", mb.where("", e.SourceKey), a.Name)
		}
		if a.Size > uploadSessionMax {
			return nil, &target.ItemError{Reason: fmt.Sprintf("attachment %q is %d bytes; Graph accepts attachments up to 150 MB", a.Name, a.Size)}
		}
		if _, err := mb.viaSession(ctx, at); err != nil {
			return nil, err
		}
		out = append(out, at)
	}
	return out, nil
}

// applyExceptions deletes the cancelled occurrences of series id and
// patches the changed ones; an exception that matches no occurrence is
// noted, not fatal.
func (mb *mailbox) applyExceptions(ctx context.Context, id string, e *target.Event, where string) ([]string, error) {
	starts := append([]time.Time(nil), e.Cancelled...)
	for _, o := range e.Overrides {
		starts = append(starts, o.OriginalStart)
	}
	from, to := starts[0], starts[0]
	for _, t := range starts {
		from, to = minTime(from, t), maxTime(to, t)
	}
	from, to = from.Add(-24*time.Hour), to.Add(e.End.Sub(e.Start)+24*time.Hour)
	instances := map[int64]string{}
	b := mb.user().Events().ByEventId(id).Instances()
	top := int32(500)
	cfg := &users.ItemEventsItemInstancesRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemEventsItemInstancesRequestBuilderGetQueryParameters{
			StartDateTime: new(from.UTC().Format(time.RFC3339)), EndDateTime: new(to.UTC().Format(time.RFC3339)),
			Select: []string{"id", "originalStart"}, Top: &top,
		},
	}
	for ev, err := range permPages(ctx, mb, permCalendars, where, "list the series' occurrences",
		func(ctx context.Context) (models.EventCollectionResponseable, error) { return b.Get(ctx, cfg) },
		func(ctx context.Context, link string) (models.EventCollectionResponseable, error) {
			return b.WithUrl(link).Get(ctx, nil)
		}) {
		if err != nil {
			return nil, err
		}
		if os := ev.GetOriginalStart(); os != nil && val(ev.GetId()) != "" {
			instances[os.Unix()] = *ev.GetId()
		}
	}
	var notes []string
	missing := 0
	for _, t := range e.Cancelled {
		iid, ok := instances[t.Unix()]
		if !ok {
			missing++
			continue
		}
		// A 404 is an earlier try of this request that deleted it.
		err := mb.deleteGone(ctx, where, "delete a cancelled occurrence", func(ctx context.Context) error {
			return mb.user().Events().ByEventId(iid).Delete(ctx, nil)
		})
		if err != nil {
			return nil, mb.c.describe(err, where, "delete a cancelled occurrence", permCalendars)
		}
	}
	for _, o := range e.Overrides {
		iid, ok := instances[o.OriginalStart.Unix()]
		if !ok {
			missing++
			continue
		}
		patch := models.NewEvent()
		if !o.Start.IsZero() && !o.End.IsZero() {
			patch.SetStart(eventTime(o.Start, e.TimeZone))
			patch.SetEnd(eventTime(o.End, e.TimeZone))
		}
		if o.Subject != "" {
			patch.SetSubject(new(o.Subject))
		}
		if o.Location != "" {
			l := models.NewLocation()
			l.SetDisplayName(new(o.Location))
			patch.SetLocation(l)
		}
		err := mb.c.retry(ctx, mb.pace, where, "change an occurrence", func(ctx context.Context) error {
			_, err := mb.user().Events().ByEventId(iid).Patch(ctx, patch, nil)
			return err
		}, nil)
		if err != nil {
			if he, ok := asHTTPError(err); ok && he.status == http.StatusBadRequest {
				return nil, &target.ItemError{Reason: fmt.Sprintf("graph: %s: Graph refused a changed occurrence", where), Err: err}
			}
			return nil, mb.c.describe(err, where, "change an occurrence", permCalendars)
		}
	}
	if missing > 0 {
		notes = append(notes, fmt.Sprintf("%d cancelled or changed occurrence(s) match no occurrence of the series and were left out", missing))
	}
	return notes, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// deleteStaleEvents deletes the events in f left pending for key by an
// earlier attempt.
func (mb *mailbox) deleteStaleEvents(ctx context.Context, f target.FolderID, key, where string) error {
	filter := fmt.Sprintf("singleValueExtendedProperties/Any(ep: ep/id eq %s and startswith(ep/value, %s))", odataString(StampPropertyID), odataString(pendingPrefix+key))
	b := mb.user().Calendars().ByCalendarId(string(f)).Events()
	top := int32(50)
	cfg := &users.ItemCalendarsItemEventsRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemCalendarsItemEventsRequestBuilderGetQueryParameters{
			Filter: &filter, Select: []string{"id"}, Expand: []string{expandStamp}, Top: &top,
		},
	}
	var stale []string
	for ev, err := range permPages(ctx, mb, permCalendars, where, "find a partial event of an earlier attempt",
		func(ctx context.Context) (models.EventCollectionResponseable, error) { return b.Get(ctx, cfg) },
		func(ctx context.Context, link string) (models.EventCollectionResponseable, error) {
			return b.WithUrl(link).Get(ctx, nil)
		}) {
		if err != nil {
			return err
		}
		v, _ := singleStamp(ev.GetSingleValueExtendedProperties())
		if k, _ := ParseStamp(strings.TrimPrefix(v, pendingPrefix)); strings.HasPrefix(v, pendingPrefix) && k == key && val(ev.GetId()) != "" {
			stale = append(stale, *ev.GetId())
		}
	}
	for _, id := range stale {
		if err := mb.deleteEvent(ctx, id, where); err != nil {
			return mb.c.describe(err, where, "delete a partial event of an earlier attempt", permCalendars)
		}
	}
	return nil
}

// deleteEvent deletes an event created without attendees (which mails
// no one); one gone already is fine.
// https://learn.microsoft.com/graph/api/event-delete
func (mb *mailbox) deleteEvent(ctx context.Context, id, where string) error {
	return mb.deleteGone(ctx, where, "delete the event", func(ctx context.Context) error {
		return mb.user().Events().ByEventId(id).Delete(ctx, nil)
	})
}

// discardEvent deletes a partial series after a failure, even when ctx
// is done; a failure is logged (its pending stamp stays, and the next
// PutEvent of the key deletes it).
func (mb *mailbox) discardEvent(ctx context.Context, id, where string) {
	mb.discardPartial(ctx, where, "event", permCalendars, func(ctx context.Context) error { return mb.deleteEvent(ctx, id, where) })
}

// transactionID derives an event's transactionId from its stamp: the
// same event again gets the same one, another event another.
func transactionID(stamp string) string {
	sum := sha256.Sum256([]byte("migrate event " + stamp))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// eventTime is t as Graph's dateTimeTimeZone in zone tz: t's wall clock
// in tz when tz is an IANA name Go knows, else t's own wall clock (the
// mapping gives times in the location of a Windows-named zone); "" is
// UTC.
func eventTime(t time.Time, tz string) models.DateTimeTimeZoneable {
	if tz == "" {
		tz = "UTC"
		t = t.UTC()
	} else if loc, err := time.LoadLocation(tz); err == nil {
		t = t.In(loc)
	}
	d := models.NewDateTimeTimeZone()
	d.SetDateTime(new(t.Format(graphDateTime)))
	d.SetTimeZone(&tz)
	return d
}

// wallClock is t's wall clock in tz as eventTime sends it.
func wallClock(t time.Time, tz string) time.Time {
	if tz == "" {
		return t.UTC()
	}
	if loc, err := time.LoadLocation(tz); err == nil {
		return t.In(loc)
	}
	return t
}

// buildEvent makes the Graph event of e, stamped with stamp, with
// transactionId txn.
func buildEvent(e *target.Event, stamp, txn string) (models.Eventable, error) {
	if e.Start.IsZero() || e.End.IsZero() {
		return nil, errors.New("the event has no start or end")
	}
	if e.End.Before(e.Start) {
		return nil, errors.New("the event ends before it starts")
	}
	g := models.NewEvent()
	if e.Subject != "" {
		g.SetSubject(new(e.Subject))
	}
	g.SetStart(eventTime(e.Start, e.TimeZone))
	g.SetEnd(eventTime(e.End, e.TimeZone))
	if e.AllDay {
		// "If true, ... start and end time must be set to midnight and be
		// in the same time zone" (https://learn.microsoft.com/graph/api/resources/event).
		s, en := wallClock(e.Start, e.TimeZone), wallClock(e.End, e.TimeZone)
		if !isMidnight(s) || !isMidnight(en) || en.Sub(s) < 24*time.Hour {
			return nil, errors.New("an all-day event must start and end at midnight and last at least a day")
		}
		g.SetIsAllDay(new(true))
	}
	if e.Location != "" {
		l := models.NewLocation()
		l.SetDisplayName(new(e.Location))
		g.SetLocation(l)
	}
	b := models.NewItemBody()
	content, ct := eventBody(e)
	b.SetContent(&content)
	b.SetContentType(&ct)
	g.SetBody(b)
	if e.ShowAs != "" {
		v, err := models.ParseFreeBusyStatus(e.ShowAs)
		if err != nil || v == nil {
			return nil, fmt.Errorf("showAs %q is not one Graph knows", e.ShowAs)
		}
		g.SetShowAs(v.(*models.FreeBusyStatus))
	}
	if e.Private {
		s := models.PRIVATE_SENSITIVITY
		g.SetSensitivity(&s)
	}
	if e.Reminder == nil {
		g.SetIsReminderOn(new(false))
	} else {
		g.SetIsReminderOn(new(true))
		g.SetReminderMinutesBeforeStart(new(int32(e.Reminder.Minutes())))
	}
	if len(e.Categories) > 0 {
		g.SetCategories(e.Categories)
	}
	if e.Recurrence != nil {
		r, err := buildRecurrence(e)
		if err != nil {
			return nil, err
		}
		g.SetRecurrence(r)
	}
	// An event without attendees is sent to no one; these say so twice.
	g.SetResponseRequested(new(false))
	g.SetTransactionId(&txn)
	props := []models.SingleValueLegacyExtendedPropertyable{stampProperty(stamp)}
	if e.Organizer.Address != "" || len(e.Attendees) > 0 {
		js, err := json.Marshal(struct {
			Organizer target.Address    `json:"organizer"`
			Attendees []target.Attendee `json:"attendees"`
		}{e.Organizer, e.Attendees})
		if err != nil {
			return nil, fmt.Errorf("encode the attendees: %w", err)
		}
		p := models.NewSingleValueLegacyExtendedProperty()
		p.SetId(new(AttendeesPropertyID))
		p.SetValue(new(string(js)))
		props = append(props, p)
	}
	g.SetSingleValueExtendedProperties(props)
	return g, nil
}

func isMidnight(t time.Time) bool {
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// eventBody is e's body with its organizer and attendees appended, and
// the body's type.
func eventBody(e *target.Event) (string, models.BodyType) {
	var lines []string
	if e.Organizer.Address != "" {
		lines = append(lines, "Organizer: "+formatAddress(e.Organizer))
	}
	for _, a := range e.Attendees {
		s := "Attendee: " + formatAddress(a.Address)
		if a.Optional {
			s += " (optional)"
		}
		if a.Response != "" {
			s += ", " + a.Response
		}
		lines = append(lines, s)
	}
	if !e.BodyHTML {
		body := e.Body
		if len(lines) > 0 {
			if body != "" {
				body += "\n\n"
			}
			body += strings.Join(lines, "\n")
		}
		return body, models.TEXT_BODYTYPE
	}
	body := e.Body
	if len(lines) > 0 {
		var sb strings.Builder
		sb.WriteString("<hr><p>")
		for i, l := range lines {
			if i > 0 {
				sb.WriteString("<br>")
			}
			sb.WriteString(html.EscapeString(l))
		}
		sb.WriteString("</p>")
		if i := strings.LastIndex(strings.ToLower(body), "</body>"); i >= 0 {
			body = body[:i] + sb.String() + body[i:]
		} else {
			body += sb.String()
		}
	}
	return body, models.HTML_BODYTYPE
}

// buildRecurrence makes e's patternedRecurrence; the range starts on the
// start's date, as Graph requires, and is in the event's zone.
// https://learn.microsoft.com/graph/api/resources/patternedrecurrence
func buildRecurrence(e *target.Event) (models.PatternedRecurrenceable, error) {
	r := e.Recurrence
	p := models.NewRecurrencePattern()
	pt, err := models.ParseRecurrencePatternType(r.Pattern)
	if err != nil || pt == nil {
		return nil, fmt.Errorf("recurrence pattern %q is not one Graph knows", r.Pattern)
	}
	p.SetTypeEscaped(pt.(*models.RecurrencePatternType))
	interval := max(r.Interval, 1)
	p.SetInterval(new(int32(interval)))
	var days []models.DayOfWeek
	for _, d := range r.DaysOfWeek {
		v, err := models.ParseDayOfWeek(strings.ToLower(d))
		if err != nil || v == nil {
			return nil, fmt.Errorf("recurrence day %q is not a day of the week", d)
		}
		days = append(days, *v.(*models.DayOfWeek))
	}
	if len(days) > 0 {
		p.SetDaysOfWeek(days)
	}
	if r.DayOfMonth > 0 {
		p.SetDayOfMonth(new(int32(r.DayOfMonth)))
	}
	if r.Month > 0 {
		p.SetMonth(new(int32(r.Month)))
	}
	if r.Index != "" {
		v, err := models.ParseWeekIndex(r.Index)
		if err != nil || v == nil {
			return nil, fmt.Errorf("recurrence index %q is not first, second, third, fourth or last", r.Index)
		}
		p.SetIndex(v.(*models.WeekIndex))
	}
	if r.FirstDayOfWeek != "" {
		v, err := models.ParseDayOfWeek(strings.ToLower(r.FirstDayOfWeek))
		if err != nil || v == nil {
			return nil, fmt.Errorf("first day of week %q is not a day of the week", r.FirstDayOfWeek)
		}
		p.SetFirstDayOfWeek(v.(*models.DayOfWeek))
	}
	rg := models.NewRecurrenceRange()
	start := wallClock(e.Start, e.TimeZone)
	rg.SetStartDate(serialization.NewDateOnly(start))
	tz := e.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	rg.SetRecurrenceTimeZone(&tz)
	var rt models.RecurrenceRangeType
	switch {
	case r.Occurrences > 0:
		rt = models.NUMBERED_RECURRENCERANGETYPE
		rg.SetNumberOfOccurrences(new(int32(r.Occurrences)))
	case !r.EndDate.IsZero():
		rt = models.ENDDATE_RECURRENCERANGETYPE
		rg.SetEndDate(serialization.NewDateOnly(r.EndDate))
	default:
		rt = models.NOEND_RECURRENCERANGETYPE
	}
	rg.SetTypeEscaped(&rt)
	pr := models.NewPatternedRecurrence()
	pr.SetPattern(p)
	pr.SetRangeEscaped(rg)
	return pr, nil
}

// EventStamps implements target.EventWriter: every complete stamped
// event of calendar f. /events lists single events and series masters,
// not occurrences (https://learn.microsoft.com/graph/api/calendar-list-events).
func (mb *mailbox) EventStamps(ctx context.Context, f target.FolderID) iter.Seq2[target.Stamp, error] {
	return func(yield func(target.Stamp, error) bool) {
		top := mb.c.pageSize
		b := mb.user().Calendars().ByCalendarId(string(f)).Events()
		cfg := &users.ItemCalendarsItemEventsRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.ItemCalendarsItemEventsRequestBuilderGetQueryParameters{
				Select: []string{"id"}, Expand: []string{expandStamp}, Top: &top,
			},
		}
		for ev, err := range permPages(ctx, mb, permCalendars, mb.where(f, ""), "list stamped events",
			func(ctx context.Context) (models.EventCollectionResponseable, error) { return b.Get(ctx, cfg) },
			func(ctx context.Context, link string) (models.EventCollectionResponseable, error) {
				return b.WithUrl(link).Get(ctx, nil)
			}) {
			if err != nil {
				yield(target.Stamp{}, err)
				return
			}
			if s, ok := stampOfItem(ev.GetSingleValueExtendedProperties(), val(ev.GetId())); ok && !yield(s, nil) {
				return
			}
		}
	}
}
