package testserver

import (
	"context"
	"errors"
	"os"
	"testing"
)

// InCI reports whether the environment variable CI is "true", as in the
// project's CI, where a missing server binary is a failure, not a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// requireBinary skips t when bin is not installed, or fails it under CI,
// and reports whether bin is installed.
func requireBinary(t testing.TB, what, bin, pkg string) bool {
	t.Helper()
	if !installed(bin) {
		if InCI() {
			t.Fatalf("%s is required under CI=true but %s is missing; install the Debian package %s (make deps)", what, bin, pkg)
			return false
		}
		t.Skipf("skipping: %s not installed (%s missing); install the Debian package %s (make deps) to run this test", what, bin, pkg)
		return false
	}
	return true
}

// requireDovecot skips t, or fails it under CI, unless bin is a Dovecot
// that StartDovecot supports; the message names the versions it needs.
func requireDovecot(t testing.TB, bin string) {
	t.Helper()
	if !requireBinary(t, DovecotVersions, bin, "dovecot-imapd and dovecot-pop3d") {
		return
	}
	if err := CheckDovecot(context.Background(), bin); err != nil {
		if InCI() {
			t.Fatalf("%s is required under CI=true: %v", DovecotVersions, err)
			return
		}
		t.Skipf("skipping: this test needs %s: %v", DovecotVersions, err)
	}
}

// DovecotForTest starts a seeded Dovecot for t and stops it in t.Cleanup,
// logging the tail of Dovecot's log first when t failed. It skips t when
// Dovecot 2.3 or 2.4 is not installed, except under CI=true, where it fails. opts may
// be nil; a nil opts.Logger logs nothing.
func DovecotForTest(t testing.TB, opts *DovecotOptions) *Dovecot {
	t.Helper()
	bin := DovecotBinary
	if opts != nil && opts.Binary != "" {
		bin = opts.Binary
	}
	requireDovecot(t, bin)
	d, err := StartDovecot(contextFor(t), opts)
	if err != nil {
		t.Fatalf("StartDovecot() = %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dovecot log (tail) of the failed test:\n%s", tailFile(d.LogFile, 4096))
		}
		if err := d.Close(); err != nil {
			t.Errorf("Dovecot.Close() = %v", err)
		}
	})
	return d
}

// RadicaleForTest starts a seeded Radicale for t and stops it in
// t.Cleanup, logging the tail of Radicale's log first when t failed. It
// skips t when Radicale is not installed, except under
// CI=true, where it fails. opts may be nil.
func RadicaleForTest(t testing.TB, opts *RadicaleOptions) *Radicale {
	t.Helper()
	bin := RadicaleBinary
	if opts != nil && opts.Binary != "" {
		bin = opts.Binary
	}
	requireBinary(t, "Radicale", bin, "radicale")
	r, err := StartRadicale(contextFor(t), opts)
	if err != nil {
		t.Fatalf("StartRadicale() = %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("radicale log (tail) of the failed test:\n%s", tailFile(r.LogFile, 4096))
		}
		if err := r.Close(); err != nil {
			t.Errorf("Radicale.Close() = %v", err)
		}
	})
	return r
}

// MemIMAPForTest starts the in-memory IMAP server for t and stops it in
// t.Cleanup. It needs no installed software.
func MemIMAPForTest(t testing.TB, opts *MemIMAPOptions) *MemIMAP {
	t.Helper()
	m, err := StartMemIMAP(contextFor(t), opts)
	if err != nil {
		t.Fatalf("StartMemIMAP() = %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("MemIMAP.Close() = %v", err)
		}
	})
	return m
}

// MemPOP3ForTest starts the in-process POP3 server for t and stops it in
// t.Cleanup. It needs no installed software.
func MemPOP3ForTest(t testing.TB, opts *MemPOP3Options) *MemPOP3 {
	t.Helper()
	m, err := StartMemPOP3(contextFor(t), opts)
	if err != nil {
		t.Fatalf("StartMemPOP3() = %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("MemPOP3.Close() = %v", err)
		}
	})
	return m
}

// contextFor returns the context a test server runs under. It is not
// t.Context(), which ends before cleanups run: the server must outlive the
// test body and be stopped by Close in t.Cleanup, not killed.
func contextFor(testing.TB) context.Context {
	return context.Background()
}

// FaultProxyForTest starts a [FaultProxy] for t and closes it in
// t.Cleanup. It needs no installed software.
func FaultProxyForTest(t testing.TB, opts FaultProxyOptions) *FaultProxy {
	t.Helper()
	p, err := StartFaultProxy(opts)
	if err != nil {
		t.Fatalf("StartFaultProxy() = %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}
