package targettest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/target"
)

func TestOccurrences(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 1, d, 9, 0, 0, 0, time.UTC) }
	tests := []struct {
		name      string
		rec       *target.Recurrence
		cancelled []time.Time
		from, to  time.Time
		want      []time.Time
	}{
		{name: "weekly on Monday, 5 times, one cancelled", rec: &target.Recurrence{Pattern: "weekly", Interval: 1, DaysOfWeek: []string{"monday"}, StartDate: day(5), Occurrences: 5},
			cancelled: []time.Time{day(12)}, from: day(1), to: day(31), want: []time.Time{day(5), day(19), day(26)}},
		{name: "daily every 2 days until the 9th, a window", rec: &target.Recurrence{Pattern: "daily", Interval: 2, StartDate: day(1), EndDate: day(9)},
			from: day(3), to: day(8), want: []time.Time{day(3), day(5), day(7)}},
		{name: "absolute monthly, no end", rec: &target.Recurrence{Pattern: "absoluteMonthly", Interval: 1, DayOfMonth: 5, StartDate: day(5)},
			from: day(1), to: time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC), want: []time.Time{day(5), day(5).AddDate(0, 1, 0), day(5).AddDate(0, 2, 0)}},
		{name: "a single event", from: day(1), to: day(31)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			mem := NewMemory()
			mb, _ := mem.Open(ctx, "a@example.test")
			ew := mb.(target.EventWriter)
			cal, _ := ew.EnsureCalendar(ctx, "")
			start := tt.from
			if tt.rec != nil {
				start = tt.rec.StartDate
			}
			c, err := ew.PutEvent(ctx, cal, &target.Event{SourceKey: "k", Start: start, End: start.Add(time.Hour), Recurrence: tt.rec, Cancelled: tt.cancelled})
			if err != nil {
				t.Fatal(err)
			}
			got, err := mb.(target.EventInspector).Occurrences(ctx, cal, c.ID, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, tt.want, time.Time.Equal) {
				t.Errorf("Occurrences = %v, want %v", got, tt.want)
			}
		})
	}
}
