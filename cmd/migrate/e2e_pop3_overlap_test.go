package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/imap"
	"github.com/migrate-tool/migrate/source/pop3"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// contentIDs returns the sha256 of every item of folder f of acct, as the
// engine reads it (the content identity it stamps), sorted.
func contentIDs(t *testing.T, acct source.Account, f source.Folder) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for ref, err := range acct.Items(ctx, f) {
		if err != nil {
			t.Fatal(err)
		}
		rc, err := acct.Open(ctx, f, ref)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		_, err = io.Copy(h, rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, hex.EncodeToString(h.Sum(nil)))
	}
	slices.Sort(out)
	return out
}

// TestDovecotPOP3RETRMatchesIMAPBody checks what matching one account's
// POP3 and IMAP rows by content identity relies on: Dovecot gives the
// same bytes for a message over POP3 RETR (dot-unstuffed by the adapter)
// as over IMAP BODY[], so the sha256 the engine stamps is the same.
// popCorpus's files end lines with LF alone, and one has dot-leading
// lines: both protocols give CRLF, and the dots as stored.
func TestDovecotPOP3RETRMatchesIMAPBody(t *testing.T) {
	d := startPOPDovecot(t)
	pw := popPasswords(d)
	ctx := context.Background()
	for _, tt := range []struct {
		user     string
		messages int
	}{{"pops@example.test", 3}, {"stls@example.test", 2}} {
		t.Run(tt.user, func(t *testing.T) {
			pa, err := pop3.Dial(ctx, &pop3.Options{Host: d.Host, Port: d.POP3SPort, CAFile: d.CAFile, Username: tt.user, Password: pw[tt.user]})
			if err != nil {
				t.Fatal(err)
			}
			defer pa.Close()
			ia, err := imap.Dial(ctx, &imap.Options{Host: d.Host, Port: d.IMAPSPort, Security: imap.SecurityTLS, CAFile: d.CAFile, Username: tt.user, Password: pw[tt.user]})
			if err != nil {
				t.Fatal(err)
			}
			defer ia.Close()
			folders, err := ia.Folders(ctx)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(folders, func(f source.Folder) bool { return strings.EqualFold(f.Name, "INBOX") })
			if i < 0 {
				t.Fatalf("IMAP folders %v: no INBOX", folders)
			}
			viaPOP := contentIDs(t, pa, source.Folder{Path: []string{pop3.FolderName}, Name: pop3.FolderName})
			viaIMAP := contentIDs(t, ia, folders[i])
			if len(viaPOP) != tt.messages || !slices.Equal(viaPOP, viaIMAP) {
				t.Errorf("sha256 of the INBOX messages:\nPOP3 RETR %q\nIMAP BODY[] %q\nwant the same %d", viaPOP, viaIMAP, tt.messages)
			}
		})
	}
}

// TestE2EPOP3AndIMAPOneTarget is one account listed twice in the CSV for
// one target mailbox, over IMAP and over POP3 (the POP3 row names the
// target in TargetAddress): for pops@example.test the POP3 row goes to
// the Inbox as the IMAP row's INBOX does, for stls@example.test to its
// TargetFolder "Old provider". In both orders of the rows, each message
// is in the target exactly once after the first run, a second run and a
// run with the state deleted; the later row records the INBOX messages
// as migrated (found by content identity) and creates none of them;
// verify passes.
func TestE2EPOP3AndIMAPOneTarget(t *testing.T) {
	d := startPOPDovecot(t)
	ep := startEmulator(t, d, graphemu.Options{})
	pw := popPasswords(d)
	imapRows := []string{
		fmt.Sprintf("pops@example.test,pops@example.test,%s,imap,%d,tls,,", pw["pops@example.test"], d.IMAPSPort),
		fmt.Sprintf("stls@example.test,stls@example.test,%s,imap,%d,tls,,", pw["stls@example.test"], d.IMAPSPort),
	}
	popRows := []string{
		fmt.Sprintf("pops-pop3@example.test,pops@example.test,%s,pop3,%d,tls,,pops@example.test", pw["pops@example.test"], d.POP3SPort),
		fmt.Sprintf("stls-pop3@example.test,stls@example.test,%s,pop3,%d,starttls,Old provider,stls@example.test", pw["stls@example.test"], d.POP3Port),
	}
	// Every message of the two accounts: the INBOX's and, over IMAP only,
	// the other folder's.
	want := map[string]map[string]int{
		"pops@example.test": {"pop received": 1, "pop date only": 1, "pop dots": 1, "not in INBOX": 1},
		"stls@example.test": {"stls one": 1, "stls two": 1},
	}
	for _, order := range []struct {
		name       string
		rows       []string
		stlsFolder string // where the stls INBOX messages are
	}{
		{"IMAP rows first", append(slices.Clone(imapRows), popRows...), "Inbox"},
		{"POP3 rows first", append(slices.Clone(popRows), imapRows...), "Old provider"},
	} {
		t.Run(order.name, func(t *testing.T) {
			if err := ep.Emulator.Reset(); err != nil {
				t.Fatal(err)
			}
			dir, cfg := writePOPProject(t, d, ep, order.rows...)
			for _, r := range []struct {
				name      string
				dropState bool
				created   int
			}{{"first run", false, 6}, {"second run", false, 0}, {"run with the state deleted", true, 0}} {
				if r.dropState {
					removeState(t, dir)
				}
				code, stdout, stderr := runCLI(t, "run", "--config", cfg, "--progress", "none")
				if code != exitOK {
					t.Fatalf("%s: exit %d\n%s\n%s", r.name, code, stdout, stderr)
				}
				noErrorLogs(t, stderr)
				// 4 + 2 IMAP items, 3 + 2 POP items: every INBOX message is
				// counted by both rows, created by one.
				if s := parseSummary(t, stdout); s.migrated != r.created || s.failed != 0 || s.migrated+s.done != 11 {
					t.Errorf("%s: %+v; want %d created and 11 in all", r.name, s, r.created)
				}
				for user, subjects := range want {
					got := map[string]int{}
					for _, f := range ep.Emulator.DumpMailbox(nil, user).Folders {
						for _, it := range f.Items {
							subject, _ := it.Graph["subject"].(string)
							got[subject]++
							if user == "stls@example.test" && f.Path != order.stlsFolder {
								t.Errorf("%s: %s: %q in %q, want %q (the earlier row's folder)", r.name, user, subject, f.Path, order.stlsFolder)
							}
						}
					}
					if !maps.Equal(got, subjects) {
						t.Errorf("%s: %s holds %v, want each message once: %v", r.name, user, got, subjects)
					}
				}
				// The later row's stls INBOX messages: migrated, by the
				// earlier row, in its folder.
				later := map[bool]string{true: "stls-pop3@example.test", false: "stls@example.test"}[order.stlsFolder == "Inbox"]
				n := 0
				for _, it := range stateItems(t, filepath.Join(dir, ".migrate", "state.db")) {
					if it.Mailbox != later {
						continue
					}
					n++
					if it.Status != state.StatusMigrated || it.TargetID == "" || !strings.HasPrefix(it.Reason, "already migrated from the ") || !strings.HasSuffix(it.Reason, "into "+order.stlsFolder) {
						t.Errorf("%s: %s %s in the state: %s %q (target %q); want migrated, already migrated from the other row into %s", r.name, later, it.SourceKey, it.Status, it.Reason, it.TargetID, order.stlsFolder)
					}
				}
				if n != 2 {
					t.Errorf("%s: the state records %d items of %s, want 2", r.name, n, later)
				}
				if code, stdout, stderr := runCLI(t, "verify", "--config", cfg, "--out", filepath.Join(dir, "verify.json")); code != exitOK {
					t.Errorf("%s: migrate verify: exit %d\n%s\n%s", r.name, code, stdout, stderr)
				}
			}
		})
	}
}
