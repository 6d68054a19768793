package graph

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// TestMasterCategories: the writers of contacts, events and messages add
// the categories an item uses to the mailbox's master category list,
// once, whatever the letter case, from concurrent writers and from other
// clients of the same mailbox.
func TestMasterCategories(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	cf, err := mb.EnsureContactFolder(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := mb.EnsureCalendar(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := mb.EnsureFolder(ctx, target.Inbox, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mb.PutContact(ctx, cf, &target.Contact{SourceKey: "c1", GivenName: "A", Categories: []string{"Family", "Friends"}}); err != nil {
		t.Fatalf("PutContact = %v", err)
	}
	ev := &target.Event{SourceKey: "e1", Subject: "Party", Start: time.Date(2024, 5, 1, 18, 0, 0, 0, time.UTC),
		End: time.Date(2024, 5, 1, 20, 0, 0, 0, time.UTC), Categories: []string{"FRIENDS", "Holidays"}}
	if _, err := mb.PutEvent(ctx, cal, ev); err != nil {
		t.Fatalf("PutEvent = %v", err)
	}
	m := testMessage(t, "m1", mime("Tagged"))
	m.Categories = []string{"Receipts"}
	if _, err := mb.PutMessage(ctx, inbox, m); err != nil {
		t.Fatalf("PutMessage = %v", err)
	}
	// Another client of the mailbox, whose list is stale once the first
	// one adds a name: the 409 of the name added meanwhile is no error.
	other := newClient(t, e.ep, nil)
	omb, err := other.Mailbox(ctx, testUser)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := omb.(target.ContactWriter).PutContact(ctx, cf, &target.Contact{SourceKey: "c2", GivenName: "B", Categories: []string{"family"}}); err != nil {
		t.Fatalf("PutContact(other client) = %v", err)
	}
	if _, err := mb.PutContact(ctx, cf, &target.Contact{SourceKey: "c3", GivenName: "C", Categories: []string{"Work"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := omb.(target.ContactWriter).PutContact(ctx, cf, &target.Contact{SourceKey: "c4", GivenName: "D", Categories: []string{"WORK"}}); err != nil {
		t.Fatalf("PutContact(stale list) = %v", err)
	}
	// Concurrent writers of one new name.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			_, err := mb.PutContact(ctx, cf, &target.Contact{SourceKey: fmt.Sprintf("team%d", i), GivenName: "T", Categories: []string{"Team"}})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent PutContact = %v", err)
		}
	}
	want := []string{"Family", "Friends", "Holidays", "Receipts", "Work", "Team"}
	if got := e.dump(t).MasterCategories; !slices.Equal(got, want) {
		t.Errorf("master categories = %q, want %q", got, want)
	}
	if n := e.dump(t).MeetingMessagesSent; n != 0 {
		t.Errorf("meeting messages sent = %d, want 0", n)
	}
}

// TestMasterCategoriesRefused: without MailboxSettings.ReadWrite the
// items are still created with their categories, with a note.
func TestMasterCategoriesRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, &graphemu.Options{Apps: []graphemu.App{{ClientID: "nosettings", ClientSecret: "s-nosettings",
		Permissions: []string{graphemu.PermUserReadAll, graphemu.PermMailReadWrite, graphemu.PermContactsReadWrite, graphemu.PermCalendarsReadWrite}}}}, nil)
	c := newClient(t, e.ep, &Config{ClientID: "nosettings", ClientSecret: "s-nosettings"})
	ctx := testContext(t)
	h, err := c.Mailbox(ctx, testUser)
	if err != nil {
		t.Fatal(err)
	}
	mb := h.(*mailbox)
	cf, err := mb.EnsureContactFolder(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"c1", "c2"} {
		created, err := mb.PutContact(ctx, cf, &target.Contact{SourceKey: key, GivenName: "A", Categories: []string{"Family"}})
		if err != nil {
			t.Fatalf("PutContact = %v", err)
		}
		if len(created.Notes) != 1 || !strings.Contains(created.Notes[0], `categories "Family" kept on the item but not added`) || !strings.Contains(created.Notes[0], "MailboxSettings.ReadWrite") {
			t.Errorf("PutContact notes = %q", created.Notes)
		}
	}
	n := 0
	for _, f := range e.dump(t).Folders {
		for _, it := range f.Items {
			n++
			if cs, _ := it.Graph["categories"].([]any); len(cs) != 1 || cs[0] != "Family" {
				t.Errorf("contact categories = %v", it.Graph["categories"])
			}
		}
	}
	if n != 2 {
		t.Errorf("the mailbox holds %d items, want the 2 contacts", n)
	}
	if got := e.dump(t).MasterCategories; len(got) != 0 {
		t.Errorf("master categories = %q", got)
	}
}

// TestEventAttachments: small attachments go by POST, large ones (3 MB
// and more) through an upload session, all before the event's stamp is
// complete; an attachment Graph cannot take refuses the event before
// anything is created.
func TestEventAttachments(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	cal, err := mb.EnsureCalendar(ctx, "With files")
	if err != nil {
		t.Fatal(err)
	}
	file := func(name string, data []byte) target.EventAttachment {
		return target.EventAttachment{Name: name, ContentType: "application/pdf", Size: int64(len(data)),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
	}
	small := []byte("%PDF-1.4 agenda")
	large := bytes.Repeat([]byte("0123456789abcdef"), (3<<20+4096)/16)
	ev := &target.Event{SourceKey: "caldav:/files.ics", ContentID: "sha256:f1", Subject: "Review",
		Start: time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 4, 10, 0, 0, 0, time.UTC),
		Attendees:   []target.Attendee{{Address: target.Address{Address: "bob@old.test"}}},
		Attachments: []target.EventAttachment{file("agenda.pdf", small), file("slides.pdf", large)}}
	created, err := mb.PutEvent(ctx, cal, ev)
	if err != nil {
		t.Fatalf("PutEvent = %v", err)
	}
	it := e.onlyItem(t, cal)
	if string(created.ID) != it.ID {
		t.Errorf("created %s, folder holds %s", created.ID, it.ID)
	}
	if v, _ := extValue(it, StampPropertyID); v != "caldav:/files.ics sha256:f1" {
		t.Errorf("stamp = %q, want the complete stamp", v)
	}
	if len(it.Attachments) != 2 || it.Attachments[0].Name != "agenda.pdf" || it.Attachments[0].Size != int64(len(small)) ||
		it.Attachments[1].Name != "slides.pdf" || it.Attachments[1].Size != int64(len(large)) || it.Attachments[1].ContentType != "application/pdf" {
		t.Errorf("attachments = %+v", it.Attachments)
	}
	var stamps int
	for s, err := range mb.EventStamps(ctx, cal) {
		if err != nil || s.SourceKey != ev.SourceKey {
			t.Errorf("EventStamps = %+v, %v", s, err)
		}
		stamps++
	}
	if stamps != 1 {
		t.Errorf("EventStamps listed %d, want 1", stamps)
	}

	huge := target.EventAttachment{Name: "huge.iso", Size: uploadSessionMax + 1, Open: func() (io.ReadCloser, error) { return nil, io.EOF }}
	bad := &target.Event{SourceKey: "caldav:/huge.ics", Subject: "Huge", Start: ev.Start, End: ev.End, Attachments: []target.EventAttachment{huge}}
	var ie *target.ItemError
	if _, err := mb.PutEvent(ctx, cal, bad); !errors.As(err, &ie) {
		t.Errorf("PutEvent(150 MB + 1) = %v; want an ItemError", err)
	}
	if n := len(e.folderItems(t, cal)); n != 1 {
		t.Errorf("calendar holds %d events after the refused one, want 1", n)
	}
	if n := e.dump(t).MeetingMessagesSent; n != 0 {
		t.Errorf("meeting messages sent = %d, want 0", n)
	}
}
