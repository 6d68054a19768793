package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/state"
)

func TestDefaultLevel(t *testing.T) {
	for _, tc := range []struct {
		terminal bool
		want     slog.Level
	}{{true, slog.LevelWarn}, {false, slog.LevelInfo}} {
		if got := defaultLevel(tc.terminal); got != tc.want {
			t.Errorf("defaultLevel(terminal %v) = %v, want %v", tc.terminal, got, tc.want)
		}
	}
	// Without --log-level a buffer (not a terminal) gets info records.
	var out bytes.Buffer
	g := &globalOptions{stderr: &out, logs: &logWriter{w: &out}, logFormat: "text"}
	g.logger().Info("kept")
	if !strings.Contains(out.String(), "kept") {
		t.Errorf("an info record was dropped without a terminal: %q", out.String())
	}
}

// TestLogAboveBar: a record written while the bar is drawn clears the
// bar's line first and draws the bar again after it.
func TestLogAboveBar(t *testing.T) {
	var out bytes.Buffer
	p, err := newProgress("bar", &out, false)
	if err != nil {
		t.Fatal(err)
	}
	p.MailboxStart("alice@example.com", 10, 1000)
	p.ItemDone("alice@example.com", state.StatusMigrated, 100)
	l := &logWriter{w: &out}
	l.attach(p)
	before := out.Len()
	fmt.Fprint(l, "level=WARN msg=\"slow server\"\n")
	got := out.String()[before:]
	i := strings.Index(got, "level=WARN")
	if i <= 0 || got[i-1] != '\r' {
		t.Fatalf("the record does not start on a cleared line: %q", got)
	}
	if rest := got[i:]; !strings.Contains(rest[strings.Index(rest, "\n"):], "items") {
		t.Errorf("the bar is not drawn again below the record: %q", got)
	}
	l.detach()
	p.finish()
	before = out.Len()
	fmt.Fprint(l, "after\n")
	if got := out.String()[before:]; got != "after\n" {
		t.Errorf("after the bar is gone a record is written as is; got %q", got)
	}
}

// TestETAHonest: no ETA before the rate is measured, then one from it.
func TestETAHonest(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &progressTracker{mode: "none", boxes: map[string]*mailboxProgress{}, start: now, now: func() time.Time { return now }}
	p.MailboxStart("a@x", 15, 1500)
	if got := p.eta(); got != "-" {
		t.Errorf("ETA before any item = %q, want -", got)
	}
	p.ItemDone("a@x", state.StatusMigrated, 100)
	now = now.Add(time.Second)
	if got := p.eta(); got != "-" {
		t.Errorf("ETA one second after the first item = %q, want -", got)
	}
	p.ItemDone("a@x", state.StatusMigrated, 100)
	now = now.Add(time.Second) // 200 bytes in 2 s: 100 B/s, 1300 left
	if got := p.eta(); got != "13s" {
		t.Errorf("ETA = %q, want 13s", got)
	}
}
