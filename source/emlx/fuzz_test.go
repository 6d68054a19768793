package emlx

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// emlxSeeds are the .emlx files of the Apple Mail store in testdata.
func emlxSeeds(f *testing.F) [][]byte {
	var out [][]byte
	_ = filepath.WalkDir("../../testdata/stores/applemail", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ".emlx" {
			if b, err := os.ReadFile(path); err == nil {
				out = append(out, b)
			}
		}
		return nil
	})
	if len(out) == 0 {
		f.Fatal("no .emlx seed files under testdata/stores/applemail")
	}
	return out
}

// FuzzReadMessageFile writes the input as an .emlx file and reads its
// byte count line and trailer: no panic, and a layout it accepts lies
// within the file.
func FuzzReadMessageFile(f *testing.F) {
	for _, b := range emlxSeeds(f) {
		f.Add(b)
	}
	f.Add([]byte("5\nabcde<?xml version=\"1.0\"?><plist><dict><key>flags</key><real>1e300</real></dict></plist>"))
	f.Add([]byte("   9223372036854775807\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "1.emlx")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		m, _ := readMessageFile(path)
		if m.err != nil {
			if !errors.Is(m.err, ErrMalformed) {
				t.Fatalf("readMessageFile() err = %v, want ErrMalformed", m.err)
			}
			return
		}
		l := m.layout
		if l.start < 1 || l.length < 0 || l.start+l.length > int64(len(data)) || l.size != int64(len(data)) {
			t.Fatalf("layout %+v outside a %d-byte file", l, len(data))
		}
	})
}

// FuzzRebuild checks that no message makes rebuild panic, that what it
// measures (writing to a *counter) is what it writes, and that a message
// without X-Apple-Content-Length passes through byte for byte. The seeds
// are the partial message of TestRebuild and the store's .emlx files.
func FuzzRebuild(f *testing.F) {
	f.Add([]byte(partial))
	for _, b := range emlxSeeds(f) {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			f.Add(b[i+1:])
		}
	}
	dir, _, _ := attachmentsDir(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		_, err := rebuild(&out, bytes.NewReader(data), dir)
		if err != nil {
			return
		}
		var c counter
		if _, err := rebuild(&c, bytes.NewReader(data), dir); err != nil || c.n != int64(out.Len()) {
			t.Fatalf("measured %d bytes (%v), rebuilt %d", c.n, err, out.Len())
		}
		if !bytes.Contains(bytes.ToLower(data), []byte("x-apple-content-length")) && !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("a message without parts kept apart changed:\n%q\n%q", data, out.Bytes())
		}
	})
}
