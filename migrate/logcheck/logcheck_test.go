package logcheck

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want string // a part of the one problem expected; "" for none
	}{
		{"conforming", func(l *slog.Logger) {
			l.With("component", "imap", "mailbox", "a@x").Warn("connection lost", "err", errBoom, "attempt", 1)
		}, ""},
		{"error under another key", func(l *slog.Logger) {
			l.With("component", "imap").Warn("connection lost", "error", errBoom)
		}, `key "error"`},
		{"an error value under a key not err", func(l *slog.Logger) {
			l.With("component", "imap").Warn("connection lost", "cause", errBoom)
		}, `key "cause"`},
		{"a string under the key error", func(l *slog.Logger) {
			l.With("component", "imap").Warn("connection lost", "error", "boom")
		}, `key "error"`},
		{"attribute given again after With", func(l *slog.Logger) {
			l.With("component", "run", "mailbox", "a@x").Info("closed", "mailbox", "a@x")
		}, `"mailbox" twice`},
		{"component set twice", func(l *slog.Logger) {
			l.With("component", "run").With("component", "imap").Info("connected")
		}, `"component" twice`},
		{"same key in two groups is fine", func(l *slog.Logger) {
			l.With("component", "imap").Info("dialing", slog.Group("a", "host", "x"), slog.Group("b", "host", "y"))
		}, ""},
		{"no component", func(l *slog.Logger) { l.Info("connected") }, `no "component"`},
		{"text prefix", func(l *slog.Logger) {
			l.With("component", "imap").Info("imap: connected")
		}, `prefix "imap: "`},
		{"a sentence with a colon is no prefix", func(l *slog.Logger) {
			l.With("component", "run").Info("Dovecot is not installed: using the in-memory server")
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &Recorder{t: t}
			tt.log(slog.New(&handler{rec: rec}))
			got := rec.Problems()
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("problems %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
				t.Errorf("problems %q, want one about %s", got, tt.want)
			}
			if n := len(rec.Records()); n != 1 {
				t.Errorf("%d records, want 1", n)
			}
		})
	}
}
