package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrFormat reports a file that is not a plan or verification of a
// version this program reads.
var ErrFormat = errors.New("not a readable file of this format")

// header is the part of every file read first, to check its kind.
type header struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Tool    string `json:"tool"`
}

// Marshal encodes v as indented JSON with a final newline, the form every
// file of this package takes.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteFile writes v to path atomically (a temporary file renamed over
// it) with mode 0600: plan and verification files name mailboxes and
// folders, which are the client's business.
func WriteFile(path string, v any) error {
	data, err := Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// Write writes the plan to path (see WriteFile), filling Format and
// Version.
func Write(path string, p *Plan) error {
	p.Format, p.Version = Format, Version
	return WriteFile(path, p)
}

// Read reads a plan file. A file of another kind or version is an error
// matching ErrFormat that says what the file is.
func Read(path string) (*Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("plan file: %w", err)
	}
	defer f.Close()
	p, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("plan file %s: %w", path, err)
	}
	return p, nil
}

// Decode reads a plan from r (see Read).
func Decode(r io.Reader) (*Plan, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if err := checkHeader(data, Format, Version); err != nil {
		return nil, err
	}
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return &p, nil
}

func checkHeader(data []byte, format string, version int) error {
	var h header
	if err := json.Unmarshal(data, &h); err != nil {
		return fmt.Errorf("%w: not JSON: %w", ErrFormat, err)
	}
	switch {
	case h.Format != format:
		return fmt.Errorf("%w: it is not a %s file (format %q)", ErrFormat, format, h.Format)
	case h.Version > version:
		return fmt.Errorf("%w: it is a %s file of version %d, written by %s; this program reads version %d: use that version of migrate or a newer one", ErrFormat, format, h.Version, h.Tool, version)
	case h.Version < version:
		return fmt.Errorf("%w: it is a %s file of version %d, written by %s; this program reads version %d: make it again with this version", ErrFormat, format, h.Version, h.Tool, version)
	}
	return nil
}
