package targettest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/target"
)

var _ target.EventInspector = (*memMailbox)(nil)

// maxExpandDays bounds an expansion (a series without an end is cut
// there).
const maxExpandDays = 20 * 366

// Occurrences implements target.EventInspector: the series' occurrences
// expanded from its Recurrence as Graph's recurrence patterns define
// them (https://learn.microsoft.com/graph/api/resources/recurrencepattern
// and .../recurrencerange), in the zone of the event's start, with the
// starts in Event.Cancelled left out, as Graph's /instances leaves
// deleted occurrences out.
func (mb *memMailbox) Occurrences(ctx context.Context, f target.FolderID, id target.ItemID, from, to time.Time) ([]time.Time, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	mb.m.mu.Lock()
	defer mb.m.mu.Unlock()
	var ev *target.Event
	for _, it := range mb.items {
		if it.ID == id && it.Folder == f && it.Kind == kindEvent && !it.partial {
			ev = it.Event
		}
	}
	if ev == nil {
		return nil, fmt.Errorf("event %s in calendar %s: %w", id, f, target.ErrNotFound)
	}
	if ev.Recurrence == nil {
		return nil, nil
	}
	var out []time.Time
	for _, t := range expand(ev.Recurrence, ev.Start, to) {
		if t.Before(from) || (!mb.m.keepCancelled && slices.ContainsFunc(ev.Cancelled, t.Equal)) {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// expand returns the starts of a series' occurrences before to: each
// day from the range's start that the pattern matches, at the wall time
// of start, until the range's end.
func expand(r *target.Recurrence, start, to time.Time) []time.Time {
	loc := start.Location()
	wall := start.In(loc)
	first := r.StartDate
	if first.IsZero() {
		first = wall
	}
	first = time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, loc)
	interval := max(r.Interval, 1)
	fdow := weekday(r.FirstDayOfWeek, time.Sunday)
	weekStart := func(t time.Time) time.Time {
		return t.AddDate(0, 0, -((int(t.Weekday()) - int(fdow) + 7) % 7))
	}
	months := func(t time.Time) int { return (t.Year()-first.Year())*12 + int(t.Month()) - int(first.Month()) }
	onDay := func(t time.Time) bool {
		return slices.ContainsFunc(r.DaysOfWeek, func(n string) bool { return weekday(n, -1) == t.Weekday() })
	}
	inIndex := func(t time.Time) bool {
		switch r.Index {
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
		switch r.Pattern {
		case "daily":
			return int(t.Sub(first).Hours()/24+0.5)%interval == 0
		case "weekly":
			weeks := int(weekStart(t).Sub(weekStart(first)).Hours()/(24*7) + 0.5)
			return onDay(t) && weeks%interval == 0
		case "absoluteMonthly":
			return t.Day() == r.DayOfMonth && months(t)%interval == 0
		case "relativeMonthly":
			return onDay(t) && inIndex(t) && months(t)%interval == 0
		case "absoluteYearly":
			return int(t.Month()) == r.Month && t.Day() == r.DayOfMonth && (t.Year()-first.Year())%interval == 0
		case "relativeYearly":
			return int(t.Month()) == r.Month && onDay(t) && inIndex(t) && (t.Year()-first.Year())%interval == 0
		}
		return false
	}
	var out []time.Time
	count := 0
	for i := range maxExpandDays {
		day := first.AddDate(0, 0, i)
		if !r.EndDate.IsZero() && day.After(time.Date(r.EndDate.Year(), r.EndDate.Month(), r.EndDate.Day(), 0, 0, 0, 0, loc)) {
			break
		}
		if !match(day) {
			continue
		}
		count++
		if r.Occurrences > 0 && count > r.Occurrences {
			break
		}
		occ := time.Date(day.Year(), day.Month(), day.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, loc)
		if !occ.Before(to) {
			break
		}
		out = append(out, occ)
	}
	return out
}

// weekday parses a Graph dayOfWeek name.
func weekday(name string, def time.Weekday) time.Weekday {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(name, d.String()) {
			return d
		}
	}
	return def
}
