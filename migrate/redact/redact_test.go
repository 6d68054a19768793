package redact

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	r := New("hunter2", "s3cr3t-longer", "ab")
	tests := []struct{ in, want string }{
		{"login with hunter2 failed", "login with [REDACTED] failed"},
		{"no secret here", "no secret here"},
		{"ab is too short to be a secret", "ab is too short to be a secret"},
		{"s3cr3t-longer and hunter2", "[REDACTED] and [REDACTED]"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestError(t *testing.T) {
	base := errors.New("base")
	r := New("hunter2")
	err := r.Error(fmt.Errorf("auth hunter2: %w", base))
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("Error() = %q, still holds the secret", err)
	}
	if !errors.Is(err, base) {
		t.Fatalf("errors.Is(redacted, base) = false, want true")
	}
	if r.Error(nil) != nil {
		t.Fatalf("Error(nil) != nil")
	}
}

func TestHandler(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		var h slog.Handler
		opts := &slog.HandlerOptions{Level: slog.LevelDebug}
		if format == "json" {
			h = slog.NewJSONHandler(&buf, opts)
		} else {
			h = slog.NewTextHandler(&buf, opts)
		}
		log := slog.New(NewHandler(h, New("hunter2", "tok-123456")))
		log = log.With("user", "alice", "password", "anything")
		log.Debug("connecting with hunter2", "err", errors.New("bad tok-123456"), slog.Group("g", "client_secret", "xyz", "v", "hunter2"))
		log.Info("plain", "token", "whatever", "n", 3)
		out := buf.String()
		for _, leak := range []string{"hunter2", "tok-123456", "anything", "xyz", "whatever"} {
			if strings.Contains(out, leak) {
				t.Errorf("%s log holds %q:\n%s", format, leak, out)
			}
		}
		if !strings.Contains(out, "alice") || !strings.Contains(out, "n=3") && !strings.Contains(out, `"n":3`) {
			t.Errorf("%s log lost ordinary attributes:\n%s", format, out)
		}
	}
}
