package source

import "testing"

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
