package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/source/mbox"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// toolMessage is what a message a real tool wrote into a local store must
// become in the target: its target folder, state, categories and date,
// and the bytes the store must yield for it.
type toolMessage struct {
	name           string // for messages: the seed file or the test's name
	folder         string // target folder path
	read, flag     bool
	draft          bool
	categories     []string
	received       time.Time // zero: not checked
	content        []byte    // what the adapter must yield, exactly
	deletedInStore bool      // marked deleted: never migrated
}

// doveadmMbox runs doveadm for user with an mbox mail location at dir
// (INBOX the file dir/inbox): Dovecot 2.3's mail_location, or 2.4's
// mail_driver, mail_path and mail_inbox_path (doc.dovecot.org, "Upgrading
// Dovecot CE from 2.3 to 2.4", and the doveadm(1) man page's -o).
func doveadmMbox(t *testing.T, d *testserver.Dovecot, dir, stdin string, args ...string) {
	t.Helper()
	a := []string{"-c", filepath.Join(d.Dir, "etc", "dovecot.conf")}
	if strings.HasPrefix(d.Version, "2.3.") {
		a = append(a, "-o", "mail_location=mbox:"+dir+":INBOX="+dir+"/inbox")
	} else {
		a = append(a, "-o", "mail_driver=mbox", "-o", "mail_path="+dir, "-o", "mail_inbox_path="+dir+"/inbox")
	}
	cmd := exec.Command("doveadm", append(a, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("doveadm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// maildirSource is the import source of the Maildir the harness's Dovecot
// keeps for a user: a 2.3 mail location, or 2.4's driver:path with the
// layout as a -p setting (doveadm-import(1) of 2.3 and 2.4).
func maildirSource(d *testserver.Dovecot, home string) []string {
	if strings.HasPrefix(d.Version, "2.3.") {
		return []string{"maildir:" + home + "/Maildir:LAYOUT=fs"}
	}
	return []string{"-p", "mailbox_list_layout=fs", "maildir:" + home + "/Maildir"}
}

// hasChildren reports whether a manifest folder has subfolders.
func hasChildren(u *testserver.ManifestUser, name string) bool {
	return slices.ContainsFunc(u.Folders, func(f testserver.ManifestFolder) bool { return strings.HasPrefix(f.Name, name+"/") })
}

// lf is b with CRLF line ends made LF.
func lf(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")) }

// TestE2EMboxDovecot migrates mbox files that Dovecot itself wrote:
// `doveadm import` copies each user's seeded Maildir folders (with their
// flags, keywords and INTERNALDATEs) into an mbox mail location, so that
// Dovecot writes its From_ lines, X-IMAPbase, X-UID, Status, X-Status,
// X-Keywords and Content-Length fields; `doveadm save` adds a message
// whose body has "From " lines (Dovecot does not escape them; its
// Content-Length marks the end) and, in a folder emptied by `doveadm
// expunge`, leaves Dovecot's folder data message. The copies (cp -a) are
// migrated as mbox rows: the plan counts the \Deleted message (X-Status D)
// as skipped; every other message yields the seeded bytes exactly (as
// Dovecot serves them over IMAP: none of its fields) and is in the
// target once, in its folder, read, flagged, a draft, with its keywords as
// categories and dated by its From_ line (the INTERNALDATE); the folder
// data message never. Then `doveadm flags add` changes flags in the
// stores (Dovecot rewrites its fields in place): a second run and a run
// with the state deleted create nothing; verify passes; the copies'
// bytes and mtimes do not change by migrating them.
func TestE2EMboxDovecot(t *testing.T) {
	d := startDovecot(t)
	stores := t.TempDir()
	const fromLines = "From: carol@example.test\nTo: alice@example.test\nSubject: From lines in the body\nDate: Tue, 2 Jan 2024 10:00:00 +0000\nMessage-ID: <from-lines@example.test>\n\n" +
		"Dear Alice,\nFrom the desk of Carol: unescaped.\n\nFrom carol@example.test Mon Jan  1 10:00:00 2024\nSubject: not a new message\n\n>From quoted, as written.\n"
	var csv strings.Builder
	csv.WriteString("EmailAddress,SourceProtocol,SourcePath\n")
	skipped := 0
	for ui := range d.Manifest.Users {
		u := &d.Manifest.Users[ui]
		home := filepath.Join(d.Dir, "home", u.Name)
		dir := filepath.Join(home, "mbox")
		for _, f := range u.Folders {
			if len(f.Messages) == 0 {
				continue
			}
			if hasChildren(u, f.Name) {
				// An mbox folder is a file: it cannot have subfolders
				// and messages both (Dovecot refuses).
				skipped += len(f.Messages)
				continue
			}
			doveadmMbox(t, d, dir, "", append(append([]string{"import", "-u", u.Name}, maildirSource(d, home)...), "", "mailbox", f.Name)...)
		}
		if ui == 0 {
			doveadmMbox(t, d, dir, fromLines, "save", "-u", u.Name, "-m", "INBOX")
			doveadmMbox(t, d, dir, "", "mailbox", "create", "-u", u.Name, "Emptied")
			doveadmMbox(t, d, dir, "Subject: soon gone\n\nx\n", "save", "-u", u.Name, "-m", "Emptied")
			doveadmMbox(t, d, dir, "", "expunge", "-u", u.Name, "mailbox", "Emptied", "all")
		}
		// Copy the store out with its times, as a user would.
		if out, err := exec.Command("cp", "-a", dir, filepath.Join(stores, u.Name)).CombinedOutput(); err != nil {
			t.Fatalf("cp -a: %v: %s", err, out)
		}
		fmt.Fprintf(&csv, "%s,mbox,%s\n", u.Name, filepath.Join(stores, u.Name))
	}
	if b, err := os.ReadFile(filepath.Join(stores, d.Manifest.Users[0].Name, "Emptied")); err != nil || !bytes.Contains(b, []byte("X-IMAP: ")) {
		t.Fatalf("Emptied: %v; want Dovecot's folder data message in it:\n%s", err, b)
	}
	want := dovecotMboxWant(t, d, stores, fromLines)
	var toCreate, deleted int
	for _, m := range want {
		if m.deletedInStore {
			deleted++
		} else {
			toCreate++
		}
	}
	if deleted != 1 || toCreate+deleted+skipped != 34 {
		t.Fatalf("%d messages to migrate, %d deleted, %d not imported; want the corpus's 33 and one saved, one deleted", toCreate, deleted, skipped)
	}

	ep := startEmulator(t, d, graphemu.Options{AttachmentsOnNonDraft: true})
	proj := t.TempDir()
	for name, content := range map[string]string{
		"migration.yaml":    "client: E2E mbox by Dovecot\n" + e2eTarget(ep, "client-secret.txt"),
		"client-secret.txt": e2eSecret + "\n",
		"mailboxes.csv":     csv.String(),
	} {
		if err := os.WriteFile(filepath.Join(proj, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(proj, "migration.yaml")
	planFile := filepath.Join(proj, "plan.json")
	if code, stdout, stderr := runCLI(t, "plan", "--config", cfg, "--out", planFile); code != exitOK {
		t.Fatalf("migrate plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	pl, err := plan.Read(planFile)
	if err != nil {
		t.Fatal(err)
	}
	var planned, planSkipped int64
	for _, m := range pl.Mailboxes {
		if m.Error != "" {
			t.Errorf("plan of %s: %s", m.Address, m.Error)
		}
		planned += m.ToMigrate.Items
		for _, s := range m.Skips {
			if s.Rule == "store_deleted" {
				planSkipped += s.Items
			}
		}
	}
	if planned != int64(toCreate) || planSkipped != int64(deleted) {
		t.Errorf("plan: %d to migrate, %d skipped as deleted in the store; want %d and %d", planned, planSkipped, toCreate, deleted)
	}
	users := make([]string, len(d.Users))
	for i, u := range d.Users {
		users[i] = u.Name
	}
	runs := []struct {
		name      string
		dropState bool
		created   int
	}{{"first run", false, toCreate}, {"second run", false, 0}, {"run with the state deleted", true, 0}}
	var before []string
	for i, r := range runs {
		if i == 1 {
			// Flags changed in the store by Dovecot (it rewrites Status,
			// X-Status and X-Keywords in place, moving the bytes after
			// them), and the store copied again: keys and content stay.
			alice := d.Manifest.Users[0].Name
			dir := filepath.Join(d.Dir, "home", alice, "mbox")
			doveadmMbox(t, d, dir, "", "flags", "add", "-u", alice, `\Seen \Answered`, "mailbox", "INBOX", "all")
			doveadmMbox(t, d, dir, "", "flags", "remove", "-u", alice, `\Seen`, "mailbox", "Sent", "all")
			old, _ := os.ReadFile(filepath.Join(stores, alice, "inbox"))
			if now, err := os.ReadFile(filepath.Join(dir, "inbox")); err != nil || bytes.Equal(old, now) {
				t.Fatalf("doveadm flags add left the inbox file as it was (%v)", err)
			}
			if err := os.RemoveAll(filepath.Join(stores, alice)); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("cp", "-a", dir, filepath.Join(stores, alice)).CombinedOutput(); err != nil {
				t.Fatalf("cp -a: %v: %s", err, out)
			}
			// A re-run creates nothing, so the target keeps the
			// flags of the first run: want stays as it was.
			before = treeSnapshot(t, stores)
		}
		if r.dropState {
			removeState(t, proj)
		}
		code, stdout, stderr := runCLI(t, "run", "--config", cfg, "--progress", "none")
		if code != exitOK {
			t.Fatalf("%s: exit %d\n%s\n%s", r.name, code, stdout, stderr)
		}
		noErrorLogs(t, stderr)
		if s := parseSummary(t, stdout); s.migrated != r.created || s.failed != 0 || s.migrated+s.done != toCreate {
			t.Errorf("%s: %+v; want %d created and %d in all", r.name, s, r.created, toCreate)
		}
		checkToolTarget(t, ep.Emulator, users, want)
	}
	if code, stdout, stderr := runCLI(t, "verify", "--config", cfg, "--out", filepath.Join(proj, "verify.json")); code != exitOK {
		t.Errorf("migrate verify: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if diff := cmp.Diff(before, treeSnapshot(t, stores)); diff != "" {
		t.Errorf("the stores changed (-before +after):\n%s", diff)
	}
}

// dovecotMboxWant reads each user's mbox copy under stores with
// source/mbox and finds the seeded message each item holds by its bytes
// (Dovecot stores the CRLF seed with LF line ends): each must yield those
// bytes exactly. The deleted seed message must be counted in its folder,
// the saved fromLines message found once, in INBOX.
func dovecotMboxWant(t *testing.T, d *testserver.Dovecot, stores, fromLines string) map[string]*toolMessage {
	t.Helper()
	ctx := context.Background()
	want := map[string]*toolMessage{}
	for ui := range d.Manifest.Users {
		u := &d.Manifest.Users[ui]
		type seeded struct {
			f *testserver.ManifestFolder
			m *testserver.ManifestMessage
		}
		bySum := map[[32]byte]seeded{}
		for fi := range u.Folders {
			for mi := range u.Folders[fi].Messages {
				b, err := u.Folders[fi].Messages[mi].Bytes()
				if err != nil {
					t.Fatal(err)
				}
				bySum[sha256.Sum256(lf(b))] = seeded{&u.Folders[fi], &u.Folders[fi].Messages[mi]}
			}
		}
		a, err := mbox.Open(ctx, &mbox.Options{Paths: []string{filepath.Join(stores, u.Name)}})
		if err != nil {
			t.Fatalf("mbox.Open(%s) = %v", u.Name, err)
		}
		folders, err := a.Folders(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range folders {
			if f.NoSelect {
				continue
			}
			name := strings.Join(f.Path, "/")
			if f.Deleted > 0 {
				sf, ok := u.Folder(name)
				if !ok || f.Deleted != 1 || !slices.ContainsFunc(sf.Messages, func(m testserver.ManifestMessage) bool { return slices.Contains(m.Flags, `\Deleted`) }) {
					t.Errorf("%s %s: %d deleted messages, want only the seeded \\Deleted one", u.Name, name, f.Deleted)
				}
				want[u.Name+"\x00deleted "+name] = &toolMessage{deletedInStore: true}
			}
			for ref, err := range a.Items(ctx, f) {
				if err != nil {
					t.Fatal(err)
				}
				rc, err := a.Open(ctx, f, ref)
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatal(err)
				}
				w := &toolMessage{content: b}
				if s, ok := bySum[sha256.Sum256(b)]; ok {
					if s.f.Name != name && pathExceptions[u.Name+"\x00"+s.f.Name] != name {
						t.Errorf("%s: %s is in %q, want %q", u.Name, s.m.Name(), name, s.f.Name)
					}
					has := func(flag string) bool { return slices.Contains(s.m.Flags, flag) }
					w.name, w.folder = s.m.Name(), targetPath(u.Name, s.f)
					w.read, w.flag, w.draft = has(`\Seen`), has(`\Flagged`), has(`\Draft`) || s.f.SpecialUse == `\Drafts`
					w.categories, w.received = wantCategories(s.m.Flags), s.m.Date
					delete(bySum, sha256.Sum256(b))
				} else if string(b) == fromLines && name == "INBOX" {
					w.name, w.folder = "From lines in the body", "Inbox"
				} else {
					t.Errorf("%s %s: item %s yields bytes no seeded message has:\n%s", u.Name, name, ref.Key, b)
					continue
				}
				want[u.Name+"\x00"+w.folder+"\x00"+ref.Key] = w
			}
		}
		a.Close()
	}
	return want
}

// checkToolTarget checks the emulator against want (by user, target
// folder and key): every message once, stamped with its key, in its
// folder, read, flagged and a draft as want says, with its categories,
// received when want says, and nothing else; no meeting message sent.
func checkToolTarget(t *testing.T, emu *graphemu.Emulator, users []string, want map[string]*toolMessage) {
	t.Helper()
	seen := map[string]int{}
	for _, user := range users {
		mb := emu.DumpMailbox(nil, user)
		if mb == nil {
			t.Errorf("no mailbox %s", user)
			continue
		}
		if mb.MeetingMessagesSent != 0 {
			t.Errorf("%s: %d meeting messages sent, want 0", user, mb.MeetingMessagesSent)
		}
		for _, f := range mb.Folders {
			for _, it := range f.Items {
				if it.Kind != "message" {
					continue
				}
				key, ok := stampOf(it)
				id := user + "\x00" + f.Path + "\x00" + key
				seen[id]++
				w := want[id]
				if !ok || w == nil || w.deletedInStore {
					t.Errorf("%s: unexpected item %q stamped %q in %q", user, it.Graph["subject"], key, f.Path)
					continue
				}
				flag, _ := it.Graph["flag"].(map[string]any)
				if it.IsRead != w.read || (flag["flagStatus"] == "flagged") != w.flag || it.IsDraft != w.draft {
					t.Errorf("%s %s: read %v flag %v draft %v; want read %v flagged %v draft %v", user, w.name, it.IsRead, it.Graph["flag"], it.IsDraft, w.read, w.flag, w.draft)
				}
				if got := graphStrings(it.Graph["categories"]); !slices.Equal(got, w.categories) && (len(got) != 0 || len(w.categories) != 0) {
					t.Errorf("%s %s: categories %q, want %q", user, w.name, got, w.categories)
				}
				if received, err := parseGraphTime(it.ReceivedDateTime); !w.received.IsZero() && (err != nil || !received.Equal(w.received.UTC().Truncate(time.Second))) {
					t.Errorf("%s %s: received %s, want %s", user, w.name, it.ReceivedDateTime, w.received.UTC().Format(time.RFC3339))
				}
			}
		}
	}
	for id, w := range want {
		if !w.deletedInStore && seen[id] != 1 {
			t.Errorf("%s (%q) is in the target %d times, want once", w.name, strings.ReplaceAll(id, "\x00", " "), seen[id])
		}
	}
}
