package migrate

import (
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
	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/target/targettest"
)

// TestRunSameAccountOverIMAPAndPOP3 is one target mailbox listed twice:
// alice's IMAP account and her INBOX over POP3 (an in-memory source with
// the same bytes under other keys), the POP3 row into the Inbox or into
// a TargetFolder, in both orders. The INBOX messages are created once, by
// the earlier row; the later row records them migrated with a reason;
// a second run and a run with the state lost create nothing; verify
// passes.
func TestRunSameAccountOverIMAPAndPOP3(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name         string
		targetFolder string
		popFirst     bool
	}{
		{"IMAP first, POP3 into the Inbox", "", false},
		{"POP3 first, into the Inbox", "", true},
		{"IMAP first, POP3 into Old provider", "Old provider", false},
		{"POP3 first, into Old provider", "Old provider", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := seedMemory(t)
			alice := d.Manifest.Users[0]
			pop := sourcetest.NewMemory()
			pop.AddFolder("INBOX", "", "")
			inbox := 0
			for _, f := range alice.Folders {
				if !strings.EqualFold(f.Name, "INBOX") {
					continue
				}
				for _, msg := range f.Messages {
					if slices.Contains(msg.Flags, `\Deleted`) {
						continue // skipped by the IMAP row; POP3 would carry it
					}
					b, err := msg.Bytes()
					if err != nil {
						t.Fatal(err)
					}
					pop.Add("INBOX", b, msg.Date)
					inbox++
				}
			}
			pop.Renumber("INBOX") // keys unlike the IMAP account's
			if inbox == 0 {
				t.Fatal("alice's INBOX is empty")
			}
			d.byUser["alice-pop"], d.password["alice-pop"] = pop, "pop-pw"
			imapRow := d.mailboxes()[0]
			popRow := config.Mailbox{EmailAddress: "alice-pop3@example.test", UserName: "alice-pop", Password: config.NewSecret("pop-pw"),
				Protocol: "pop3", Host: "memory", Port: 995, Security: "tls", TargetAddress: imapRow.EmailAddress, TargetFolder: tt.targetFolder}
			rows := []config.Mailbox{imapRow, popRow}
			if tt.popFirst {
				rows = []config.Mailbox{popRow, imapRow}
			}
			const later = 1 // the second row of the target mailbox
			want := expectedMessages(alice)
			mem := targettest.NewMemory()
			rules, err := mapping.NewRules(config.Folders{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			items := &mapping.ItemOptions{DeletedItems: "skip"}
			dir := t.TempDir()
			for _, r := range []struct {
				name, state string
				created     int64
			}{{"first run", "state.db", int64(want)}, {"second run", "state.db", 0}, {"run with the state lost", "lost.db", 0}} {
				st, err := state.Open(ctx, filepath.Join(dir, r.state), nil)
				if err != nil {
					t.Fatal(err)
				}
				log, _ := logcheck.New(t)
				env := Env{Store: st, Sources: d.open, Target: mem.Open, Rules: rules, Items: items, Log: log}
				e := &Engine{Env: env, Mailboxes: 2, PerMailbox: 4, RetryDelay: time.Millisecond}
				res, err := e.Run(ctx, rows)
				if err != nil {
					t.Fatal(err)
				}
				var created int64
				for _, m := range res.Mailboxes {
					if m.Err != nil || m.Failed > 0 {
						t.Fatalf("%s: mailbox %s: err %v, failures %+v", r.name, m.Mailbox, m.Err, m.Failures)
					}
					created += m.Migrated
				}
				// The later row creates only what is not in its INBOX: the IMAP
				// row's other folders, in the first run.
				wantLater := int64(0)
				if r.created > 0 && !isPOP3(rows[later]) {
					wantLater = int64(want - inbox)
				}
				if l := res.Mailboxes[later]; l.Migrated != wantLater {
					t.Errorf("%s: the later row %s created %d items, want %d", r.name, l.Mailbox, l.Migrated, wantLater)
				}
				if n := len(mem.Items(imapRow.EmailAddress)); created != r.created || n != want {
					t.Errorf("%s: created %d, the target holds %d; want %d created, %d in all (the INBOX's %d once)", r.name, created, n, r.created, want, inbox)
				}
				// The later row's INBOX items: migrated by the other row.
				laterRow := rows[later]
				n := 0
				for it, err := range st.Items(ctx, state.ItemQuery{Mailbox: mailboxID(laterRow), Folder: "INBOX"}) {
					if err != nil {
						t.Fatal(err)
					}
					if it.Status != state.StatusMigrated {
						continue
					}
					n++
					if tt.targetFolder != "" && !strings.HasPrefix(it.Reason, fmt.Sprintf("already migrated from the %s row of %s", protocolName(rows[1-later]), rows[1-later].EmailAddress)) {
						t.Errorf("%s: %s %s: reason %q; want already migrated from the other row", r.name, laterRow.EmailAddress, it.SourceKey, it.Reason)
					}
				}
				if n != inbox {
					t.Errorf("%s: the state records %d INBOX items of %s migrated, want %d", r.name, n, laterRow.EmailAddress, inbox)
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
