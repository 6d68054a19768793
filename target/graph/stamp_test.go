package graph

import (
	"testing"

	"github.com/migrate-tool/migrate/target"
)

// TestParseMessageStamp reads the stamps this version writes and those of
// earlier versions: a key alone, a key and content identity, and a key,
// content identity and body identity.
func TestParseMessageStamp(t *testing.T) {
	const c, b = "sha256:0123abcd", "body:89ef"
	tests := []struct {
		name, value          string
		key, content, bodyID string
	}{
		{"key only", "1234.5", "1234.5", "", ""},
		{"key and content identity (earlier versions)", "1234.5 " + c, "1234.5", c, ""},
		{"key, content and body identity", "1234.5 " + c + " " + b, "1234.5", c, b},
		{"a key with spaces", "Old/a b.eml " + c + " " + b, "Old/a b.eml", c, b},
		{"a key with spaces, old stamp", "Old/a b.eml " + c, "Old/a b.eml", c, ""},
		{"not hex", "1234.5 sha256:xyz", "1234.5 sha256:xyz", "", ""},
	}
	for _, tc := range tests {
		k, ct, bd := ParseMessageStamp(tc.value)
		if k != tc.key || ct != tc.content || bd != tc.bodyID {
			t.Errorf("%s: ParseMessageStamp(%q) = %q, %q, %q; want %q, %q, %q", tc.name, tc.value, k, ct, bd, tc.key, tc.content, tc.bodyID)
		}
		if k, ct := ParseStamp(tc.value); k != tc.key || ct != tc.content {
			t.Errorf("%s: ParseStamp(%q) = %q, %q; want %q, %q", tc.name, tc.value, k, ct, tc.key, tc.content)
		}
	}
	m := &target.Message{SourceKey: "7.1", ContentID: c, BodyID: b}
	if got := messageStamp(m); got != "7.1 "+c+" "+b {
		t.Errorf("messageStamp = %q", got)
	}
	m.ContentID = ""
	if got := messageStamp(m); got != "7.1" {
		t.Errorf("messageStamp without a content identity = %q; want the key alone (a body identity only beside a content identity)", got)
	}
}
