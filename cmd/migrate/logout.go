package main

import (
	"io"
	"log/slog"
	"os"
	"sync"

	"golang.org/x/term"
)

// logWriter is where log records go (stderr). While a progress bar is
// drawn on the same terminal, each record is printed above it: the bar's
// line is cleared, the record written, and the bar drawn again below it,
// as rclone does, so a record never tears the bar.
type logWriter struct {
	mu  sync.Mutex
	w   io.Writer
	bar *progressTracker
}

// Write implements io.Writer; slog handlers write one record per call.
func (l *logWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	bar := l.bar
	l.mu.Unlock()
	if bar != nil {
		return bar.above(func() (int, error) { return l.w.Write(b) })
	}
	return l.w.Write(b)
}

// attach prints records above p's bar until detach; p may be nil or not
// draw a bar.
func (l *logWriter) attach(p *progressTracker) {
	if p == nil || p.bar == nil {
		return
	}
	l.mu.Lock()
	l.bar = p
	l.mu.Unlock()
}

// detach stops printing above the bar.
func (l *logWriter) detach() {
	l.mu.Lock()
	l.bar = nil
	l.mu.Unlock()
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// defaultLevel is the log level without --log-level: warnings and errors
// on a terminal, where progress and summaries say what happens, and info
// otherwise (files, pipes, CI), where the records are the run's record.
func defaultLevel(terminal bool) slog.Level {
	if terminal {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
