// Package eml is a source.Account over folder trees of .eml files (one RFC
// 5322 message per file, as Windows Live Mail, Outlook Express's
// successors and many "save as" exports write them), read-only.
//
// Each directory holding .eml files (any case of the extension) is a
// folder; its path is the directory's path below the root given, and the
// root's own .eml files are a folder named after the root. With several
// roots, each root's folders are put under a folder named after it. A
// directory that holds such folders but no .eml file is a NoSelect
// parent. Folder roles are guessed from names (source/specialuse: "Sent
// Items", "Deleted Items"...). A folder's Name is its directory path.
//
// An item's key is the file's path relative to the root, with "/"
// separators ("Sent Items/0001.eml"): stable as long as the files are not
// renamed or moved. Files carry no flags and no received date: Items
// lists no flags and a zero Date, and the engine dates each message from
// its newest Received field, else its Date field (mapping.ReceivedDate),
// as it does POP3 mail; the plan reads the same fields.
//
// A file that cannot be read, is empty or does not begin with a header
// field is not listed: Folders names it in the folder's Unreadable (with
// its key and why), and the plan reports it. Listing reads the first 512
// bytes of each file for this.
//
// Open streams the file with os.Open, read-only; nothing in the tree is
// ever written.
package eml

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

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/internal/local"
)

// Ext is the extension of the message files read (matched in any case).
const Ext = ".eml"

// Options are what Open needs.
type Options struct {
	// Paths are the roots of the .eml trees.
	Paths []string
	// Logger receives debug records (files ignored) and warnings; nil
	// discards them.
	Logger *slog.Logger
}

// Account is a source.Account over .eml trees. It never writes to them.
// Its methods may be called from several goroutines.
type Account struct {
	log     *slog.Logger
	folders []folder
}

var _ source.Account = (*Account)(nil)

// folder is a source folder, its directory ("" for a NoSelect parent)
// and the root its keys are relative to.
type folder struct {
	local.Folder
	root string
}

// HasMessages reports whether dir holds an .eml file, directly or below.
func HasMessages(dir string) bool {
	return local.HasFile(dir, func(_ string, d fs.DirEntry) bool { return isEML(d.Name()) })
}

func isEML(name string) bool { return strings.EqualFold(filepath.Ext(name), Ext) }

// Open checks the roots and lists their folders. A root that does not
// exist, is not a directory or holds no .eml file is an error naming it.
// Nothing is read but directory listings.
func Open(ctx context.Context, opts *Options) (*Account, error) {
	a := &Account{log: local.Logger(opts.Logger, "eml")}
	if len(opts.Paths) == 0 {
		return nil, errors.New("eml: no path given")
	}
	for root, err := range local.Dirs(ctx, "eml", opts.Paths, "give the folder that holds the .eml files") {
		if err != nil {
			return nil, err
		}
		found, err := a.walk(root, len(opts.Paths) > 1)
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("eml: %s holds no .eml file", root)
		}
		a.folders = append(a.folders, found...)
	}
	local.GuessRoles(a.folders)
	return a, nil
}

// walk lists the folders of one root.
func (a *Account) walk(root string, prefixed bool) ([]folder, error) {
	base := filepath.Base(root)
	pathOf := func(rel string) []string {
		var p []string
		if rel != "." {
			p = strings.Split(filepath.ToSlash(rel), "/")
		}
		if prefixed || len(p) == 0 {
			p = append([]string{base}, p...)
		}
		return p
	}
	var out []folder
	have := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() || !dirHasEML(p) {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		path := pathOf(rel)
		have[strings.Join(path, "/")] = true
		out = append(out, folder{Folder: local.Folder{Folder: source.Folder{Path: path, Delimiter: "/", Name: p}, Dir: p}, root: root})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("eml: %s: %w", root, err)
	}
	// Parents without messages of their own; with a prefix, the root
	// itself is the first segment.
	skip := 0
	if prefixed {
		skip = 1
	}
	for _, f := range slices.Clone(out) {
		for n := len(f.Path) - 1; n > 0; n-- {
			key := strings.Join(f.Path[:n], "/")
			if have[key] {
				continue
			}
			have[key] = true
			dir := filepath.Join(append([]string{root}, f.Path[skip:n]...)...)
			out = append(out, folder{Folder: local.Folder{Folder: source.Folder{Path: slices.Clone(f.Path[:n]), Delimiter: "/", Name: dir, NoSelect: true}}, root: root})
		}
	}
	slices.SortStableFunc(out, func(x, y folder) int { return slices.Compare(x.Path, y.Path) })
	return out, nil
}

// dirHasEML reports whether dir itself holds an .eml file.
func dirHasEML(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() && isEML(e.Name()) {
			return true
		}
	}
	return false
}

// Folders lists the folders with the number and size of their files.
func (a *Account) Folders(ctx context.Context) ([]source.Folder, error) {
	return local.Counts(ctx, a.folders, func(f *folder, g *source.Folder) error {
		bad := func(name string, err error) {
			a.log.Warn("file not migrated", "folder", f.Name, "file", name, "err", err)
			g.Unreadable = append(g.Unreadable, source.UnreadableFile(name, err))
		}
		for ref, err := range a.list(ctx, *f, bad) {
			if err != nil {
				return err
			}
			g.Count++
			g.Bytes += ref.Size
		}
		return nil
	})
}

func (a *Account) folder(f source.Folder) (*folder, error) { return local.Find("eml", a.folders, f) }

// Items lists the folder's .eml files in name order.
func (a *Account) Items(ctx context.Context, f source.Folder) iter.Seq2[source.ItemRef, error] {
	return func(yield func(source.ItemRef, error) bool) {
		fo, err := a.folder(f)
		if err != nil {
			yield(source.ItemRef{}, err)
			return
		}
		for ref, err := range a.list(ctx, *fo, nil) {
			if !yield(ref, err) || err != nil {
				return
			}
		}
	}
}

// list lists the .eml files of f's directory that can be read and begin
// as a message does (source.CheckMessageFile); it passes the others to
// bad, when not nil, with their keys.
func (a *Account) list(ctx context.Context, f folder, bad func(name string, err error)) iter.Seq2[source.ItemRef, error] {
	if bad == nil {
		bad = func(string, error) {}
	}
	return func(yield func(source.ItemRef, error) bool) {
		entries, err := os.ReadDir(f.Dir)
		if err != nil {
			yield(source.ItemRef{}, fmt.Errorf("eml: folder %s: %w", f.Name, err))
			return
		}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				yield(source.ItemRef{}, err)
				return
			}
			if e.IsDir() || !isEML(e.Name()) {
				continue
			}
			p := filepath.Join(f.Dir, e.Name())
			rel, err := filepath.Rel(f.root, p)
			if err != nil {
				yield(source.ItemRef{}, fmt.Errorf("eml: folder %s: %w", f.Name, err))
				return
			}
			rel = filepath.ToSlash(rel)
			fi, err := os.Stat(p) // follows a symbolic link
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				bad(rel, err)
				continue
			}
			if !fi.Mode().IsRegular() {
				a.log.Debug("not a message file, ignored", "file", p)
				continue
			}
			if err := source.CheckMessageFile(p); err != nil {
				bad(rel, err)
				continue
			}
			if !yield(source.ItemRef{Key: rel, Size: fi.Size()}, nil) {
				return
			}
		}
	}
}

// Open streams the message's file, read-only.
func (a *Account) Open(ctx context.Context, f source.Folder, ref source.ItemRef) (io.ReadCloser, error) {
	fo, err := a.folder(f)
	if err != nil {
		return nil, err
	}
	p := filepath.Join(fo.root, filepath.FromSlash(ref.Key))
	if filepath.Dir(p) != fo.Dir || !isEML(p) {
		return nil, fmt.Errorf("eml: folder %s: item %s: not a file of the folder: %w", f.Name, ref.Key, source.ErrNotFound)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fh, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = source.ErrNotFound
		}
		return nil, fmt.Errorf("eml: folder %s: item %s: %w", f.Name, ref.Key, err)
	}
	return fh, nil
}

// Close does nothing: no file stays open between calls.
func (a *Account) Close() error { return nil }
