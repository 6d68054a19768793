package graphemu

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// exception is a changed or deleted occurrence of a series, kept on the
// series master by the occurrence's original start.
type exception struct {
	Deleted bool                       `json:"deleted,omitempty"`
	Props   map[string]json.RawMessage `json:"props,omitempty"`
}

// occurrenceKey is the key of an occurrence in item.Exceptions.
func occurrenceKey(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// instanceID is the id of the occurrence of master at original start t.
// Exchange's occurrence ids are opaque; the emulator's encode the master
// and the start so that any of them can be resolved.
func instanceID(masterID string, t time.Time) string {
	return "AAMkADocc" + base64.RawURLEncoding.EncodeToString([]byte(masterID+"\x00"+strconv.FormatInt(t.Unix(), 10)))
}

// parseInstanceID undoes instanceID.
func parseInstanceID(id string) (string, time.Time, bool) {
	rest, ok := strings.CutPrefix(id, "AAMkADocc")
	if !ok {
		return "", time.Time{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return "", time.Time{}, false
	}
	master, secs, ok := strings.Cut(string(b), "\x00")
	n, err := strconv.ParseInt(secs, 10, 64)
	if !ok || err != nil {
		return "", time.Time{}, false
	}
	return master, time.Unix(n, 0).UTC(), true
}

// series is a master's recurrence as the expansion needs it.
type series struct {
	Pattern struct {
		Type           string   `json:"type"`
		Interval       int      `json:"interval"`
		DaysOfWeek     []string `json:"daysOfWeek"`
		DayOfMonth     int      `json:"dayOfMonth"`
		Month          int      `json:"month"`
		Index          string   `json:"index"`
		FirstDayOfWeek string   `json:"firstDayOfWeek"`
	} `json:"pattern"`
	Range struct {
		Type                string `json:"type"`
		StartDate           string `json:"startDate"`
		EndDate             string `json:"endDate"`
		NumberOfOccurrences int    `json:"numberOfOccurrences"`
		RecurrenceTimeZone  string `json:"recurrenceTimeZone"`
	} `json:"range"`
}

// maxExpandDays bounds an expansion (a noEnd series is cut there).
const maxExpandDays = 20 * 366

// occurrences returns the original starts of a master's occurrences
// (deleted ones included) that overlap [from, to), and the duration of
// each. https://learn.microsoft.com/graph/api/resources/recurrencepattern
// describes the six pattern types expanded here.
func occurrences(it *item, from, to time.Time) ([]time.Time, time.Duration) {
	var s series
	if b, ok := it.Props["recurrence"]; !ok || json.Unmarshal(b, &s) != nil || s.Pattern.Type == "" {
		return nil, 0
	}
	var d dateTimeTZ
	_ = json.Unmarshal(it.Props["start"], &d)
	start, _, p1 := parseDTZ(it.Props["start"], "start")
	end, _, p2 := parseDTZ(it.Props["end"], "end")
	if p1 != nil || p2 != nil {
		return nil, 0
	}
	zone := d.TimeZone
	if s.Range.RecurrenceTimeZone != "" {
		zone = s.Range.RecurrenceTimeZone
	}
	loc, ok := resolveTZ(zone)
	if !ok {
		loc = time.UTC
	}
	wall := start.In(loc)
	first, err := time.ParseInLocation("2006-01-02", s.Range.StartDate, loc)
	if err != nil {
		return nil, 0
	}
	last := time.Time{}
	if s.Range.Type == "endDate" {
		last, _ = time.ParseInLocation("2006-01-02", s.Range.EndDate, loc)
	}
	interval := max(s.Pattern.Interval, 1)
	fdow := weekdayOf(s.Pattern.FirstDayOfWeek, time.Sunday)
	weekStart := func(t time.Time) time.Time {
		return t.AddDate(0, 0, -((int(t.Weekday()) - int(fdow) + 7) % 7))
	}
	months := func(t time.Time) int { return (t.Year()-first.Year())*12 + int(t.Month()) - int(first.Month()) }
	onDay := func(t time.Time) bool {
		return slices.ContainsFunc(s.Pattern.DaysOfWeek, func(n string) bool { return weekdayOf(n, -1) == t.Weekday() })
	}
	inIndex := func(t time.Time) bool {
		switch s.Pattern.Index {
		case "last":
			return t.AddDate(0, 0, 7).Month() != t.Month()
		case "second":
			return (t.Day()-1)/7 == 1
		case "third":
			return (t.Day()-1)/7 == 2
		case "fourth":
			return (t.Day()-1)/7 == 3
		}
		return (t.Day()-1)/7 == 0
	}
	match := func(t time.Time) bool {
		switch s.Pattern.Type {
		case "daily":
			return int(t.Sub(first).Hours()/24+0.5)%interval == 0
		case "weekly":
			weeks := int(weekStart(t).Sub(weekStart(first)).Hours()/(24*7) + 0.5)
			return onDay(t) && weeks%interval == 0
		case "absoluteMonthly":
			return t.Day() == s.Pattern.DayOfMonth && months(t)%interval == 0
		case "relativeMonthly":
			return onDay(t) && inIndex(t) && months(t)%interval == 0
		case "absoluteYearly":
			return int(t.Month()) == s.Pattern.Month && t.Day() == s.Pattern.DayOfMonth && (t.Year()-first.Year())%interval == 0
		case "relativeYearly":
			return int(t.Month()) == s.Pattern.Month && onDay(t) && inIndex(t) && (t.Year()-first.Year())%interval == 0
		}
		return false
	}
	dur := end.Sub(start)
	var out []time.Time
	count := 0
	for i := range maxExpandDays {
		day := first.AddDate(0, 0, i)
		if !last.IsZero() && day.After(last) {
			break
		}
		if !match(day) {
			continue
		}
		count++
		if s.Range.Type == "numbered" && count > s.Range.NumberOfOccurrences {
			break
		}
		occ := time.Date(day.Year(), day.Month(), day.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, loc)
		if !occ.Before(to) {
			break
		}
		if occ.Add(dur).After(from) {
			out = append(out, occ.UTC())
		}
	}
	return out, dur
}

// weekdayOf parses a Graph dayOfWeek name.
func weekdayOf(name string, def time.Weekday) time.Weekday {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(name, d.String()) {
			return d
		}
	}
	return def
}

// isOccurrence tells whether t is an original start of master's series.
func isOccurrence(master *item, t time.Time) bool {
	occ, _ := occurrences(master, t, t.Add(time.Second))
	return slices.ContainsFunc(occ, t.Equal)
}

// listInstances serves GET /events/{id}/instances: the occurrences and
// exceptions of a series master that overlap the required window
// [startDateTime, endDateTime), each by its own start and end (a changed
// occurrence by where it was moved, not by its original start), deleted
// occurrences left out, in order of original start.
// https://learn.microsoft.com/graph/api/event-list-instances returns "the
// occurrences and exceptions of the event in the specified time range",
// and its example lists an exception moved from 4/15 to 4/16 at 4/16;
// Exchange's calendar view leaves out the items that end before the
// window's start or start on or after its end
// (https://learn.microsoft.com/exchange/client-developer/web-service-reference/calendarview).
func (e *Emulator) listInstances(rq *req, master *item) {
	q := rq.r.URL.Query()
	from, err1 := parseQueryTime(q.Get("startDateTime"))
	to, err2 := parseQueryTime(q.Get("endDateTime"))
	if err1 != nil || err2 != nil {
		rq.fail(odata.BadRequest("ErrorInvalidParameter", "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime."))
		return
	}
	// The occurrences in place that overlap the window, and every
	// exception with times of its own, wherever its original start is.
	occ, dur := occurrences(master, from, to)
	for key, x := range master.Exceptions {
		t, err := time.Parse(time.RFC3339, key)
		if err != nil || x.Deleted || slices.ContainsFunc(occ, t.Equal) || !isOccurrence(master, t) {
			continue
		}
		_, hasStart := x.Props["start"]
		_, hasEnd := x.Props["end"]
		if hasStart || hasEnd {
			occ = append(occ, t)
		}
	}
	slices.SortFunc(occ, time.Time.Compare)
	var views []map[string]any
	for _, t := range occ {
		x := master.Exceptions[occurrenceKey(t)]
		if x != nil && x.Deleted {
			continue
		}
		start, end := t, t.Add(dur)
		if x != nil {
			if at, _, p := parseDTZ(x.Props["start"], "start"); p == nil {
				start = at
			}
			if at, _, p := parseDTZ(x.Props["end"], "end"); p == nil {
				end = at
			}
		}
		if !start.Before(to) || !end.After(from) {
			continue
		}
		views = append(views, e.instanceView(rq, master, t))
	}
	typeName, known := itemTypeName(kindCalendar)
	e.writeList(rq, rq.base+"/v1.0/$metadata#users('"+rq.mb.ID+"')/events('"+master.ID+"')/instances", views, nil, known, typeName)
}

// parseQueryTime parses startDateTime/endDateTime (ISO 8601, UTC when
// no offset is given).
func parseQueryTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02T15:04:05", strings.TrimSuffix(s, "Z"), time.UTC)
}

// instanceView renders the occurrence of master at original start t.
func (e *Emulator) instanceView(rq *req, master *item, t time.Time) map[string]any {
	_, dur := occurrences(master, t, t.Add(time.Second))
	v := e.eventView(rq, master)
	loc, zoneName := preferredZone(rq.r)
	v["id"] = instanceID(master.ID, t)
	v["type"] = "occurrence"
	v["seriesMasterId"] = master.ID
	v["originalStart"] = t.UTC().Format("2006-01-02T15:04:05Z")
	v["recurrence"] = nil
	v["singleValueExtendedProperties"] = []any{}
	v["multiValueExtendedProperties"] = []any{}
	v["start"] = map[string]any{"dateTime": t.In(loc).Format("2006-01-02T15:04:05.0000000"), "timeZone": zoneName}
	v["end"] = map[string]any{"dateTime": t.Add(dur).In(loc).Format("2006-01-02T15:04:05.0000000"), "timeZone": zoneName}
	if x := master.Exceptions[occurrenceKey(t)]; x != nil {
		v["type"] = "exception"
		for k, raw := range x.Props {
			if k == "start" || k == "end" {
				if at, _, err := parseDTZ(raw, k); err == nil {
					v[k] = map[string]any{"dateTime": at.In(loc).Format("2006-01-02T15:04:05.0000000"), "timeZone": zoneName}
				}
				continue
			}
			v[k] = rawToAny(raw)
		}
	}
	return v
}

// routeInstance serves GET, PATCH and DELETE on an occurrence by its id.
// PATCH makes it an exception; DELETE removes it from the series. Either
// mails the attendees, if the series has any, an update or a
// cancellation. https://learn.microsoft.com/graph/api/event-update,
// https://learn.microsoft.com/graph/api/event-delete.
func (e *Emulator) routeInstance(rq *req, id string, rest []string) bool {
	masterID, t, ok := parseInstanceID(id)
	if !ok {
		return false
	}
	master := e.store.item(masterID)
	if master == nil || master.Mailbox != rq.mb.ID || master.Kind != kindCalendar || !isOccurrence(master, t) {
		return false
	}
	if x := master.Exceptions[occurrenceKey(t)]; x != nil && x.Deleted {
		return false
	}
	if len(rest) > 0 {
		rq.fail(segmentNotFound(rest[0]))
		return true
	}
	attendees, _ := attendeeAddresses(master.Props["attendees"])
	switch rq.r.Method {
	case http.MethodGet:
		e.writeEntity(rq, http.StatusOK, kindCalendar, "item", e.instanceView(rq, master, t))
	case http.MethodDelete:
		if _, p := e.store.updateItem(master.ID, "delete the occurrence", func(cur, n *item) *odata.Problem {
			n.Exceptions = withException(cur.Exceptions, occurrenceKey(t), &exception{Deleted: true})
			return nil
		}); p != nil {
			rq.fail(p)
			return true
		}
		e.countMeetingMessages(rq.mb.ID, len(attendees))
		rq.w.WriteHeader(http.StatusNoContent)
	case http.MethodPatch:
		raw, aerr := readKnownObject(rq, eventProps, "event")
		if aerr != nil {
			rq.fail(aerr)
			return true
		}
		if p := checkEventTimes(raw, false); p != nil {
			rq.fail(p)
			return true
		}
		n, p := e.store.updateItem(master.ID, "save the occurrence", func(cur, n *item) *odata.Problem {
			x := &exception{Props: map[string]json.RawMessage{}}
			if old := cur.Exceptions[occurrenceKey(t)]; old != nil {
				for k, v := range old.Props {
					x.Props[k] = v
				}
			}
			for k, b := range raw {
				if readOnlyEventProps[k] || k == "recurrence" || strings.HasSuffix(k, "ExtendedProperties") || strings.HasPrefix(k, "@") {
					continue
				}
				x.Props[k] = b
			}
			n.Exceptions = withException(cur.Exceptions, occurrenceKey(t), x)
			return nil
		})
		if p != nil {
			rq.fail(p)
			return true
		}
		e.countMeetingMessages(rq.mb.ID, len(attendees))
		e.writeEntity(rq, http.StatusOK, kindCalendar, "item", e.instanceView(rq, n, t))
	default:
		rq.fail(methodNotAllowed())
	}
	return true
}

// withException returns a copy of m with key set to x.
func withException(m map[string]*exception, key string, x *exception) map[string]*exception {
	out := make(map[string]*exception, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out[key] = x
	return out
}
