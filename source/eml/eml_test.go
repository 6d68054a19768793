package eml

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
)

func msg(subject string) string {
	return "From: a@example.test\r\nTo: b@example.test\r\nSubject: " + subject + "\r\nDate: Tue, 2 Jan 2024 03:04:05 +0000\r\n\r\n" + subject + "\r\n"
}

func put(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tree is an export as Windows Live Mail leaves it: one directory per
// folder, with a parent that holds no message and files that are not
// messages.
func tree(t testing.TB) string {
	root := filepath.Join(t.TempDir(), "Export")
	put(t, filepath.Join(root, "loose.eml"), msg("loose"))
	put(t, filepath.Join(root, "Inbox", "0001.eml"), msg("one"))
	put(t, filepath.Join(root, "Inbox", "0002.EML"), msg("two"))
	put(t, filepath.Join(root, "Inbox", "desktop.ini"), "[.ShellClassInfo]\r\n")
	put(t, filepath.Join(root, "Sent Items", "0003.eml"), msg("sent"))
	put(t, filepath.Join(root, "Old", "2010", "0004.eml"), msg("old"))
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
	n := func(s ...string) int64 {
		var sum int64
		for _, x := range s {
			sum += int64(len(msg(x)))
		}
		return sum
	}
	want := []source.Folder{
		{Path: []string{"Export"}, Delimiter: "/", Name: root, Count: 1, Bytes: n("loose")},
		{Path: []string{"Inbox"}, Delimiter: "/", Name: filepath.Join(root, "Inbox"), Count: 2, Bytes: n("one", "two")},
		{Path: []string{"Old"}, Delimiter: "/", Name: filepath.Join(root, "Old"), NoSelect: true, Count: -1, Bytes: -1},
		{Path: []string{"Old", "2010"}, Delimiter: "/", Name: filepath.Join(root, "Old", "2010"), Count: 1, Bytes: n("old")},
		{Path: []string{"Sent Items"}, Delimiter: "/", Name: filepath.Join(root, "Sent Items"), SpecialUse: source.Sent, SpecialUseGuessed: true, Count: 1, Bytes: n("sent")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Folders() (-want +got):\n%s", diff)
	}
}

func TestItems(t *testing.T) {
	root := tree(t)
	a := open(t, root)
	f := source.Folder{Path: []string{"Inbox"}, Name: filepath.Join(root, "Inbox")}
	var got []source.ItemRef
	for ref, err := range a.Items(context.Background(), f) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ref)
	}
	want := []source.ItemRef{{Key: "Inbox/0001.eml", Size: int64(len(msg("one")))}, {Key: "Inbox/0002.EML", Size: int64(len(msg("two")))}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Items(Inbox) (-want +got):\n%s", diff)
	}
	rc, err := a.Open(context.Background(), f, got[1])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != msg("two") {
		t.Errorf("Open(%s) = %q", got[1].Key, b)
	}
	for _, key := range []string{"Sent Items/0003.eml", "Inbox/../loose.eml", "Inbox/desktop.ini", "Inbox/gone.eml"} {
		if _, err := a.Open(context.Background(), f, source.ItemRef{Key: key}); !errors.Is(err, source.ErrNotFound) {
			t.Errorf("Open(Inbox, %q) = %v, want ErrNotFound", key, err)
		}
	}
}

func TestSeveralRoots(t *testing.T) {
	one, two := tree(t), filepath.Join(t.TempDir(), "Other")
	put(t, filepath.Join(two, "Drafts", "x.eml"), msg("draft"))
	folders, err := open(t, one, two).Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range folders {
		got = append(got, strings.Join(f.Path, "/")+" "+f.Name)
	}
	want := []string{"Export " + one, "Export/Inbox " + filepath.Join(one, "Inbox"), "Export/Old " + filepath.Join(one, "Old"),
		"Export/Old/2010 " + filepath.Join(one, "Old", "2010"), "Export/Sent Items " + filepath.Join(one, "Sent Items"),
		"Other " + two, "Other/Drafts " + filepath.Join(two, "Drafts")}
	if !slices.Equal(got, want) {
		t.Errorf("folders =\n%q\nwant\n%q", got, want)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	put(t, filepath.Join(dir, "file.eml"), msg("x"))
	put(t, filepath.Join(dir, "none", "x.txt"), "x")
	for _, p := range []string{filepath.Join(dir, "missing"), filepath.Join(dir, "file.eml"), filepath.Join(dir, "none")} {
		if _, err := Open(context.Background(), &Options{Paths: []string{p}}); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("Open(%s) = %v, want an error naming it", p, err)
		}
	}
	if !HasMessages(dir) || HasMessages(filepath.Join(dir, "none")) {
		t.Errorf("HasMessages: want true for %s, false for none/", dir)
	}
}

func TestSuite(t *testing.T) {
	root := tree(t)
	sourcetest.Run(t, sourcetest.Harness{
		Open: func(ctx context.Context) (source.Account, error) { return Open(ctx, &Options{Paths: []string{root}}) },
		Expunge: func(t testing.TB, f source.Folder, ref source.ItemRef) {
			if err := os.Remove(filepath.Join(root, filepath.FromSlash(ref.Key))); err != nil {
				t.Fatal(err)
			}
		},
	})
}

// TestUnreadable puts files beside the messages that cannot be migrated:
// an empty .eml, one that is not RFC 5322, a symbolic link loop and (when
// not root, who reads anything) one without read permission. Folders
// names each in Unreadable with why; Items lists only the message.
func TestUnreadable(t *testing.T) {
	root := filepath.Join(t.TempDir(), "Export")
	put(t, filepath.Join(root, "Inbox", "0001.eml"), msg("one"))
	put(t, filepath.Join(root, "Inbox", "empty.eml"), "")
	put(t, filepath.Join(root, "Inbox", "note.eml"), "Remember to call Bob.\n")
	if err := os.Symlink("loop.eml", filepath.Join(root, "Inbox", "loop.eml")); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Inbox/empty.eml: not a message: the file is empty",
		"Inbox/loop.eml: too many levels of symbolic links",
		"Inbox/note.eml: not a message: it does not begin with a header field",
	}
	if os.Geteuid() != 0 {
		put(t, filepath.Join(root, "Inbox", "secret.eml"), msg("secret"))
		if err := os.Chmod(filepath.Join(root, "Inbox", "secret.eml"), 0); err != nil {
			t.Fatal(err)
		}
		want = append(want, "Inbox/secret.eml: permission denied")
	}
	a := open(t, root)
	folders, err := a.Folders(context.Background())
	if err != nil {
		t.Fatalf("Folders() = %v", err)
	}
	if len(folders) != 1 || folders[0].Count != 1 {
		t.Fatalf("Folders() = %+v, want Inbox with 1 message", folders)
	}
	if diff := cmp.Diff(want, folders[0].Unreadable); diff != "" {
		t.Errorf("Unreadable (-want +got):\n%s", diff)
	}
	var keys []string
	for ref, err := range a.Items(context.Background(), folders[0]) {
		if err != nil {
			t.Fatalf("Items() = %v", err)
		}
		keys = append(keys, ref.Key)
	}
	if !slices.Equal(keys, []string{"Inbox/0001.eml"}) {
		t.Errorf("Items() = %q, want only the message", keys)
	}
}
