package source

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotMessage: a file of a local store is not a message: it is empty, or
// it does not begin with an RFC 5322 header field. Such a file is not
// listed as an item; the adapter names it in Folder.Unreadable.
var ErrNotMessage = errors.New("not a message")

// sniffSize is how much of a file CheckMessageFile reads.
const sniffSize = 512

// CheckMessageFile opens the file at path read-only and reads its first
// bytes, so that local store adapters (source/maildir, source/eml) can
// tell a file they cannot migrate before the engine tries: it returns the
// error of the open or the read (permission denied, a symbolic link loop,
// an I/O error), an error wrapping ErrNotMessage for an empty file or one
// whose first line is not a header field ("Name:", RFC 5322 section
// 3.6.8), or nil. It changes nothing in the file.
func CheckMessageFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, sniffSize)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	switch {
	case n == 0:
		return fmt.Errorf("%w: the file is empty", ErrNotMessage)
	case !IsHeaderField(buf[:n]):
		return fmt.Errorf("%w: it does not begin with a header field", ErrNotMessage)
	}
	return nil
}

// IsHeaderField reports whether b begins with a header field name and a
// colon (RFC 5322 section 3.6.8: one or more printable US-ASCII
// characters but the colon).
func IsHeaderField(b []byte) bool {
	for i, c := range b {
		switch {
		case c == ':':
			return i > 0
		case c < 33 || c > 126:
			return false
		}
	}
	return false
}

// UnreadableFile is one entry of Folder.Unreadable: the file's name as
// the adapter shows it (relative to the store's root or folder) and why
// it is not migrated, the reason without the path an *fs.PathError
// repeats ("cur/1.host:2,S: permission denied").
func UnreadableFile(name string, err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return name + ": " + err.Error()
}
