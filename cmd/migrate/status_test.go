package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/migrate/state"
)

func TestStatus(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	if code, _, stderr := runCLI(t, "status", "--state", path); code != exitUsage || !strings.Contains(stderr, "no state database") {
		t.Errorf("status without state: exit %d, %s", code, stderr)
	}
	st, err := state.Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("state.Open() = %v", err)
	}
	defer st.Close()
	if err := st.PutMailbox(ctx, state.Mailbox{ID: "alice@contoso.com", SourceAddress: "alice@contoso.com", TargetAddress: "alice@contoso.com", Protocol: "imap", Status: state.StatusPending}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutFolder(ctx, state.Folder{Mailbox: "alice@contoso.com", SourcePath: "INBOX"}); err != nil {
		t.Fatal(err)
	}
	items := []state.Item{
		{Mailbox: "alice@contoso.com", Folder: "INBOX", SourceKey: "1.1", Kind: state.KindMessage, Status: state.StatusMigrated, Bytes: 2048, TargetID: "t1"},
		{Mailbox: "alice@contoso.com", Folder: "INBOX", SourceKey: "1.2", Kind: state.KindMessage, Status: state.StatusMigrated, Bytes: 1024, TargetID: "t2"},
		{Mailbox: "alice@contoso.com", Folder: "INBOX", SourceKey: "1.3", Kind: state.KindMessage, Status: state.StatusFailed, Reason: "too large"},
		{Mailbox: "alice@contoso.com", Folder: "INBOX", SourceKey: "1.4", Kind: state.KindMessage, Status: state.StatusPending},
	}
	if err := st.PutItems(ctx, items); err != nil {
		t.Fatal(err)
	}
	// The run still holds the state (ReadWrite lock); status reads anyway.
	code, stdout, stderr := runCLI(t, "status", "--state", path)
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"alice@contoso.com", "3.0 KB", "75%"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status output lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = runCLI(t, "status", "--state", path, "--json")
	var got struct {
		Mailboxes []mailboxStatus `json:"mailboxes"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); code != 0 || err != nil {
		t.Fatalf("status --json: exit %d, %v: %s", code, err, stdout)
	}
	if len(got.Mailboxes) != 1 || got.Mailboxes[0].Counts[state.StatusMigrated].Items != 2 || got.Mailboxes[0].Counts[state.StatusFailed].Items != 1 {
		t.Errorf("status --json = %+v", got)
	}
}
