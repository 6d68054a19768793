// Package local holds what the adapters over local stores on disk
// (source/eml, source/emlx, source/maildir, source/mbox, source/files)
// do alike: the logger, the checks of the roots Open is given, the lookup
// of a folder by its Name, the folder list Folders returns, the " (2)"
// that keeps folder paths apart, and directory tests. What a store lays
// out its own way (how folders are found, keys, flags) stays in its
// adapter. Errors start with the adapter's name, as the adapters' own do.
package local

import (
	"context"
	"fmt"
	"io/fs"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/specialuse"
)

// Logger is the adapter's logger: l (slog's discarding logger when nil)
// with the component attribute name.
func Logger(l *slog.Logger, name string) *slog.Logger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return l.With("component", name)
}

// Dirs yields the roots given to the adapter name's Open, each cleaned
// (filepath.Clean), in order, once it is checked to be a directory; the
// checks are made as the roots are yielded. It yields one error and
// stops: ctx's error when it is done, the error of os.Stat naming the
// root ("<name>: <root>: ..."), or "<name>: <root> is not a directory;
// <hint>" where hint tells what to give instead.
func Dirs(ctx context.Context, name string, roots []string, hint string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for _, root := range roots {
			if err := ctx.Err(); err != nil {
				yield("", err)
				return
			}
			root = filepath.Clean(root)
			fi, err := os.Stat(root)
			if err != nil {
				yield("", fmt.Errorf("%s: %s: %w", name, root, err))
				return
			}
			if !fi.IsDir() {
				yield("", fmt.Errorf("%s: %s is not a directory; %s", name, root, hint))
				return
			}
			if !yield(root, nil) {
				return
			}
		}
	}
}

// Folder is a folder of a store kept in directories: the source folder and
// the directory holding its messages ("" for a NoSelect parent with no
// messages of its own). An adapter's folder type is Folder or a struct
// embedding it.
type Folder struct {
	source.Folder
	Dir string
}

func (f *Folder) local() *Folder { return f }

// Entry is a pointer to an adapter's folder type F: F is Folder or embeds
// it.
type Entry[F any] interface {
	*F
	local() *Folder
}

// Find returns the folder of folders whose Name is f.Name, for f a folder
// of messages (Kind "" or message). There being none, or the folder
// holding only folders (no Dir), is an error wrapping source.ErrNotFound:
// "<name>: no folder <Name>", "<name>: folder <Name> holds only folders".
func Find[F any, P Entry[F]](name string, folders []F, f source.Folder) (P, error) {
	for i := range folders {
		fo := P(&folders[i]).local()
		if fo.Name == f.Name && (f.Kind == "" || f.Kind == source.KindMessage) {
			if fo.Dir == "" {
				return nil, fmt.Errorf("%s: folder %s holds only folders: %w", name, f.Name, source.ErrNotFound)
			}
			return &folders[i], nil
		}
	}
	return nil, fmt.Errorf("%s: no folder %s: %w", name, f.Name, source.ErrNotFound)
}

// GuessRoles gives the folders that have no SpecialUse the one their name
// suggests (specialuse.GuessMissing, which sees them all at once).
func GuessRoles[F any, P Entry[F]](folders []F) {
	list := make([]source.Folder, len(folders))
	for i := range folders {
		list[i] = P(&folders[i]).local().Folder
	}
	specialuse.GuessMissing(list)
	for i := range folders {
		fo := P(&folders[i]).local()
		fo.SpecialUse, fo.SpecialUseGuessed = list[i].SpecialUse, list[i].SpecialUseGuessed
	}
}

// Counts is what Folders returns: each folder's source.Folder (its Path
// copied), with Count and Bytes -1 for a folder without Dir, else from 0
// as count adds them up (count may set Deleted and Unreadable too). It
// stops at count's first error and returns it; it returns ctx's error
// when ctx is done at the end.
func Counts[F any, P Entry[F]](ctx context.Context, folders []F, count func(f P, g *source.Folder) error) ([]source.Folder, error) {
	out := make([]source.Folder, 0, len(folders))
	for i := range folders {
		f := P(&folders[i])
		g := f.local().Folder
		g.Path = slices.Clone(g.Path)
		g.Count, g.Bytes = -1, -1
		if f.local().Dir != "" {
			g.Count, g.Bytes = 0, 0
			if err := count(f, &g); err != nil {
				return nil, err
			}
		}
		out = append(out, g)
	}
	return out, ctx.Err()
}

// Unique returns path, or, when taken holds it (in any case), path with
// " (2)", " (3)"... after its last segment, the first not taken, and
// marks what it returns as taken: a folder's path names its target
// folder and its state, so two folders must not share one. taken is
// keyed by PathKey.
func Unique(taken map[string]bool, path []string) []string {
	if taken[PathKey(path)] {
		base := path
		for n := 2; taken[PathKey(path)]; n++ {
			path = append(slices.Clone(base[:len(base)-1]), fmt.Sprintf("%s (%d)", base[len(base)-1], n))
		}
	}
	taken[PathKey(path)] = true
	return path
}

// PathKey is the key of a folder path in Unique's taken: its segments
// joined by "/", in lower case.
func PathKey(path []string) string { return strings.ToLower(strings.Join(path, "/")) }

// HasFile reports whether match holds for a file (any entry but a
// directory) in dir or below; it stops at the first, and at the first
// error of the walk.
func HasFile(dir string, match func(path string, d fs.DirEntry) bool) bool {
	found := false
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || found {
			return fs.SkipAll
		}
		if !d.IsDir() && match(p, d) {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}

// IsDir reports whether the entry at path is a directory, following a
// symbolic link.
func IsDir(e fs.DirEntry, path string) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
