// Package emlx is a source.Account over Apple Mail's stores on disk, the
// .emlx and .partial.emlx files Mail keeps under ~/Library/Mail/V<n>/,
// read-only.
//
// # Folders
//
// Apple Mail keeps each account in ~/Library/Mail/V10/<account UUID>/ (V2
// to V10 by macOS release; "On My Mac" mailboxes in V10/Mailboxes/), each
// mailbox as a directory "<box>.mbox" and its subfolders as "<sub>.mbox"
// directories inside it. Every "*.mbox" directory is a folder; its path
// is the names of the .mbox directories down to it, without ".mbox"
// ("INBOX", "Archive/2023"). Roles are guessed from names
// (source/specialuse: INBOX, Sent Messages, Drafts, Deleted Messages, Junk,
// Archive). A root given may be V10 itself, an account directory or one
// .mbox directory; when a root holds mailboxes of several accounts (V10),
// each account's folders are put under a folder named after its directory
// (a UUID, or Mailboxes): give each account directory as the SourcePath of
// its own row to avoid that. A root holding .emlx files but no .mbox
// directory (a Messages directory copied alone) is one folder named after
// the root. With several roots, each root's folders are put under a folder
// named after the root's directory. A folder's Name is its directory.
//
// # Messages and keys
//
// The messages of a folder are the .emlx and .partial.emlx files below its
// directory (in <UUID>/Data/.../Messages/, with numbered directories
// between for large mailboxes), not below its subfolders' directories. An
// .emlx file is a line holding a decimal byte count, that many bytes of
// RFC 5322 message, and an XML property list. The message is streamed
// from the file (an io.SectionReader); of the property list only its
// flags and date-received are read, bounded. The flags integer's bits
// (https://www.jwz.org/blog/2005/07/emlx-flags/) give \Seen (read, 1<<0),
// \Answered (1<<2), \Flagged (1<<4), \Draft (1<<6) and $Forwarded (1<<8);
// a message with the deleted bit (1<<1) is not listed and is counted in
// Folder.Deleted. date-received (seconds since 1970) is the item's Date;
// without it the engine dates the message from its Received or Date field.
//
// An item's key is its file's path relative to the folder's directory,
// with "/" separators and ".partial.emlx" written ".emlx"
// ("5F0A.../Data/2/Messages/2817.emlx"): the file name's number is Apple
// Mail's id of the message, and a partial message that Mail later
// completes keeps its key.
//
// # Partial messages
//
// A .partial.emlx holds a message whose attachments Mail keeps apart, in
// Attachments/<number>/<part number>/<file> beside the Messages directory;
// each such part keeps its header, with an X-Apple-Content-Length field,
// and an empty body. Open rebuilds the message while streaming it: each
// such part gets its file's content, encoded by its
// Content-Transfer-Encoding (base64 in 76-character lines,
// quoted-printable, or as is), and loses the X-Apple-Content-Length
// field; all else is copied byte for byte. A part whose file is missing
// stays empty and Open logs a warning naming the message and the part: the
// message is migrated without it. Items lists a partial message's size as
// the rebuilt message's, measured once per file (parts in base64 or an
// identity encoding from the files' sizes, without reading them).
//
// Nothing in the tree is ever written; files are opened read-only.
package emlx

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
)

// Ext is the extension of Apple Mail's message files; partial messages end
// in PartialExt.
const (
	Ext        = ".emlx"
	PartialExt = ".partial.emlx"
	mboxExt    = ".mbox"
)

// Options are what Open needs.
type Options struct {
	// Paths are the roots of the stores: ~/Library/Mail/V10, an account
	// directory in it, or a .mbox directory.
	Paths []string
	// Logger receives debug records (files ignored) and warnings
	// (unreadable property lists, attachments missing); nil discards
	// them.
	Logger *slog.Logger
}

// Account is a source.Account over Apple Mail stores. It never writes to
// them. Its methods may be called from several goroutines.
type Account struct {
	log     *slog.Logger
	folders []folder

	mu    sync.Mutex
	sizes map[string]measured // by path of a .partial.emlx
}

var _ source.Account = (*Account)(nil)

// measured is the rebuilt size of a partial message, for the file as it
// was (size and mtime) when measured.
type measured struct {
	fileSize int64
	mtime    time.Time
	size     int64
}

// folder is a source folder and its directory ("" for a NoSelect parent).
type folder = local.Folder

func isEmlx(name string) bool { return strings.HasSuffix(strings.ToLower(name), Ext) }

func isPartial(name string) bool { return strings.HasSuffix(strings.ToLower(name), PartialExt) }

func isMbox(name string) bool {
	return len(name) > len(mboxExt) && strings.EqualFold(filepath.Ext(name), mboxExt)
}

// HasMessages reports whether dir holds an .emlx file, directly or below:
// an Apple Mail store (SourceProtocol local detects it so).
func HasMessages(dir string) bool {
	return local.HasFile(dir, func(_ string, d fs.DirEntry) bool { return isEmlx(d.Name()) })
}

// Open checks the roots and lists their folders. A root that does not
// exist, is not a directory or holds neither a .mbox directory nor an
// .emlx file is an error naming it. Nothing is read but directory
// listings.
func Open(ctx context.Context, opts *Options) (*Account, error) {
	a := &Account{log: local.Logger(opts.Logger, "emlx"), sizes: map[string]measured{}}
	if len(opts.Paths) == 0 {
		return nil, errors.New("emlx: no Apple Mail path given")
	}
	for root, err := range local.Dirs(ctx, "emlx", opts.Paths, "give Apple Mail's ~/Library/Mail/V10, an account directory in it or a .mbox directory") {
		if err != nil {
			return nil, err
		}
		found, err := a.scan(root)
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("emlx: %s holds no Apple Mail mailbox (no .mbox directory, no .emlx file)", root)
		}
		if len(opts.Paths) > 1 {
			for i := range found {
				found[i].Path = append([]string{filepath.Base(root)}, found[i].Path...)
				if found[i].SpecialUse == source.Inbox {
					found[i].SpecialUse = ""
				}
			}
		}
		a.folders = append(a.folders, found...)
	}
	a.folders = withParents(a.folders)
	local.GuessRoles(a.folders)
	return a, nil
}

// scan lists the folders of one root.
func (a *Account) scan(root string) ([]folder, error) {
	if isMbox(filepath.Base(root)) {
		return a.mailbox(root, nil)
	}
	// The .mbox directories outside any .mbox, by the directory holding
	// them (an account's).
	var tops []string
	stores := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if isMbox(d.Name()) {
			tops = append(tops, p)
			stores[filepath.Dir(p)] = true
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("emlx: %s: %w", root, err)
	}
	if len(tops) == 0 {
		if !HasMessages(root) {
			return nil, nil
		}
		return []folder{{Folder: source.Folder{Path: []string{filepath.Base(root)}, Delimiter: "/", Name: root}, Dir: root}}, nil
	}
	var out []folder
	for _, top := range tops {
		var prefix []string
		if len(stores) > 1 {
			rel, err := filepath.Rel(root, filepath.Dir(top))
			if err != nil {
				return nil, err
			}
			if rel != "." {
				prefix = strings.Split(filepath.ToSlash(rel), "/")
			}
		}
		found, err := a.mailbox(top, prefix)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

// mailbox lists the folder of a .mbox directory and its subfolders, under
// prefix.
func (a *Account) mailbox(dir string, prefix []string) ([]folder, error) {
	path := append(slices.Clone(prefix), strings.TrimSuffix(filepath.Base(dir), filepath.Ext(dir)))
	out := []folder{{Folder: source.Folder{Path: path, Delimiter: "/", Name: dir}, Dir: dir}}
	if len(path) == 1 && strings.EqualFold(path[0], "INBOX") {
		out[0].SpecialUse = source.Inbox
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("emlx: %s: %w", dir, err)
	}
	for _, e := range entries {
		if !isMbox(e.Name()) || !local.IsDir(e, filepath.Join(dir, e.Name())) {
			continue
		}
		sub, err := a.mailbox(filepath.Join(dir, e.Name()), path)
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
	}
	return out, nil
}

// withParents adds NoSelect parents for prefixes no folder has, gives a
// folder whose path another has " (2)", " (3)", and sorts by path.
func withParents(in []folder) []folder {
	taken := map[string]bool{}
	var out []folder
	for _, f := range in {
		f.Path = local.Unique(taken, f.Path)
		out = append(out, f)
	}
	for _, f := range slices.Clone(out) {
		for n := len(f.Path) - 1; n > 0; n-- {
			key := local.PathKey(f.Path[:n])
			if taken[key] {
				continue
			}
			taken[key] = true
			out = append(out, folder{Folder: source.Folder{Path: slices.Clone(f.Path[:n]), Delimiter: "/", Name: strings.Join(f.Path[:n], "/"), NoSelect: true}})
		}
	}
	slices.SortStableFunc(out, func(x, y folder) int { return slices.Compare(x.Path, y.Path) })
	return out
}

// Folders lists the folders with their counts: Count and Bytes of the
// messages listed, Deleted of those with the deleted bit.
func (a *Account) Folders(ctx context.Context) ([]source.Folder, error) {
	return local.Counts(ctx, a.folders, func(f *folder, g *source.Folder) error {
		for m, err := range a.items(ctx, *f) {
			if err != nil {
				return err
			}
			if m.deleted {
				g.Deleted++
				continue
			}
			g.Count++
			g.Bytes += max(m.ref.Size, 0)
		}
		return nil
	})
}

func (a *Account) folder(f source.Folder) (*folder, error) {
	return local.Find("emlx", a.folders, f)
}

// Items lists the messages of f but those with the deleted bit, in the
// order of their paths.
func (a *Account) Items(ctx context.Context, f source.Folder) iter.Seq2[source.ItemRef, error] {
	return func(yield func(source.ItemRef, error) bool) {
		fo, err := a.folder(f)
		if err != nil {
			yield(source.ItemRef{}, err)
			return
		}
		for m, err := range a.items(ctx, *fo) {
			if err != nil {
				yield(source.ItemRef{}, err)
				return
			}
			if !m.deleted && !yield(m.ref, nil) {
				return
			}
		}
	}
}

// keyOf is the key of the message file at rel (relative to its folder's
// directory).
func keyOf(rel string) string {
	rel = filepath.ToSlash(rel)
	if isPartial(rel) {
		return rel[:len(rel)-len(PartialExt)] + Ext
	}
	return rel
}

// listed is one message file as items lists it.
type listed struct {
	ref     source.ItemRef
	deleted bool
}

// items walks f's directory for message files, not entering subfolders'
// .mbox directories nor Attachments directories, and yields each
// message's ref and whether it has the deleted bit. A file that is not an
// .emlx file is listed with its file's size (Open fails on it, so the
// run reports it); an unreadable property list is logged and its message
// listed without flags. filepath.WalkDir holds one directory's names at a
// time; Apple Mail spreads a large mailbox over numbered directories.
func (a *Account) items(ctx context.Context, f folder) iter.Seq2[listed, error] {
	return func(yield func(listed, error) bool) {
		stopped := errors.New("stopped")
		err := filepath.WalkDir(f.Dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.IsDir() {
				if p != f.Dir && (isMbox(d.Name()) || d.Name() == "Attachments") {
					return fs.SkipDir
				}
				return nil
			}
			if !isEmlx(d.Name()) || strings.HasPrefix(d.Name(), ".") {
				return nil
			}
			rel, err := filepath.Rel(f.Dir, p)
			if err != nil {
				return err
			}
			m, infoErr := readMessageFile(p)
			if errors.Is(m.err, fs.ErrNotExist) {
				return nil // removed since the directory was read
			}
			ref := source.ItemRef{Key: keyOf(rel), Size: -1}
			switch {
			case m.err != nil:
				a.log.Warn("not an .emlx file; it will fail to migrate", "folder", f.Name, "file", p, "err", m.err)
				if fi, err := d.Info(); err == nil {
					ref.Size = fi.Size()
				}
			default:
				if infoErr != nil {
					a.log.Warn("property list unreadable, message listed without flags", "folder", f.Name, "file", p, "err", infoErr)
				}
				ref.Date, ref.Flags = m.info.received, flagNames(m.info.flags)
				ref.Size = m.layout.length
				if m.partial {
					if ref.Size, err = a.partialSize(m); err != nil {
						return fmt.Errorf("%s: %w", p, err)
					}
				}
			}
			if !yield(listed{ref: ref, deleted: m.err == nil && m.info.flags&flagDeleted != 0}, nil) {
				return stopped
			}
			return nil
		})
		if err != nil && !errors.Is(err, stopped) {
			if ctx.Err() != nil {
				yield(listed{}, ctx.Err())
				return
			}
			yield(listed{}, fmt.Errorf("emlx: folder %s: %w", f.Name, err))
		}
	}
}

// attachments is the directory where Apple Mail keeps the parts of the
// partial message at path: Attachments/<number> beside its Messages
// directory.
func attachments(path string) string {
	name := filepath.Base(path)
	return filepath.Join(filepath.Dir(filepath.Dir(path)), "Attachments", name[:len(name)-len(PartialExt)])
}

// partialSize is the size of m's rebuilt message, measured once for the
// file as it is.
func (a *Account) partialSize(m messageFile) (int64, error) {
	fi, err := os.Stat(m.path)
	if err != nil {
		return 0, err
	}
	a.mu.Lock()
	got, ok := a.sizes[m.path]
	a.mu.Unlock()
	if ok && got.fileSize == fi.Size() && got.mtime.Equal(fi.ModTime()) {
		return got.size, nil
	}
	fh, err := os.Open(m.path)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	var c counter
	if _, err := rebuild(&c, io.NewSectionReader(fh, m.layout.start, m.layout.length), attachments(m.path)); err != nil {
		return 0, err
	}
	a.mu.Lock()
	a.sizes[m.path] = measured{fileSize: fi.Size(), mtime: fi.ModTime(), size: c.n}
	a.mu.Unlock()
	return c.n, nil
}

// Open streams the message of ref's file, read-only: the bytes after the
// count line, up to the count (a partial message rebuilt with its
// attachments, see the package documentation). A message Apple Mail
// completed since it was listed (N.partial.emlx became N.emlx) or the
// reverse is found under its other name.
func (a *Account) Open(ctx context.Context, f source.Folder, ref source.ItemRef) (io.ReadCloser, error) {
	fo, err := a.folder(f)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	full := filepath.Join(fo.Dir, filepath.FromSlash(ref.Key))
	var fh *os.File
	var path string
	for _, p := range []string{full, strings.TrimSuffix(full, Ext) + PartialExt} {
		if fh, err = os.Open(p); err == nil {
			path = p
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("emlx: folder %s: item %s: %w", f.Name, ref.Key, err)
		}
	}
	if fh == nil {
		return nil, fmt.Errorf("emlx: folder %s: item %s: %w", f.Name, ref.Key, source.ErrNotFound)
	}
	fi, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("emlx: folder %s: item %s: %w", f.Name, ref.Key, err)
	}
	l, err := readLayout(fh, fi.Size())
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("emlx: folder %s: item %s: %w", f.Name, ref.Key, err)
	}
	body := io.NewSectionReader(fh, l.start, l.length)
	if !isPartial(path) {
		return readCloser{body, fh}, nil
	}
	pr, pw := io.Pipe()
	go func() {
		defer fh.Close()
		missing, err := rebuild(pw, body, attachments(path))
		if len(missing) > 0 {
			a.log.Warn("attachments Apple Mail kept apart are missing; the message is migrated without them",
				"folder", f.Name, "item", ref.Key, "parts", strings.Join(missing, ","), "dir", attachments(path))
		}
		if err != nil {
			err = fmt.Errorf("emlx: folder %s: item %s: %w", f.Name, ref.Key, err)
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

// readCloser reads one and closes another.
type readCloser struct {
	io.Reader
	io.Closer
}

// Close does nothing: no file stays open between calls.
func (a *Account) Close() error { return nil }
