package migrate

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/target"
)

// pimFolder reads and maps every item to migrate of an address book or
// calendar (fm, listed as pf) the way the run will (readPIM), and counts
// what they give: contacts, events, series and their exceptions, series
// expanded into single events, objects that do not parse (listed with
// their key and reason), and properties the target cannot keep as they
// are (counted by property, never with a value). The items are small
// (bounded by MaxPIMItemBytes), so all of them are read. A source that
// fails to give an item is logged and the item left uncounted; only a
// cancelled context is returned.
func (a *assessment) pimFolder(ctx context.Context, acct source.Account, fm mapping.FolderMapping, pf *plan.Folder, refs []source.ItemRef) error {
	f := fm.Source
	counts := plan.PIM{}
	for _, ref := range refs {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := readPIM(ctx, acct, f, ref)
		if err != nil {
			if !errors.Is(err, ErrBadObject) {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				a.log.Warn("reading a contact or event item", "folder", pf.Path, "key", ref.Key, "err", a.red.Error(err))
				continue
			}
			counts.Unparsable++
			a.unparsable(pf.Path, ref, err.Error())
			continue
		}
		for _, bad := range p.Bad {
			counts.Unparsable++
			a.unparsable(pf.Path, ref, bad)
		}
		if len(p.Events) > 0 {
			a.dateLargest(pf.Path, ref.Key, eventDate(&p.Events[0]))
		}
		counts.Contacts += int64(len(p.Contacts))
		counts.Events += int64(len(p.Events))
		for _, ev := range p.Events {
			if ev.Recurrence != nil {
				counts.Series++
				counts.Moved += int64(len(ev.Overrides))
				counts.Cancelled += int64(len(ev.Cancelled))
			}
		}
		counts.Expanded += int64(p.Expanded)
		counts.ExpandedEvents += int64(p.ExpandedEvents)
		a.pimFields(string(f.Kind), p.Fields)
	}
	pf.PIM = &counts
	if a.mb.PIM == nil {
		a.mb.PIM = &plan.PIM{}
	}
	a.mb.PIM.Add(counts)
	return nil
}

// eventDate is the date an event is listed by (the largest items): its
// start (a series' first occurrence); for an all-day event, its day as
// midnight UTC, so that the day shown is the event's own in any zone.
func eventDate(e *target.Event) time.Time {
	if e.AllDay {
		y, m, d := e.Start.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	return e.Start.UTC()
}

// unparsable lists an object that does not parse.
func (a *assessment) unparsable(folder string, ref source.ItemRef, reason string) {
	it := plan.Item{Folder: folder, Key: ref.Key, Size: max(ref.Size, 0), Date: ref.Date.UTC(), Reason: a.red.String(reason)}
	if ref.Date.IsZero() {
		it.Date = time.Time{}
	}
	a.mb.Unparsable = append(a.mb.Unparsable, it)
}

// pimFields counts the properties of one item the target cannot keep as
// they are, once per property and action for the item.
func (a *assessment) pimFields(kind string, fields []pimField) {
	seen := map[pimField]bool{}
	for _, f := range fields {
		if seen[f] {
			continue
		}
		seen[f] = true
		i := slices.IndexFunc(a.mb.PIMFields, func(c plan.FieldCount) bool {
			return c.Kind == kind && c.Property == f.Property && c.Action == f.Action
		})
		if i < 0 {
			a.mb.PIMFields = append(a.mb.PIMFields, plan.FieldCount{Kind: kind, Property: f.Property, Action: f.Action})
			i = len(a.mb.PIMFields) - 1
		}
		a.mb.PIMFields[i].Items++
	}
}

// sortPIMFields orders the counts most items first, then by kind,
// property and action.
func sortPIMFields(fs []plan.FieldCount) {
	slices.SortFunc(fs, func(x, y plan.FieldCount) int {
		return cmp.Or(cmp.Compare(y.Items, x.Items), cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Property, y.Property), cmp.Compare(x.Action, y.Action))
	})
}
