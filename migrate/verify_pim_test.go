package migrate

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/targettest"
)

// putPIM creates in tgt what the run creates of the source's address books
// and calendars (readPIM, the folders by their mapping), and records the
// folders in st, except the folder named leaveOut (folderName), which is
// not migrated; it returns the target items by source key.
func putPIM(t *testing.T, mem *sourcetest.Memory, tgt *targettest.Memory, st state.Store, m config.Mailbox, leaveOut string) map[string]target.ItemID {
	t.Helper()
	ctx := context.Background()
	acct, err := mem.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer acct.Close()
	folders, _ := acct.Folders(ctx)
	rules, _ := mapping.NewRules(config.Defaults().Folders, nil)
	fms, err := mapping.Folders(folders, rules)
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := tgt.Open(ctx, m.Target())
	if err := st.PutMailbox(ctx, state.Mailbox{ID: mailboxID(m), SourceAddress: m.EmailAddress, TargetAddress: m.Target(), Protocol: "imap", Status: state.StatusMigrated}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]target.ItemID{}
	for _, fm := range fms {
		if mapping.IsMail(fm.Source.Kind) || fm.Excluded || folderName(fm.Source) == leaveOut {
			continue
		}
		var fid target.FolderID
		if fm.Source.Kind == source.KindContact {
			fid, err = mb.(target.ContactWriter).EnsureContactFolder(ctx, fm.Target)
		} else {
			fid, err = mb.(target.EventWriter).EnsureCalendar(ctx, calendarName(fm))
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := st.PutFolder(ctx, state.Folder{Mailbox: mailboxID(m), SourcePath: folderName(fm.Source), TargetPath: targetDisplay(fm), TargetID: string(fid)}); err != nil {
			t.Fatal(err)
		}
		for ref := range acct.Items(ctx, fm.Source) {
			p, err := readPIM(ctx, acct, fm.Source, ref)
			if err != nil {
				continue
			}
			for i := range p.Contacts {
				c, err := mb.(target.ContactWriter).PutContact(ctx, fid, &p.Contacts[i])
				if err != nil {
					t.Fatal(err)
				}
				ids[p.Contacts[i].SourceKey] = c.ID
			}
			for i := range p.Events {
				c, err := mb.(target.EventWriter).PutEvent(ctx, fid, &p.Events[i])
				if err != nil {
					t.Fatal(err)
				}
				ids[p.Events[i].SourceKey] = c.ID
			}
		}
	}
	return ids
}

func TestVerifyPIM(t *testing.T) {
	items := map[string][]string{"Contacts": {testCard, testCard + testCard2, "hello\r\n"}, "Work": {testEvent, testHourly, testWeekly}}
	// Items are keyed by folder and index: "Contacts 1", "Work 2#3" (the
	// third event of the third item).
	tests := []struct {
		name    string
		noState bool
		// leaveOut is a folder not migrated; noFinder hides the
		// target's PIMFinder.
		leaveOut string
		noFinder bool
		change   func(t *testing.T, tgt *targettest.Memory, addr string, id func(string) target.ItemID)
		problems []string // kind folder key
		ok       bool
	}{
		{name: "as migrated", ok: true, problems: []string{"unparsable contact:Contacts 2"}},
		{
			name: "a contact deleted in the target, an event doubled",
			change: func(t *testing.T, tgt *targettest.Memory, addr string, id func(string) target.ItemID) {
				if !tgt.Delete(addr, id("Contacts 1#2")) {
					t.Fatal("no contact to delete")
				}
				if _, ok := tgt.Duplicate(addr, id("Work 1#2")); !ok {
					t.Fatal("no event to double")
				}
			},
			problems: []string{"missing contact:Contacts 1#2", "unparsable contact:Contacts 2", "doubled event:Work 1#2"},
		},
		{
			name: "a cancelled occurrence the target still has",
			change: func(t *testing.T, tgt *targettest.Memory, addr string, id func(string) target.ItemID) {
				for _, it := range tgt.Items(addr) {
					if it.ID == id("Work 2") {
						it.Event.Cancelled = it.Event.Cancelled[:1]
					}
				}
			},
			problems: []string{"unparsable contact:Contacts 2", "changed event:Work 2"},
		},
		{
			name: "an extra contact",
			change: func(t *testing.T, tgt *targettest.Memory, addr string, id func(string) target.ItemID) {
				mb, _ := tgt.Open(context.Background(), addr)
				cw := mb.(target.ContactWriter)
				f, _ := cw.EnsureContactFolder(context.Background(), nil)
				if _, err := cw.PutContact(context.Background(), f, &target.Contact{SourceKey: "gone", DisplayName: "Gone"}); err != nil {
					t.Fatal(err)
				}
			},
			ok:       true,
			problems: []string{"unparsable contact:Contacts 2", "extra contact:Contacts gone"},
		},
		{
			// Without the state, the default address book is found, and
			// the calendar Work by its name (target.PIMFinder).
			name: "no state", noState: true, ok: true,
			problems: []string{"unparsable contact:Contacts 2"},
		},
		{
			// Without the state, a calendar the run never made is
			// missing, and verify does not make it.
			name: "no state, the calendar not migrated", noState: true, leaveOut: "event:Work",
			problems: []string{"unparsable contact:Contacts 2", "missing event:Work 0", "missing event:Work 1", "missing event:Work 1#2", "missing event:Work 1#3", "missing event:Work 2"},
		},
		{
			// A target that cannot find a calendar by name: only the
			// default address book is found.
			name: "no state, no PIMFinder", noState: true, noFinder: true,
			problems: []string{"unparsable contact:Contacts 2", "missing event:Work 0", "missing event:Work 1", "missing event:Work 1#2", "missing event:Work 1#3", "missing event:Work 2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			mem := pimSource(items)
			env, m := pimEnv(t, mem)
			st, err := state.Open(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			tgt := targettest.NewMemory()
			ids := putPIM(t, mem, tgt, st, m, tt.leaveOut)
			// name turns "Work 1#2" into the source key and back.
			keys := map[string]string{}
			acct, _ := mem.Open(ctx)
			fs, _ := acct.Folders(ctx)
			for _, f := range fs {
				i := 0
				for ref := range acct.Items(ctx, f) {
					keys[ref.Key] = strings.Join(f.Path, "/") + " " + string(rune('0'+i))
					i++
				}
			}
			name := func(key string) string {
				base, n, _ := strings.Cut(key, "#")
				if s, ok := keys[base]; ok {
					if n != "" {
						return s + "#" + n
					}
					return s
				}
				return key
			}
			id := func(n string) target.ItemID {
				for k, v := range ids {
					if name(k) == n {
						return v
					}
				}
				t.Fatalf("no target item %s", n)
				return ""
			}
			if tt.change != nil {
				tt.change(t, tgt, m.Target(), id)
			}
			env.Target = tgt.Open
			if tt.noFinder {
				env.Target = func(ctx context.Context, addr string) (target.Mailbox, error) {
					mb, err := tgt.Open(ctx, addr)
					if err != nil {
						return nil, err
					}
					return noFinder{mb, mb.(target.ContactWriter), mb.(target.EventWriter)}, nil
				}
			}
			if !tt.noState {
				env.Store = st
			}
			res, err := (&Verifier{Env: env, Tool: "test"}).Verify(ctx, []config.Mailbox{m})
			if err != nil {
				t.Fatal(err)
			}
			vm := res.Mailboxes[0]
			var got []string
			for _, p := range vm.Problems {
				if p.Folder == "INBOX" {
					continue // the mail, not migrated here
				}
				key := name(p.Key)
				if _, k, ok := strings.Cut(key, " "); ok {
					key = k
				}
				got = append(got, p.Kind+" "+p.Folder+" "+key)
			}
			want := slices.Clone(tt.problems)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("problems\n got %q\nwant %q\n%+v", got, want, vm.Problems)
			}
			var pimOK = true
			for _, f := range vm.Folders {
				if f.Source != "INBOX" && f.Failed() {
					pimOK = false
				}
			}
			if pimOK != tt.ok {
				t.Errorf("address book and calendar ok = %v, want %v: %+v", pimOK, tt.ok, vm.Folders)
			}
			for _, f := range vm.Folders {
				if f.Source == "contact:Contacts" && f.Skipped != 1 {
					t.Errorf("contact:Contacts skipped %d, want 1 (the unparsable card)", f.Skipped)
				}
			}
			if tt.leaveOut != "" {
				mb, _ := tgt.Open(ctx, m.Target())
				if id, found, err := mb.(target.PIMFinder).FindCalendar(ctx, "Work"); found || err != nil {
					t.Errorf("after verify, FindCalendar(Work) = %s, %v, %v; verify must create nothing", id, found, err)
				}
			}
		})
	}
}

// noFinder is a target mailbox with the writers but no target.PIMFinder.
type noFinder struct {
	target.Mailbox
	target.ContactWriter
	target.EventWriter
}
