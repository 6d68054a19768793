package mbox

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/source/testserver"
)

// tree is the hand-made Thunderbird account directory (package seed embeds
// it for the demo).
const tree = "../testserver/seed/stores/thunderbird/Mail/Local Folders"

// copyTree copies the Thunderbird tree to a temporary directory.
func copyTree(t testing.TB) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(tree, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestSuite(t *testing.T) {
	dir := copyTree(t)
	sourcetest.Run(t, sourcetest.Harness{
		Open: func(ctx context.Context) (source.Account, error) {
			return Open(ctx, &Options{Paths: []string{dir}, Location: time.UTC})
		},
		Expunge: func(t testing.TB, f source.Folder, ref source.ItemRef) {
			// Thunderbird compacts the folder: the file is rewritten
			// without the message.
			idx, err := scanFile(context.Background(), f.Name, EscapingAuto, time.UTC, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(f.Name)
			if err != nil {
				t.Fatal(err)
			}
			m := idx.msgs[idx.byKey[ref.Key]]
			end := int64(len(b))
			if i := idx.byKey[ref.Key] + 1; i < len(idx.msgs) {
				end = idx.msgs[i].from
			}
			if err := os.WriteFile(f.Name, append(b[:m.from:m.from], b[end:]...), 0o644); err != nil {
				t.Fatal(err)
			}
		},
	})
}

func TestFolders(t *testing.T) {
	a, err := Open(context.Background(), &Options{Paths: []string{tree}, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	got, err := a.Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		path         string
		role         source.SpecialUse
		count, del   int64
		noSelect     bool
		nameEndsWith string
	}
	var rows []row
	for _, f := range got {
		rows = append(rows, row{strings.Join(f.Path, "/"), f.SpecialUse, f.Count, f.Deleted, f.NoSelect, filepath.Base(f.Name)})
	}
	want := []row{
		{"Archives", source.Archive, 0, 0, false, "Archives"},
		{"Archives/2023", "", 1, 0, false, "2023"},
		{"Drafts", source.Drafts, 0, 0, false, "Drafts"},
		{"INBOX", source.Inbox, 3, 1, false, "Inbox"},
		{"INBOX/Projects", "", 2, 0, false, "Projects"},
		{"Sent", source.Sent, 1, 0, false, "Sent"},
		{"Trash", source.Trash, 1, 0, false, "Trash"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("Folders() =\n%+v\nwant\n%+v", rows, want)
	}
}

// TestSingleFiles opens mbox files given one by one: each is a folder
// named after the file, names made unique.
func TestSingleFiles(t *testing.T) {
	dir := t.TempDir()
	msg := from1 + "Subject: s\n\nb\n"
	paths := []string{filepath.Join(dir, "a", "Archive.mbox"), filepath.Join(dir, "b", "Archive.mbox"), filepath.Join(dir, "Old.mbox", "mbox"), filepath.Join(dir, "inbox")}
	for _, p := range paths {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, err := Open(context.Background(), &Options{Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	folders, _ := a.Folders(context.Background())
	var names []string
	for _, f := range folders {
		names = append(names, strings.Join(f.Path, "/")+":"+string(f.SpecialUse))
	}
	if want := []string{`Archive:\Archive`, "Archive (2):", "Old:", `INBOX:\Inbox`}; !reflect.DeepEqual(names, want) {
		t.Errorf("folders %q, want %q", names, want)
	}
	if _, err := Open(context.Background(), &Options{Paths: []string{filepath.Join(dir, "missing")}}); err == nil {
		t.Error("Open(a missing path) succeeded")
	}
}

// TestKeysSurviveCompactionAndFlags: a flag change (Thunderbird rewrites
// X-Mozilla-Status in place), compaction (the expunged message removed,
// every offset moved) and new mail appended keep every key.
func TestKeysSurviveCompactionAndFlags(t *testing.T) {
	dir := copyTree(t)
	inbox := filepath.Join(dir, "Inbox")
	keys := func() map[string]string {
		a, err := Open(context.Background(), &Options{Paths: []string{inbox}})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		f, _ := a.Folders(context.Background())
		out := map[string]string{}
		for ref, err := range a.Items(context.Background(), f[0]) {
			if err != nil {
				t.Fatal(err)
			}
			rc, _ := a.Open(context.Background(), f[0], ref)
			b, _ := io.ReadAll(rc)
			rc.Close()
			subject := strings.SplitN(strings.SplitN(string(b), "Subject: ", 2)[1], "\n", 2)[0]
			out[subject] = ref.Key
		}
		return out
	}
	before := keys()
	b, _ := os.ReadFile(inbox)
	s := strings.Replace(string(b), "X-Mozilla-Status: 0000", "X-Mozilla-Status: 0001", 1) // read it
	i := strings.Index(s, "From - Tue Jan 09")
	j := strings.Index(s, "From - Wed Jan 10")
	s = s[:i] + s[j:] // compacted
	s += "From - Fri Jan 12 08:00:00 2024\nX-Mozilla-Status: 0000\nSubject: new mail\n\nappended\n"
	if err := os.WriteFile(inbox, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	after := keys()
	if len(before) != 3 || len(after) != 4 {
		t.Fatalf("before %v, after %v; want 3 then 4 messages", before, after)
	}
	for subject, k := range before {
		if after[subject] != k {
			t.Errorf("%q: key %s before, %s after", subject, k, after[subject])
		}
	}
}

// TestLargeFile scans and streams a 260 MB mbox (250 messages of 1 MB in
// 76-byte lines, one 8 MB message that is a single line): the heap never
// grows by more than a few MB, whatever the file's size.
func TestLargeFile(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 260 MB file")
	}
	path := filepath.Join(t.TempDir(), "Big")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 75) + "\n"
	body := strings.Repeat(line, (1<<20)/len(line))
	for i := range 250 {
		fmt.Fprintf(fh, "From - Mon Jan 08 09:15:00 2024\nX-Mozilla-Status: 0001\nSubject: m%d\n\n%s>From escaped\n\n", i, body)
	}
	fmt.Fprintf(fh, "From - Mon Jan 08 09:15:00 2024\nSubject: long line\n\n%s\n", strings.Repeat("y", 8<<20))
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	stop := testserver.HeapPeak(time.Millisecond)
	a, err := Open(context.Background(), &Options{Paths: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	folders, err := a.Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var total int64
	for ref, err := range a.Items(context.Background(), folders[0]) {
		if err != nil {
			t.Fatal(err)
		}
		rc, err := a.Open(context.Background(), folders[0], ref)
		if err != nil {
			t.Fatal(err)
		}
		c, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil || c != ref.Size {
			t.Fatalf("item %d: %d bytes of %d (%v)", n, c, ref.Size, err)
		}
		n++
		total += c
	}
	grew := int64(stop())
	if n != 251 {
		t.Fatalf("listed %d messages, want 251", n)
	}
	if grew > 24<<20 {
		t.Errorf("the heap grew by %d MB scanning and reading a %d MB file, want it bounded", grew>>20, total>>20)
	}
	t.Logf("%d MB read; the heap grew by at most %.1f MB", total>>20, float64(grew)/(1<<20))
}

// TestUnreadable gives an mbox file with bytes before its first From_
// line and a directory holding a file that cannot be opened (a symbolic
// link loop) and, when not root, one without read permission: Folders
// names each in its folder's Unreadable; the first file's messages are
// still listed, the others' folders list none and no error, so that the
// plan and the run go on.
func TestUnreadable(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "export.mbox")
	mbox := "PK\x03\x04 half a zip\n\nFrom a@example.test Mon Jan  8 09:15:00 2024\nFrom: a@example.test\nSubject: kept\n\nbody\n"
	if err := os.WriteFile(junk, []byte(mbox), 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "Local Folders")
	if err := os.MkdirAll(store, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(store, "Inbox"), []byte(mbox[strings.Index(mbox, "From a@"):]), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("Loop", filepath.Join(store, "Loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere", filepath.Join(store, "lock")); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"export": {"export.mbox: 17 bytes before the first From_ line are not a message and are skipped"},
		"INBOX":  nil,
		"Loop":   {"Loop: too many levels of symbolic links"},
	}
	items := map[string]int{"export": 1, "INBOX": 1, "Loop": 0}
	if os.Geteuid() != 0 {
		secret := filepath.Join(store, "Secret")
		if err := os.WriteFile(secret, []byte(mbox), 0o000); err != nil {
			t.Fatal(err)
		}
		want["Secret"], items["Secret"] = []string{"Secret: permission denied"}, 0
	}
	a, err := Open(context.Background(), &Options{Paths: []string{junk, store}})
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer a.Close()
	folders, err := a.Folders(context.Background())
	if err != nil {
		t.Fatalf("Folders() = %v", err)
	}
	got := map[string][]string{}
	for _, f := range folders {
		name := strings.Join(f.Path, "/")
		got[name] = f.Unreadable
		n := 0
		for _, err := range a.Items(context.Background(), f) {
			if err != nil {
				t.Errorf("Items(%s) = %v", name, err)
				break
			}
			n++
		}
		if n != items[name] || f.Count != int64(n) {
			t.Errorf("folder %s: Count %d, %d items; want %d", name, f.Count, n, items[name])
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Unreadable by folder = %q\nwant %q", got, want)
	}
}

// TestModifiedUTF7Names: Dovecot names its mbox files and directories in
// modified UTF-7 (a directory per parent, as its LAYOUT=fs writes them);
// the folder names are decoded, names that are not canonical modified
// UTF-7 kept.
func TestModifiedUTF7Names(t *testing.T) {
	dir := t.TempDir()
	msg := "From alice@example.test  Fri Dec 04 19:16:26 2026\nSubject: s\n\nb\n"
	for _, rel := range []string{"Entw&APw-rfe", "&AMQ-rger/K&APY-ln", "&ZeVnLIqe-", "R&D", "inbox"} {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, err := Open(context.Background(), &Options{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	folders, err := a.Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range folders {
		got = append(got, strings.Join(f.Path, "/"))
	}
	slices.Sort(got)
	if want := []string{"Entwürfe", "INBOX", "R&D", "Ärger", "Ärger/Köln", "日本語"}; !slices.Equal(got, want) {
		t.Errorf("folders %q, want %q", got, want)
	}
}
