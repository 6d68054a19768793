package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
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
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/maildir"
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
			before = testserver.TreeSnapshot(t, stores)
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
	if diff := cmp.Diff(before, testserver.TreeSnapshot(t, stores)); diff != "" {
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

// pythonStores is the program TestE2EPythonMailbox runs: Python's own
// mailbox module (docs.python.org/3/library/mailbox.html) writes the
// messages the JSON on stdin lists into an mbox directory (mailbox.mbox,
// one file per folder: mboxo, "From " body lines written ">From ";
// mboxMessage.set_flags puts R and O in Status, D, F and A in X-Status;
// set_from gives the From_ line) and a Maildir (mailbox.Maildir;
// add_folder makes a Maildir++ ".Name" folder; MaildirMessage.set_flags
// gives the letters after ":2,", set_subdir new or cur, set_date the
// file's mtime).
const pythonStores = `
import json, mailbox, sys, time
spec = json.load(sys.stdin)
mboxes = {}
md = mailbox.Maildir(sys.argv[2], create=True)
for m in spec:
    if m["store"] == "mbox":
        box = mboxes.get(m["folder"])
        if box is None:
            box = mboxes[m["folder"]] = mailbox.mbox(sys.argv[1] + "/" + m["folder"], create=True)
        msg = mailbox.mboxMessage(m["content"].encode())
        msg.set_from("sender@example.test", time.gmtime(m["date"]))
        msg.set_flags(m["flags"])
        box.add(msg)
    else:
        box = md if m["folder"] == "" else (md.get_folder(m["folder"]) if m["folder"] in md.list_folders() else md.add_folder(m["folder"]))
        msg = mailbox.MaildirMessage(m["content"].encode())
        msg.set_subdir("new" if m["flags"] == "" else "cur")
        msg.set_flags(m["flags"])
        msg.set_date(m["date"])
        box.add(msg)
for box in mboxes.values():
    box.close()
`

// pyMessage is one message TestE2EPythonMailbox has Python write.
type pyMessage struct {
	Store   string `json:"store"`  // mbox or maildir
	Folder  string `json:"folder"` // the mbox file, or the Maildir++ folder ("" INBOX)
	Flags   string `json:"flags"`  // mboxMessage or MaildirMessage flag letters
	Date    int64  `json:"date"`   // From_ line date or mtime, Unix seconds
	Content string `json:"content"`
}

// TestE2EPythonMailbox migrates stores that Python's mailbox module
// wrote (see pythonStores): an mbox directory (Inbox and Lists, mboxo
// escaping, Status and X-Status flags, a deleted message) as a local row
// and a Maildir with a Maildir++ subfolder (flags in the file names, one
// trashed, one in new/) as another. Every message yields the bytes given
// to Python exactly ("From " body lines unescaped, Python's Status and
// X-Status fields not yielded) and is in the target once, in its folder,
// read, flagged and a draft as Python marked it, dated by the From_ line
// or the mtime; the deleted and trashed ones never; re-runs and lost
// state create nothing; the trees are unchanged. Without python3 the
// test is skipped, except under CI=true, where it fails.
func TestE2EPythonMailbox(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is not installed (CI=true): .ci/install-deps installs it")
		}
		t.Skip("python3 is not installed; skipping the stores Python's mailbox module writes")
	}
	stores := t.TempDir()
	mboxDir, maildirDir := filepath.Join(stores, "mbox"), filepath.Join(stores, "Maildir")
	if err := os.Mkdir(mboxDir, 0o755); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2023, 5, 4, 9, 30, 0, 0, time.UTC)
	msg := func(subject, body string) string {
		return "From: sender@example.test\nTo: py@example.test\nSubject: " + subject + "\nDate: Thu, 4 May 2023 09:00:00 +0000\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@example.test>\n\n" + body
	}
	fromBody := "Dear Py,\nFrom the desk of the sender: Python writes this line >From-quoted.\n\nFrom sender@example.test Thu May  4 09:00:00 2023\nSubject: not a new message\n\nbye\n"
	type row struct {
		pyMessage
		target           string
		read, flag, drft bool
		deleted          bool
	}
	rows := []row{
		{pyMessage{"mbox", "Inbox", "RF", 0, msg("mbox read flagged", fromBody)}, "Inbox", true, true, false, false},
		{pyMessage{"mbox", "Inbox", "OA", 0, msg("mbox answered unread", "answered\n")}, "Inbox", false, false, false, false},
		{pyMessage{"mbox", "Inbox", "RD", 0, msg("mbox deleted", "deleted\n")}, "", false, false, false, true},
		{pyMessage{"mbox", "Lists", "", 0, msg("mbox no flags", "From here on, lists.\n")}, "Lists", false, false, false, false},
		{pyMessage{"maildir", "", "S", 0, msg("maildir seen", fromBody)}, "Inbox", true, false, false, false},
		{pyMessage{"maildir", "", "FS", 0, msg("maildir flagged", "flagged\n")}, "Inbox", true, true, false, false},
		{pyMessage{"maildir", "", "", 0, msg("maildir new", "new\n")}, "Inbox", false, false, false, false},
		{pyMessage{"maildir", "", "ST", 0, msg("maildir trashed", "trashed\n")}, "", false, false, false, true},
		{pyMessage{"maildir", "Work", "RS", 0, msg("maildir work replied", "From the folder Work.\n")}, "Work", true, false, false, false},
		{pyMessage{"maildir", "Work", "D", 0, msg("maildir draft", "draft\n")}, "Work", false, false, true, false},
	}
	var spec []pyMessage
	byContent := map[string]*toolMessage{}
	deleted := map[string]int64{}
	for i := range rows {
		r := &rows[i]
		r.Date = base.Add(time.Duration(i) * time.Hour).Unix()
		spec = append(spec, r.pyMessage)
		if r.deleted {
			deleted[r.Store]++
			continue
		}
		byContent[r.Content] = &toolMessage{name: r.Content[strings.Index(r.Content, "Subject: ")+9 : strings.Index(r.Content, "\nDate")],
			folder: r.target, read: r.read, flag: r.flag, draft: r.drft, content: []byte(r.Content), received: time.Unix(r.Date, 0)}
	}
	js, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-c", pythonStores, mboxDir, maildirDir)
	cmd.Stdin = bytes.NewReader(js)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python3 mailbox: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(mboxDir, "Inbox")); err != nil || !bytes.Contains(b, []byte("\n>From the desk")) || !bytes.Contains(b, []byte("X-Status: ")) {
		t.Fatalf("Python's mbox: %v; want mboxo escaping and X-Status fields:\n%s", err, b)
	}
	const mboxUser, mdUser = "py-mbox@example.test", "py-maildir@example.test"
	want := map[string]*toolMessage{}
	ctx := context.Background()
	ma, err := mbox.Open(ctx, &mbox.Options{Paths: []string{mboxDir}})
	if err != nil {
		t.Fatal(err)
	}
	defer ma.Close()
	da, err := maildir.Open(ctx, &maildir.Options{Paths: []string{maildirDir}})
	if err != nil {
		t.Fatal(err)
	}
	defer da.Close()
	toolWant(t, mboxUser, ma, byContent, deleted["mbox"], want)
	toolWant(t, mdUser, da, byContent, deleted["maildir"], want)
	if len(want) != len(byContent) {
		t.Fatalf("found %d of the %d live messages in the stores", len(want), len(byContent))
	}
	before := testserver.TreeSnapshot(t, stores)

	ep := graphemu.StartForTest(t, &graphemu.Options{ClientID: e2eClientID, ClientSecret: e2eSecret, Users: []string{mboxUser, mdUser}})
	proj := t.TempDir()
	for name, content := range map[string]string{
		"migration.yaml":    "client: E2E Python mailbox\n" + e2eTarget(ep, "client-secret.txt"),
		"client-secret.txt": e2eSecret + "\n",
		"mailboxes.csv":     "EmailAddress,SourceProtocol,SourcePath\n" + mboxUser + ",local," + mboxDir + "\n" + mdUser + ",local," + maildirDir + "\n",
	} {
		if err := os.WriteFile(filepath.Join(proj, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(proj, "migration.yaml")
	runs := []struct {
		name      string
		dropState bool
		created   int
	}{{"first run", false, len(want)}, {"second run", false, 0}, {"run with the state deleted", true, 0}}
	for _, r := range runs {
		if r.dropState {
			removeState(t, proj)
		}
		code, stdout, stderr := runCLI(t, "run", "--config", cfg, "--progress", "none")
		if code != exitOK {
			t.Fatalf("%s: exit %d\n%s\n%s", r.name, code, stdout, stderr)
		}
		noErrorLogs(t, stderr)
		if s := parseSummary(t, stdout); s.migrated != r.created || s.failed != 0 || s.migrated+s.done != len(want) {
			t.Errorf("%s: %+v; want %d created and %d in all", r.name, s, r.created, len(want))
		}
		checkToolTarget(t, ep.Emulator, []string{mboxUser, mdUser}, want)
	}
	if diff := cmp.Diff(before, testserver.TreeSnapshot(t, stores)); diff != "" {
		t.Errorf("the stores changed (-before +after):\n%s", diff)
	}
}

// toolWant lists a's items, finds each one's message in byContent by the
// bytes it yields (which must be exactly those given to the tool), checks
// its source folder against the target folder wanted and records it in
// want by user, target folder and key. The folders' Deleted must add up
// to deleted.
func toolWant(t *testing.T, user string, a source.Account, byContent map[string]*toolMessage, deleted int64, want map[string]*toolMessage) {
	t.Helper()
	ctx := context.Background()
	folders, err := a.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, f := range folders {
		n += f.Deleted
		if f.NoSelect {
			continue
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
			w, ok := byContent[string(b)]
			name := strings.Join(f.Path, "/")
			switch {
			case !ok:
				t.Errorf("%s %s: item %s yields bytes given to no message:\n%s", user, name, ref.Key, b)
				continue
			case w.folder != name && !(w.folder == "Inbox" && name == "INBOX"):
				t.Errorf("%s: %q is in %q, want %q", user, w.name, name, w.folder)
			}
			want[user+"\x00"+w.folder+"\x00"+ref.Key] = w
		}
	}
	if n != deleted {
		t.Errorf("%s: %d messages counted deleted, want %d", user, n, deleted)
	}
}
