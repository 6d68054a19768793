package graph

import (
	"slices"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/graphemu"
)

func TestInspectorFolders(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	q1, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Projects", "2019", "Q1"})
	if err != nil {
		t.Fatalf("EnsureFolder() = %v", err)
	}
	if _, err := mb.EnsureFolder(ctx, target.Root, []string{"Archive 2010"}); err != nil {
		t.Fatalf("EnsureFolder() = %v", err)
	}
	insp, ok := any(mb).(target.Inspector)
	if !ok {
		t.Fatal("the Graph mailbox does not implement target.Inspector")
	}
	list, err := insp.Folders(ctx)
	if err != nil {
		t.Fatalf("Folders() = %v", err)
	}
	if got := strings.Join(target.FolderPath(list, q1)[1:], "/"); !strings.EqualFold(got, "Inbox/Projects/2019/Q1") {
		t.Errorf("FolderPath(Q1) = %q, want Inbox/Projects/2019/Q1 below the root", got)
	}
	var wk []string
	var names []string
	for _, f := range list {
		if f.WellKnown != "" {
			wk = append(wk, f.WellKnown)
		}
		names = append(names, f.Name)
		if f.Items < 0 {
			t.Errorf("folder %s: Items unknown, want the totalItemCount", f.Name)
		}
	}
	for _, want := range []string{target.Root, target.Inbox, target.SentItems, target.Drafts, target.DeletedItems, target.JunkEmail} {
		if !slices.Contains(wk, want) {
			t.Errorf("well-known folder %s not marked; got %v", want, wk)
		}
	}
	if !slices.Contains(names, "Archive 2010") {
		t.Errorf("folder Archive 2010 not listed; got %v", names)
	}
	if q, err := insp.Quota(ctx); err != nil || q.Known || q.Unknown == "" {
		t.Errorf("Quota() = %+v, %v; want unknown with a reason (no Reports.Read.All), nil", q, err)
	}
}

// TestInspectorQuota reads the quota from the mailbox usage report when
// the app has Reports.Read.All, and says why it is unknown otherwise.
func TestInspectorQuota(t *testing.T) {
	tests := []struct {
		name string
		opts graphemu.Options
		// want is the quota expected; Used is checked to be positive
		// when Known.
		want target.Quota
	}{
		{name: "known", opts: graphemu.Options{ReportsReadAll: true,
			Mailboxes: map[string]graphemu.MailboxOptions{testUser: {Quotas: graphemu.Quotas{ProhibitSendReceive: 2 << 30}}}},
			want: target.Quota{Known: true, Total: 2 << 30}},
		{name: "default quota", opts: graphemu.Options{ReportsReadAll: true},
			want: target.Quota{Known: true, Total: graphemu.DefaultProhibitSendReceiveQuota}},
		{name: "no permission", want: target.Quota{Unknown: quotaNoPermission}},
		{name: "concealed names", opts: graphemu.Options{ReportsReadAll: true, ConcealNames: true},
			want: target.Quota{Unknown: quotaConcealed}},
		{name: "not in the report yet", opts: graphemu.Options{ReportsReadAll: true,
			Mailboxes: map[string]graphemu.MailboxOptions{testUser: {Unreported: true}}},
			want: target.Quota{Unknown: quotaNotReported}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Users = []string{testUser, "bob@contoso.test"}
			e := newEnv(t, &opts, nil)
			ctx := testContext(t)
			mb := e.mailbox(t, ctx)
			if _, err := mb.PutMessage(ctx, target.Inbox, testMessage(t, "pop3:q1", mime("Quota"))); err != nil {
				t.Fatalf("PutMessage() = %v", err)
			}
			// Two reads, and a second mailbox: the report is fetched once.
			var q target.Quota
			for range 2 {
				var err error
				if q, err = mb.Quota(ctx); err != nil {
					t.Fatalf("Quota() = %v", err)
				}
			}
			other, err := e.c.Mailbox(ctx, "bob@contoso.test")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := other.(target.Inspector).Quota(ctx); err != nil {
				t.Fatalf("Quota(bob) = %v", err)
			}
			if q.Known && q.Used <= 0 {
				t.Errorf("Quota() = %+v, want the stored message's size used", q)
			}
			q.Used = 0
			if q != tc.want {
				t.Errorf("Quota() = %+v, want %+v", q, tc.want)
			}
			var reports, downloads int
			for _, r := range requestLog(t, e) {
				switch {
				case strings.Contains(r.Path, "getMailboxUsageDetail"):
					reports++
				case strings.HasPrefix(r.Path, "/data/download/"):
					downloads++
					if r.App != "" || r.Status != 200 {
						t.Errorf("download %+v: want no Authorization header and 200", r)
					}
				}
			}
			if reports != 1 || (tc.want.Unknown != quotaNoPermission) != (downloads == 1) {
				t.Errorf("%d report requests and %d downloads, want one report request and one download with the permission", reports, downloads)
			}
		})
	}
}
