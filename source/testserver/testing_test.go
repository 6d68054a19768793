package testserver

import (
	"fmt"
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
