package source

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestCheckMessageFile(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name, content string
		want          error // nil: a message
	}{
		{"message", "Return-Path: <a@example.test>\r\nSubject: x\r\n\r\nbody\r\n", nil},
		{"lf only", "From: a@example.test\n\nbody\n", nil},
		{"empty", "", ErrNotMessage},
		{"text", "Dear Dave,\nthis is not a message.\n", ErrNotMessage},
		{"blank first line", "\r\nSubject: x\r\n", ErrNotMessage},
		{"from line", "From a@example.test Mon Jan  8 09:15:00 2024\nSubject: x\n", ErrNotMessage},
		{"binary", "\x00\x01PK\x03\x04", ErrNotMessage},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name)
			if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := CheckMessageFile(p); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("CheckMessageFile(%q) = %v, want %v", tt.content, err, tt.want)
			}
		})
	}
	loop := filepath.Join(dir, "loop")
	if err := os.Symlink(loop, loop); err != nil {
		t.Fatal(err)
	}
	err := CheckMessageFile(loop)
	var pe *fs.PathError
	if !errors.As(err, &pe) || errors.Is(err, ErrNotMessage) {
		t.Errorf("CheckMessageFile(a symbolic link loop) = %v, want the open's *fs.PathError", err)
	}
	if got, want := UnreadableFile("cur/loop", err), "cur/loop: "+pe.Err.Error(); got != want {
		t.Errorf("UnreadableFile() = %q, want %q (no path repeated)", got, want)
	}
}
