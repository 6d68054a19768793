package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// rawDB opens the database at path without the store, as the writer would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(abs, time.Second, false))
	if err != nil {
		t.Fatalf("sql.Open() = %v", err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func execSQL(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("exec %q = %v", s, err)
		}
	}
}

func TestMigrationSteps(t *testing.T) {
	for i, m := range migrations() {
		if m.version != i+1 || m.description == "" || len(m.stmts) == 0 {
			t.Errorf("migrations()[%d] = version %d %q with %d statements; want version %d, described, not empty",
				i, m.version, m.description, len(m.stmts), i+1)
		}
	}
}

// TestMigrateFromV1 builds a state as the first schema version wrote it and
// checks that Open upgrades it in place, keeping the data.
func TestMigrateFromV1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	db := rawDB(t, path)
	if err := migrate(ctx, db, path, migrations()[:1], t0); err != nil {
		t.Fatalf("migrate to v1 = %v", err)
	}
	us := t0.UnixMicro()
	execSQL(t, db,
		fmt.Sprintf(`INSERT INTO project VALUES (1, 'acme', 'fp1', %d)`, us),
		fmt.Sprintf(`INSERT INTO mailboxes VALUES ('a', 'a@x', 'a@y', 'imap', 'pending', '', %d)`, us),
		fmt.Sprintf(`INSERT INTO folders VALUES ('a', 'INBOX', 'Inbox', 'F', '9', '5', %d)`, us),
		fmt.Sprintf(`INSERT INTO items VALUES ('a', 'INBOX', '5', 'message', 'h5', 'T5', 'migrated', '', 50, 1, %d, %d)`, us, us),
		fmt.Sprintf(`INSERT INTO runs (started_at, command, outcome, host, pid) VALUES (%d, 'migrate run', '', 'h', 1)`, us),
	)
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil || v != 1 {
		t.Fatalf("user_version of the v1 fixture = %d, %v; want 1", v, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	st := openTest(t, path, nil)
	if err := st.w.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil || v != schemaVersion() {
		t.Errorf("user_version after Open = %d, %v; want %d", v, err, schemaVersion())
	}
	var steps []string
	rows, err := st.r.QueryContext(ctx, `SELECT version, description FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n int
		var d string
		if err := rows.Scan(&n, &d); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, fmt.Sprintf("%d %s", n, d))
	}
	rows.Close()
	var wantSteps []string
	for _, m := range migrations() {
		wantSteps = append(wantSteps, fmt.Sprintf("%d %s", m.version, m.description))
	}
	if diff := cmp.Diff(wantSteps, steps); diff != "" {
		t.Errorf("schema_migrations mismatch (-want +got):\n%s", diff)
	}

	got, ok, err := st.Item(ctx, "a", "INBOX", "5")
	if err != nil || !ok {
		t.Fatalf("Item() after upgrade = %v, %v", ok, err)
	}
	want := Item{Mailbox: "a", Folder: "INBOX", SourceKey: "5", Kind: "message", Fingerprint: "h5", TargetID: "T5",
		Status: StatusMigrated, Bytes: 50, Attempts: 1, FirstSeen: t0, UpdatedAt: t0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Item() after upgrade mismatch (-want +got):\n%s", diff)
	}
	if p, err := st.Project(ctx); err != nil || p.Name != "acme" {
		t.Errorf("Project() after upgrade = %+v, %v", p, err)
	}
	// The v2 feature works on the upgraded data.
	if n, err := st.ReplaceFolderValidity(ctx, "a", "INBOX", "10"); n != 1 || err != nil {
		t.Errorf("ReplaceFolderValidity() after upgrade = %d, %v; want 1, nil", n, err)
	}
}

func TestReadOnlyRefusesOlderSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	db := rawDB(t, path)
	if err := migrate(ctx, db, path, migrations()[:1], t0); err != nil {
		t.Fatalf("migrate to v1 = %v", err)
	}
	db.Close()
	_, err := Open(ctx, path, &Options{Mode: ReadOnly})
	if !errors.Is(err, ErrSchemaVersion) || !strings.Contains(err.Error(), "schema version 1") || !strings.Contains(err.Error(), "read-write") {
		t.Errorf("read-only Open() of a v1 state = %v, want ErrSchemaVersion asking for a read-write open", err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	st := openTest(t, path, nil)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	newer := schemaVersion() + 1
	execSQL(t, rawDB(t, path), fmt.Sprintf(`PRAGMA user_version = %d`, newer))
	for _, mode := range []Mode{ReadWrite, ReadOnly} {
		t.Run(mode.String(), func(t *testing.T) {
			_, err := Open(ctx, path, &Options{Mode: mode})
			if !errors.Is(err, ErrSchemaVersion) {
				t.Fatalf("Open() = %v, want ErrSchemaVersion", err)
			}
			for _, want := range []string{fmt.Sprintf("schema version %d", newer), fmt.Sprintf("version %d that this migrate supports", schemaVersion())} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Open() error %q does not say %q", err, want)
				}
			}
		})
	}
	// A refused ReadWrite Open released its lock.
	if err := acquireAndRelease(path); err != nil {
		t.Errorf("lock after refused Open: %v", err)
	}
}

func acquireAndRelease(path string) error {
	l, err := acquireLock(path, path+lockSuffix, lockInfo{PID: 1})
	if err != nil {
		return err
	}
	return l.release()
}

func TestNotAState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	execSQL(t, rawDB(t, path), `CREATE TABLE photos (id INTEGER PRIMARY KEY)`)
	for _, mode := range []Mode{ReadWrite, ReadOnly} {
		if _, err := Open(context.Background(), path, &Options{Mode: mode}); !errors.Is(err, ErrNotState) {
			t.Errorf("%v Open() of a foreign database = %v, want ErrNotState", mode, err)
		}
	}
}

// TestFailedMigrationRollsBack checks that a step failing halfway leaves the
// state at its previous version with none of the step's changes.
func TestFailedMigrationRollsBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	db := rawDB(t, path)
	if err := migrate(ctx, db, path, migrations()[:1], t0); err != nil {
		t.Fatalf("migrate to v1 = %v", err)
	}
	steps := append(migrations()[:1:1],
		migration{version: 2, description: "fine", stmts: []string{`CREATE TABLE extra (a TEXT)`}},
		migration{version: 3, description: "broken", stmts: []string{`ALTER TABLE items ADD COLUMN x TEXT`, `CREATE TABLE (`}},
	)
	err := migrate(ctx, db, path, steps, t0)
	if err == nil || !strings.Contains(err.Error(), "version 3 (broken)") {
		t.Fatalf("migrate with a broken step = %v, want an error naming step 3", err)
	}
	var v, extra, cols int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil || v != 1 {
		t.Errorf("user_version after failed migration = %d, %v; want 1", v, err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'extra'`).Scan(&extra); err != nil || extra != 0 {
		t.Errorf("table of step 2 exists after failed migration (%d, %v)", extra, err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM pragma_table_info('items') WHERE name = 'x'`).Scan(&cols); err != nil || cols != 0 {
		t.Errorf("column of step 3 exists after failed migration (%d, %v)", cols, err)
	}
}
