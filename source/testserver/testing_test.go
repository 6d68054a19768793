package testserver

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recordTB records Skipf and Fatalf instead of stopping the test.
type recordTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recordTB) Helper() {}

func (r *recordTB) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
}

func (r *recordTB) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
}

func TestRequireBinary(t *testing.T) {
	tests := []struct {
		name, ci, bin       string
		wantSkip, wantFatal bool
	}{
		{"missing, not CI", "", "/nonexistent/dovecot", true, false},
		{"missing, CI=false", "false", "/nonexistent/dovecot", true, false},
		{"missing, CI=true", "true", "/nonexistent/dovecot", false, true},
		{"present, CI=true", "true", "/bin/sh", false, false},
		{"present, not CI", "", "/bin/sh", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			rec := &recordTB{TB: t}
			requireBinary(rec, "Dovecot", tt.bin, "dovecot-imapd")
			if rec.skipped != tt.wantSkip || rec.failed != tt.wantFatal {
				t.Errorf("requireBinary() skipped=%v failed=%v (%q), want skipped=%v failed=%v", rec.skipped, rec.failed, rec.msg, tt.wantSkip, tt.wantFatal)
			}
			if (rec.skipped || rec.failed) && rec.msg == "" {
				t.Error("requireBinary() gave no reason")
			}
		})
	}
}

// TestRequireDovecot checks that a Dovecot of a version the harness cannot
// configure skips (fails under CI) with a message naming the versions it
// needs, and that 2.3 and 2.4 pass.
func TestRequireDovecot(t *testing.T) {
	tests := []struct {
		name, ci, version   string
		wantSkip, wantFatal bool
	}{
		{"2.3", "", "2.3.19.1 (9b53102964)", false, false},
		{"2.4", "true", "2.4.1-4 (7d8c0e5759)", false, false},
		{"2.2, not CI", "", "2.2.36 (1f10bfa63)", true, false},
		{"2.5, CI=true", "true", "2.5.0 (0123456789)", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			bin := filepath.Join(t.TempDir(), "dovecot")
			script := "#!/bin/sh\necho '" + tt.version + "'\n"
			if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			rec := &recordTB{TB: t}
			requireDovecot(rec, bin)
			if rec.skipped != tt.wantSkip || rec.failed != tt.wantFatal {
				t.Errorf("requireDovecot(%s) skipped=%v failed=%v (%q), want skipped=%v failed=%v", tt.version, rec.skipped, rec.failed, rec.msg, tt.wantSkip, tt.wantFatal)
			}
			if (rec.skipped || rec.failed) && !strings.Contains(rec.msg, DovecotVersions) {
				t.Errorf("requireDovecot(%s) message %q does not name %q", tt.version, rec.msg, DovecotVersions)
			}
		})
	}
}
