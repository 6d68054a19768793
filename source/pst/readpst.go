package pst

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/eml"
)

// converted is one file converted by readpst: its output directory and
// the .eml account over it.
type converted struct {
	dir  string
	acct *eml.Account
	root string // the directory holding the PST's folders
}

// convert runs `readpst -j 0 -e -8 -q -o DIR FILE` (readpst(1), pst-utils
// 0.6.76: -e writes each message to its own file, with an .eml extension,
// in one directory per folder; -8 writes bodies in UTF-8 when the PST has
// them so; -j 0 runs no parallel jobs: with its default, readpst 0.6.76
// sometimes exits before a forked job has written its folder, 1 run in 30
// on the sample here) into a new temporary directory, as a separate process with no
// shell, and opens the result with source/eml. readpst's standard error
// is in the error when it fails.
func convert(ctx context.Context, program, file, tempDir string, log *slog.Logger) (*converted, error) {
	if program == "" {
		program = "readpst"
	}
	bin, err := exec.LookPath(program)
	if err != nil {
		return nil, fmt.Errorf("%s: converter %q not found (install pst-utils, or set source.pst_converter to readpst's path): %w", file, program, err)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(tempDir, "migrate-readpst-")
	if err != nil {
		return nil, fmt.Errorf("%s: converter output: %w", file, err)
	}
	c := &converted{dir: dir}
	cmd := exec.CommandContext(ctx, bin, "-j", "0", "-e", "-8", "-q", "-o", dir, abs)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = nil, &stderr
	if err := cmd.Run(); err != nil {
		c.close()
		return nil, fmt.Errorf("%s: readpst failed: %w: %s", file, err, strings.TrimSpace(stderr.String()))
	}
	// readpst writes the PST's folders below one directory named after
	// the store's display name ("Personal Folders", "Outlook Data File").
	entries, err := os.ReadDir(dir)
	if err != nil {
		c.close()
		return nil, err
	}
	c.root = dir
	if len(entries) == 1 && entries[0].IsDir() {
		c.root = filepath.Join(dir, entries[0].Name())
	}
	if !eml.HasMessages(c.root) {
		return c, nil // no mail (a file of calendars or contacts only)
	}
	if c.acct, err = eml.Open(ctx, &eml.Options{Paths: []string{c.root}, Logger: log}); err != nil {
		c.close()
		return nil, fmt.Errorf("%s: reading readpst's output: %w", file, err)
	}
	log.Info("pst file converted with readpst", "file", file)
	return c, nil
}

// folders lists the converted file's folders under prefix, named after
// the file so that they are told apart from another file's.
func (c *converted) folders(ctx context.Context, prefix []string, file string) ([]folder, error) {
	if c.acct == nil {
		return nil, nil
	}
	inner, err := c.acct.Folders(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]folder, 0, len(inner))
	for _, f := range inner {
		sf := f
		sf.Path = append(append([]string(nil), prefix...), f.Path...)
		sf.Name = file + "#readpst:" + strings.Join(f.Path, "/")
		sf.SpecialUse, sf.SpecialUseGuessed = "", false
		if len(f.Path) == 1 && strings.EqualFold(f.Path[0], "Inbox") && len(prefix) == 0 {
			sf.Path, sf.SpecialUse = []string{"INBOX"}, source.Inbox
		}
		out = append(out, folder{Folder: sf, conv: c, inner: f})
	}
	return out, nil
}

// close removes the converter's output.
func (c *converted) close() error {
	if c.acct != nil {
		c.acct.Close()
	}
	return os.RemoveAll(c.dir)
}
