package source

import (
	"strings"
	"testing"
)

func TestModifiedUTF7(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"plain", "plain", false},
		{"&-", "&", true},
		{"a&-b", "a&b", true},
		{"&AOk-t&AOk-", "été", true},
		{"~peter/mail/&U,BTFw-/&ZeVnLIqe-", "~peter/mail/台北/日本語", true}, // RFC 3501 section 5.1.3
		{"&2D3eAA-", "😀", true},
		{"R&D", "R&D", false},               // no closing "-"
		{"&AGE-", "&AGE-", false},           // encodes "a", which must stand for itself
		{"&2D0-", "&2D0-", false},           // lone high surrogate
		{"&3gA-", "&3gA-", false},           // lone low surrogate
		{"&AOk", "&AOk", false},             // unterminated
		{"&AO!-", "&AO!-", false},           // not base64
		{"&AOkA6Q-", "éé", true},            // one section for a run
		{"&AOk-&AOk-", "&AOk-&AOk-", false}, // two sections in a row: not canonical
		{"&AOl-", "&AOl-", false},           // non-zero padding bits
		{"tab\tx&-", "tab\tx&-", false},
	}
	for _, tt := range tests {
		got, ok := DecodeMUTF7(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("DecodeMUTF7(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok {
			if back := EncodeMUTF7(got); back != tt.in {
				t.Errorf("EncodeMUTF7(%q) = %q, want %q", got, back, tt.in)
			}
		}
	}
	for _, s := range []string{"", "ascii only", "été", "a&b", "日本語 & 😀", "Ünïcödé/x"} {
		enc := EncodeMUTF7(s)
		dec, ok := DecodeMUTF7(enc)
		if dec != s || (strings.ContainsAny(enc, "&") && !ok) {
			t.Errorf("round trip of %q: encoded %q, decoded %q, %v", s, enc, dec, ok)
		}
	}
}
