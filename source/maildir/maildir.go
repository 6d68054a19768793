// Package maildir is a source.Account over Maildir trees on disk, read-only:
// the layout qmail defined (https://cr.yp.to/proto/maildir.html), its
// Maildir++ folders and Dovecot's LAYOUT=fs nesting.
//
// # Folders
//
// A directory holding cur/ or new/ is a maildir (tmp/ is never read). The
// root given is INBOX when it is a maildir itself. Below it:
//   - Maildir++ folders (Courier, Dovecot's default layout) are
//     directories ".Name" and ".Name.Sub" beside cur/: the path is the
//     name without its leading dot, split at "." (Delimiter ".");
//   - Dovecot's LAYOUT=fs nests folders as plain directories, "Name/Sub/"
//     each holding cur/, new/ and tmp/ (Delimiter "/"); a directory that
//     holds folders but no cur/ or new/ is a NoSelect parent.
//
// Names are decoded from modified UTF-7 when they are in its canonical form
// (Dovecot and Courier store folder names so unless told otherwise), else
// taken as they are. Folder roles are guessed from names
// (source/specialuse). A folder's Name is its directory path. With several
// roots, each root's folders are put under a folder named after the root's
// directory (its INBOX becomes that folder), so that two trees' INBOXes do
// not merge.
//
// # Items and keys
//
// Every file in new/ and cur/ whose name does not start with "." is a
// message. Its key is its unique name: the file name up to the info
// separator ":2," (or ";2,", as Maildirs copied to Windows have it). Only
// the part after the separator changes when a client changes flags, and a
// file keeps its name when it moves from new/ to cur/, so keys are stable
// across runs, flag changes and deliveries being seen. Dovecot's
// dovecot-uidlist (IMAP UIDs) is not used for keys: UIDs change when
// Dovecot rebuilds the list (a new UIDVALIDITY), the names do not, and the
// list is updated lazily (Dovecot's documentation, MailboxFormat/Maildir).
// Folder.Validity is therefore empty: keys have no generation.
//
// Flags are the letters after the separator, up to a "," (Dovecot keeps
// non-standard fields after it): P (passed) is $Forwarded, R (replied)
// \Answered, S (seen) \Seen, D (draft) \Draft, F (flagged) \Flagged; the
// lower-case letters a-z are Dovecot keywords, named by the folder's
// dovecot-keywords file ("0 $Junk" names letter a) when it has one, else
// dropped. A message with T (trashed: deleted, not yet expunged) is not
// listed; Folder.Deleted counts it. A file that cannot be read, is empty
// or does not begin with a header field (source.CheckMessageFile, which
// reads its first 512 bytes when it is listed) is not listed either;
// Folder.Unreadable names it.
//
// An item's Date is its file's modification time, which Dovecot uses as
// the IMAP INTERNALDATE ("mtime is used as IMAP INTERNALDATE, must never
// change": Dovecot's documentation, MailboxFormat/Maildir, "Usage of
// timestamps"). A tree copied without keeping modification times has its
// copy's times; copy it with cp -a or rsync -t.
//
// Open streams the file with os.Open, read-only. Nothing in the tree is
// ever written, renamed or created (go-maildir's Unseen, which moves files
// from new/ to cur/, is not used).
package maildir

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

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/internal/local"
)

// Options are what Open needs.
type Options struct {
	// Paths are the roots of the Maildir trees (for Dovecot, ~/Maildir).
	Paths []string
	// Logger receives debug records (files and directories ignored) and
	// warnings; nil discards them.
	Logger *slog.Logger
}

// Account is a source.Account over Maildir trees. It never writes to
// them. Its methods may be called from several goroutines.
type Account struct {
	log     *slog.Logger
	folders []folder

	mu    sync.Mutex
	names map[string]map[string]string // by folder dir: key -> "new/<file>" or "cur/<file>"
}

var _ source.Account = (*Account)(nil)

// folder is a source folder and its directory ("" for a NoSelect parent
// with no directory of its own).
type folder = local.Folder

// IsMaildir reports whether dir is a maildir: a directory holding a cur/
// or a new/ directory.
func IsMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// Open checks the roots and lists their folders. A root that does not
// exist, is not a directory or holds no maildir is an error naming it.
// Nothing is read but directory listings.
func Open(ctx context.Context, opts *Options) (*Account, error) {
	a := &Account{log: local.Logger(opts.Logger, "maildir"), names: map[string]map[string]string{}}
	if len(opts.Paths) == 0 {
		return nil, errors.New("maildir: no Maildir path given")
	}
	for root, err := range local.Dirs(ctx, "maildir", opts.Paths, "give the Maildir's root (the directory holding cur/ and new/)") {
		if err != nil {
			return nil, err
		}
		found, err := a.scan(root)
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("maildir: %s holds no maildir (no cur/ or new/ directory, no Maildir++ or LAYOUT=fs folder)", root)
		}
		if len(opts.Paths) > 1 {
			base := filepath.Base(root)
			for i := range found {
				if isInbox(found[i].Path) {
					found[i].Path, found[i].SpecialUse = []string{base}, ""
					continue
				}
				found[i].Path = append([]string{base}, found[i].Path...)
			}
		}
		a.folders = append(a.folders, found...)
	}
	a.folders = uniquePaths(a.folders)
	local.GuessRoles(a.folders)
	return a, nil
}

// isInbox reports whether path is the top-level INBOX.
func isInbox(path []string) bool { return len(path) == 1 && path[0] == "INBOX" }

// scan lists the folders of one root.
func (a *Account) scan(root string) ([]folder, error) {
	var out []folder
	if IsMaildir(root) {
		out = append(out, folder{Folder: source.Folder{Path: []string{"INBOX"}, Delimiter: "/", Name: root, SpecialUse: source.Inbox}, Dir: root})
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("maildir: %s: %w", root, err)
	}
	plusplus := map[string]bool{}
	for _, e := range entries {
		name, dir := e.Name(), filepath.Join(root, e.Name())
		if reserved(name) || !local.IsDir(e, dir) {
			continue
		}
		if strings.HasPrefix(name, ".") {
			// Maildir++: ".Name.Sub".
			if !IsMaildir(dir) {
				a.log.Debug("not a Maildir++ folder, ignored", "dir", dir)
				continue
			}
			segs := strings.Split(name[1:], ".")
			if slices.Contains(segs, "") {
				a.log.Warn("Maildir++ folder name with an empty part, ignored", "dir", dir)
				continue
			}
			path := decodePath(segs)
			plusplus[strings.Join(path, "\x00")] = true
			out = append(out, folder{Folder: source.Folder{Path: path, Delimiter: ".", Name: dir}, Dir: dir})
			continue
		}
		fsFolders, err := a.scanFS(dir, []string{name})
		if err != nil {
			return nil, err
		}
		out = append(out, fsFolders...)
	}
	// Maildir++ parents that have no directory of their own.
	for _, f := range slices.Clone(out) {
		if f.Delimiter != "." {
			continue
		}
		for n := len(f.Path) - 1; n > 0; n-- {
			key := strings.Join(f.Path[:n], "\x00")
			if plusplus[key] {
				continue
			}
			plusplus[key] = true
			out = append(out, folder{Folder: source.Folder{Path: slices.Clone(f.Path[:n]), Delimiter: ".", Name: filepath.Join(root, "."+strings.Join(f.Path[:n], ".")), NoSelect: true}})
		}
	}
	slices.SortStableFunc(out, func(x, y folder) int { return slices.Compare(x.Path, y.Path) })
	return out, nil
}

// scanFS lists a LAYOUT=fs folder directory and the folders below it.
func (a *Account) scanFS(dir string, path []string) ([]folder, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("maildir: %s: %w", dir, err)
	}
	var below []folder
	for _, e := range entries {
		name, sub := e.Name(), filepath.Join(dir, e.Name())
		if reserved(name) || strings.HasPrefix(name, ".") || !local.IsDir(e, sub) {
			continue
		}
		found, err := a.scanFS(sub, append(slices.Clone(path), name))
		if err != nil {
			return nil, err
		}
		below = append(below, found...)
	}
	f := folder{Folder: source.Folder{Path: decodePath(path), Delimiter: "/", Name: dir}, Dir: dir}
	switch {
	case IsMaildir(dir):
	case len(below) > 0:
		f.NoSelect, f.Dir = true, ""
	default:
		a.log.Debug("not a maildir, ignored", "dir", dir)
		return nil, nil
	}
	return append([]folder{f}, below...), nil
}

// reserved reports whether a directory name is part of a maildir rather
// than a folder.
func reserved(name string) bool { return name == "cur" || name == "new" || name == "tmp" }

// decodePath decodes each segment from modified UTF-7 when it is in its
// canonical form.
func decodePath(segs []string) []string {
	out := make([]string, len(segs))
	for i, s := range segs {
		out[i], _ = source.DecodeMUTF7(s)
	}
	return out
}

// uniquePaths drops NoSelect folders whose path another folder has and
// gives a selectable folder whose path is taken " (2)", " (3)" in its last
// segment: the path names the target folder and the state.
func uniquePaths(in []folder) []folder {
	selectable := map[string]bool{}
	for _, f := range in {
		if !f.NoSelect {
			selectable[local.PathKey(f.Path)] = true
		}
	}
	taken := map[string]bool{}
	var out []folder
	for _, f := range in {
		if f.NoSelect && selectable[local.PathKey(f.Path)] {
			continue
		}
		f.Path = local.Unique(taken, f.Path)
		out = append(out, f)
	}
	return out
}

// Folders lists the folders with their counts: Count and Bytes of the
// messages listed, Deleted of those with the T flag, and Unreadable the
// files that cannot be read or are not messages (by their path in the
// folder, "cur/<file>").
func (a *Account) Folders(ctx context.Context) ([]source.Folder, error) {
	return local.Counts(ctx, a.folders, func(f *folder, g *source.Folder) error {
		for m, err := range a.messages(ctx, *f) {
			if err != nil {
				return err
			}
			if m.trashed {
				g.Deleted++
				continue
			}
			if m.bad != nil {
				a.log.Warn("file not migrated", "folder", f.Name, "file", m.rel, "err", m.bad)
				g.Unreadable = append(g.Unreadable, source.UnreadableFile(m.rel, m.bad))
				continue
			}
			g.Count++
			g.Bytes += m.size
		}
		return nil
	})
}

func (a *Account) folder(f source.Folder) (*folder, error) {
	return local.Find("maildir", a.folders, f)
}

// Items lists the messages of new/ and then cur/, but those with the T
// flag and the files Folders reports as Unreadable.
func (a *Account) Items(ctx context.Context, f source.Folder) iter.Seq2[source.ItemRef, error] {
	return func(yield func(source.ItemRef, error) bool) {
		fo, err := a.folder(f)
		if err != nil {
			yield(source.ItemRef{}, err)
			return
		}
		kw, err := readKeywords(fo.Dir)
		if err != nil {
			a.log.Warn("dovecot-keywords unreadable, keywords dropped", "folder", fo.Name, "err", err)
		}
		for m, err := range a.messages(ctx, *fo) {
			if err != nil {
				yield(source.ItemRef{}, err)
				return
			}
			if m.trashed || m.bad != nil {
				continue
			}
			if !yield(source.ItemRef{Key: m.key, Size: m.size, Date: m.mtime, Flags: m.info.flags(kw)}, nil) {
				return
			}
		}
	}
}

// Open streams the message's file, read-only. When the file was renamed
// since it was listed (its flags changed, or it moved from new/ to cur/),
// the folder is listed again to find it by its key.
func (a *Account) Open(ctx context.Context, f source.Folder, ref source.ItemRef) (io.ReadCloser, error) {
	fo, err := a.folder(f)
	if err != nil {
		return nil, err
	}
	for try := 0; try < 2; try++ {
		a.mu.Lock()
		rel, ok := a.names[fo.Dir][ref.Key]
		a.mu.Unlock()
		if ok {
			fh, err := os.Open(filepath.Join(fo.Dir, rel))
			if err == nil {
				return fh, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("maildir: folder %s: item %s: %w", f.Name, ref.Key, err)
			}
		}
		if try == 0 {
			// List again: messages refreshes the names.
			for _, err := range a.messages(ctx, *fo) {
				if err != nil {
					return nil, fmt.Errorf("maildir: folder %s: item %s: %w", f.Name, ref.Key, err)
				}
			}
		}
	}
	return nil, fmt.Errorf("maildir: folder %s: item %s: %w", f.Name, ref.Key, source.ErrNotFound)
}

// Close does nothing: no file stays open between calls.
func (a *Account) Close() error { return nil }
