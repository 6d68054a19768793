package message

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
)

// budget is the number of content bytes one Parse may hold in memory for one
// kind of spool (attachments, or body text). A spool that would exceed it moves
// its content to a file and gives its share back.
type budget struct {
	limit int64
	used  int64
}

// spool holds one stream of decoded content: in memory while the budget
// allows, then in a file of its own (created with os.CreateTemp, so mode
// 0600). It hashes what it is given with SHA-256 on the way.
type spool struct {
	dir  string
	b    *budget
	mem  []byte
	f    *os.File      // open while writing to a file
	w    *bufio.Writer // buffers writes to f
	path string        // file path once spilled; "" while in memory
	size int64
	h    hash.Hash
	sum  string // hex SHA-256, set by finish
	done bool
}

// fatalError marks an error that must end Parse: a read error of the caller's
// reader, cancellation, or a failure to write a spool file. Everything else is
// a defect of the message and becomes a Problem.
type fatalError struct {
	op  string
	err error
}

func (e *fatalError) Error() string { return e.op + ": " + e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// isFatal reports whether err must end Parse.
func isFatal(err error) bool {
	var f *fatalError
	return errors.As(err, &f)
}

func newSpool(dir string, b *budget) *spool {
	return &spool{dir: dir, b: b, h: sha256.New()}
}

// Write appends p, moving the content to a file when the budget is exhausted.
func (s *spool) Write(p []byte) (int, error) {
	if s.done {
		return 0, &fatalError{op: "spool", err: errors.New("write after finish")}
	}
	if s.f == nil && s.b.used+int64(len(p)) <= s.b.limit {
		s.mem = append(s.mem, p...)
		s.b.used += int64(len(p))
		s.size += int64(len(p))
		s.h.Write(p)
		return len(p), nil
	}
	if s.f == nil {
		if err := s.spill(); err != nil {
			return 0, err
		}
	}
	n, err := s.w.Write(p)
	s.size += int64(n)
	s.h.Write(p[:n])
	if err != nil {
		return n, &fatalError{op: "write spool file", err: err}
	}
	return n, nil
}

// WriteString appends str.
func (s *spool) WriteString(str string) (int, error) {
	return s.Write([]byte(str))
}

// spill moves the in-memory content to a new file.
func (s *spool) spill() error {
	f, err := os.CreateTemp(s.dir, "migrate-msg-*.part")
	if err != nil {
		return &fatalError{op: "create spool file", err: err}
	}
	s.f, s.path = f, f.Name()
	s.w = bufio.NewWriterSize(f, 64<<10)
	if _, err := s.w.Write(s.mem); err != nil {
		return &fatalError{op: "write spool file", err: err}
	}
	s.b.used -= int64(len(s.mem))
	s.mem = nil
	return nil
}

// finish ends writing: it closes the file, if any, and fixes the digest.
func (s *spool) finish() error {
	if s.done {
		return nil
	}
	s.done = true
	s.sum = hex.EncodeToString(s.h.Sum(nil))
	s.h = nil
	if s.f != nil {
		err := s.w.Flush()
		if cerr := s.f.Close(); err == nil {
			err = cerr
		}
		s.f, s.w = nil, nil
		if err != nil {
			return &fatalError{op: "write spool file", err: err}
		}
	}
	return nil
}

// open returns a reader of the whole content; finish must have been called.
func (s *spool) open() (io.ReadCloser, error) {
	if s.path == "" {
		return io.NopCloser(bytes.NewReader(s.mem)), nil
	}
	f, err := os.Open(s.path)
	if err != nil {
		return nil, fmt.Errorf("open spooled content: %w", err)
	}
	return f, nil
}

// readPrefix returns up to n bytes from the start of the content.
func (s *spool) readPrefix(n int64) ([]byte, error) {
	if s.path == "" {
		return s.mem[:min(n, int64(len(s.mem)))], nil
	}
	rc, err := s.open()
	if err != nil {
		return nil, &fatalError{op: "read spool file", err: err}
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, n))
	if err != nil {
		return nil, &fatalError{op: "read spool file", err: err}
	}
	return b, nil
}

// remove frees the content: the memory goes back to the budget and the file,
// if any, is deleted. It may be called more than once.
func (s *spool) remove() error {
	if s.f != nil {
		s.f.Close()
		s.f, s.w = nil, nil
	}
	if s.mem != nil {
		s.b.used -= int64(len(s.mem))
		s.mem = nil
	}
	if s.path == "" {
		return nil
	}
	p := s.path
	s.path = ""
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove spool file: %w", err)
	}
	return nil
}
