package graph

import (
	"strings"
	"testing"
)

// FuzzParseStamp checks ParseStamp against stampValue: no panic on any
// value; the key and identity it returns rebuild the value; and a stamp
// made from a key (without a trailing space) and a well-formed content
// identity ("scheme:hex", as source.ContentID writes it) parses back to
// both. A value whose last word is not such an identity is all key.
func FuzzParseStamp(f *testing.F) {
	for _, s := range []string{"INBOX/42", "imap:INBOX/42 sha256:0123abcd", "Projects 2024/7 x:ff", "a b", " sha256:00", "k sha256:", "k :00", "k SHA256:00", "pop3:uidl:abc md5:0f"} {
		f.Add(s, "sha256:0123456789abcdef")
	}
	f.Fuzz(func(t *testing.T, v, cid string) {
		key, id := ParseStamp(v)
		if stampValue(key, id) != v {
			t.Fatalf("ParseStamp(%q) = %q, %q: does not rebuild the value", v, key, id)
		}
		scheme, sum, ok := strings.Cut(cid, ":")
		if !ok || scheme == "" || sum == "" || strings.Trim(scheme, "abcdefghijklmnopqrstuvwxyz0123456789") != "" || strings.Trim(sum, "0123456789abcdef") != "" {
			return
		}
		if v == "" || strings.HasSuffix(v, " ") {
			return
		}
		if k, c := ParseStamp(stampValue(v, cid)); k != v || c != cid {
			t.Fatalf("ParseStamp(stampValue(%q, %q)) = %q, %q", v, cid, k, c)
		}
	})
}
