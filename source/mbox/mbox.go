// Package mbox is a source.Account over mbox files: a Thunderbird
// profile's mail folders, a directory of mbox files, or single mbox files
// (an export), read-only.
//
// # Folders
//
// Each path given is an mbox file or a directory. A file is one folder
// named after it (without an .mbox or .mbx extension; the file "mbox" in
// an Apple Mail export bundle X.mbox/ is named X). A directory is walked
// as Thunderbird lays out a mail account (Mail/<account>/ or
// ImapMail/<server>/ in a profile): every file that is an mbox (empty, or
// beginning with a valid From_ line) is a folder, its subfolders are in
// the sibling directory Name.sbd/, and other directories are walked too,
// as a parent folder of their name. Thunderbird's indexes and settings
// (.msf, .dat, .json, .html, .sqlite, .js, .log files) and any file that
// does not begin with a From_ line are ignored. The top-level "Inbox" (any
// case) is INBOX; Sent, Drafts, Trash, Junk, Archives and their localised
// names take their roles by name (package source/specialuse). A file or
// directory name in modified UTF-7 (as Dovecot stores folder names:
// "Entw&APw-rfe") is decoded when it is in canonical form. Folder.Name
// is the file's path; a directory without its own mbox file is a NoSelect
// parent named by the directory's path.
//
// # Messages
//
// A message starts at a valid From_ line (see parseFromLine: "From ", a
// sender or "-", an asctime date) that is at the start of the file,
// follows a blank line, or is followed by a header field (Thunderbird
// writes no blank line between messages). Body lines that merely begin
// with "From " ("From the desk of ...") never separate. A Content-Length
// field is honoured when the length it gives ends exactly at a From_
// line, a blank line and a From_ line, or the end of the file; otherwise
// it is ignored. The blank line before a From_ line separates and is not
// part of the message; the From_ line is not yielded either.
//
// From_ escaping is undone as Options.Escaping says: by default (auto),
// per file, nothing when some message line begins with a bare "From "
// that does not separate (its writer escaped nothing, so a ">From " line
// is as the sender wrote it: Thunderbird), else mboxrd (each line
// matching ^>+From  loses one '>'). mboxrd, mboxo (only ">From " lines)
// and none can be chosen for all files.
//
// The writers' metadata fields are not yielded, because they are
// rewritten whenever a flag changes and the engine's content identity is a
// hash of the yielded bytes: Thunderbird's X-Mozilla-Status,
// X-Mozilla-Status2 and X-Mozilla-Keys, and the c-client fields of
// Dovecot, UW-IMAP, mutt and Python's mailbox module (X-IMAPbase, X-IMAP,
// X-UID, Status, X-Status, X-Keywords, Content-Length), which Dovecot
// never serves over IMAP or POP3: a message of a Dovecot mbox yields what
// Dovecot would serve. They give the flags instead: X-Mozilla-Status 0x1
// \Seen, 0x2 \Answered, 0x4 \Flagged, 0x1000 $Forwarded, the words of
// X-Mozilla-Keys keywords (Thunderbird's tags, $label1 to $label5 or
// names, which the flag mapping turns into categories); without
// X-Mozilla-Status, Status R \Seen, X-Status A \Answered, F \Flagged, T
// \Draft and the words of X-Keywords keywords. A message with 0x8 or
// X-Status D (deleted, not yet compacted or expunged) is not listed;
// Folder.Deleted counts them. The folder data message c-client and Dovecot
// write (an X-IMAP field, "DON'T DELETE THIS MESSAGE") is no message.
// Bytes before a file's first From_ line belong to no message: Folders
// names the file in Folder.Unreadable, as it does a file it cannot read.
//
// An item's Date is the From_ line's date (when the message was stored;
// asctime has no zone: read in Options.Location), else zero, so that the
// engine takes it from the Received or Date fields. A date before 1971
// (an epoch placeholder) counts as none.
//
// # Keys
//
// A key is the content's identity, not its place: the hex of the first
// 128 bits of the SHA-256 of the message's bytes as stored (after its
// From_ line, without the stripped fields and the separating blank line),
// with "#2", "#3"... for identical live copies in one file in file order.
// Compaction (Thunderbird rewrites the file without its deleted messages,
// every offset moves), a flag or tag change (the stripped fields) and new
// mail appended leave every key as it was, so Folder.Validity is constant
// (""). Editing a message in place changes its key: it is then a new
// message.
//
// Items scans a file once (and again only when its size or modification
// time changed) and keeps byte offsets; Open streams [start, end) of the
// file through a bounded buffer, so a message is never held whole and a
// file may be of any size.
package mbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/internal/local"
	"github.com/migrate-tool/migrate/source/specialuse"
)

// Options are what Open needs.
type Options struct {
	// Paths are mbox files and directories (Thunderbird mail account
	// directories, or directories of mbox files).
	Paths []string
	// Escaping is how From_ escaping is undone; "" is EscapingAuto.
	Escaping Escaping
	// Location is the time zone a From_ line's date is read in when it
	// carries none (asctime has no zone; Thunderbird writes local time);
	// nil is time.Local.
	Location *time.Location
	// Logger receives debug records (files ignored) and warnings; nil
	// discards them.
	Logger *slog.Logger
}

// Account is a source.Account over mbox files. It never writes to them.
// Its methods may be called from several goroutines.
type Account struct {
	log     *slog.Logger
	esc     Escaping
	loc     *time.Location
	folders []source.Folder

	mu    sync.Mutex
	cache map[string]*fileIndex // by file path
}

var _ source.Account = (*Account)(nil)

// ignored are the extensions of the files in a Thunderbird profile that
// are never mbox files.
var ignored = []string{".msf", ".dat", ".json", ".html", ".htm", ".sqlite", ".js", ".log", ".txt", ".mab", ".bak", ".plist"}

// Open checks the paths and lists the folders they make. A path that does
// not exist, or a file that is not an mbox, is an error naming it.
// Nothing is read but directory listings and each file's first line.
func Open(ctx context.Context, opts *Options) (*Account, error) {
	esc, err := ParseEscaping(string(opts.Escaping))
	if err != nil {
		return nil, fmt.Errorf("mbox: %w", err)
	}
	a := &Account{log: local.Logger(opts.Logger, "mbox"), esc: esc, loc: opts.Location, cache: map[string]*fileIndex{}}
	if a.loc == nil {
		a.loc = time.Local
	}
	if len(opts.Paths) == 0 {
		return nil, errors.New("mbox: no mbox file or directory given")
	}
	taken := map[string]bool{}
	seen := map[string]bool{}
	for _, p := range opts.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p = filepath.Clean(p)
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("mbox: %s: %w", p, err)
		}
		var found []source.Folder
		if fi.IsDir() {
			if found, err = a.walk(p, nil, true); err != nil {
				return nil, err
			}
			if len(found) == 0 {
				a.log.Warn("directory holds no mbox file", "dir", p)
			}
		} else {
			ok, err := IsMbox(p)
			if err != nil {
				return nil, fmt.Errorf("mbox: %s: %w", p, err)
			}
			if !ok {
				a.log.Warn("file does not begin with a From_ line; reading it as an mbox anyway", "file", p)
			}
			found = []source.Folder{a.fileFolder(p, []string{fileName(p)}, true)}
		}
		for _, f := range found {
			if seen[f.Name] {
				continue
			}
			seen[f.Name] = true
			// Names from several paths must not collide: they name the
			// target folders and the state.
			f.Path = local.Unique(taken, f.Path)
			a.folders = append(a.folders, f)
		}
	}
	specialuse.GuessMissing(a.folders)
	return a, nil
}

// fileName is the folder name of an mbox file given on its own.
func fileName(p string) string {
	base := filepath.Base(p)
	if base == "mbox" && strings.HasSuffix(filepath.Dir(p), ".mbox") {
		base = filepath.Base(filepath.Dir(p)) // Apple Mail's export bundle
	}
	for _, ext := range []string{".mbox", ".mbx"} {
		if strings.HasSuffix(strings.ToLower(base), ext) && len(base) > len(ext) {
			return base[:len(base)-len(ext)]
		}
	}
	return base
}

// fileFolder is the folder of an mbox file at path.
func (a *Account) fileFolder(file string, path []string, top bool) source.Folder {
	f := source.Folder{Path: path, Delimiter: "/", Name: file, Count: -1, Bytes: -1}
	if top && len(path) == 1 && strings.EqualFold(path[0], "inbox") {
		f.Path, f.SpecialUse = []string{"INBOX"}, source.Inbox
	}
	return f
}

// walk lists the folders of a directory: its mbox files, their .sbd
// subfolders and its other directories.
func (a *Account) walk(dir string, prefix []string, top bool) ([]source.Folder, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("mbox: directory %s: %w", dir, err)
	}
	files := map[string]bool{}
	for _, e := range entries {
		if !e.IsDir() {
			files[e.Name()] = true
		}
	}
	var out []source.Folder
	for _, e := range entries {
		name, full := e.Name(), filepath.Join(dir, e.Name())
		if strings.HasPrefix(name, ".") {
			continue
		}
		if e.IsDir() {
			sub := strings.TrimSuffix(name, ".sbd")
			if strings.HasSuffix(name, ".sbd") && files[sub] {
				continue // walked with its mbox file
			}
			children, err := a.walk(full, append(slices.Clone(prefix), segment(sub)), false)
			if err != nil {
				return nil, err
			}
			if len(children) > 0 {
				out = append(out, source.Folder{Path: append(slices.Clone(prefix), segment(sub)), Delimiter: "/", Name: full, NoSelect: true, Count: -1, Bytes: -1})
				out = append(out, children...)
			}
			continue
		}
		if !e.Type().IsRegular() && e.Type()&fs.ModeSymlink == 0 {
			continue
		}
		if slices.Contains(ignored, strings.ToLower(filepath.Ext(name))) {
			a.log.Debug("not an mbox file, ignored", "file", full)
			continue
		}
		ok, err := IsMbox(full)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// A dangling symbolic link (Thunderbird's lock is one).
			a.log.Debug("dangling symbolic link, ignored", "file", full)
			continue
		case err != nil:
			// Perhaps an mbox: a folder that Folders reports as
			// unreadable, so that the plan names it.
			ok = true
		}
		if !ok {
			a.log.Debug("does not begin with a From_ line, ignored", "file", full)
			continue
		}
		f := a.fileFolder(full, append(slices.Clone(prefix), segment(name)), top)
		out = append(out, f)
		if sbd := full + ".sbd"; isDir(sbd) {
			children, err := a.walk(sbd, f.Path, false)
			if err != nil {
				return nil, err
			}
			out = append(out, children...)
		}
	}
	return out, nil
}

// segment is a folder name from a file or directory name: decoded from
// modified UTF-7 when it is in the canonical form an encoder writes, as
// Dovecot names its mbox files and directories ("Entw&APw-rfe" is
// Entwürfe); other names ("R&D", Thunderbird's UTF-8 names) as they are.
func segment(name string) string {
	s, _ := source.DecodeMUTF7(name)
	return s
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// IsMbox reports whether the file at path is an mbox file: empty, or
// beginning with a valid From_ line. The command line uses it to detect
// a path's kind.
func IsMbox(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	buf := make([]byte, 1024)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, err
	}
	if n == 0 {
		return true, nil
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\n")
	_, ok := parseFromLine(trimEOL([]byte(line+"\n")), time.UTC)
	return ok, nil
}

// HasMbox reports whether dir holds a non-empty mbox file, directly or
// below (a Thunderbird account directory, a folder of mbox files). The
// command line uses it to detect a path's kind.
func HasMbox(dir string) bool {
	return local.HasFile(dir, func(p string, d fs.DirEntry) bool {
		if !d.Type().IsRegular() {
			return false
		}
		fi, err := d.Info()
		if err != nil || fi.Size() == 0 {
			return false
		}
		ok, _ := IsMbox(p)
		return ok
	})
}

// Folders lists the folders, scanning each file (once, cached) for its
// Count, Bytes and Deleted. A file that cannot be read is a folder with
// no items and the reason in Unreadable, as are bytes before a file's
// first From_ line (which no message holds).
func (a *Account) Folders(ctx context.Context) ([]source.Folder, error) {
	out := make([]source.Folder, 0, len(a.folders))
	for _, f := range a.folders {
		g := f
		g.Path = slices.Clone(f.Path)
		if !f.NoSelect {
			idx, err := a.index(ctx, f.Name)
			switch {
			case ctx.Err() != nil:
				return nil, ctx.Err()
			case err != nil:
				a.log.Warn("file not migrated", "folder", f.Name, "err", err)
				g.Count, g.Bytes = 0, 0
				g.Unreadable = []string{source.UnreadableFile(filepath.Base(f.Name), err)}
			default:
				g.Count, g.Bytes, g.Deleted = idx.count, idx.bytes, idx.deleted
				if idx.garbage > 0 {
					g.Unreadable = []string{source.UnreadableFile(filepath.Base(f.Name), fmt.Errorf("%d bytes before the first From_ line are not a message and are skipped", idx.garbage))}
				}
			}
		}
		out = append(out, g)
	}
	return out, ctx.Err()
}

func (a *Account) folder(f source.Folder) (*source.Folder, error) {
	for i := range a.folders {
		if a.folders[i].Name == f.Name && !a.folders[i].NoSelect {
			return &a.folders[i], nil
		}
	}
	return nil, fmt.Errorf("mbox: no folder %s: %w", f.Name, source.ErrNotFound)
}

// Items lists the folder's live messages in file order; none for a file
// that cannot be read (Folders names it in Unreadable).
func (a *Account) Items(ctx context.Context, f source.Folder) iter.Seq2[source.ItemRef, error] {
	return func(yield func(source.ItemRef, error) bool) {
		fo, err := a.folder(f)
		if err != nil {
			yield(source.ItemRef{}, err)
			return
		}
		idx, err := a.index(ctx, fo.Name)
		switch {
		case errors.Is(err, fs.ErrNotExist) || ctx.Err() != nil:
			if ctx.Err() == nil {
				err = fmt.Errorf("%w: %w", source.ErrNotFound, err)
			}
			yield(source.ItemRef{}, fmt.Errorf("mbox: folder %s: %w", f.Name, err))
			return
		case err != nil:
			a.log.Warn("file not migrated", "folder", f.Name, "err", err)
			return
		}
		for i := range idx.msgs {
			m := &idx.msgs[i]
			if !m.listed() {
				continue
			}
			if !yield(source.ItemRef{Key: idx.keys[i], Size: m.size(idx.mode), Date: m.date, Flags: m.flags()}, nil) {
				return
			}
		}
	}
}

// index returns the scan of the file at path, scanning it when it is not
// cached or changed (size or modification time) since.
func (a *Account) index(ctx context.Context, path string) (*fileIndex, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	idx := a.cache[path]
	a.mu.Unlock()
	if idx != nil && idx.size == fi.Size() && idx.mtime.Equal(fi.ModTime()) {
		return idx, nil
	}
	idx, err = scanFile(ctx, path, a.esc, a.loc, a.log)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.cache[path] = idx
	a.mu.Unlock()
	return idx, nil
}

// Open streams one message: its bytes as stored, without the From_ line
// and Thunderbird's status fields, unescaped. The file is opened
// read-only; it stays open until the reader is closed.
func (a *Account) Open(ctx context.Context, f source.Folder, ref source.ItemRef) (io.ReadCloser, error) {
	fo, err := a.folder(f)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (io.ReadCloser, error) {
		if errors.Is(err, fs.ErrNotExist) {
			err = source.ErrNotFound
		}
		return nil, fmt.Errorf("mbox: folder %s: item %s: %w", f.Name, ref.Key, err)
	}
	// The offsets are those of the file as opened: when it changed
	// between the scan and the open, scan again (once).
	for try := 0; ; try++ {
		idx, err := a.index(ctx, fo.Name)
		if err != nil {
			return fail(err)
		}
		i, ok := idx.byKey[ref.Key]
		if !ok {
			return fail(source.ErrNotFound)
		}
		fh, err := os.Open(fo.Name)
		if err != nil {
			return fail(err)
		}
		fi, err := fh.Stat()
		if err != nil {
			fh.Close()
			return fail(err)
		}
		if fi.Size() == idx.size && fi.ModTime().Equal(idx.mtime) {
			return newMsgReader(fh, &idx.msgs[i], idx.mode), nil
		}
		fh.Close()
		if try > 0 {
			return fail(errors.New("the file keeps changing while it is read"))
		}
	}
}

// Close releases the cached scans.
func (a *Account) Close() error {
	a.mu.Lock()
	a.cache = map[string]*fileIndex{}
	a.mu.Unlock()
	return nil
}
