// Package psttest gives tests the sample .pst files of go-pst's module
// (github.com/mooijtech/go-pst/v6 v6.0.2, data/, Apache-2.0), which the
// module cache holds once the module is downloaded for the build: they are
// not copied into this repository (testdata/stores/pst/README.md says
// why). No network is used.
package psttest

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/source/testserver"
)

// Module is the module whose data/ directory holds the samples.
const Module = "github.com/mooijtech/go-pst/v6"

// The samples, by file name in data/.
const (
	// Support is a Unicode PST (1 MB, compressible encryption) of a
	// support mailbox: 6 drafts and 11 sent messages with transport
	// headers, HTML bodies, one with two attachments.
	Support = "support.pst"
	// ANSI is a 64 KB ANSI (Outlook 97-2002) PST holding one calendar
	// item; go-pst cannot read its 8-bit folder names.
	ANSI = "32-bit.pst"
	// Enron is a 29 MB Unicode PST of one mailbox of the Enron corpus
	// (2,178 messages, all with transport headers).
	Enron = "enron.pst"
)

// Dir returns the module's data directory.
func Dir(t testing.TB) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", Module)
	out, err := cmd.Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Fatalf("go list -m %s: %v (%s): the sample .pst files come from that module's download", Module, err, out)
	}
	return filepath.Join(dir, "data")
}

// Copy copies sample name into a new temporary directory and returns the
// copy's path (the module cache is read-only, and tests compare the
// copy's bytes and modification time before and after).
func Copy(t testing.TB, name string) string {
	t.Helper()
	src, err := os.Open(filepath.Join(Dir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	p := filepath.Join(t.TempDir(), name)
	dst, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// RequireReadpst skips t when pst-utils' readpst is not installed, or
// fails it under CI=true, where it must be.
func RequireReadpst(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("readpst"); err != nil {
		if testserver.InCI() {
			t.Fatalf("readpst is required under CI=true; install the Debian package pst-utils (make deps)")
		}
		t.Skipf("skipping: readpst not installed; install the Debian package pst-utils (make deps) to run this test")
	}
}
