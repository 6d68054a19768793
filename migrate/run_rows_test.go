package migrate

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/logcheck"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/target/targettest"
)

// storeCopy is a message as a desktop client keeps it: LF line ends and
// the client's own header fields on top (the header differs, the body is
// the same).
func storeCopy(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return append([]byte("X-Mozilla-Status: 0001\nX-Mozilla-Status2: 00000000\nStatus: RO\n"), b...)
}

func bodyIdentityOf(b []byte) string {
	h := source.NewBodyHasher()
	h.Write(b)
	return h.Identity()
}

// TestRunServerRowAndLocalStore is one target mailbox fed by alice's IMAP
// account and a local store of her INBOX (an in-memory source: the INBOX
// messages with another header and LF line ends, split over "Inbox" and
// "Archive 2019", plus two messages only the store has), in both orders
// and with each dedupe.across_rows value. With body (the default) every
// message is in the target once (those with neither Date nor Message-ID,
// which have no body identity, twice), wherever the earlier row put it; a
// second run and a run with the state lost create nothing; verify passes.
// With exact and off the store's copies are created again.
func TestRunServerRowAndLocalStore(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name       string
		dedupe     string
		storeFirst bool
	}{
		{"body, IMAP first", "", false},
		{"body, store first", DedupeBody, true},
		{"exact, IMAP first", DedupeExact, false},
		{"off, store first", DedupeOff, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := seedMemory(t)
			alice := d.Manifest.Users[0]
			store := sourcetest.NewMemory()
			store.AddFolder("Inbox", source.Inbox, "")
			store.AddFolder("Archive 2019", "", "")
			copies, matchable := 0, 0
			for _, f := range alice.Folders {
				if !strings.EqualFold(f.Name, "INBOX") {
					continue
				}
				for i, msg := range f.Messages {
					if slices.Contains(msg.Flags, `\Deleted`) {
						continue
					}
					b, err := msg.Bytes()
					if err != nil {
						t.Fatal(err)
					}
					c := storeCopy(b)
					if bytes.Equal(c, b) {
						t.Fatal("the store copy has the server's bytes")
					}
					folder := "Inbox"
					if i%2 == 1 {
						folder = "Archive 2019"
					}
					store.Add(folder, c, msg.Date, `\Seen`)
					copies++
					if bodyIdentityOf(c) != "" {
						matchable++
						if bodyIdentityOf(c) != bodyIdentityOf(b) {
							t.Fatalf("store copy %d: body identity differs from the server's", i)
						}
					}
				}
			}
			for i := range 2 {
				store.Add("Archive 2019", fmt.Appendf(nil, "Date: Mon, 3 Jun 2019 10:0%d:00 +0000\nMessage-ID: <only-local-%d@example.test>\nSubject: only in the store\n\nkept locally %d\n", i, i, i), time.Date(2019, 6, 3, 10, 0, 0, 0, time.UTC))
			}
			store.Renumber("Inbox") // keys unlike the IMAP account's
			store.Renumber("Archive 2019")
			if matchable == 0 || matchable == copies {
				t.Fatalf("%d of %d INBOX copies have a body identity; the test wants some with and some without", matchable, copies)
			}
			d.byUser["alice-tb"], d.password["alice-tb"] = store, "x"
			imapRow := d.mailboxes()[0]
			storeRow := config.Mailbox{EmailAddress: "alice-thunderbird@example.test", UserName: "alice-tb", Password: config.NewSecret("x"),
				Protocol: "mbox", TargetAddress: imapRow.EmailAddress}
			rows := []config.Mailbox{imapRow, storeRow}
			if tt.storeFirst {
				rows = []config.Mailbox{storeRow, imapRow}
			}
			matched := matchable
			if tt.dedupe == DedupeExact || tt.dedupe == DedupeOff {
				matched = 0
			}
			want := expectedMessages(alice) + copies + 2 - matched
			mem := targettest.NewMemory()
			rules, err := mapping.NewRules(config.Folders{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			items := &mapping.ItemOptions{DeletedItems: "skip"}
			dir := t.TempDir()
			for _, r := range []struct {
				name, state string
				created     int
			}{{"first run", "state.db", want}, {"second run", "state.db", 0}, {"run with the state lost", "lost.db", 0}} {
				st, err := state.Open(ctx, filepath.Join(dir, r.state), nil)
				if err != nil {
					t.Fatal(err)
				}
				log, _ := logcheck.New(t)
				env := Env{Store: st, Sources: d.open, Target: mem.Open, Rules: rules, Items: items, Dedupe: tt.dedupe, Log: log}
				e := &Engine{Env: env, Mailboxes: 2, PerMailbox: 4, RetryDelay: time.Millisecond}
				res, err := e.Run(ctx, rows)
				if err != nil {
					t.Fatal(err)
				}
				var created, fromRows int64
				for _, m := range res.Mailboxes {
					if m.Err != nil || m.Failed > 0 {
						t.Fatalf("%s: mailbox %s: err %v, failures %+v", r.name, m.Mailbox, m.Err, m.Failures)
					}
					created += m.Migrated
					fromRows += m.FromOtherRows
				}
				if n := len(mem.Items(imapRow.EmailAddress)); created != int64(r.created) || n != want {
					t.Errorf("%s: created %d, the target holds %d; want %d created, %d in all (%d store copies matched)", r.name, created, n, r.created, want, matched)
				}
				// The later row finds the matched messages where the
				// earlier row put them; a second run finds them in the
				// state, a run with the state lost in the target again.
				wantFrom := int64(matched)
				if r.name == "second run" {
					wantFrom = 0
				}
				if fromRows != wantFrom {
					t.Errorf("%s: %d items found migrated by the other row, want %d", r.name, fromRows, wantFrom)
				}
				laterRow := rows[1]
				n := 0
				for it, err := range st.Items(ctx, state.ItemQuery{Mailbox: mailboxID(laterRow)}) {
					if err != nil {
						t.Fatal(err)
					}
					if it.Status == state.StatusMigrated && strings.HasPrefix(it.Reason, "already migrated from") {
						n++
					}
				}
				if n != matched {
					t.Errorf("%s: the state records %d items of %s as migrated by another row, want %d", r.name, n, laterRow.EmailAddress, matched)
				}
				v := &Verifier{Env: env, Tool: "test"}
				vr, err := v.Verify(ctx, rows)
				if err != nil {
					t.Fatal(err)
				}
				if !vr.OK {
					var problems []any
					for _, m := range vr.Mailboxes {
						problems = append(problems, m.Problems)
					}
					t.Errorf("%s: verify: totals %+v, problems %v", r.name, vr.Totals, problems)
				}
				if err := st.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
