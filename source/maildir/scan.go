package maildir

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/source"
)

// message is one file of a maildir, as its directory entry shows it.
type message struct {
	key     string // the unique name, before the info separator
	rel     string // "new/<file>" or "cur/<file>"
	info    info
	trashed bool
	size    int64
	mtime   time.Time
	// bad is why the file is not migrated (it cannot be read or is not
	// a message: source.CheckMessageFile); nil for a message.
	bad error
}

// info is the flags field of a file name: the letters after ":2," up to a
// "," (Dovecot's non-standard fields follow it).
type info string

// parseName splits a maildir file name into its unique name and its flags
// field: the name up to the last ":2," or ";2," (Maildirs copied to
// Windows, where ":" cannot be in a file name), or up to the first ":"
// for another info version; a name without info (a message in new/) is
// its own key.
func parseName(name string) (key string, flags info) {
	i := max(strings.LastIndex(name, ":2,"), strings.LastIndex(name, ";2,"))
	if i < 0 {
		if j := strings.IndexByte(name, ':'); j >= 0 {
			return name[:j], ""
		}
		return name, ""
	}
	f := name[i+3:]
	if j := strings.IndexByte(f, ','); j >= 0 {
		f = f[:j]
	}
	return name[:i], info(f)
}

// systemFlags maps the Maildir flag letters to IMAP flags
// (https://cr.yp.to/proto/maildir.html, "info semantics"). T (trashed) is
// not a flag: a trashed message is not listed.
var systemFlags = map[byte]string{
	'P': "$Forwarded", // passed: resent, forwarded or bounced
	'R': `\Answered`,  // replied
	'S': `\Seen`,
	'D': `\Draft`,
	'F': `\Flagged`,
}

// trashed reports whether the T flag is set.
func (in info) trashed() bool { return strings.IndexByte(string(in), 'T') >= 0 }

// flags returns the IMAP flags and keywords of the field, in the order of
// its letters, each once; keyword letters a-z take their names from kw
// (dovecot-keywords) and are dropped when it has none for them.
func (in info) flags(kw map[byte]string) []string {
	var out []string
	seen := map[string]bool{}
	for i := 0; i < len(in); i++ {
		c := in[i]
		name, ok := systemFlags[c]
		if !ok && c >= 'a' && c <= 'z' {
			name, ok = kw[c]
		}
		if ok && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

// readKeywords reads dir's dovecot-keywords file: lines "<n> <keyword>",
// n from 0 (letter a) to 25 (letter z). No file is no keywords.
func readKeywords(dir string) (map[byte]string, error) {
	fh, err := os.Open(filepath.Join(dir, "dovecot-keywords"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	kw := map[byte]string{}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		num, name, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		n, err := strconv.Atoi(num)
		if name = strings.TrimSpace(name); !ok || err != nil || n < 0 || n > 25 || name == "" {
			continue
		}
		kw[byte('a'+n)] = name
	}
	return kw, sc.Err()
}

// readBatch bounds how many directory entries one read holds.
const readBatch = 1024

// messages lists f's files, new/ first and then cur/, and records their
// current names for Open. A key seen in new/ is not listed again from
// cur/: a client moving the file between the two reads shows it in both.
func (a *Account) messages(ctx context.Context, f folder) iter.Seq2[message, error] {
	return func(yield func(message, error) bool) {
		names := map[string]string{}
		fromNew := map[string]bool{}
		complete := false
		defer func() {
			a.mu.Lock()
			defer a.mu.Unlock()
			if !complete {
				// A listing stopped early knows only some names.
				for k, v := range a.names[f.Dir] {
					if _, ok := names[k]; !ok {
						names[k] = v
					}
				}
			}
			a.names[f.Dir] = names
		}()
		for _, sub := range []string{"new", "cur"} {
			dh, err := os.Open(filepath.Join(f.Dir, sub))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				yield(message{}, fmt.Errorf("maildir: folder %s: %w", f.Name, err))
				return
			}
			for {
				if err := ctx.Err(); err != nil {
					dh.Close()
					yield(message{}, err)
					return
				}
				entries, rerr := dh.ReadDir(readBatch)
				for _, e := range entries {
					name := e.Name()
					if strings.HasPrefix(name, ".") {
						continue
					}
					key, in := parseName(name)
					if sub == "cur" && fromNew[key] {
						continue
					}
					path := filepath.Join(f.Dir, sub, name)
					fi, err := os.Stat(path) // follows a symbolic link
					if errors.Is(err, fs.ErrNotExist) {
						continue // renamed or expunged since the read
					}
					if err != nil {
						// A symbolic link loop, a file the directory
						// lists but that cannot be looked at.
						if !yield(message{key: key, rel: sub + "/" + name, bad: err}, nil) {
							dh.Close()
							return
						}
						continue
					}
					if !fi.Mode().IsRegular() {
						a.log.Debug("not a message file, ignored", "file", path)
						continue
					}
					if _, dup := names[key]; dup {
						a.log.Warn("two files with one unique name, the second ignored", "folder", f.Name, "file", path)
						continue
					}
					if sub == "new" {
						fromNew[key] = true
					}
					names[key] = sub + "/" + name
					m := message{key: key, rel: sub + "/" + name, info: in, trashed: in.trashed(), size: fi.Size(), mtime: fi.ModTime()}
					if !m.trashed {
						m.bad = source.CheckMessageFile(path)
					}
					if !yield(m, nil) {
						dh.Close()
						return
					}
				}
				if rerr != nil {
					dh.Close()
					if !errors.Is(rerr, io.EOF) {
						yield(message{}, fmt.Errorf("maildir: folder %s: %w", f.Name, rerr))
						return
					}
					break
				}
			}
		}
		complete = true
	}
}
