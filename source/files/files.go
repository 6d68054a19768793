// Package files is a source.Account over vCard (.vcf) and iCalendar (.ics)
// exports: address books and calendars saved as files, read-only.
//
// Each path given is a .vcf file (an address book), an .ics file (a
// calendar) or a directory. A file is one folder named after the file
// without its extension; a directory is one address book (all .vcf files
// in it and below) and one calendar (all .ics files), named after the
// directory, as exports of one file per card or event come. The folder
// Name is the file's path, or the directory's path joined with "*.vcf" or
// "*.ics".
//
// When a kind has exactly one folder, it is the account's default
// (source.Default: the export of "my contacts" goes to the target's main
// Contacts folder); with several, the one named contacts, addressbook or
// default (for calendars: calendar or default), in any case, when there is
// exactly one such; else none.
//
// An item is one vCard (BEGIN:VCARD to END:VCARD) or one event: the
// VEVENTs sharing a UID (the master and its RECURRENCE-ID overrides),
// yielded by Open as a VCALENDAR with the file's VERSION, PRODID, CALSCALE
// and METHOD lines and the VTIMEZONEs the event's TZIDs name. Items scans
// a file once and keeps only byte ranges; Open reads those ranges, so a
// file is never held in memory whatever its size. Content is yielded raw,
// never parsed: a malformed object is still an item, for the engine's
// parser to report.
//
// Keys are stable across runs and across reordering of a file:
// "uid:<UID>" for an object whose UID is unique in its file, else
// "sha256:<hex>" of the object's bytes ("#2", "#3" for identical
// objects); in a directory folder the key starts with the file's path
// relative to the directory and "/". An item's Date is its file's
// modification time.
package files

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

// Options are what Open needs.
type Options struct {
	// Paths are the .vcf and .ics files and directories of exports.
	Paths []string
	// Logger receives debug records (files ignored in a directory) and
	// warnings; nil discards them.
	Logger *slog.Logger
}

// Account is a source.Account over export files. It never writes to
// them. Its methods may be called from several goroutines.
type Account struct {
	log     *slog.Logger
	folders []folder

	mu    sync.Mutex
	cache map[string]*fileIndex // by file path
}

var _ source.Account = (*Account)(nil)

// folder is a source folder and the files it is made of.
type folder struct {
	source.Folder
	// dir is the directory of a directory folder, "" for a file folder.
	dir string
	// files are the paths of the folder's files, in lexical order.
	files []string
}

// fileIndex is what one scan of a file found.
type fileIndex struct {
	size  int64
	mtime time.Time
	items []item
	byKey map[string]int
}

// Extensions of the files read, by kind.
var extensions = map[string]source.Kind{".vcf": source.KindContact, ".ics": source.KindEvent}

// defaultNames are the folder names that take the Default role among
// several folders of a kind.
var defaultNames = map[source.Kind][]string{
	source.KindContact: {"contacts", "addressbook", "default"},
	source.KindEvent:   {"calendar", "default"},
}

// Open checks the paths and lists the folders they make. A path that does
// not exist, or a file that is neither .vcf nor .ics, is an error naming
// it. Nothing is read but directory listings.
func Open(ctx context.Context, opts *Options) (*Account, error) {
	a := &Account{log: local.Logger(opts.Logger, "files"), cache: map[string]*fileIndex{}}
	if len(opts.Paths) == 0 {
		return nil, errors.New("files: no .vcf or .ics path given")
	}
	seen := map[string]bool{}
	for _, p := range opts.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p = filepath.Clean(p)
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("files: export %s: %w", p, err)
		}
		var found []folder
		if fi.IsDir() {
			found, err = a.walk(p)
			if err != nil {
				return nil, err
			}
		} else {
			ext := strings.ToLower(filepath.Ext(p))
			kind, ok := extensions[ext]
			if !ok {
				return nil, fmt.Errorf("files: export %s is neither a .vcf nor an .ics file", p)
			}
			found = []folder{{Folder: source.Folder{Path: []string{strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))}, Name: p, Kind: kind}, files: []string{p}}}
		}
		for _, f := range found {
			if seen[f.Name] {
				continue
			}
			seen[f.Name] = true
			a.folders = append(a.folders, f)
		}
	}
	a.namesAndDefaults()
	return a, nil
}

// walk makes the folders of a directory: one per kind it has files of.
func (a *Account) walk(dir string) ([]folder, error) {
	byKind := map[source.Kind][]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		kind, ok := extensions[strings.ToLower(filepath.Ext(p))]
		if !ok || (!d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0) {
			a.log.Debug("not a .vcf or .ics file, ignored", "file", p)
			return nil
		}
		byKind[kind] = append(byKind[kind], p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("files: export directory %s: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("files: export directory %s: %w", dir, err)
	}
	var out []folder
	for _, kind := range []source.Kind{source.KindContact, source.KindEvent} {
		if len(byKind[kind]) == 0 {
			continue
		}
		ext := ".vcf"
		if kind == source.KindEvent {
			ext = ".ics"
		}
		out = append(out, folder{
			Folder: source.Folder{Path: []string{filepath.Base(abs)}, Name: filepath.Join(dir, "*"+ext), Kind: kind},
			dir:    dir, files: byKind[kind],
		})
	}
	if len(out) == 0 {
		a.log.Warn("export directory holds no .vcf or .ics file", "dir", dir)
	}
	return out, nil
}

// namesAndDefaults makes display names unique per kind (" (2)", " (3)": they name the
// target folders and the state) and sets the Default roles.
func (a *Account) namesAndDefaults() {
	for _, kind := range []source.Kind{source.KindContact, source.KindEvent} {
		taken := map[string]bool{}
		var ofKind []*folder
		for i := range a.folders {
			f := &a.folders[i]
			f.Count, f.Bytes = -1, -1
			if f.Kind != kind {
				continue
			}
			ofKind = append(ofKind, f)
			name := f.Path[0]
			for n := 2; taken[strings.ToLower(name)]; n++ {
				name = fmt.Sprintf("%s (%d)", f.Path[0], n)
			}
			taken[strings.ToLower(name)] = true
			f.Path = []string{name}
		}
		if len(ofKind) == 1 {
			ofKind[0].SpecialUse = source.Default
			continue
		}
		var named []*folder
		for _, f := range ofKind {
			if slices.Contains(defaultNames[kind], strings.ToLower(f.Path[0])) {
				named = append(named, f)
			}
		}
		if len(named) == 1 {
			named[0].SpecialUse, named[0].SpecialUseGuessed = source.Default, true
		}
	}
}

// Folders lists one folder per export file and per kind of a directory.
func (a *Account) Folders(ctx context.Context) ([]source.Folder, error) {
	out := make([]source.Folder, 0, len(a.folders))
	for _, f := range a.folders {
		g := f.Folder
		g.Path = slices.Clone(g.Path)
		out = append(out, g)
	}
	return out, ctx.Err()
}

func (a *Account) folder(f source.Folder) (*folder, error) {
	for i := range a.folders {
		if a.folders[i].Name == f.Name && a.folders[i].Kind == f.Kind {
			return &a.folders[i], nil
		}
	}
	return nil, fmt.Errorf("files: no folder %s: %w", f.Name, source.ErrNotFound)
}

// prefix is what a file's keys start with in folder f.
func (f *folder) prefix(path string) string {
	if f.dir == "" {
		return ""
	}
	rel, err := filepath.Rel(f.dir, path)
	if err != nil {
		rel = path
	}
	return filepath.ToSlash(rel) + "/"
}

// Items lists the objects of the folder's files, scanning each file once
// (and again only when it changed since).
func (a *Account) Items(ctx context.Context, f source.Folder) iter.Seq2[source.ItemRef, error] {
	return func(yield func(source.ItemRef, error) bool) {
		fo, err := a.folder(f)
		if err != nil {
			yield(source.ItemRef{}, err)
			return
		}
		for _, path := range fo.files {
			idx, err := a.index(ctx, path, fo.Kind)
			if err != nil {
				if fo.dir != "" && errors.Is(err, fs.ErrNotExist) {
					a.log.Warn("export file gone since the directory was listed", "file", path)
					continue
				}
				if errors.Is(err, fs.ErrNotExist) {
					err = fmt.Errorf("%w: %w", source.ErrNotFound, err)
				}
				yield(source.ItemRef{}, fmt.Errorf("files: folder %s: %w", f.Name, err))
				return
			}
			prefix := fo.prefix(path)
			for _, it := range idx.items {
				if !yield(source.ItemRef{Key: prefix + it.key, Size: it.size, Date: idx.mtime}, nil) {
					return
				}
			}
		}
	}
}

// index returns the scan of path, scanning it when it is not cached or
// changed (size or modification time) since.
func (a *Account) index(ctx context.Context, path string, kind source.Kind) (*fileIndex, error) {
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
	idx, err = scanFile(ctx, path, kind)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.cache[path] = idx
	a.mu.Unlock()
	return idx, nil
}

// scanFile reads one file and records its objects' ranges.
func scanFile(ctx context.Context, path string, kind source.Kind) (*fileIndex, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	idx := &fileIndex{size: fi.Size(), mtime: fi.ModTime()}
	switch kind {
	case source.KindContact:
		s := &vcardSink{}
		if err := scanLines(ctx, fh, s); err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		idx.items = s.items()
	default:
		s := &calendarSink{}
		if err := scanLines(ctx, fh, s); err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		if !s.sawCal && s.content {
			return nil, fmt.Errorf("%s: %w", path, errNoCalendar)
		}
		idx.items = s.items()
	}
	idx.byKey = make(map[string]int, len(idx.items))
	for i, it := range idx.items {
		idx.byKey[it.key] = i
	}
	return idx, nil
}

// Open streams one object: a vCard's bytes as the file has them, or an
// event's VCALENDAR. The file is opened read-only.
func (a *Account) Open(ctx context.Context, f source.Folder, ref source.ItemRef) (io.ReadCloser, error) {
	fo, err := a.folder(f)
	if err != nil {
		return nil, err
	}
	path, key := "", ref.Key
	for _, p := range fo.files {
		if pre := fo.prefix(p); strings.HasPrefix(ref.Key, pre) && len(p) > len(path) {
			path, key = p, ref.Key[len(pre):]
		}
	}
	if path == "" {
		return nil, fmt.Errorf("files: folder %s: item %s: %w", f.Name, ref.Key, source.ErrNotFound)
	}
	fail := func(err error) (io.ReadCloser, error) {
		if errors.Is(err, fs.ErrNotExist) {
			err = source.ErrNotFound
		}
		return nil, fmt.Errorf("files: folder %s: item %s: %w", f.Name, ref.Key, err)
	}
	var (
		fh *os.File
		it item
	)
	// The ranges are those of the file as opened: when it changed between
	// the scan and the open, scan again (once).
	for try := 0; ; try++ {
		idx, err := a.index(ctx, path, fo.Kind)
		if err != nil {
			return fail(err)
		}
		i, ok := idx.byKey[key]
		if !ok {
			return fail(source.ErrNotFound)
		}
		it = idx.items[i]
		if fh, err = os.Open(path); err != nil {
			return fail(err)
		}
		fi, err := fh.Stat()
		if err != nil {
			fh.Close()
			return fail(err)
		}
		if fi.Size() == idx.size && fi.ModTime().Equal(idx.mtime) {
			break
		}
		fh.Close()
		if try == 1 {
			return fail(errors.New("the file keeps changing"))
		}
	}
	var readers []io.Reader
	if fo.Kind == source.KindContact {
		readers = append(readers, io.NewSectionReader(fh, it.parts[0].off, it.parts[0].n))
	} else {
		readers = append(readers, strings.NewReader(calBegin))
		for _, p := range it.parts {
			readers = append(readers, io.NewSectionReader(fh, p.off, p.n))
			if !p.nl {
				readers = append(readers, strings.NewReader("\r\n"))
			}
		}
		readers = append(readers, strings.NewReader(calEnd))
	}
	return &object{Reader: io.MultiReader(readers...), f: fh}, nil
}

// object is an open item: its readers over the file, and the file.
type object struct {
	io.Reader
	f *os.File
}

// Close closes the file.
func (o *object) Close() error { return o.f.Close() }

// Close forgets the scans; there is nothing else to end.
func (a *Account) Close() error {
	a.mu.Lock()
	a.cache = map[string]*fileIndex{}
	a.mu.Unlock()
	return nil
}
