package state

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestFilesAndPragmas(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".migrate")
	path := filepath.Join(dir, "state.db")
	st := openTest(t, path, nil)
	seed(t, st) // writes, so the -wal and -shm files exist
	for _, c := range []struct {
		path string
		want fs.FileMode
	}{
		{dir, 0o700 | fs.ModeDir},
		{path, 0o600},
		{path + "-wal", 0o600},
		{path + "-shm", 0o600},
		{path + ".lock", 0o600},
	} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Errorf("Stat(%s) = %v", c.path, err)
			continue
		}
		if got := fi.Mode() & (fs.ModePerm | fs.ModeDir); got != c.want {
			t.Errorf("mode of %s = %v, want %v", filepath.Base(c.path), got, c.want)
		}
	}
	ctx := context.Background()
	for _, c := range []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{st.w, "journal_mode", "wal"},
		{st.r, "journal_mode", "wal"},
		{st.w, "synchronous", "2"}, // FULL
		{st.w, "foreign_keys", "1"},
		{st.r, "foreign_keys", "1"},
		{st.w, "busy_timeout", "10000"},
		{st.r, "busy_timeout", "10000"},
		{st.w, "application_id", fmt.Sprint(applicationID)},
	} {
		var got string
		if err := c.db.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s = %v", c.pragma, err)
		}
		if !strings.EqualFold(got, c.want) {
			t.Errorf("PRAGMA %s = %q, want %q", c.pragma, got, c.want)
		}
	}
	// The reader pool cannot write even if the code tried.
	if _, err := st.r.ExecContext(ctx, `DELETE FROM runs`); err == nil {
		t.Errorf("write on a reader connection succeeded, want SQLITE_READONLY")
	}
}

func TestOpenTightensLooseModes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st := openTest(t, path, &Options{Now: fixedClock})
	seed(t, st)
	if err := st.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	openTest(t, path, nil)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after reopening a 0644 state = %v, want 0600", fi.Mode().Perm())
	}
}

func TestLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	first := openTest(t, path, nil)
	seed(t, first)

	_, err := Open(ctx, path, nil)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second ReadWrite Open() = %v, want ErrLocked", err)
	}
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second ReadWrite Open() = %T, want *LockedError", err)
	}
	host, _ := os.Hostname()
	if le.PID != os.Getpid() || le.Host != host || !le.Since.Equal(t0) || le.Path != path {
		t.Errorf("LockedError = %+v, want pid %d, host %q, since %v, path %q", le, os.Getpid(), host, t0, path)
	}
	want := fmt.Sprintf("state %s is in use by another migrate run (pid %d on host %s since 2026-11-23T10:00:00Z)", path, os.Getpid(), host)
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}

	// ReadOnly opens, reads and refuses writes while the lock is held.
	ro := openTest(t, path, &Options{Mode: ReadOnly})
	mbs, err := ro.Mailboxes(ctx)
	if err != nil || len(mbs) != 2 {
		t.Fatalf("read-only Mailboxes() = %d mailboxes, %v; want 2", len(mbs), err)
	}
	// It sees the writer's commits as they happen.
	if err := first.PutItem(ctx, Item{Mailbox: mbs[0].ID, Folder: "INBOX", SourceKey: "1", Status: StatusMigrated}); err != nil {
		t.Fatalf("PutItem() = %v", err)
	}
	if _, ok, err := ro.Item(ctx, mbs[0].ID, "INBOX", "1"); !ok || err != nil {
		t.Errorf("read-only Item() after commit = %v, %v; want found", ok, err)
	}
	writes := map[string]func() error{
		"SetProject": func() error { return ro.SetProject(ctx, Project{Name: "x"}) },
		"PutMailbox": func() error { return ro.PutMailbox(ctx, Mailbox{ID: "x", Status: StatusPending}) },
		"PutFolder":  func() error { return ro.PutFolder(ctx, Folder{Mailbox: "x", SourcePath: "y"}) },
		"PutItem": func() error {
			return ro.PutItem(ctx, Item{Mailbox: "x", Folder: "y", SourceKey: "z", Status: StatusPending})
		},
		"PutItems": func() error { return ro.PutItems(ctx, nil) },
		"StartRun": func() error { _, err := ro.StartRun(ctx, Run{}); return err },
		"EndRun":   func() error { return ro.EndRun(ctx, 1, "ok", t0) },
		"ReplaceFolderValidity": func() error {
			_, err := ro.ReplaceFolderValidity(ctx, "x", "y", "z")
			return err
		},
	}
	for name, write := range writes {
		if err := write(); !errors.Is(err, ErrReadOnly) {
			t.Errorf("read-only %s() = %v, want ErrReadOnly", name, err)
		}
	}

	// Closing the holder frees the lock.
	if err := first.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := first.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	openTest(t, path, nil)
}

func TestLockHolderNotYetRecorded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), path, nil)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "is in use by another migrate run") {
		t.Fatalf("Open() = %v, want ErrLocked", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused Open() created the database (Stat = %v)", err)
	}
}

func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	t.Run("missing state", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "state.db")
		if _, err := Open(ctx, path, &Options{Mode: ReadOnly}); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("read-only Open() of a missing state = %v, want fs.ErrNotExist", err)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("read-only Open() created %s", path)
		}
	})
	t.Run("never writes the database", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "state.db")
		rw := openTest(t, path, nil)
		seed(t, rw)
		if err := rw.PutItems(ctx, itemFixture(100)); err != nil {
			t.Fatalf("PutItems() = %v", err)
		}
		if err := rw.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
		before := fileHash(t, path)
		ro := openTest(t, path, &Options{Mode: ReadOnly})
		if got := collect(t, ro.Items(ctx, ItemQuery{})); len(got) != 100 {
			t.Errorf("read-only Items() = %d items, want 100", len(got))
		}
		if _, err := ro.Summary(ctx, ""); err != nil {
			t.Errorf("read-only Summary() = %v", err)
		}
		if err := ro.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
		if after := fileHash(t, path); after != before {
			t.Errorf("read-only use changed the database file")
		}
		if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
			t.Errorf("read-only use wrote %d bytes of WAL", fi.Size())
		}
	})
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}
