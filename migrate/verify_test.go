package migrate

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/logcheck"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/targettest"
)

func TestVerify(t *testing.T) {
	d := seedMemory(t)
	ctx := context.Background()
	mailboxes := d.mailboxes()
	mem := targettest.NewMemory()
	// Without the Inspector, verify finds the folders through the state.
	open := func(ctx context.Context, addr string) (target.Mailbox, error) {
		mb, err := mem.Open(ctx, addr)
		return plainMailbox{mb}, err
	}
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	items := &mapping.ItemOptions{DeletedItems: "skip"}
	e := &Engine{Env: Env{Store: st, Sources: d.open, Target: open, Items: items}, Mailboxes: 4, PerMailbox: 4, RetryDelay: time.Millisecond}
	if _, err := e.Run(ctx, mailboxes); err != nil {
		t.Fatal(err)
	}
	log, _ := logcheck.New(t)
	v := &Verifier{Env: Env{Sources: d.open, Items: items, Target: open, Store: st, Log: log}, Tool: "test"}

	res, err := v.Verify(ctx, mailboxes)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Totals.Matched != res.Totals.Expected || res.Totals.Skipped != 1 {
		t.Fatalf("Verify() after a clean run: ok %v, totals %+v, problems %+v", res.OK, res.Totals, res.Mailboxes[0].Problems)
	}

	// Without the state, folders are found through the target's Inspector.
	noState := &Verifier{Env: Env{Sources: d.open, Items: items, Target: mem.Open}, Tool: "test"}
	res, err = noState.Verify(ctx, mailboxes)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Totals.Matched != res.Totals.Expected {
		t.Fatalf("Verify() without state: ok %v, totals %+v, problems %+v", res.OK, res.Totals, res.Mailboxes[0].Problems)
	}

	// Take one item out of alice's target, double another, and change
	// what the state recorded for a third.
	addr := mailboxes[0].Target()
	byFolder := map[target.FolderID][]targettest.Item{}
	for _, it := range mem.Items(addr) {
		byFolder[it.Folder] = append(byFolder[it.Folder], it)
	}
	var victim, twin targettest.Item
	for _, list := range byFolder {
		if len(list) >= 3 && victim.SourceKey == "" {
			victim, twin = list[0], list[1]
		}
	}
	if victim.SourceKey == "" {
		t.Fatal("no folder of alice holds 3 items")
	}
	mem.Delete(addr, victim.ID)
	if _, ok := mem.Duplicate(addr, twin.ID); !ok {
		t.Fatal("Duplicate() failed")
	}
	var changedKey string
	for it, err := range st.Items(ctx, state.ItemQuery{Mailbox: mailboxID(mailboxes[0]), Status: state.StatusMigrated}) {
		if err != nil {
			t.Fatal(err)
		}
		if it.SourceKey != victim.SourceKey && it.SourceKey != twin.SourceKey {
			it.Bytes++
			it.UpdatedAt = time.Time{}
			if err := st.PutItem(ctx, it); err != nil {
				t.Fatal(err)
			}
			changedKey = it.SourceKey
			break
		}
	}
	res, err = v.Verify(ctx, mailboxes)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.Mailboxes[0].OK || !res.Mailboxes[1].OK {
		t.Fatalf("Verify() ok %v, alice ok %v, bob ok %v; want false, false, true", res.OK, res.Mailboxes[0].OK, res.Mailboxes[1].OK)
	}
	want := map[string]string{plan.ProblemMissing: victim.SourceKey, plan.ProblemDoubled: twin.SourceKey, plan.ProblemChanged: changedKey}
	got := map[string]string{}
	for _, p := range res.Mailboxes[0].Problems {
		got[p.Kind] = p.Key
		if p.Folder == "" || p.Detail == "" {
			t.Errorf("problem %+v does not name its folder or say what is wrong", p)
		}
	}
	for kind, key := range want {
		if got[kind] != key {
			t.Errorf("problem %s names %q, want %q (all: %+v)", kind, got[kind], key, res.Mailboxes[0].Problems)
		}
	}
	c := res.Totals
	if c.Missing != 1 || c.Doubled != 1 || c.Changed != 1 || c.Matched != c.Expected-3 {
		t.Errorf("totals %+v, want 1 missing, 1 doubled, 1 changed", c)
	}

	// A source that cannot be reached is an error, not a pass.
	bad := mailboxes[1]
	bad.Password = config.NewSecret("wrong-password")
	v.Secrets = []string{"wrong-password"}
	res, err = v.Verify(ctx, []config.Mailbox{bad})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.Totals.Errors != 1 || !ConnectFailed(res) {
		t.Errorf("Verify() with a wrong password: ok %v, totals %+v, connect failed %v", res.OK, res.Totals, ConnectFailed(res))
	}
	for _, p := range res.Mailboxes[0].Problems {
		if strings.Contains(p.Detail, "wrong-password") {
			t.Errorf("problem shows the password: %q", p.Detail)
		}
	}
}

// plainMailbox hides a target's optional abilities (the Inspector).
type plainMailbox struct{ target.Mailbox }
