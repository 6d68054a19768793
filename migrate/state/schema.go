package state

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// applicationID marks a SQLite file as a migrate state ("MGRT"), in the
// database header (PRAGMA application_id), so that Open refuses other
// databases instead of adding tables to them.
const applicationID = 0x4D475254

// migration is one forward step of the schema. The schema version is SQLite's
// PRAGMA user_version (in the database header, so it changes atomically with
// the step's transaction); the table schema_migrations keeps a human-readable
// history of the steps applied.
//
// Steps are append-only: never edit a released step, add a new one.
type migration struct {
	version     int
	description string
	stmts       []string
}

// migrations is the ordered list of schema steps; migrations[i].version is
// i+1. Times are INTEGER microseconds since the Unix epoch, UTC; NULL means
// unset. Statuses are checked against the same list as Status.Valid.
func migrations() []migration {
	return []migration{
		{
			version:     1,
			description: "project, mailboxes, folders, items, runs",
			stmts: []string{
				`CREATE TABLE schema_migrations (
					version     INTEGER PRIMARY KEY,
					description TEXT    NOT NULL,
					applied_at  INTEGER NOT NULL
				)`,
				`CREATE TABLE project (
					id                 INTEGER PRIMARY KEY CHECK (id = 1),
					name               TEXT    NOT NULL,
					config_fingerprint TEXT    NOT NULL,
					created_at         INTEGER NOT NULL
				)`,
				`CREATE TABLE mailboxes (
					id             TEXT    NOT NULL PRIMARY KEY,
					source_address TEXT    NOT NULL,
					target_address TEXT    NOT NULL,
					protocol       TEXT    NOT NULL,
					status         TEXT    NOT NULL CHECK (status IN ('pending', 'migrated', 'skipped', 'failed')),
					reason         TEXT    NOT NULL,
					updated_at     INTEGER NOT NULL
				) WITHOUT ROWID`,
				`CREATE TABLE folders (
					mailbox     TEXT    NOT NULL REFERENCES mailboxes (id),
					source_path TEXT    NOT NULL,
					target_path TEXT    NOT NULL,
					target_id   TEXT    NOT NULL,
					validity    TEXT    NOT NULL,
					cursor      TEXT    NOT NULL,
					updated_at  INTEGER NOT NULL,
					PRIMARY KEY (mailbox, source_path)
				) WITHOUT ROWID`,
				`CREATE TABLE items (
					mailbox     TEXT    NOT NULL,
					folder      TEXT    NOT NULL,
					source_key  TEXT    NOT NULL,
					kind        TEXT    NOT NULL,
					fingerprint TEXT    NOT NULL,
					target_id   TEXT    NOT NULL,
					status      TEXT    NOT NULL CHECK (status IN ('pending', 'migrated', 'skipped', 'failed')),
					reason      TEXT    NOT NULL,
					bytes       INTEGER NOT NULL CHECK (bytes >= 0),
					attempts    INTEGER NOT NULL,
					first_seen  INTEGER NOT NULL,
					updated_at  INTEGER NOT NULL,
					PRIMARY KEY (mailbox, folder, source_key),
					FOREIGN KEY (mailbox, folder) REFERENCES folders (mailbox, source_path)
				) WITHOUT ROWID`,
				// Serves status filters, alone or with mailbox and folder,
				// in the order Items returns.
				`CREATE INDEX items_by_status ON items (status, mailbox, folder, source_key)`,
				`CREATE TABLE runs (
					id         INTEGER PRIMARY KEY AUTOINCREMENT,
					started_at INTEGER NOT NULL,
					ended_at   INTEGER,
					command    TEXT    NOT NULL,
					outcome    TEXT    NOT NULL,
					host       TEXT    NOT NULL,
					pid        INTEGER NOT NULL
				)`,
			},
		},
		{
			version:     2,
			description: "retired items for UIDVALIDITY changes; fingerprint lookups",
			stmts: []string{
				`CREATE TABLE retired_items (
					mailbox     TEXT    NOT NULL,
					folder      TEXT    NOT NULL,
					validity    TEXT    NOT NULL,
					source_key  TEXT    NOT NULL,
					kind        TEXT    NOT NULL,
					fingerprint TEXT    NOT NULL,
					target_id   TEXT    NOT NULL,
					status      TEXT    NOT NULL CHECK (status IN ('pending', 'migrated', 'skipped', 'failed')),
					reason      TEXT    NOT NULL,
					bytes       INTEGER NOT NULL CHECK (bytes >= 0),
					attempts    INTEGER NOT NULL,
					first_seen  INTEGER NOT NULL,
					updated_at  INTEGER NOT NULL,
					retired_at  INTEGER NOT NULL,
					PRIMARY KEY (mailbox, folder, validity, source_key),
					FOREIGN KEY (mailbox, folder) REFERENCES folders (mailbox, source_path)
				) WITHOUT ROWID`,
				// Fingerprint lookups within a mailbox, in the order Items
				// returns (so no sort, and keyset pages are index ranges).
				`CREATE INDEX items_by_fingerprint ON items (mailbox, fingerprint, folder, source_key)`,
				`CREATE INDEX retired_items_by_fingerprint ON retired_items (mailbox, fingerprint, folder, validity, source_key)`,
			},
		},
		{
			version:     3,
			description: "keywords dropped per item",
			stmts: []string{
				// A JSON array of strings; '' when none.
				`ALTER TABLE items ADD COLUMN dropped_keywords TEXT NOT NULL DEFAULT ''`,
				`ALTER TABLE retired_items ADD COLUMN dropped_keywords TEXT NOT NULL DEFAULT ''`,
			},
		},
		{
			version:     4,
			description: "where each item's received date came from",
			stmts: []string{
				// mapping.ReceivedFrom*: server, received_header,
				// date_header, run_time; '' when not recorded.
				`ALTER TABLE items ADD COLUMN received_from TEXT NOT NULL DEFAULT ''`,
				`ALTER TABLE retired_items ADD COLUMN received_from TEXT NOT NULL DEFAULT ''`,
			},
		},
		{
			version:     5,
			description: "the kind of each failed item's failure",
			stmts: []string{
				// Failure*: '' (a new run may succeed), unparsable.
				`ALTER TABLE items ADD COLUMN failure TEXT NOT NULL DEFAULT ''`,
				`ALTER TABLE retired_items ADD COLUMN failure TEXT NOT NULL DEFAULT ''`,
			},
		},
	}
}

// schemaVersion is the version this program writes and reads.
func schemaVersion() int { return len(migrations()) }

// dbVersion reads the state's schema version and checks that the file is a
// migrate state (or a new, empty database).
func dbVersion(ctx context.Context, q queryer, path string) (int, error) {
	var appID, version, objects int
	if err := q.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&appID); err != nil {
		return 0, fmt.Errorf("read application_id of %s: %w", path, err)
	}
	if err := q.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return 0, fmt.Errorf("read schema version of %s: %w", path, err)
	}
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&objects); err != nil {
		return 0, fmt.Errorf("read schema of %s: %w", path, err)
	}
	if appID != applicationID && (objects > 0 || version != 0) {
		return 0, fmt.Errorf("state %s: %w (application_id %#x)", path, ErrNotState, appID)
	}
	return version, nil
}

// migrate brings the schema of db to the last of steps, in one transaction:
// either every missing step is applied or none is. It refuses a state whose
// version is newer than the last step. db must be the writer (BEGIN
// IMMEDIATE), so that the version read cannot change before the commit.
func migrate(ctx context.Context, db *sql.DB, path string, steps []migration, now time.Time) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate schema of %s: begin: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	have, err := dbVersion(ctx, tx, path)
	if err != nil {
		return err
	}
	want := len(steps)
	if have > want {
		return fmt.Errorf("state %s has schema version %d, newer than version %d that this migrate supports; use a newer migrate release: %w",
			path, have, want, ErrSchemaVersion)
	}
	if have == want {
		return tx.Rollback()
	}
	if have == 0 {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA application_id = %d`, applicationID)); err != nil {
			return fmt.Errorf("migrate schema of %s: set application_id: %w", path, err)
		}
	}
	for i, st := range steps[have:] {
		if st.version != have+i+1 {
			return fmt.Errorf("migrate schema of %s: step %d has version %d (steps must be numbered 1, 2, ...)", path, have+i+1, st.version)
		}
		for _, stmt := range st.stmts {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migrate schema of %s to version %d (%s): %w", path, st.version, st.description, err)
			}
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)`,
			st.version, st.description, toMicros(now)); err != nil {
			return fmt.Errorf("migrate schema of %s to version %d: record step: %w", path, st.version, err)
		}
	}
	// PRAGMA takes no bound parameters; want is an int.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, want)); err != nil {
		return fmt.Errorf("migrate schema of %s: set version %d: %w", path, want, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate schema of %s from version %d to %d: commit: %w", path, have, want, err)
	}
	return nil
}

// queryer is what dbVersion needs from a *sql.DB, *sql.Conn or *sql.Tx.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// toMicros converts t to microseconds since the epoch; the zero time is 0.
func toMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// nullMicros is toMicros with the zero time as NULL.
func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

// fromMicros converts microseconds since the epoch to a UTC time; NULL is the
// zero time.
func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}
