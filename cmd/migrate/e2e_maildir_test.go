package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// maildirFile is one message file of a Maildir that Dovecot wrote, and the
// seeded message it holds.
type maildirFile struct {
	user    string
	key     string // the unique name: the file name before ":2,"
	flags   string // the letters after ":2,"
	mtime   time.Time
	folder  *testserver.ManifestFolder
	message *testserver.ManifestMessage
}

// TestE2EMaildir migrates the seed corpus from the Maildirs Dovecot itself
// wrote (LAYOUT=fs, keywords in dovecot-keywords, \Deleted as the T flag,
// INTERNALDATE as the files' mtimes), read as SourceProtocol maildir and
// local rows, into the emulator: the plan counts the T-flagged message as
// skipped; every other message is in the target once, in its folder, read,
// flagged and dated as in Dovecot, with its keywords as categories; a
// second run and a run with the state deleted create nothing; and no byte
// or mtime of the trees changes.
func TestE2EMaildir(t *testing.T) {
	d := startDovecot(t)
	// Copy the Maildirs out with their times (cp -a), so that they stay
	// after Dovecot is gone and Dovecot's own index updates cannot touch
	// what the test compares.
	stores := t.TempDir()
	for _, u := range d.Users {
		cmd := exec.Command("cp", "-a", filepath.Join(d.Dir, "home", u.Name, "Maildir"), filepath.Join(stores, u.Name))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("cp -a: %v: %s", err, out)
		}
	}
	files := maildirFiles(t, d, stores)
	var trashed, toCreate int
	for _, f := range files {
		if strings.Contains(f.flags, "T") {
			trashed++
		} else {
			toCreate++
		}
	}
	if trashed != 1 {
		t.Fatalf("Dovecot wrote %d messages with the T flag, want the corpus's one \\Deleted message", trashed)
	}
	before := testserver.TreeSnapshot(t, stores)

	ep := startEmulator(t, d, graphemu.Options{AttachmentsOnNonDraft: true})
	var csv strings.Builder
	for i, u := range d.Users {
		protocol := "maildir"
		if i == len(d.Users)-1 {
			protocol = "local" // detected
		}
		fmt.Fprintf(&csv, "%s,%s,%s\n", u.Name, protocol, filepath.Join(stores, u.Name))
	}
	dir, cfg := writeLocalProject(t, ep, "E2E Maildir", csv.String())

	pl := planProject(t, dir, cfg)
	var planned, skipped int64
	for _, m := range pl.Mailboxes {
		if m.Error != "" {
			t.Errorf("plan of %s: %s", m.Address, m.Error)
		}
		planned += m.ToMigrate.Items
		for _, s := range m.Skips {
			if s.Rule == "store_deleted" {
				skipped += s.Items
			}
		}
	}
	if planned != int64(toCreate) || skipped != int64(trashed) {
		t.Errorf("plan: %d to migrate, %d skipped as deleted in the store; want %d and %d", planned, skipped, toCreate, trashed)
	}

	rerunProject(t, dir, cfg, toCreate, func(int) { checkMaildirTarget(t, ep.Emulator, files) })
	verifyProject(t, dir, cfg)
	if diff := cmp.Diff(before, testserver.TreeSnapshot(t, stores)); diff != "" {
		t.Errorf("the Maildirs changed (-before +after):\n%s", diff)
	}
}

// maildirFiles lists the message files of each user's Maildir copy under
// stores and finds the seeded message each holds by content (Dovecot
// stores the CRLF seed with LF line endings).
func maildirFiles(t *testing.T, d *testserver.Dovecot, stores string) []*maildirFile {
	t.Helper()
	norm := func(b []byte) [32]byte { return sha256.Sum256(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))) }
	var out []*maildirFile
	for ui := range d.Manifest.Users {
		u := &d.Manifest.Users[ui]
		type seeded struct {
			f *testserver.ManifestFolder
			m *testserver.ManifestMessage
		}
		byHash := map[[32]byte][]seeded{}
		for fi := range u.Folders {
			for mi := range u.Folders[fi].Messages {
				b, err := u.Folders[fi].Messages[mi].Bytes()
				if err != nil {
					t.Fatal(err)
				}
				byHash[norm(b)] = append(byHash[norm(b)], seeded{&u.Folders[fi], &u.Folders[fi].Messages[mi]})
			}
		}
		err := filepath.WalkDir(filepath.Join(stores, u.Name), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			if sub := filepath.Base(filepath.Dir(p)); sub != "cur" && sub != "new" {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fi, err := e.Info()
			if err != nil {
				return err
			}
			cands := byHash[norm(b)]
			if len(cands) != 1 {
				t.Fatalf("%s: %s matches %d seeded messages, want 1", u.Name, p, len(cands))
			}
			key, flags, _ := strings.Cut(filepath.Base(p), ":2,")
			out = append(out, &maildirFile{user: u.Name, key: key, flags: flags, mtime: fi.ModTime(), folder: cands[0].f, message: cands[0].m})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(out) == 0 {
		t.Fatal("no message files in the Maildirs")
	}
	return out
}

// checkMaildirTarget checks the emulator against the Maildir files: each
// file but the trashed one once, stamped with its unique name, in its
// folder, read, flagged, a draft and dated as Dovecot had it, with its
// keywords as categories; nothing else.
func checkMaildirTarget(t *testing.T, emu *graphemu.Emulator, files []*maildirFile) {
	t.Helper()
	type loc struct{ user, key string }
	got := map[loc][]graphemu.DumpItem{}
	gotPath := map[loc][]string{}
	users := map[string]bool{}
	for _, f := range files {
		users[f.user] = true
	}
	for user := range users {
		for _, f := range emu.DumpMailbox(nil, user).Folders {
			for _, it := range f.Items {
				if it.Kind != "message" {
					continue
				}
				key, ok := stampOf(it)
				if !ok {
					t.Errorf("%s: an item without a source-key stamp in %s", user, f.Path)
					continue
				}
				got[loc{user, key}] = append(got[loc{user, key}], it)
				gotPath[loc{user, key}] = append(gotPath[loc{user, key}], f.Path)
			}
		}
	}
	for _, f := range files {
		l := loc{f.user, f.key}
		items := got[l]
		delete(got, l)
		name := fmt.Sprintf("%s %s %s", f.user, f.folder.Name, f.message.Name())
		if strings.Contains(f.flags, "T") {
			if len(items) != 0 {
				t.Errorf("%s: trashed (T) but migrated", name)
			}
			continue
		}
		if len(items) != 1 {
			t.Errorf("%s: %d items stamped %q, want 1", name, len(items), f.key)
			continue
		}
		it := items[0]
		if want := targetPath(f.user, f.folder); gotPath[l][0] != want {
			t.Errorf("%s: in %q, want %q", name, gotPath[l][0], want)
		}
		hasFlag := func(s string) bool { return slices.Contains(f.message.Flags, s) }
		if it.IsRead != hasFlag(`\Seen`) || it.IsRead != strings.Contains(f.flags, "S") {
			t.Errorf("%s: isRead %v; want %v (flags %q)", name, it.IsRead, hasFlag(`\Seen`), f.flags)
		}
		if want := hasFlag(`\Draft`) || f.folder.SpecialUse == `\Drafts`; it.IsDraft != want {
			t.Errorf("%s: isDraft %v, want %v", name, it.IsDraft, want)
		}
		flag, _ := it.Graph["flag"].(map[string]any)
		if want := hasFlag(`\Flagged`); (flag["flagStatus"] == "flagged") != want {
			t.Errorf("%s: flag %v, want flagged %v", name, it.Graph["flag"], want)
		}
		if got, want := graphStrings(it.Graph["categories"]), wantCategories(f.message.Flags); !slices.Equal(got, want) {
			t.Errorf("%s: categories %q, want %q (from %q)", name, got, want, f.message.Flags)
		}
		received, err := parseGraphTime(it.ReceivedDateTime)
		if want := f.message.Date.UTC().Truncate(time.Second); err != nil || !received.Equal(want) || !f.mtime.Equal(want) {
			t.Errorf("%s: received %s, file mtime %s; want both %s (the INTERNALDATE)", name, it.ReceivedDateTime, f.mtime.UTC(), want.Format(time.RFC3339))
		}
	}
	for l, items := range got {
		t.Errorf("%s: %d unexpected item(s) stamped %q in %q", l.user, len(items), l.key, gotPath[l])
	}
}

// TestE2EEML migrates a folder tree of .eml files into the emulator: each
// file once, in the folder of its directory (Sent Items to the Sent Items
// folder), dated by its newest Received field, else its Date; a second run
// and a run with the state deleted create nothing; the tree is unchanged.
func TestE2EEML(t *testing.T) {
	const user = "eml@example.test"
	root := filepath.Join(t.TempDir(), "Export")
	msgs := map[string]struct {
		content, folder string
		received        time.Time
	}{
		"Inbox/0001.eml":        {"Received: by mx.example; Tue, 1 Jul 2025 10:52:37 +0200\r\nFrom: a@example.test\r\nSubject: eml received\r\nDate: Mon, 30 Jun 2025 08:00:00 +0000\r\nMessage-ID: <eml1@example.test>\r\n\r\none\r\n", "Inbox", time.Date(2025, 7, 1, 8, 52, 37, 0, time.UTC)},
		"Inbox/0002.EML":        {"From: a@example.test\r\nSubject: eml date only\r\nDate: Sun, 3 Mar 2019 08:00:00 -0500\r\nMessage-ID: <eml2@example.test>\r\n\r\ntwo\r\n", "Inbox", time.Date(2019, 3, 3, 13, 0, 0, 0, time.UTC)},
		"Sent Items/0003.eml":   {"From: eml@example.test\r\nSubject: eml sent\r\nDate: Wed, 2 Jul 2025 08:59:00 +0000\r\nMessage-ID: <eml3@example.test>\r\n\r\nthree\r\n", "Sent Items", time.Date(2025, 7, 2, 8, 59, 0, 0, time.UTC)},
		"Old/2010/0004.eml":     {"From: a@example.test\r\nSubject: eml old\r\nDate: Fri, 1 Jan 2010 12:00:00 +0000\r\n\r\nfour\r\n", "Old/2010", time.Date(2010, 1, 1, 12, 0, 0, 0, time.UTC)},
		"Inbox/desktop.ini.txt": {"not a message", "", time.Time{}},
	}
	for rel, m := range msgs {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(m.content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := testserver.TreeSnapshot(t, root)
	ep := graphemu.StartForTest(t, &graphemu.Options{ClientID: e2eClientID, ClientSecret: e2eSecret, Users: []string{user}})
	dir, cfg := writeLocalProject(t, ep, "E2E eml", user+",eml,"+root+"\n")
	rerunProject(t, dir, cfg, 4, func(run int) {
		name := rerunNames[run]
		seen := map[string]int{}
		for _, f := range ep.Emulator.DumpMailbox(nil, user).Folders {
			for _, it := range f.Items {
				if it.Kind != "message" {
					continue
				}
				key, _ := stampOf(it)
				seen[key]++
				want, ok := msgs[key]
				received, err := parseGraphTime(it.ReceivedDateTime)
				if !ok || want.folder != f.Path || err != nil || !received.Equal(want.received) {
					t.Errorf("%s: item stamped %q in %q received %s; want %+v", name, key, f.Path, it.ReceivedDateTime, want)
				}
			}
		}
		for key, m := range msgs {
			if m.folder != "" && seen[key] != 1 {
				t.Errorf("%s: %s is in the target %d times, want once", name, key, seen[key])
			}
		}
	})
	if diff := cmp.Diff(before, testserver.TreeSnapshot(t, root)); diff != "" {
		t.Errorf("the tree changed (-before +after):\n%s", diff)
	}
}
