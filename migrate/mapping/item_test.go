package mapping

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/source"
)

func TestItem(t *testing.T) {
	date := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	received := time.Date(2021, 6, 1, 12, 30, 0, 0, time.UTC)
	inbox := FolderMapping{Source: fo("INBOX"), WellKnown: WellKnownInbox}
	drafts := FolderMapping{Source: fo("Drafts", role(source.Drafts)), WellKnown: WellKnownDrafts}
	draftsSub := FolderMapping{Source: fo("Drafts/Old"), WellKnown: WellKnownDrafts, Target: []string{"Old"}}
	excluded := FolderMapping{Source: fo("Trash"), Excluded: true, Reason: `matches folders.exclude pattern "Trash"`}
	filters := &ItemOptions{
		Since:         date("2020-01-01"),
		Before:        date("2024-01-01"),
		MaxSize:       50 << 20,
		TargetMaxSize: 35 << 20,
	}
	tests := []struct {
		name   string
		ref    source.ItemRef
		folder FolderMapping
		opts   *ItemOptions
		want   Decision
	}{{
		name:   "plain read message",
		ref:    source.ItemRef{Key: "1.1", Size: 1000, Date: received, Flags: []string{`\Seen`, "Work"}},
		folder: inbox,
		want:   Decision{State: State{Read: true, Categories: []string{"Work"}}, Received: received},
	}, {
		name:   "no flags: unread",
		ref:    source.ItemRef{Key: "uidl-1", Size: 1000},
		folder: inbox,
		want:   Decision{},
	}, {
		name:   "no flags, Read (POP3, pop3.read): read",
		ref:    source.ItemRef{Key: "uidl-1", Size: 1000},
		folder: inbox,
		opts:   &ItemOptions{Read: true},
		want:   Decision{State: State{Read: true}},
	}, {
		name:   "deleted skipped by default",
		ref:    source.ItemRef{Size: 10, Date: received, Flags: []string{`\Deleted`, `\Seen`}},
		folder: inbox,
		want:   Decision{Skip: true, Rule: SkipDeleted, Reason: `flagged \Deleted on the source`, State: State{Read: true, Deleted: true}, Received: received},
	}, {
		name:   "deleted skipped when asked",
		ref:    source.ItemRef{Size: 10, Date: received, Flags: []string{`\Deleted`}},
		folder: inbox,
		opts:   &ItemOptions{DeletedItems: "skip"},
		want:   Decision{Skip: true, Rule: SkipDeleted, Reason: `flagged \Deleted on the source`, State: State{Deleted: true}, Received: received},
	}, {
		name:   "deleted migrated when asked",
		ref:    source.ItemRef{Size: 10, Date: received, Flags: []string{`\Deleted`}},
		folder: inbox,
		opts:   &ItemOptions{DeletedItems: "migrate"},
		want:   Decision{State: State{Deleted: true}, Received: received},
	}, {
		name:   "excluded folder",
		ref:    source.ItemRef{Size: 10, Date: received},
		folder: excluded,
		want:   Decision{Skip: true, Rule: SkipFolderExcluded, Reason: `its folder is not migrated: matches folders.exclude pattern "Trash"`, Received: received},
	}, {
		name:   "the source advises against the item",
		ref:    source.ItemRef{Size: 10, Date: received, Skip: "a meeting reply, not an event"},
		folder: inbox,
		opts:   filters,
		want:   Decision{Skip: true, Rule: SkipSource, Reason: "a meeting reply, not an event", Received: received},
	}, {
		name:   "before since",
		ref:    source.ItemRef{Size: 10, Date: date("2019-12-31").Add(23 * time.Hour)},
		folder: inbox,
		opts:   filters,
		want:   Decision{Skip: true, Rule: SkipSince, Reason: "received 2019-12-31 23:00:00Z, before filters.since (2020-01-01)", Received: date("2019-12-31").Add(23 * time.Hour)},
	}, {
		name:   "on the since day",
		ref:    source.ItemRef{Size: 10, Date: date("2020-01-01")},
		folder: inbox,
		opts:   filters,
		want:   Decision{Received: date("2020-01-01")},
	}, {
		name:   "on the before day",
		ref:    source.ItemRef{Size: 10, Date: date("2024-01-01")},
		folder: inbox,
		opts:   filters,
		want:   Decision{Skip: true, Rule: SkipBefore, Reason: "received 2024-01-01, not before filters.before (2024-01-01)", Received: date("2024-01-01")},
	}, {
		name:   "date in another zone compared as an instant",
		ref:    source.ItemRef{Size: 10, Date: time.Date(2020, 1, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600))},
		folder: inbox,
		opts:   filters,
		want:   Decision{Skip: true, Rule: SkipSince, Reason: "received 2019-12-31 23:30:00Z, before filters.since (2020-01-01)", Received: time.Date(2020, 1, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600))},
	}, {
		name:   "unknown date passes the date filters",
		ref:    source.ItemRef{Size: 10},
		folder: inbox,
		opts:   filters,
		want:   Decision{},
	}, {
		name:   "larger than max_size",
		ref:    source.ItemRef{Size: 50<<20 + 1, Date: received},
		folder: inbox,
		opts:   filters,
		want:   Decision{Skip: true, Rule: SkipMaxSize, Reason: "52428801 bytes, larger than filters.max_size (50MB)", Received: received},
	}, {
		name:   "larger than the tenant accepts",
		ref:    source.ItemRef{Size: 40 << 20, Date: received},
		folder: inbox,
		opts:   filters,
		want:   Decision{Skip: true, Rule: SkipTooLarge, Reason: "41943040 bytes, larger than the target accepts (target.max_message_size 35MB; Exchange Online allows up to 150MB if an administrator raises it)", Received: received},
	}, {
		name:   "exactly the limit passes",
		ref:    source.ItemRef{Size: 35 << 20, Date: received},
		folder: inbox,
		opts:   filters,
		want:   Decision{Received: received},
	}, {
		name:   "unknown size passes the size filters",
		ref:    source.ItemRef{Size: -1, Date: received},
		folder: inbox,
		opts:   filters,
		want:   Decision{Received: received},
	}, {
		name:   "first reason wins: deleted before date",
		ref:    source.ItemRef{Size: 60 << 20, Date: date("2000-01-01"), Flags: []string{`\Deleted`}},
		folder: inbox,
		opts:   filters,
		want:   Decision{Skip: true, Rule: SkipDeleted, Reason: `flagged \Deleted on the source`, State: State{Deleted: true}, Received: date("2000-01-01")},
	}, {
		name:   "a message in Drafts is a draft",
		ref:    source.ItemRef{Size: 10, Date: received, Flags: []string{`\Seen`}},
		folder: drafts,
		want:   Decision{State: State{Read: true, Draft: true}, Received: received},
	}, {
		name:   "a message in a subfolder of Drafts is not",
		ref:    source.ItemRef{Size: 10, Date: received},
		folder: draftsSub,
		want:   Decision{Received: received},
	}, {
		name:   "\\Draft anywhere is a draft",
		ref:    source.ItemRef{Size: 10, Date: received, Flags: []string{`\Draft`}},
		folder: inbox,
		want:   Decision{State: State{Draft: true}, Received: received},
	}, {
		name:   "flag options apply",
		ref:    source.ItemRef{Size: 10, Date: received, Flags: []string{"$label1"}},
		folder: inbox,
		opts:   &ItemOptions{Flags: &FlagOptions{Labels: map[string]string{"$label1": "Urgent"}}},
		want:   Decision{State: State{Categories: []string{"Urgent"}}, Received: received},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Item(tt.ref, tt.folder, tt.opts)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Item() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewItemOptions(t *testing.T) {
	since, _ := time.Parse("2006-01-02", "2020-01-01")
	got := NewItemOptions(
		config.Filters{Since: config.Date{Time: since}, MaxSize: 50 << 20, DeletedItems: "migrate"},
		config.Target{MaxMessageSize: 35 << 20},
		config.Keywords{KeepDollar: true},
	)
	want := &ItemOptions{Since: since, MaxSize: 50 << 20, TargetMaxSize: 35 << 20, DeletedItems: "migrate", Flags: &FlagOptions{KeepDollarKeywords: true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NewItemOptions() mismatch (-want +got):\n%s", diff)
	}
	def := config.Defaults()
	d := NewItemOptions(def.Filters, def.Target, def.Keywords)
	if d.DeletedItems != "skip" || d.TargetMaxSize != 35<<20 || !d.Since.IsZero() || d.MaxSize != 0 || d.Flags == nil || d.Flags.KeepDollarKeywords {
		t.Errorf("NewItemOptions(defaults) = %+v", d)
	}
}

// TestKeepDollarKeywordsSetting follows keywords.keep_dollar from the
// project settings to an item's categories and dropped keywords.
func TestKeepDollarKeywordsSetting(t *testing.T) {
	ref := source.ItemRef{Key: "1.1", Size: 10, Flags: []string{`\Seen`, "$MDNSent", "$Project_X", "Work"}}
	folder := FolderMapping{WellKnown: WellKnownInbox}
	tests := []struct {
		keep          bool
		wantCats      []string
		wantDropped   []string
		wantKeepables []string
	}{
		{keep: false, wantCats: []string{"Work"}, wantDropped: []string{"$MDNSent", "$Project_X"}, wantKeepables: []string{"$Project_X"}},
		{keep: true, wantCats: []string{"Project_X", "Work"}, wantDropped: []string{"$MDNSent"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("keep_dollar=%v", tt.keep), func(t *testing.T) {
			def := config.Defaults()
			def.Keywords.KeepDollar = tt.keep
			d := Item(ref, folder, NewItemOptions(def.Filters, def.Target, def.Keywords))
			if diff := cmp.Diff(tt.wantCats, d.State.Categories); diff != "" {
				t.Errorf("categories mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantDropped, d.State.Dropped); diff != "" {
				t.Errorf("dropped mismatch (-want +got):\n%s", diff)
			}
			var keepable []string
			for _, k := range d.State.Dropped {
				if KeptByKeepDollar(k) {
					keepable = append(keepable, k)
				}
			}
			if diff := cmp.Diff(tt.wantKeepables, keepable); diff != "" {
				t.Errorf("KeptByKeepDollar mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReceiptRequestHeaders(t *testing.T) {
	h := ReceiptRequestHeaders()
	for _, want := range []string{"Disposition-Notification-To", "Return-Receipt-To"} {
		found := false
		for _, x := range h {
			if strings.EqualFold(x, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("ReceiptRequestHeaders() = %q, lacks %q", h, want)
		}
	}
	h[0] = "changed"
	if ReceiptRequestHeaders()[0] == "changed" {
		t.Error("ReceiptRequestHeaders() returns shared state")
	}
}

// TestReceivedDate follows the received-date rule: the source's date, else
// the newest Received field, else Date, else the time of the run.
func TestReceivedDate(t *testing.T) {
	server := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	received := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	date := time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var zero time.Time
	tests := []struct {
		name                   string
		server, received, date time.Time
		want                   time.Time
		wantFrom               string
	}{
		{"IMAP INTERNALDATE wins", server, received, date, server, ReceivedFromServer},
		{"POP3: the Received field", zero, received, date, received, ReceivedFromHeader},
		{"no Received: Date", zero, zero, date, date, ReceivedFromDate},
		{"nothing: the time of the run", zero, zero, zero, now, ReceivedFromRun},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, from := ReceivedDate(tt.server, tt.received, tt.date, now)
			if !got.Equal(tt.want) || from != tt.wantFrom {
				t.Errorf("ReceivedDate() = %v, %q; want %v, %q", got, from, tt.want, tt.wantFrom)
			}
		})
	}
}
