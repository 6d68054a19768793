package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DefaultPath is where migrate keeps its state unless configured otherwise,
// relative to the working directory.
const DefaultPath = ".migrate/state.db"

const (
	// defaultBusyTimeout bounds waits for SQLite's own locks between
	// connections (the writer and readers, also of other processes).
	defaultBusyTimeout = 10 * time.Second
	// readConns bounds the reader pool. Reads are short: Items reads a page
	// at a time and holds no connection while its caller works.
	readConns = 4
	// pageSize is how many items Items reads per query.
	pageSize = 256
)

// sqliteStore is the SQLite Store. It has two pools on the same file: w, one
// connection that does every write (so writes queue in Go, honouring ctx,
// instead of spinning on SQLite's busy handler), and r, read-only connections
// for every read. In WAL mode readers and the writer do not block each other.
type sqliteStore struct {
	path string // as given to Open, for messages
	mode Mode
	now  func() time.Time
	w    *sql.DB // nil when ReadOnly
	r    *sql.DB
	lock *fileLock // nil when ReadOnly

	closeOnce sync.Once
	closeErr  error
}

// Open opens the state at path (usually DefaultPath) and returns the SQLite
// Store. opts may be nil for ReadWrite with the defaults.
//
// ReadWrite creates the parent directory (0700) and the database (0600; its
// -wal and -shm files get the same mode) when missing, takes the lock on the
// sidecar file path+".lock" (failing at once with a *LockedError matching
// ErrLocked when another run holds it) and migrates an older schema forward
// in one transaction. ReadOnly requires an existing state of the current
// schema version, takes no lock and never writes the database; SQLite may
// still create the -wal and -shm files that WAL readers need.
//
// Both refuse a state of a newer schema version (ErrSchemaVersion) and a
// database that is not a migrate state (ErrNotState).
//
// The database runs in WAL mode with synchronous=FULL, foreign keys on and a
// busy timeout. WAL with synchronous=NORMAL would already survive kill -9 at
// any point (a committed transaction is in the WAL before the commit returns),
// but a power loss or kernel crash could lose the last commits, and a lost
// checkpoint means an item migrated again: a duplicate in the target. FULL
// syncs the WAL at each commit; that costs one fsync per PutItem, which is
// small next to the Graph round trip each checkpoint follows, and PutItems
// shares one fsync across a batch.
func Open(ctx context.Context, path string, opts *Options) (Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = defaultBusyTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if path == "" {
		return nil, fmt.Errorf("open state: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	s := &sqliteStore{path: path, mode: o.Mode, now: o.Now}
	switch o.Mode {
	case ReadWrite:
		err = s.openReadWrite(ctx, abs, o)
	case ReadOnly:
		err = s.openReadOnly(ctx, abs, o)
	default:
		return nil, fmt.Errorf("open state %s: unknown mode %v", path, o.Mode)
	}
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

func (s *sqliteStore) openReadWrite(ctx context.Context, abs string, o Options) error {
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return fmt.Errorf("open state %s: create directory: %w", s.path, err)
	}
	host, _ := os.Hostname()
	lock, err := acquireLock(s.path, abs+lockSuffix, lockInfo{PID: os.Getpid(), Host: host, Since: o.Now().UTC().Truncate(time.Second)})
	if err != nil {
		var le *LockedError
		if errors.As(err, &le) {
			return err // already a sentence naming the state
		}
		return fmt.Errorf("open state %s: %w", s.path, err)
	}
	s.lock = lock
	// Create the database with mode 0600 before SQLite does (SQLite would use
	// 0644); SQLite gives the -wal and -shm files the database's mode. Tighten
	// files an older version or another tool left looser.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open state %s: %w", s.path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("open state %s: %w", s.path, err)
	}
	for _, p := range []string{abs, abs + "-wal", abs + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("open state %s: restrict mode of %s: %w", s.path, p, err)
		}
	}

	s.w, err = sql.Open("sqlite", dsn(abs, o.BusyTimeout, false))
	if err != nil {
		return fmt.Errorf("open state %s: %w", s.path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	var journal string
	if err := s.w.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&journal); err != nil {
		return fmt.Errorf("open state %s: %w", s.path, err)
	}
	if !strings.EqualFold(journal, "wal") {
		return fmt.Errorf("open state %s: journal mode is %q, not WAL (is the directory on a local filesystem?)", s.path, journal)
	}
	if err := migrate(ctx, s.w, s.path, migrations(), o.Now()); err != nil {
		return err
	}
	return s.openReaders(ctx, abs, o)
}

func (s *sqliteStore) openReadOnly(ctx context.Context, abs string, o Options) error {
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("open state %s read-only: %w", s.path, err)
	}
	if err := s.openReaders(ctx, abs, o); err != nil {
		return err
	}
	have, err := dbVersion(ctx, s.r, s.path)
	if err != nil {
		return err
	}
	if want := schemaVersion(); have != want {
		if have > want {
			return fmt.Errorf("state %s has schema version %d, newer than version %d that this migrate supports; use a newer migrate release: %w",
				s.path, have, want, ErrSchemaVersion)
		}
		return fmt.Errorf("state %s has schema version %d, this migrate reads version %d; open it read-write (any migrate run) once to upgrade it: %w",
			s.path, have, want, ErrSchemaVersion)
	}
	return nil
}

func (s *sqliteStore) openReaders(ctx context.Context, abs string, o Options) error {
	var err error
	s.r, err = sql.Open("sqlite", dsn(abs, o.BusyTimeout, true))
	if err != nil {
		return fmt.Errorf("open state %s: %w", s.path, err)
	}
	s.r.SetMaxOpenConns(readConns)
	s.r.SetMaxIdleConns(readConns)
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("open state %s for reading: %w", s.path, err)
	}
	return nil
}

// dsn returns the driver's data source name for the database at abs. The
// writer sets WAL (persistent in the file), synchronous=FULL (see Open) and
// begins its transactions IMMEDIATE, so a transaction never has to upgrade a
// read lock (which could fail with SQLITE_BUSY regardless of busy_timeout).
// Readers open with mode=ro: SQLite itself refuses any write on them.
func dsn(abs string, busy time.Duration, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Set("mode", "ro")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// Close closes the pools (the last connection checkpoints the WAL into the
// database) and then releases the lock.
func (s *sqliteStore) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		if s.w != nil {
			errs = append(errs, s.w.Close())
		}
		if s.lock != nil {
			errs = append(errs, s.lock.release())
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("close state %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// writable returns an error for op when the store is read-only.
func (s *sqliteStore) writable(op string) error {
	if s.mode == ReadOnly {
		return fmt.Errorf("%s: state %s: %w", op, s.path, ErrReadOnly)
	}
	return nil
}

// stamp returns t, or the current time when t is zero.
func (s *sqliteStore) stamp(t time.Time) time.Time {
	if t.IsZero() {
		return s.now()
	}
	return t
}

// isForeignKey reports whether err is a foreign key violation.
func isForeignKey(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY ||
		(se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT && strings.Contains(se.Error(), "FOREIGN KEY"))
}

// ---- project ----

func (s *sqliteStore) Project(ctx context.Context) (Project, error) {
	var p Project
	var created sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT name, config_fingerprint, created_at FROM project WHERE id = 1`).
		Scan(&p.Name, &p.ConfigFingerprint, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Project{}, fmt.Errorf("get project: state %s has no project: %w", s.path, ErrNotFound)
	}
	if err != nil {
		return Project{}, fmt.Errorf("get project: %w", err)
	}
	p.CreatedAt = fromMicros(created)
	return p, nil
}

func (s *sqliteStore) SetProject(ctx context.Context, p Project) error {
	op := fmt.Sprintf("set project %q", p.Name)
	if err := s.writable(op); err != nil {
		return err
	}
	_, err := s.w.ExecContext(ctx, `
		INSERT INTO project (id, name, config_fingerprint, created_at) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, config_fingerprint = excluded.config_fingerprint`,
		p.Name, p.ConfigFingerprint, toMicros(s.stamp(p.CreatedAt)))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// ---- mailboxes ----

func (s *sqliteStore) PutMailbox(ctx context.Context, m Mailbox) error {
	op := fmt.Sprintf("put mailbox %q", m.ID)
	if err := s.writable(op); err != nil {
		return err
	}
	if m.ID == "" {
		return fmt.Errorf("%s: empty ID: %w", op, ErrInvalid)
	}
	if !m.Status.Valid() {
		return fmt.Errorf("%s: status %q: %w", op, m.Status, ErrInvalid)
	}
	_, err := s.w.ExecContext(ctx, `
		INSERT INTO mailboxes (id, source_address, target_address, protocol, status, reason, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			source_address = excluded.source_address, target_address = excluded.target_address,
			protocol = excluded.protocol, status = excluded.status, reason = excluded.reason,
			updated_at = excluded.updated_at`,
		m.ID, m.SourceAddress, m.TargetAddress, m.Protocol, string(m.Status), m.Reason, toMicros(s.stamp(m.UpdatedAt)))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

const mailboxCols = `id, source_address, target_address, protocol, status, reason, updated_at`

func scanMailbox(sc interface{ Scan(...any) error }) (Mailbox, error) {
	var m Mailbox
	var status string
	var updated sql.NullInt64
	if err := sc.Scan(&m.ID, &m.SourceAddress, &m.TargetAddress, &m.Protocol, &status, &m.Reason, &updated); err != nil {
		return Mailbox{}, err
	}
	m.Status = Status(status)
	m.UpdatedAt = fromMicros(updated)
	return m, nil
}

func (s *sqliteStore) Mailbox(ctx context.Context, id string) (Mailbox, bool, error) {
	m, err := scanMailbox(s.r.QueryRowContext(ctx, `SELECT `+mailboxCols+` FROM mailboxes WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Mailbox{}, false, nil
	}
	if err != nil {
		return Mailbox{}, false, fmt.Errorf("get mailbox %q: %w", id, err)
	}
	return m, true, nil
}

func (s *sqliteStore) Mailboxes(ctx context.Context) ([]Mailbox, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+mailboxCols+` FROM mailboxes ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list mailboxes: %w", err)
	}
	defer rows.Close()
	var out []Mailbox
	for rows.Next() {
		m, err := scanMailbox(rows)
		if err != nil {
			return nil, fmt.Errorf("list mailboxes: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list mailboxes: %w", err)
	}
	return out, nil
}

// ---- folders ----

func (s *sqliteStore) PutFolder(ctx context.Context, f Folder) error {
	op := fmt.Sprintf("put folder %q of mailbox %q", f.SourcePath, f.Mailbox)
	if err := s.writable(op); err != nil {
		return err
	}
	if f.Mailbox == "" || f.SourcePath == "" {
		return fmt.Errorf("%s: empty key: %w", op, ErrInvalid)
	}
	// The WHERE clause makes the update a no-op when it would change a
	// stored validity; no row changed then means exactly that, since an
	// insert or an allowed update always changes one.
	res, err := s.w.ExecContext(ctx, `
		INSERT INTO folders (mailbox, source_path, target_path, target_id, validity, cursor, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (mailbox, source_path) DO UPDATE SET
			target_path = excluded.target_path, target_id = excluded.target_id,
			validity = excluded.validity, cursor = excluded.cursor, updated_at = excluded.updated_at
		WHERE folders.validity = '' OR folders.validity = excluded.validity`,
		f.Mailbox, f.SourcePath, f.TargetPath, f.TargetID, f.Validity, f.Cursor, toMicros(s.stamp(f.UpdatedAt)))
	if isForeignKey(err) {
		return fmt.Errorf("%s: mailbox %q is not stored: %w", op, f.Mailbox, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: stored validity differs from %q; call ReplaceFolderValidity: %w", op, f.Validity, ErrValidityChanged)
	}
	return nil
}

func (s *sqliteStore) Folders(ctx context.Context, mailbox string) ([]Folder, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT mailbox, source_path, target_path, target_id, validity, cursor, updated_at
		FROM folders WHERE mailbox = ? ORDER BY source_path`, mailbox)
	if err != nil {
		return nil, fmt.Errorf("list folders of mailbox %q: %w", mailbox, err)
	}
	defer rows.Close()
	var out []Folder
	for rows.Next() {
		var f Folder
		var updated sql.NullInt64
		if err := rows.Scan(&f.Mailbox, &f.SourcePath, &f.TargetPath, &f.TargetID, &f.Validity, &f.Cursor, &updated); err != nil {
			return nil, fmt.Errorf("list folders of mailbox %q: %w", mailbox, err)
		}
		f.UpdatedAt = fromMicros(updated)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list folders of mailbox %q: %w", mailbox, err)
	}
	return out, nil
}

func (s *sqliteStore) ReplaceFolderValidity(ctx context.Context, mailbox, folder, validity string) (_ int64, err error) {
	op := fmt.Sprintf("replace validity of folder %q of mailbox %q with %q", folder, mailbox, validity)
	if err := s.writable(op); err != nil {
		return 0, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var old string
	err = tx.QueryRowContext(ctx, `SELECT validity FROM folders WHERE mailbox = ? AND source_path = ?`, mailbox, folder).Scan(&old)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%s: folder is not stored: %w", op, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	if old == validity {
		return 0, tx.Rollback()
	}
	now := toMicros(s.now())
	// OR REPLACE: a folder whose validity flips back to an earlier value
	// retires the same keys under that value twice; the later copy wins.
	if _, err := tx.ExecContext(ctx, `
		INSERT OR REPLACE INTO retired_items (mailbox, folder, validity, source_key, kind, fingerprint, target_id,
			status, reason, bytes, attempts, first_seen, updated_at, dropped_keywords, received_from, failure, retired_at)
		SELECT mailbox, folder, ?, source_key, kind, fingerprint, target_id,
			status, reason, bytes, attempts, first_seen, updated_at, dropped_keywords, received_from, failure, ?
		FROM items WHERE mailbox = ? AND folder = ?`, old, now, mailbox, folder); err != nil {
		return 0, fmt.Errorf("%s: retire items: %w", op, err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM items WHERE mailbox = ? AND folder = ?`, mailbox, folder)
	if err != nil {
		return 0, fmt.Errorf("%s: retire items: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE folders SET validity = ?, cursor = '', updated_at = ? WHERE mailbox = ? AND source_path = ?`,
		validity, now, mailbox, folder); err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("%s: commit: %w", op, err)
	}
	return n, nil
}

// ---- items ----

const upsertItem = `
	INSERT INTO items (mailbox, folder, source_key, kind, fingerprint, target_id, status, reason, bytes,
		attempts, first_seen, updated_at, dropped_keywords, received_from, failure)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (mailbox, folder, source_key) DO UPDATE SET
		kind = excluded.kind, fingerprint = excluded.fingerprint, target_id = excluded.target_id,
		status = excluded.status, reason = excluded.reason, bytes = excluded.bytes,
		attempts = items.attempts + excluded.attempts, updated_at = excluded.updated_at,
		dropped_keywords = excluded.dropped_keywords, received_from = excluded.received_from,
		failure = excluded.failure`

func itemOp(it Item) string {
	return fmt.Sprintf("put item %q in folder %q of mailbox %q", it.SourceKey, it.Folder, it.Mailbox)
}

func validateItem(it Item) error {
	switch {
	case it.Mailbox == "" || it.Folder == "" || it.SourceKey == "":
		return fmt.Errorf("%s: empty key: %w", itemOp(it), ErrInvalid)
	case !it.Status.Valid():
		return fmt.Errorf("%s: status %q: %w", itemOp(it), it.Status, ErrInvalid)
	case it.Bytes < 0:
		return fmt.Errorf("%s: negative size %d: %w", itemOp(it), it.Bytes, ErrInvalid)
	case it.RetiredValidity != "":
		return fmt.Errorf("%s: a retired item cannot be written: %w", itemOp(it), ErrInvalid)
	case it.Failure != "" && (it.Failure != FailureUnparsable || it.Status != StatusFailed):
		return fmt.Errorf("%s: failure %q with status %q: %w", itemOp(it), it.Failure, it.Status, ErrInvalid)
	}
	return nil
}

// itemArgs returns the arguments of upsertItem for it. attempts is the
// increment: 1 for a write that records an outcome.
func (s *sqliteStore) itemArgs(it Item) []any {
	updated := s.stamp(it.UpdatedAt)
	first := it.FirstSeen
	if first.IsZero() {
		first = updated
	}
	attempts := 0
	if it.Status == StatusMigrated || it.Status == StatusFailed {
		attempts = 1
	}
	return []any{it.Mailbox, it.Folder, it.SourceKey, it.Kind, it.Fingerprint, it.TargetID, string(it.Status),
		it.Reason, it.Bytes, attempts, toMicros(first), toMicros(updated), encodeKeywords(it.DroppedKeywords), it.ReceivedFrom, it.Failure}
}

// encodeKeywords stores a keyword list as a JSON array, "" when empty.
func encodeKeywords(kws []string) string {
	if len(kws) == 0 {
		return ""
	}
	b, _ := json.Marshal(kws) // a []string always marshals
	return string(b)
}

// decodeKeywords reads what encodeKeywords stored.
func decodeKeywords(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var kws []string
	if err := json.Unmarshal([]byte(s), &kws); err != nil {
		return nil, fmt.Errorf("dropped keywords %q: %w", s, err)
	}
	return kws, nil
}

func (s *sqliteStore) itemError(it Item, err error) error {
	if isForeignKey(err) {
		return fmt.Errorf("%s: folder is not stored: %w", itemOp(it), ErrNotFound)
	}
	return fmt.Errorf("%s: %w", itemOp(it), err)
}

func (s *sqliteStore) PutItem(ctx context.Context, it Item) error {
	if err := s.writable(itemOp(it)); err != nil {
		return err
	}
	if err := validateItem(it); err != nil {
		return err
	}
	if _, err := s.w.ExecContext(ctx, upsertItem, s.itemArgs(it)...); err != nil {
		return s.itemError(it, err)
	}
	return nil
}

func (s *sqliteStore) PutItems(ctx context.Context, items []Item) (err error) {
	op := fmt.Sprintf("put %d items", len(items))
	if err := s.writable(op); err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	for _, it := range items {
		if err := validateItem(it); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	stmt, err := tx.PrepareContext(ctx, upsertItem)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer stmt.Close()
	for _, it := range items {
		if _, err := stmt.ExecContext(ctx, s.itemArgs(it)...); err != nil {
			return fmt.Errorf("%s: %w", op, s.itemError(it, err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", op, err)
	}
	return nil
}

const itemCols = `mailbox, folder, source_key, kind, fingerprint, target_id, status, reason, bytes, attempts, first_seen, updated_at, dropped_keywords, received_from, failure`

func scanItem(sc interface{ Scan(...any) error }, retired bool) (Item, error) {
	var it Item
	var status, dropped string
	var first, updated sql.NullInt64
	dest := []any{&it.Mailbox, &it.Folder, &it.SourceKey, &it.Kind, &it.Fingerprint, &it.TargetID, &status,
		&it.Reason, &it.Bytes, &it.Attempts, &first, &updated, &dropped, &it.ReceivedFrom, &it.Failure}
	if retired {
		dest = append(dest, &it.RetiredValidity)
	}
	if err := sc.Scan(dest...); err != nil {
		return Item{}, err
	}
	var err error
	if it.DroppedKeywords, err = decodeKeywords(dropped); err != nil {
		return Item{}, err
	}
	it.Status = Status(status)
	it.FirstSeen = fromMicros(first)
	it.UpdatedAt = fromMicros(updated)
	return it, nil
}

func (s *sqliteStore) Item(ctx context.Context, mailbox, folder, sourceKey string) (Item, bool, error) {
	it, err := scanItem(s.r.QueryRowContext(ctx,
		`SELECT `+itemCols+` FROM items WHERE mailbox = ? AND folder = ? AND source_key = ?`,
		mailbox, folder, sourceKey), false)
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, false, nil
	}
	if err != nil {
		return Item{}, false, fmt.Errorf("get item %q in folder %q of mailbox %q: %w", sourceKey, folder, mailbox, err)
	}
	return it, true, nil
}

// Items pages through the matching rows by key (keyset pagination): each page
// is one short query, so no read transaction stays open while the caller's
// loop body runs (which may take minutes per item). A long-lived reader
// would keep SQLite from resetting the WAL, which would then grow with every
// checkpoint written meanwhile.
func (s *sqliteStore) Items(ctx context.Context, q ItemQuery) iter.Seq2[Item, error] {
	return func(yield func(Item, error) bool) {
		if q.Folder != "" && q.Mailbox == "" {
			yield(Item{}, fmt.Errorf("list items (%+v): Folder without Mailbox: %w", q, ErrInvalid))
			return
		}
		first, next, args, fixed := itemQueries(q)
		page := make([]Item, 0, pageSize)
		query, queryArgs := first, args
		for {
			var err error
			page, err = s.itemPage(ctx, page[:0], query, queryArgs, q.Retired)
			if err != nil {
				yield(Item{}, fmt.Errorf("list items (%+v): %w", q, err))
				return
			}
			for _, it := range page {
				if err := ctx.Err(); err != nil {
					yield(Item{}, fmt.Errorf("list items (%+v): %w", q, err))
					return
				}
				if !yield(it, nil) {
					return
				}
			}
			if len(page) < pageSize {
				return
			}
			end := page[len(page)-1]
			last := []any{end.Mailbox, end.Folder, end.SourceKey}
			if q.Retired {
				last = []any{end.Mailbox, end.Folder, end.RetiredValidity, end.SourceKey}
			}
			query, queryArgs = next, append(args[:len(args):len(args)], last[fixed:]...)
		}
	}
}

// itemQueries returns the SQL of Items' first page and of the pages after it
// (which take the last row's key columns after the fixed ones as extra
// arguments), the filter arguments, and how many leading key columns the
// filter fixes by equality.
//
// The keyset condition compares only the key columns after the fixed ones:
// for mailbox = ? it is (folder, source_key) > (?, ?), a range of the primary
// key and of the indexes, where a comparison that includes mailbox would not
// be. The index is named (INDEXED BY) because without statistics SQLite
// prefers the primary key, which for a fingerprint lookup means scanning the
// whole mailbox.
func itemQueries(q ItemQuery) (first, next string, args []any, fixed int) {
	table, key := "items", []string{"mailbox", "folder", "source_key"}
	cols := itemCols
	if q.Retired {
		table, key = "retired_items", []string{"mailbox", "folder", "validity", "source_key"}
		cols += ", validity"
	}
	from := table
	switch {
	case q.Fingerprint != "" && q.Mailbox != "":
		from += " INDEXED BY " + table + "_by_fingerprint"
	case q.Status != "" && !q.Retired:
		from += " INDEXED BY items_by_status"
	}
	var where []string
	for _, c := range []struct{ col, val string }{
		{"mailbox", q.Mailbox}, {"folder", q.Folder}, {"status", string(q.Status)}, {"fingerprint", q.Fingerprint},
	} {
		if c.val != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	if q.Mailbox != "" {
		fixed = 1
		if q.Folder != "" {
			fixed = 2
		}
	}
	rest := key[fixed:]
	after := "(" + strings.Join(rest, ", ") + ") > (" + strings.TrimSuffix(strings.Repeat("?, ", len(rest)), ", ") + ")"
	build := func(where []string) string {
		sql := `SELECT ` + cols + ` FROM ` + from
		if len(where) > 0 {
			sql += ` WHERE ` + strings.Join(where, " AND ")
		}
		return sql + ` ORDER BY ` + strings.Join(key, ", ") + fmt.Sprintf(` LIMIT %d`, pageSize)
	}
	return build(where), build(append(where[:len(where):len(where)], after)), args, fixed
}

// itemPage runs one page query and appends its rows to buf.
func (s *sqliteStore) itemPage(ctx context.Context, buf []Item, query string, args []any, retired bool) ([]Item, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		it, err := scanItem(rows, retired)
		if err != nil {
			return nil, err
		}
		buf = append(buf, it)
	}
	return buf, rows.Err()
}

func (s *sqliteStore) Summary(ctx context.Context, mailbox string) (map[Status]Counts, error) {
	query := `SELECT status, count(*), coalesce(sum(bytes), 0) FROM items`
	var args []any
	if mailbox != "" {
		query += ` WHERE mailbox = ?`
		args = append(args, mailbox)
	}
	query += ` GROUP BY status`
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("summarise mailbox %q: %w", mailbox, err)
	}
	defer rows.Close()
	out := make(map[Status]Counts, 4)
	for _, st := range Statuses() {
		out[st] = Counts{}
	}
	for rows.Next() {
		var st string
		var c Counts
		if err := rows.Scan(&st, &c.Items, &c.Bytes); err != nil {
			return nil, fmt.Errorf("summarise mailbox %q: %w", mailbox, err)
		}
		out[Status(st)] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("summarise mailbox %q: %w", mailbox, err)
	}
	return out, nil
}

// ---- runs ----

func (s *sqliteStore) StartRun(ctx context.Context, r Run) (int64, error) {
	op := fmt.Sprintf("start run %q", r.Command)
	if err := s.writable(op); err != nil {
		return 0, err
	}
	res, err := s.w.ExecContext(ctx, `
		INSERT INTO runs (started_at, ended_at, command, outcome, host, pid) VALUES (?, ?, ?, ?, ?, ?)`,
		toMicros(s.stamp(r.StartedAt)), nullMicros(r.EndedAt), r.Command, r.Outcome, r.Host, r.PID)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return id, nil
}

func (s *sqliteStore) EndRun(ctx context.Context, id int64, outcome string, at time.Time) error {
	op := fmt.Sprintf("end run %d", id)
	if err := s.writable(op); err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE runs SET ended_at = ?, outcome = ? WHERE id = ?`,
		toMicros(s.stamp(at)), outcome, id)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, ErrNotFound)
	}
	return nil
}

func (s *sqliteStore) Runs(ctx context.Context) ([]Run, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, started_at, ended_at, command, outcome, host, pid FROM runs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var started, ended sql.NullInt64
		if err := rows.Scan(&r.ID, &started, &ended, &r.Command, &r.Outcome, &r.Host, &r.PID); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		r.StartedAt, r.EndedAt = fromMicros(started), fromMicros(ended)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}
