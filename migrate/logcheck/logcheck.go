// Package logcheck is a slog.Handler for tests that holds a component's
// log records to the project's conventions:
//
//   - an error is logged under the key "err" (never "error", and no other
//     key holds an error value);
//   - a record names its part of the program with a "component"
//     attribute, set once with Logger.With, instead of a text prefix such
//     as "imap: " in the message;
//   - no key appears twice on a record, counting the attributes added
//     with Logger.With (a logger that already names the mailbox must not
//     be given "mailbox" again).
//
// A test hands New's logger to the code under test; every record that
// breaks a rule fails the test when it ends.
package logcheck

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
)

// ErrKey is the one key under which records carry an error.
const ErrKey = "err"

// ComponentKey is the key of the attribute that names the part of the
// program a record comes from ("imap", "graph", "run", "plan", ...).
const ComponentKey = "component"

// Record is a record as the handler saw it: its message, level and every
// attribute, those added with Logger.With first, keys qualified by their
// groups ("group.key").
type Record struct {
	Level   slog.Level
	Message string
	Attrs   []slog.Attr
}

// Value returns the value of the first attribute with key, and whether
// there is one.
func (r Record) Value(key string) (slog.Value, bool) {
	for _, a := range r.Attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return slog.Value{}, false
}

// String formats the record as a text handler would, for failure messages.
func (r Record) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "level=%s msg=%q", r.Level, r.Message)
	for _, a := range r.Attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	return b.String()
}

// Recorder holds the records of one test's logger.
type Recorder struct {
	mu       sync.Mutex
	t        testing.TB
	done     bool
	records  []Record
	problems []string
}

// Records returns the records seen so far.
func (r *Recorder) Records() []Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.records)
}

// Problems returns what the records seen so far break, one sentence each.
func (r *Recorder) Problems() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.problems)
}

// New returns a logger for t at debug level, and its recorder. Each record
// is also written to the test's log. When the test ends, every record that
// breaks a rule of the package is reported with t.Error; records logged
// after that are ignored.
func New(t testing.TB) (*slog.Logger, *Recorder) {
	r := &Recorder{t: t}
	t.Cleanup(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.done = true
		for _, p := range r.problems {
			t.Error(p)
		}
	})
	return slog.New(&handler{rec: r}), r
}

// Check returns what rec breaks, one sentence each (none: nil).
func Check(rec Record) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range rec.Attrs {
		if seen[a.Key] {
			out = append(out, fmt.Sprintf("attribute %q twice on the record %s", a.Key, rec))
		}
		seen[a.Key] = true
		last := a.Key[strings.LastIndex(a.Key, ".")+1:]
		if _, isErr := a.Value.Any().(error); (isErr && last != ErrKey) || last == "error" {
			out = append(out, fmt.Sprintf("error under key %q, want %q, on the record %s", a.Key, ErrKey, rec))
		}
	}
	if !seen[ComponentKey] {
		out = append(out, fmt.Sprintf("no %q attribute on the record %s", ComponentKey, rec))
	}
	if p := textPrefix(rec.Message); p != "" {
		out = append(out, fmt.Sprintf("message starts with the prefix %q (a component attribute says where a record comes from) on the record %s", p, rec))
	}
	return out
}

// textPrefix returns the leading "word: " of a message such as
// "imap: connected", or "".
func textPrefix(msg string) string {
	word, _, ok := strings.Cut(msg, ": ")
	if !ok || word == "" || strings.ContainsFunc(word, func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_')
	}) {
		return ""
	}
	return word + ": "
}

// handler records into rec; attrs are those added with WithAttrs, keys
// already qualified by the groups open when they were added.
type handler struct {
	rec    *Recorder
	attrs  []slog.Attr
	groups []string
}

func (h *handler) Enabled(context.Context, slog.Level) bool { return true }

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	rec := Record{Level: r.Level, Message: r.Message, Attrs: slices.Clone(h.attrs)}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs = appendAttr(rec.Attrs, h.groups, a)
		return true
	})
	problems := Check(rec)
	h.rec.mu.Lock()
	defer h.rec.mu.Unlock()
	if h.rec.done {
		return nil
	}
	h.rec.records = append(h.rec.records, rec)
	h.rec.problems = append(h.rec.problems, problems...)
	h.rec.t.Log(rec.String())
	return nil
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = slices.Clone(h.attrs)
	for _, a := range attrs {
		c.attrs = appendAttr(c.attrs, h.groups, a)
	}
	return &c
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.groups = append(slices.Clone(h.groups), name)
	return &c
}

// appendAttr appends a, resolved, with its key qualified by groups; a
// group's members are appended one by one, an inline group (empty key)
// without a qualifier of its own.
func appendAttr(out []slog.Attr, groups []string, a slog.Attr) []slog.Attr {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return out
	}
	if a.Value.Kind() == slog.KindGroup {
		g := groups
		if a.Key != "" {
			g = append(slices.Clone(groups), a.Key)
		}
		for _, m := range a.Value.Group() {
			out = appendAttr(out, g, m)
		}
		return out
	}
	if len(groups) > 0 {
		a.Key = strings.Join(groups, ".") + "." + a.Key
	}
	return append(out, a)
}
