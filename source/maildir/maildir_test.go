package maildir

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/source/testserver"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		name, key string
		flags     info
	}{
		{"1491941793.M41850P8566.mx1,S=10956,W=11200:2,STln", "1491941793.M41850P8566.mx1,S=10956,W=11200", "STln"},
		{"1491941793.M41850P8566.mx1;2,FRS", "1491941793.M41850P8566.mx1", "FRS"}, // Windows copy
		{"1276528487.M364837P9451.kurkku", "1276528487.M364837P9451.kurkku", ""},  // in new/: no info
		{"1276528487.M1.k:2,", "1276528487.M1.k", ""},
		{"1276528487.M1.k:2,Sa,XYZ", "1276528487.M1.k", "Sa"}, // Dovecot's non-standard fields after ","
		{"1276528487.M1.k:1,experimental", "1276528487.M1.k", ""},
		{"odd:2,name:2,S", "odd:2,name", "S"},
	}
	for _, tt := range tests {
		key, flags := parseName(tt.name)
		if key != tt.key || flags != tt.flags {
			t.Errorf("parseName(%q) = %q, %q; want %q, %q", tt.name, key, flags, tt.key, tt.flags)
		}
	}
}

func TestFlags(t *testing.T) {
	kw := map[byte]string{'a': "$Junk", 'c': "Important"}
	tests := []struct {
		in      info
		want    []string
		trashed bool
	}{
		{"", nil, false},
		{"S", []string{`\Seen`}, false},
		{"DFPRS", []string{`\Draft`, `\Flagged`, "$Forwarded", `\Answered`, `\Seen`}, false},
		{"ST", []string{`\Seen`}, true},
		{"Sac", []string{`\Seen`, "$Junk", "Important"}, false},
		{"Sb", []string{`\Seen`}, false}, // b has no name in dovecot-keywords
		{"SS", []string{`\Seen`}, false},
		{"XYZ", nil, false}, // unknown upper-case letters
	}
	for _, tt := range tests {
		if got := tt.in.flags(kw); !slices.Equal(got, tt.want) {
			t.Errorf("info(%q).flags() = %q, want %q", tt.in, got, tt.want)
		}
		if got := tt.in.trashed(); got != tt.trashed {
			t.Errorf("info(%q).trashed() = %v, want %v", tt.in, got, tt.trashed)
		}
	}
}

// msg is a small message with a subject.
func msg(subject string) string {
	return "From: a@example.test\r\nTo: b@example.test\r\nSubject: " + subject + "\r\nDate: Tue, 2 Jan 2024 03:04:05 +0000\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@example.test>\r\n\r\n" + subject + "\r\n"
}

var mtime = time.Date(2021, 4, 14, 14, 42, 15, 0, time.UTC)

// put writes a message file (and its directories) with mtime.
func put(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// mkMaildir makes dir a maildir (cur/, new/, tmp/).
func mkMaildir(t testing.TB, dir string) {
	t.Helper()
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// tree is a Maildir with Maildir++ folders, LAYOUT=fs folders, keywords
// and a trashed message.
func tree(t testing.TB) string {
	root := t.TempDir()
	mkMaildir(t, root)
	put(t, filepath.Join(root, "new", "1700000001.M1P1.host"), msg("new one"))
	put(t, filepath.Join(root, "cur", "1700000002.M2P1.host,S=200:2,RS"), msg("replied"))
	put(t, filepath.Join(root, "cur", "1700000003.M3P1.host:2,ST"), msg("trashed"))
	put(t, filepath.Join(root, "cur", "1700000004.M4P1.host:2,Fab"), msg("keywords"))
	put(t, filepath.Join(root, "tmp", "1700000009.M9P1.host"), msg("in tmp"))
	put(t, filepath.Join(root, "dovecot-keywords"), "0 $Junk\n1 Important\n")
	put(t, filepath.Join(root, "dovecot-uidlist"), "3 V1 N5 G0\n1 :1700000002.M2P1.host,S=200:2,RS\n")
	// Maildir++.
	mkMaildir(t, filepath.Join(root, ".Sent"))
	put(t, filepath.Join(root, ".Sent", "cur", "1700000010.M10P1.host;2,S"), msg("sent"))
	mkMaildir(t, filepath.Join(root, ".Projects.2024"))
	put(t, filepath.Join(root, ".Projects.2024", "cur", "1700000011.M11P1.host:2,S"), msg("project"))
	mkMaildir(t, filepath.Join(root, ".&AOk-t&AOk-"))
	// LAYOUT=fs.
	mkMaildir(t, filepath.Join(root, "Archive"))
	put(t, filepath.Join(root, "Archive", "cur", "1700000020.M20P1.host:2,S"), msg("archived"))
	mkMaildir(t, filepath.Join(root, "Archive", "2019"))
	put(t, filepath.Join(root, "Archive", "2019", "new", "1700000021.M21P1.host"), msg("archived 2019"))
	mkMaildir(t, filepath.Join(root, "Parent", "Child"))
	// Not folders.
	put(t, filepath.Join(root, ".git", "config"), "[core]\n")
	put(t, filepath.Join(root, "notes", "todo.txt"), "nothing\n")
	return root
}

func open(t testing.TB, paths ...string) *Account {
	t.Helper()
	a, err := Open(context.Background(), &Options{Paths: paths})
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func TestFolders(t *testing.T) {
	root := tree(t)
	got, err := open(t, root).Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []source.Folder{
		{Path: []string{"Archive"}, Delimiter: "/", Name: filepath.Join(root, "Archive"), SpecialUse: source.Archive, SpecialUseGuessed: true, Count: 1, Bytes: int64(len(msg("archived")))},
		{Path: []string{"Archive", "2019"}, Delimiter: "/", Name: filepath.Join(root, "Archive", "2019"), Count: 1, Bytes: int64(len(msg("archived 2019")))},
		{Path: []string{"INBOX"}, Delimiter: "/", Name: root, SpecialUse: source.Inbox, Count: 3, Deleted: 1, Bytes: int64(len(msg("new one")) + len(msg("replied")) + len(msg("keywords")))},
		{Path: []string{"Parent"}, Delimiter: "/", Name: filepath.Join(root, "Parent"), NoSelect: true, Count: -1, Bytes: -1},
		{Path: []string{"Parent", "Child"}, Delimiter: "/", Name: filepath.Join(root, "Parent", "Child")},
		{Path: []string{"Projects"}, Delimiter: ".", Name: filepath.Join(root, ".Projects"), NoSelect: true, Count: -1, Bytes: -1},
		{Path: []string{"Projects", "2024"}, Delimiter: ".", Name: filepath.Join(root, ".Projects.2024"), Count: 1, Bytes: int64(len(msg("project")))},
		{Path: []string{"Sent"}, Delimiter: ".", Name: filepath.Join(root, ".Sent"), SpecialUse: source.Sent, SpecialUseGuessed: true, Count: 1, Bytes: int64(len(msg("sent")))},
		{Path: []string{"été"}, Delimiter: ".", Name: filepath.Join(root, ".&AOk-t&AOk-")},
	}
	slices.SortFunc(got, func(x, y source.Folder) int { return slices.Compare(x.Path, y.Path) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Folders() (-want +got):\n%s", diff)
	}
}

// items lists every selectable folder's items by folder path.
func items(t testing.TB, a *Account) map[string][]source.ItemRef {
	t.Helper()
	folders, err := a.Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]source.ItemRef{}
	for _, f := range folders {
		if f.NoSelect {
			continue
		}
		for ref, err := range a.Items(context.Background(), f) {
			if err != nil {
				t.Fatalf("Items(%s) = %v", f.Name, err)
			}
			out[strings.Join(f.Path, "/")] = append(out[strings.Join(f.Path, "/")], ref)
		}
	}
	return out
}

func TestItems(t *testing.T) {
	root := tree(t)
	got := items(t, open(t, root))
	want := map[string][]source.ItemRef{
		"INBOX": {
			{Key: "1700000001.M1P1.host", Size: int64(len(msg("new one"))), Date: mtime},
			{Key: "1700000002.M2P1.host,S=200", Size: int64(len(msg("replied"))), Date: mtime, Flags: []string{`\Answered`, `\Seen`}},
			{Key: "1700000004.M4P1.host", Size: int64(len(msg("keywords"))), Date: mtime, Flags: []string{`\Flagged`, "$Junk", "Important"}},
		},
		"Archive":       {{Key: "1700000020.M20P1.host", Size: int64(len(msg("archived"))), Date: mtime, Flags: []string{`\Seen`}}},
		"Archive/2019":  {{Key: "1700000021.M21P1.host", Size: int64(len(msg("archived 2019"))), Date: mtime}},
		"Projects/2024": {{Key: "1700000011.M11P1.host", Size: int64(len(msg("project"))), Date: mtime, Flags: []string{`\Seen`}}},
		"Sent":          {{Key: "1700000010.M10P1.host", Size: int64(len(msg("sent"))), Date: mtime, Flags: []string{`\Seen`}}},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(x, y time.Time) bool { return x.Equal(y) })); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}

// TestKeyStable moves a message from new/ to cur/ and changes its flags
// between the listing and the open, as a mail client does: the key stays,
// the flags follow the file, and Open finds the renamed file.
func TestKeyStable(t *testing.T) {
	root := tree(t)
	a := open(t, root)
	inbox := source.Folder{Path: []string{"INBOX"}, Name: root}
	first := items(t, a)["INBOX"][0]
	if first.Key != "1700000001.M1P1.host" {
		t.Fatalf("first INBOX item %q", first.Key)
	}
	if err := os.Rename(filepath.Join(root, "new", first.Key), filepath.Join(root, "cur", first.Key+":2,FS")); err != nil {
		t.Fatal(err)
	}
	rc, err := a.Open(context.Background(), inbox, first)
	if err != nil {
		t.Fatalf("Open(%s) after the move = %v", first.Key, err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != msg("new one") {
		t.Errorf("Open(%s) = %q", first.Key, b)
	}
	for _, a := range []*Account{a, open(t, root)} { // the same session, and a new one
		var found []source.ItemRef
		for _, ref := range items(t, a)["INBOX"] {
			if ref.Key == first.Key {
				found = append(found, ref)
			}
		}
		if len(found) != 1 || !slices.Equal(found[0].Flags, []string{`\Flagged`, `\Seen`}) {
			t.Errorf("after the move: %+v; want the key once with \\Flagged \\Seen", found)
		}
	}
	// Gone for good: not found.
	if err := os.Remove(filepath.Join(root, "cur", first.Key+":2,FS")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Open(context.Background(), inbox, first); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("Open(removed) = %v, want ErrNotFound", err)
	}
}

func TestReadOnly(t *testing.T) {
	root := tree(t)
	before := testserver.TreeSnapshot(t, root)
	a := open(t, root)
	folders, err := a.Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range folders {
		if f.NoSelect {
			continue
		}
		for ref, err := range a.Items(context.Background(), f) {
			if err != nil {
				t.Fatal(err)
			}
			rc, err := a.Open(context.Background(), f, ref)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, rc)
			rc.Close()
		}
	}
	if diff := cmp.Diff(before, testserver.TreeSnapshot(t, root)); diff != "" {
		t.Errorf("the tree changed (-before +after):\n%s", diff)
	}
}

func TestSeveralRoots(t *testing.T) {
	work, home := filepath.Join(t.TempDir(), "work"), filepath.Join(t.TempDir(), "home")
	for _, r := range []string{work, home} {
		mkMaildir(t, r)
		put(t, filepath.Join(r, "cur", "1700000001.M1P1.host:2,S"), msg("in "+filepath.Base(r)))
		mkMaildir(t, filepath.Join(r, ".Sent"))
	}
	got, err := open(t, work, home).Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range got {
		paths = append(paths, strings.Join(f.Path, "/")+" "+string(f.SpecialUse))
	}
	slices.Sort(paths)
	if want := []string{"home ", `home/Sent \Sent`, "work ", `work/Sent \Sent`}; !slices.Equal(paths, want) {
		t.Errorf("folders = %q, want %q", paths, want)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	put(t, filepath.Join(dir, "file.txt"), "x")
	for _, p := range []string{filepath.Join(dir, "missing"), filepath.Join(dir, "file.txt"), filepath.Join(dir, "empty")} {
		os.MkdirAll(filepath.Join(dir, "empty"), 0o755)
		if _, err := Open(context.Background(), &Options{Paths: []string{p}}); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("Open(%s) = %v, want an error naming it", p, err)
		}
	}
}

func TestSuite(t *testing.T) {
	root := tree(t)
	sourcetest.Run(t, sourcetest.Harness{
		Open: func(ctx context.Context) (source.Account, error) { return Open(ctx, &Options{Paths: []string{root}}) },
		Expunge: func(t testing.TB, f source.Folder, ref source.ItemRef) {
			// Another client expunges the message: its file goes.
			for _, sub := range []string{"new", "cur"} {
				matches, _ := filepath.Glob(filepath.Join(f.Name, sub, ref.Key+"*"))
				for _, m := range matches {
					if k, _ := parseName(filepath.Base(m)); k == ref.Key {
						if err := os.Remove(m); err != nil {
							t.Fatal(err)
						}
						return
					}
				}
			}
			t.Fatalf("Expunge(%s, %s): no such file", f.Name, ref.Key)
		},
	})
}

// TestUnreadable puts files in a maildir that cannot be migrated: an
// empty one, one that is not RFC 5322, a symbolic link loop and (when not
// root, who reads anything) one without read permission; an empty file
// with the T flag is only counted as deleted. Folders names each in
// Unreadable with why; Items lists only the message.
func TestUnreadable(t *testing.T) {
	root := t.TempDir()
	mkMaildir(t, root)
	put(t, filepath.Join(root, "cur", "1.M1.host:2,S"), msg("one"))
	put(t, filepath.Join(root, "cur", "2.M2.host:2,S"), "")
	put(t, filepath.Join(root, "new", "3.M3.host"), "%PDF-1.4\n")
	put(t, filepath.Join(root, "cur", "4.M4.host:2,ST"), "")
	if err := os.Symlink("5.M5.host:2,", filepath.Join(root, "cur", "5.M5.host:2,")); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"new/3.M3.host: not a message: it does not begin with a header field",
		"cur/2.M2.host:2,S: not a message: the file is empty",
		"cur/5.M5.host:2,: too many levels of symbolic links",
	}
	if os.Geteuid() != 0 {
		put(t, filepath.Join(root, "cur", "6.M6.host:2,S"), msg("secret"))
		if err := os.Chmod(filepath.Join(root, "cur", "6.M6.host:2,S"), 0); err != nil {
			t.Fatal(err)
		}
		want = append(want, "cur/6.M6.host:2,S: permission denied")
	}
	a := open(t, root)
	folders, err := a.Folders(context.Background())
	if err != nil {
		t.Fatalf("Folders() = %v", err)
	}
	if len(folders) != 1 || folders[0].Count != 1 || folders[0].Deleted != 1 {
		t.Fatalf("Folders() = %+v, want INBOX with 1 message and 1 deleted", folders)
	}
	got := slices.Clone(folders[0].Unreadable)
	// Directory order is the file system's.
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Unreadable (-want +got):\n%s", diff)
	}
	if got := items(t, a)["INBOX"]; len(got) != 1 || got[0].Key != "1.M1.host" {
		t.Errorf("Items(INBOX) = %+v, want only the message", got)
	}
}
