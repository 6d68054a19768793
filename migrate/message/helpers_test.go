package message

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// crlf joins lines with CRLF, as mail travels.
func crlf(lines ...string) string { return strings.Join(lines, "\r\n") }

// parse parses s with opts (a temporary spool directory unless set), checks
// the invariants every result must meet, and closes the message at the end
// of the test, checking that no spool file is left.
func parse(t testing.TB, s string, opts *Options) *Message {
	t.Helper()
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.SpoolDir == "" {
		o.SpoolDir = t.TempDir()
	}
	m, err := Parse(context.Background(), strings.NewReader(s), &o)
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	checkInvariants(t, []byte(s), m)
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		if files, _ := filepath.Glob(filepath.Join(o.SpoolDir, "migrate-msg-*")); len(files) > 0 {
			t.Errorf("spool files left after Close: %q", files)
		}
	})
	return m
}

// content returns an attachment's content.
func content(t testing.TB, a *Attachment) string {
	t.Helper()
	rc, err := a.Open()
	if err != nil {
		t.Fatalf("Open(%q) = %v", a.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %q: %v", a.Name, err)
	}
	return string(b)
}

// checkInvariants checks what holds for any input: all text is valid UTF-8,
// attachment sizes and digests match their content, every attachment has a
// name and a media type, Inline implies a Content-ID, the size read is the
// input's, and non-blank input leaves content or problems.
func checkInvariants(t testing.TB, in []byte, m *Message) {
	t.Helper()
	if m.Size != int64(len(in)) {
		t.Errorf("Size = %d, want %d", m.Size, len(in))
	}
	texts := []string{m.Subject, m.MessageID, m.InReplyTo, m.RawHeader, m.Body.Content, m.Importance}
	texts = append(texts, m.References...)
	texts = append(texts, m.Problems...)
	for _, list := range [][]Address{m.To, m.Cc, m.Bcc, m.ReplyTo} {
		for _, a := range list {
			texts = append(texts, a.Name, a.Address)
		}
	}
	for _, a := range []*Address{m.From, m.Sender} {
		if a != nil {
			texts = append(texts, a.Name, a.Address)
		}
	}
	for _, s := range texts {
		if !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8 in result: %q", s)
		}
	}
	if m.Body.ContentType != "text" && m.Body.ContentType != "html" {
		t.Errorf("Body.ContentType = %q", m.Body.ContentType)
	}
	switch m.Importance {
	case "low", "normal", "high":
	default:
		t.Errorf("Importance = %q", m.Importance)
	}
	var total int64
	for _, a := range m.Attachments {
		c := content(t, a)
		sum := sha256.Sum256([]byte(c))
		if int64(len(c)) != a.Size || hex.EncodeToString(sum[:]) != a.SHA256 {
			t.Errorf("attachment %q: Size %d and SHA256 %s do not match its %d bytes", a.Name, a.Size, a.SHA256, len(c))
		}
		if a.Name == "" || a.ContentType == "" || !utf8.ValidString(a.Name) || !utf8.ValidString(a.ContentID) {
			t.Errorf("attachment name %q, type %q, content ID %q", a.Name, a.ContentType, a.ContentID)
		}
		if strings.ContainsAny(a.Name, "/\\\x00") {
			t.Errorf("attachment name %q has a path or NUL", a.Name)
		}
		if a.Inline && a.ContentID == "" {
			t.Errorf("attachment %q is inline without a Content-ID", a.Name)
		}
		total += a.Size
	}
	if len(bytes.TrimSpace(in)) > 0 && len(m.RawHeader)+len(m.Body.Content) == 0 && total == 0 && len(m.Problems) == 0 {
		t.Errorf("non-blank input of %d bytes left no header, body, attachment or problem", len(in))
	}
}

// hasProblem reports whether a problem contains all the substrings.
func hasProblem(m *Message, subs ...string) bool {
next:
	for _, p := range m.Problems {
		for _, s := range subs {
			if !strings.Contains(p, s) {
				continue next
			}
		}
		return true
	}
	return false
}

// attachment returns the attachment of that name, or nil.
func attachment(m *Message, name string) *Attachment {
	for _, a := range m.Attachments {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// readFile reads a file of the seed corpus, skipping the test if the corpus
// is not there.
func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("seed corpus file missing: %v", err)
	}
	return string(b)
}
