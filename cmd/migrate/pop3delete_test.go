package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/pop3"
	"github.com/migrate-tool/migrate/source/testserver"
)

// fakeTerminal stands in for the person at the terminal.
type fakeTerminal struct {
	interactive bool
	answer      string
	asked       []string
}

func (f *fakeTerminal) Interactive() bool { return f.interactive }

func (f *fakeTerminal) Ask(_ context.Context, prompt string) (string, error) {
	f.asked = append(f.asked, prompt)
	return f.answer, nil
}

// delFixture is a project with one POP3 row (an in-process POP3S server
// that accepts DELE) and one IMAP row, a state recording a run of the POP3
// mailbox, and a passing verification file.
type delFixture struct {
	srv                *testserver.MemPOP3
	dir, cfg, verifyAt string
	// keys: 0 and 1 migrated, 2 skipped, 3 migrated without a target id
	// (not confirmed), 4 not in the state (added after the run).
	keys []string
}

// recorded is when the fixture's state was written; its verification is
// an hour later (and an hour ago).
var recorded = time.Now().Add(-2 * time.Hour)

const (
	delUser = "alice@example.test"
	delPass = "alice-test-only-pw"
)

func newDelFixture(t *testing.T) *delFixture {
	t.Helper()
	ctx := context.Background()
	srv := testserver.MemPOP3ForTest(t, &testserver.MemPOP3Options{Accounts: []testserver.User{{Name: delUser, Password: delPass}}, ImplicitTLS: true, AllowDelete: true})
	fx := &delFixture{srv: srv}
	for i := 1; i <= 5; i++ {
		k, err := srv.Add(delUser, fmt.Appendf(nil, "Subject: m%d\r\nMessage-ID: <m%d@example.test>\r\n\r\nbody %d\r\n", i, i, i))
		if err != nil {
			t.Fatal(err)
		}
		fx.keys = append(fx.keys, k)
	}
	fx.dir = writeFiles(t, map[string]string{
		"migration.yaml": fmt.Sprintf("client: pop3-delete test\nsource:\n  host: %s\n  security: tls\n  ca_file: %s\n  timeout: 30s\n", srv.Host, srv.CAFile),
		"mailboxes.csv": "EmailAddress,UserName,Password,SourceProtocol,SourcePort,SourceSecurity\n" +
			fmt.Sprintf("%s,%s,%s,pop3,%d,tls\n", delUser, delUser, delPass, srv.Port) +
			"bob@example.test,bob@example.test,bob-test-only-pw,imap,993,tls\n",
	})
	fx.cfg = filepath.Join(fx.dir, "migration.yaml")
	st, err := state.Open(ctx, filepath.Join(fx.dir, ".migrate", "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.PutMailbox(ctx, state.Mailbox{ID: delUser, SourceAddress: delUser, TargetAddress: delUser, Protocol: "pop3", Status: state.StatusMigrated, UpdatedAt: recorded}))
	must(st.PutFolder(ctx, state.Folder{Mailbox: delUser, SourcePath: pop3.FolderName, TargetID: "inbox", UpdatedAt: recorded}))
	must(st.PutItems(ctx, []state.Item{
		{Mailbox: delUser, Folder: pop3.FolderName, SourceKey: fx.keys[0], Kind: state.KindMessage, Status: state.StatusMigrated, TargetID: "t1", Bytes: 40, UpdatedAt: recorded},
		{Mailbox: delUser, Folder: pop3.FolderName, SourceKey: fx.keys[1], Kind: state.KindMessage, Status: state.StatusMigrated, TargetID: "t2", Bytes: 40, UpdatedAt: recorded},
		{Mailbox: delUser, Folder: pop3.FolderName, SourceKey: fx.keys[2], Kind: state.KindMessage, Status: state.StatusSkipped, Reason: "filter", UpdatedAt: recorded},
		{Mailbox: delUser, Folder: pop3.FolderName, SourceKey: fx.keys[3], Kind: state.KindMessage, Status: state.StatusMigrated, Bytes: 40, UpdatedAt: recorded},
	}))
	fx.verifyAt = filepath.Join(fx.dir, "verify.json")
	fx.writeVerification(t, func(*plan.Verification) {})
	return fx
}

// writeVerification writes a passing verification of the POP3 mailbox,
// made now, changed by edit.
func (fx *delFixture) writeVerification(t *testing.T, edit func(v *plan.Verification)) {
	t.Helper()
	v := &plan.Verification{Tool: "test", CreatedAt: recorded.UTC().Add(time.Hour), Mailboxes: []plan.VerifyMailbox{{
		Address: delUser, Target: delUser,
		VerifyCounts: plan.VerifyCounts{Expected: 2, Matched: 2, Skipped: 1},
		Folders:      []plan.VerifyFolder{{Source: pop3.FolderName, Target: "Inbox", VerifyCounts: plan.VerifyCounts{Expected: 2, Matched: 2, Skipped: 1}}},
	}}}
	v.Sum()
	edit(v)
	if err := plan.WriteVerification(fx.verifyAt, v); err != nil {
		t.Fatal(err)
	}
}

// listing is the maildrop's keys now.
func (fx *delFixture) listing(t *testing.T) []string {
	t.Helper()
	a, err := pop3.Dial(context.Background(), &pop3.Options{Host: fx.srv.Host, Port: fx.srv.Port, Security: pop3.SecurityTLS, CAFile: fx.srv.CAFile, Username: delUser, Password: delPass})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var keys []string
	for ref, err := range a.Items(context.Background(), source.Folder{Path: []string{pop3.FolderName}, Name: pop3.FolderName}) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, ref.Key)
	}
	return keys
}

func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	}
	return -1
}

// TestPOP3DeleteSafeguards runs pop3-delete with a stand-in terminal: it
// deletes exactly the migrated, verified messages when the person types
// "delete" or the mailbox count, and nothing (no DELE sent) when the
// answer is anything else, with --dry-run, without a terminal, without a
// verification file, with one that failed, does not cover the mailbox, was
// made against another target or before the mailbox's last run (stale),
// or when the row named is not POP3.
func TestPOP3DeleteSafeguards(t *testing.T) {
	for _, tc := range []struct {
		name     string
		term     fakeTerminal
		opts     pop3DeleteOptions
		noVerify bool
		edit     func(v *plan.Verification)
		// since changes the state after the verification.
		since    func(st state.Store, fx *delFixture) error
		wantCode int
		deleted  bool
		wantOut  string
	}{
		{name: "typed delete", term: fakeTerminal{interactive: true, answer: "delete"}, deleted: true, wantOut: "deleted 2 messages"},
		{name: "typed the mailbox count", term: fakeTerminal{interactive: true, answer: " 1 "}, deleted: true},
		{name: "pressed return", term: fakeTerminal{interactive: true, answer: ""}, wantOut: "Cancelled: nothing deleted"},
		{name: "typed yes", term: fakeTerminal{interactive: true, answer: "yes"}, wantOut: "Cancelled"},
		{name: "dry run", term: fakeTerminal{interactive: true, answer: "delete"}, opts: pop3DeleteOptions{dryRun: true}, wantOut: "--dry-run: nothing deleted"},
		{name: "dry run without a terminal", term: fakeTerminal{answer: "delete"}, opts: pop3DeleteOptions{dryRun: true}, wantOut: "--dry-run"},
		{name: "no terminal", term: fakeTerminal{answer: "delete"}, wantCode: exitUsage},
		{name: "no verification file", term: fakeTerminal{interactive: true, answer: "delete"}, noVerify: true, wantCode: exitUsage},
		{name: "verification file missing", term: fakeTerminal{interactive: true, answer: "delete"}, opts: pop3DeleteOptions{verification: "/nonexistent/verify.json"}, wantCode: exitUsage},
		{name: "verification failed", term: fakeTerminal{interactive: true, answer: "delete"}, wantCode: exitUsage, wantOut: "did not pass",
			edit: func(v *plan.Verification) {
				v.Mailboxes[0].Missing, v.Mailboxes[0].Matched = 1, 1
				v.Sum()
			}},
		{name: "verification of other mailboxes", term: fakeTerminal{interactive: true, answer: "delete"}, wantCode: exitUsage, wantOut: "does not cover",
			edit: func(v *plan.Verification) { v.Mailboxes[0].Address = "carol@example.test" }},
		{name: "verified against another target", term: fakeTerminal{interactive: true, answer: "delete"}, wantCode: exitUsage, wantOut: "against target",
			edit: func(v *plan.Verification) { v.Mailboxes[0].Target = "alice@elsewhere.test" }},
		{name: "a run since the verification", term: fakeTerminal{interactive: true, answer: "delete"}, wantCode: exitUsage, wantOut: "older than the mailbox's last run",
			since: func(st state.Store, fx *delFixture) error {
				return st.PutMailbox(context.Background(), state.Mailbox{ID: delUser, SourceAddress: delUser, TargetAddress: delUser, Protocol: "pop3", Status: state.StatusMigrated})
			}},
		{name: "an item recorded since the verification", term: fakeTerminal{interactive: true, answer: "delete"}, wantCode: exitUsage, wantOut: "recorded item",
			since: func(st state.Store, fx *delFixture) error {
				return st.PutItem(context.Background(), state.Item{Mailbox: delUser, Folder: pop3.FolderName, SourceKey: fx.keys[4], Kind: state.KindMessage, Status: state.StatusMigrated, TargetID: "t5", Bytes: 40})
			}},
		{name: "verification without the INBOX", term: fakeTerminal{interactive: true, answer: "delete"}, wantCode: exitUsage, wantOut: "did not compare",
			edit: func(v *plan.Verification) { v.Mailboxes[0].Folders = nil }},
		{name: "IMAP row named", term: fakeTerminal{interactive: true, answer: "delete"}, opts: pop3DeleteOptions{mailboxes: []string{"bob@example.test"}}, wantCode: exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newDelFixture(t)
			if tc.edit != nil {
				fx.writeVerification(t, tc.edit)
			}
			if tc.since != nil {
				st, err := state.Open(context.Background(), filepath.Join(fx.dir, ".migrate", "state.db"), nil)
				if err != nil {
					t.Fatal(err)
				}
				err = tc.since(st, fx)
				st.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
			o := tc.opts
			if o.verification == "" && !tc.noVerify {
				o.verification = fx.verifyAt
			}
			term := tc.term
			o.term = &term
			var out, errb bytes.Buffer
			g := &globalOptions{configPath: fx.cfg, stdout: &out, stderr: &errb, logs: &logWriter{w: &errb}}
			before := len(fx.srv.Commands())
			err := runPOP3Delete(context.Background(), g, &o)
			if code := exitCode(err); code != tc.wantCode {
				t.Fatalf("exit %d (%v), want %d\n%s\n%s", code, err, tc.wantCode, out.String(), errb.String())
			}
			if tc.wantOut != "" && !strings.Contains(out.String(), tc.wantOut) {
				t.Errorf("output lacks %q:\n%s", tc.wantOut, out.String())
			}
			dele := 0
			for _, c := range fx.srv.Commands()[before:] {
				if c == "DELE" || c == "RSET" {
					dele++
				}
			}
			want := fx.keys
			if tc.deleted {
				want = fx.keys[2:] // skipped, without a target id, not in the state
				if dele != 2 {
					t.Errorf("%d DELE sent, want 2", dele)
				}
				if !strings.Contains(errb.String(), "deleted from the source") || !strings.Contains(errb.String(), "component="+componentPOP3Delete) {
					t.Errorf("no info record of the deletion:\n%s", errb.String())
				}
				if len(term.asked) != 1 || !strings.Contains(out.String(), "alice@example.test  2") {
					t.Errorf("asked %d times; output:\n%s", len(term.asked), out.String())
				}
			} else if dele != 0 {
				t.Errorf("%d DELE or RSET sent, want none", dele)
			}
			if (o.dryRun || !term.interactive || tc.wantCode != exitOK) && len(term.asked) != 0 {
				t.Errorf("asked %q, want no question", term.asked)
			}
			if got := fx.listing(t); !slices.Equal(got, want) {
				t.Errorf("the maildrop lists %q, want %q", got, want)
			}
		})
	}
}

// TestPOP3DeleteRefusedUnattended runs the command line as CI would (no
// terminal, CI=true): refused before anything is read.
func TestPOP3DeleteRefusedUnattended(t *testing.T) {
	fx := newDelFixture(t)
	t.Setenv("CI", "true")
	code, stdout, stderr := runCLI(t, "pop3-delete", "--config", fx.cfg, "--verification", fx.verifyAt)
	if code != exitUsage || !strings.Contains(stderr, "refused") {
		t.Errorf("exit %d, want %d refused\n%s\n%s", code, exitUsage, stdout, stderr)
	}
	if got := fx.listing(t); !slices.Equal(got, fx.keys) {
		t.Errorf("the maildrop lists %q, want %q", got, fx.keys)
	}
	if slices.Contains(fx.srv.Commands(), "DELE") {
		t.Error("DELE sent")
	}
}

func TestInCI(t *testing.T) {
	for _, tc := range []struct {
		ci   string
		want bool
	}{{"", false}, {"false", false}, {"0", false}, {"true", true}, {"1", true}, {"TRUE", true}} {
		if got := inCI(func(string) string { return tc.ci }); got != tc.want {
			t.Errorf("inCI(CI=%q) = %v, want %v", tc.ci, got, tc.want)
		}
	}
}

// TestOnlyPOP3DeleteDeletes: nothing in the product but pop3-delete finds
// the source.Deleter ability, and no file but source/pop3/delete.go sends
// DELE (the test servers aside).
func TestOnlyPOP3DeleteDeletes(t *testing.T) {
	root := filepath.Join("..", "..")
	allowed := map[string][]string{
		".(source.Deleter)": {"cmd/migrate/pop3delete.go"}, // the type assertion that finds the ability
		`"DELE `:            {"source/pop3/delete.go"},
	}
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && (e.Name() == ".git" || e.Name() == "testdata") {
			return filepath.SkipDir
		}
		if e.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "source/testserver/") {
			return nil // the test servers answer DELE
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for word, files := range allowed {
			if strings.Contains(string(b), word) && !slices.Contains(files, rel) {
				t.Errorf("%s uses %s; only %v may", rel, word, files)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
