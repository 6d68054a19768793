package graph

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/migrate-tool/migrate/target"
)

var _ target.Inspector = (*mailbox)(nil)

// Folders lists every mail folder of the mailbox: the root
// (msgfolderroot), then its descendants breadth first through childFolders
// with their totalItemCount and sizeInBytes
// (https://learn.microsoft.com/graph/api/mailfolder-list-childfolders). The
// well-known folders are found by name to mark them. It only reads.
func (mb *mailbox) Folders(ctx context.Context) ([]target.FolderInfo, error) {
	where := "mailbox " + mb.address
	folders := mb.user().MailFolders()
	get := func(name string) (models.MailFolderable, error) {
		var f models.MailFolderable
		err := mb.c.retry(ctx, mb.pace, where, "get the folder "+name, func(ctx context.Context) error {
			var err error
			f, err = folders.ByMailFolderId(name).Get(ctx, &users.ItemMailFoldersMailFolderItemRequestBuilderGetRequestConfiguration{
				QueryParameters: &users.ItemMailFoldersMailFolderItemRequestBuilderGetQueryParameters{Select: []string{"id", "displayName", "totalItemCount"}},
			})
			return err
		}, nil)
		return f, err
	}
	root, err := get(target.Root)
	if err != nil {
		return nil, mb.c.describe(err, where, "get the mailbox root", permMail)
	}
	wellKnown := map[string]string{val(root.GetId()): target.Root}
	for _, name := range target.WellKnownMail() {
		f, err := get(name)
		if err != nil {
			if he, ok := asHTTPError(err); ok && he.status == 404 {
				continue // a mailbox without an archive folder, say
			}
			return nil, mb.c.describe(err, where, "get the folder "+name, permMail)
		}
		wellKnown[val(f.GetId())] = name
	}
	out := []target.FolderInfo{{ID: target.FolderID(val(root.GetId())), Name: val(root.GetDisplayName()), WellKnown: target.Root, Items: count(root.GetTotalItemCount()), Bytes: -1}}
	queue := []target.FolderID{out[0].ID}
	top := int32(250)
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		builder := folders.ByMailFolderId(string(parent)).ChildFolders()
		cfg := &users.ItemMailFoldersItemChildFoldersRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.ItemMailFoldersItemChildFoldersRequestBuilderGetQueryParameters{
				Select: []string{"id", "displayName", "parentFolderId", "totalItemCount", "childFolderCount"}, Top: &top},
		}
		for f, err := range pages(ctx, mb, where, fmt.Sprintf("list the folders under %s", parent),
			func(ctx context.Context) (models.MailFolderCollectionResponseable, error) {
				return builder.Get(ctx, cfg)
			},
			func(ctx context.Context, link string) (models.MailFolderCollectionResponseable, error) {
				return builder.WithUrl(link).Get(ctx, nil)
			}) {
			if err != nil {
				return nil, err
			}
			id := target.FolderID(val(f.GetId()))
			out = append(out, target.FolderInfo{ID: id, ParentID: parent, Name: val(f.GetDisplayName()), WellKnown: wellKnown[string(id)], Items: count(f.GetTotalItemCount()), Bytes: -1})
			if c := f.GetChildFolderCount(); c == nil || *c > 0 {
				queue = append(queue, id)
			}
		}
	}
	return out, nil
}

// Quota reads the mailbox's Prohibit Send/Receive quota and storage used
// from the tenant's mailbox usage report (see usageReport), which needs
// Reports.Read.All: without it, when the tenant conceals user names in
// reports, or when the mailbox is not in the report yet, the quota is
// unknown with the reason in Quota.Unknown.
// https://learn.microsoft.com/graph/api/reportroot-getmailboxusagedetail
func (mb *mailbox) Quota(ctx context.Context) (target.Quota, error) {
	u, err := mb.c.usageReport(ctx)
	if err != nil {
		return target.Quota{}, err
	}
	upn := mb.upn
	if upn == "" {
		upn = mb.address
	}
	return u.quota(upn), nil
}

func count(n *int32) int64 {
	if n == nil {
		return -1
	}
	return int64(*n)
}

var _ target.EventInspector = (*mailbox)(nil)

// Occurrences implements target.EventInspector with two reads: GET the
// event (its type, start and end), then, for a series master, GET
// /users/{id}/calendars/{cal}/events/{id}/instances with startDateTime
// and endDateTime, paged through @odata.nextLink, and the originalStart
// of each instance ("the start time of an event when it is initially
// created as an occurrence or exception in a recurring series ... always
// in UTC", https://learn.microsoft.com/graph/api/resources/event).
// /instances leaves deleted occurrences out and selects the occurrences
// and exceptions by their own start and end, so a changed occurrence
// moved away from its original start is listed where it is now
// (https://learn.microsoft.com/graph/api/event-list-instances: its
// example lists an exception moved from 4/15 to 4/16). The query window
// is therefore [from, to) widened by the series' duration plus a day on
// both sides, and the instances are kept by their originalStart; an
// occurrence moved further than a day from its original start, out of
// that window, is not seen. A single event has none.
func (mb *mailbox) Occurrences(ctx context.Context, f target.FolderID, id target.ItemID, from, to time.Time) ([]time.Time, error) {
	where := fmt.Sprintf("%s, event %s", mb.where(f, ""), id)
	ev := mb.user().Calendars().ByCalendarId(string(f)).Events().ByEventId(string(id))
	var master models.Eventable
	err := mb.c.retry(ctx, mb.pace, where, "get the series", func(ctx context.Context) error {
		var err error
		master, err = ev.Get(ctx, &users.ItemCalendarsItemEventsEventItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.ItemCalendarsItemEventsEventItemRequestBuilderGetQueryParameters{Select: []string{"id", "type", "start", "end"}},
		})
		return err
	}, nil)
	if err != nil {
		return nil, mb.c.describe(err, where, "get the series", permCalendars)
	}
	if t := master.GetTypeEscaped(); t == nil || *t != models.SERIESMASTER_EVENTTYPE {
		return nil, nil
	}
	margin := eventDuration(master) + 24*time.Hour
	b := ev.Instances()
	top := int32(500)
	cfg := &users.ItemCalendarsItemEventsItemInstancesRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemCalendarsItemEventsItemInstancesRequestBuilderGetQueryParameters{
			StartDateTime: new(from.Add(-margin).UTC().Format(time.RFC3339)), EndDateTime: new(to.Add(margin).UTC().Format(time.RFC3339)),
			Select: []string{"id", "originalStart"}, Top: &top,
		},
	}
	var out []time.Time
	for inst, err := range permPages(ctx, mb, permCalendars, where, "list the series' occurrences",
		func(ctx context.Context) (models.EventCollectionResponseable, error) { return b.Get(ctx, cfg) },
		func(ctx context.Context, link string) (models.EventCollectionResponseable, error) {
			return b.WithUrl(link).Get(ctx, nil)
		}) {
		if err != nil {
			return nil, err
		}
		orig := inst.GetOriginalStart()
		if orig == nil || orig.Before(from) || !orig.Before(to) {
			continue
		}
		out = append(out, orig.UTC())
	}
	slices.SortFunc(out, time.Time.Compare)
	return slices.CompactFunc(out, time.Time.Equal), nil
}

// eventDuration is how long ev lasts, from its start and end as Graph
// returns them (both in the same zone: UTC unless a Prefer:
// outlook.timezone header asks for another); 0 when either is missing.
func eventDuration(ev models.Eventable) time.Duration {
	parse := func(d models.DateTimeTimeZoneable) (time.Time, bool) {
		if d == nil || d.GetDateTime() == nil {
			return time.Time{}, false
		}
		t, err := time.Parse("2006-01-02T15:04:05.9999999", strings.TrimSuffix(*d.GetDateTime(), "Z"))
		return t, err == nil
	}
	s, ok1 := parse(ev.GetStart())
	e, ok2 := parse(ev.GetEnd())
	if !ok1 || !ok2 || e.Before(s) {
		return 0
	}
	return e.Sub(s)
}
