package source

import (
	"bytes"
	"testing"
)

// TestHeaderIdentity checks the content identity: the size and the Date
// and Message-ID fields decide it, and 8-bit or control characters match
// the '?' some servers send instead of them.
func TestHeaderIdentity(t *testing.T) {
	base := HeaderIdentity(100, "Mon, 30 Jun 2025 08:00:00 +0000", "<a@x>")
	tests := []struct {
		name     string
		size     int64
		date, id string
		same     bool
	}{
		{"same fields", 100, "Mon, 30 Jun 2025 08:00:00 +0000", "<a@x>", true},
		{"other size", 101, "Mon, 30 Jun 2025 08:00:00 +0000", "<a@x>", false},
		{"other Date", 100, "Mon, 30 Jun 2025 08:00:01 +0000", "<a@x>", false},
		{"other Message-ID", 100, "Mon, 30 Jun 2025 08:00:00 +0000", "<b@x>", false},
		{"fields swapped", 100, "<a@x>", "Mon, 30 Jun 2025 08:00:00 +0000", false},
	}
	for _, tc := range tests {
		if got := HeaderIdentity(tc.size, tc.date, tc.id); (got == base) != tc.same {
			t.Errorf("%s: HeaderIdentity = %q, base %q; want same %v", tc.name, got, base, tc.same)
		}
	}
	if a, b := HeaderIdentity(5, "d", "<\xc3\xa9t\xc3\xa9@x>"), HeaderIdentity(5, "d", "<?t?@x>"); a != b {
		t.Errorf("8-bit %q and '?' %q differ; Dovecot's header hash makes them equal", a, b)
	}
	if got := HeaderIdentity(42, "", ""); len(got) != len("42:")+IdentityHexLen || got[:3] != "42:" {
		t.Errorf("HeaderIdentity(42, \"\", \"\") = %q; want 42: and %d hex digits", got, IdentityHexLen)
	}
}

// TestBodyIdentity checks the cross-source identity: one message as a
// POP3 server sends it (CRLF) and as a desktop client stores it (LF, its
// own header fields added, a final line end more) is one; another body,
// Date or Message-ID is another, and the Message-ID alone never decides.
func TestBodyIdentity(t *testing.T) {
	const server = "Received: from a by b; Mon, 30 Jun 2025 08:00:05 +0000\r\nDate: Mon, 30 Jun 2025\r\n 08:00:00 +0000\r\nMessage-ID: <a@x>\r\nSubject: hi\r\n\r\nline one\r\n\r\nline three\r\n"
	ident := func(msg string, chunk int) string {
		h := NewBodyHasher()
		for len(msg) > 0 {
			n := min(chunk, len(msg))
			h.Write([]byte(msg[:n]))
			msg = msg[n:]
		}
		return h.Identity()
	}
	base := ident(server, 1<<20)
	if base == "" || base[:5] != "body:" || len(base) != len("body:")+IdentityHexLen {
		t.Fatalf("Identity() = %q; want body: and %d hex digits", base, IdentityHexLen)
	}
	tests := []struct {
		name string
		msg  string
		same bool
	}{
		{"byte by byte", server, true},
		{"store copy: LF, X-Mozilla fields, Status, no Received, a line end more", "X-Mozilla-Status: 0001\nX-Mozilla-Status2: 00000000\nDate: Mon, 30 Jun 2025 08:00:00 +0000\nmessage-id:  <a@x>\nStatus: RO\nSubject: hi\n\nline one\n\nline three\n\n", true},
		{"no final line end", "Date: Mon, 30 Jun 2025 08:00:00 +0000\nMessage-ID: <a@x>\n\nline one\n\nline three", true},
		{"other body", "Date: Mon, 30 Jun 2025 08:00:00 +0000\nMessage-ID: <a@x>\n\nline one\n\nline 3\n", false},
		{"body lines joined", "Date: Mon, 30 Jun 2025 08:00:00 +0000\nMessage-ID: <a@x>\n\nline one\nline three\n", false},
		{"other Date", "Date: Mon, 30 Jun 2025 08:00:01 +0000\nMessage-ID: <a@x>\n\nline one\n\nline three\n", false},
		{"same Message-ID, other message (a converter's header)", "Date: Mon, 30 Jun 2025 08:00:00 +0000\nMessage-ID: <a@x>\n\nsomething else\n", false},
		{"no Message-ID", "Date: Mon, 30 Jun 2025 08:00:00 +0000\n\nline one\n\nline three\n", false},
		{"many line ends at the end, CRs among them", server + "\r\n\n\r\r\n\n", true},
		{"a lone CR inside the body", "Date: Mon, 30 Jun 2025 08:00:00 +0000\nMessage-ID: <a@x>\n\nline one\r\rline three\n", false},
	}
	for _, tc := range tests {
		for _, chunk := range []int{1, 3, 1 << 20} {
			if got := ident(tc.msg, chunk); (got == base) != tc.same {
				t.Errorf("%s (writes of %d bytes): Identity() = %q, base %q; want same %v", tc.name, chunk, got, base, tc.same)
			}
		}
	}
	if got := ident("Subject: x\n\nbody\n", 7); got != "" {
		t.Errorf("neither Date nor Message-ID: Identity() = %q; want \"\" (not matched)", got)
	}
	// The line ends at the end are not kept in memory: 8 MB of them leave
	// the hasher as small as it was.
	h := NewBodyHasher()
	h.Write([]byte(server))
	for range 8 << 10 {
		h.Write(bytes.Repeat([]byte("\r\n"), 512))
	}
	if got := h.Identity(); got != base {
		t.Errorf("8 MB of line ends after the body: Identity() = %q; want %q", got, base)
	}
	if n := cap(h.line) + len(h.mark) + len(h.date) + len(h.id); n > 2*maxHeaderLine {
		t.Errorf("the hasher holds %d bytes after 8 MB of line ends; want at most %d", n, 2*maxHeaderLine)
	}
	noID := ident("Date: d\n\nbody\n", 2)
	if noID == "" || noID != ident("Date: d\r\nX-UID: 4\r\n\r\nbody\r\n", 5) {
		t.Errorf("Date and body alone: identities %q differ or are empty", noID)
	}
}
