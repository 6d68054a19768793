package message

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes Parse panic or fail (the reader never
// fails here), and that the result meets checkInvariants: valid UTF-8
// everywhere, attachments that match their size and digest, and content or
// problems that account for non-blank input. Small limits make the fuzzer
// reach the spooling, truncation and capping paths with small inputs. The
// seed corpus is testdata/fuzz/FuzzParse plus the shared seed mailboxes.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../../source/testserver/seed/mail/*/*.eml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(hdr + crlf("Content-Type: multipart/alternative; boundary=alt", "",
		"--alt", "Content-Type: text/plain", "", "plain", "--alt",
		"Content-Type: multipart/related; boundary=rel", "", "--rel", "Content-Type: text/html", "", `<img src="cid:a@b">`,
		"--rel", "Content-Type: image/png", "Content-ID: <a@b>", "Content-Transfer-Encoding: base64", "", png1, "--rel--", "--alt--", "")))
	dir := f.TempDir()
	opts := &Options{SpoolDir: dir, MemoryLimit: 512, MaxBodyBytes: 1024, MaxHeaderBytes: 1024}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(context.Background(), bytes.NewReader(data), opts)
		if err != nil {
			t.Fatalf("Parse() = %v", err)
		}
		checkInvariants(t, data, m)
		if err := m.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "migrate-msg-*")); len(left) > 0 {
			t.Fatalf("spool files left after Close: %q", left)
		}
	})
}
