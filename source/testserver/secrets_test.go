package testserver

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNoPasswordsInLogs logs in right and wrong over every protocol, then
// checks that no password shows in the servers' logs or the harness's own.
func TestNoPasswordsInLogs(t *testing.T) {
	t.Parallel()
	var harness lockedBuffer
	logger := slog.New(slog.NewTextHandler(&harness, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d := DovecotForTest(t, &DovecotOptions{NoSeed: true, Logger: logger})
	r := RadicaleForTest(t, &RadicaleOptions{Logger: logger})

	alice := d.Users[0]
	for _, pw := range []string{alice.Password, "wrong-" + alice.Password} {
		c, err := DialIMAPS(t.Context(), d.IMAPSAddr(), d.TLSConfig())
		if err != nil {
			t.Fatalf("DialIMAPS() = %v", err)
		}
		_ = c.Login(alice.Name, pw).Wait()
		_ = c.Login(d.MasterLogin(alice.Name), d.Master.Password).Wait()
		c.Close()
		davRequest(t, "PROPFIND", r.CollectionURL(alice.Name, "contacts"), alice.Name, pw, propfindBody, map[string]string{"Depth": "0"})
	}

	secrets := []string{d.Master.Password}
	for _, u := range d.Users {
		secrets = append(secrets, u.Password)
	}
	for _, u := range r.Users {
		secrets = append(secrets, u.Password)
	}
	logs := map[string]string{"harness": harness.String()}
	for name, file := range map[string]string{"dovecot": d.LogFile, "radicale": r.LogFile} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("read %s log: %v", name, err)
		}
		logs[name] = string(b)
	}
	if !strings.Contains(logs["dovecot"], "Password mismatch") || !strings.Contains(logs["radicale"], "Failed login attempt") {
		t.Logf("dovecot log:\n%s\nradicale log:\n%s", logs["dovecot"], logs["radicale"])
		t.Error("server logs do not record the failed logins; the test proves nothing")
	}
	for name, text := range logs {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s log contains a password", name)
			}
		}
	}
	if s := (User{Name: "n", Password: "secret-value"}); strings.Contains(slogText(s), "secret-value") {
		t.Error("a User logged with slog shows its password")
	}
}

func slogText(v any) string {
	var b bytes.Buffer
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "user", v)
	return b.String()
}
