package source

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzMUTF7 checks DecodeMUTF7 on any input: no panic; what it decodes
// is valid UTF-8 that encodes back to the input; what it refuses comes
// back unchanged. And EncodeMUTF7 of any valid UTF-8 is printable ASCII
// that DecodeMUTF7 turns back into it (reporting true whenever the
// encoding differs from the name).
func FuzzMUTF7(f *testing.F) {
	for _, s := range []string{"INBOX", "&AMQ-rger", "Entw&APw-rfe", "&ZeVnLIqe-", "R&D", "&-", "&Jjo-&Jjo-", "&2D3eAA-", "&AGE-", "&,,,-", "Ärger/Köln", "日本語", "a&b-c", "\x00\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := DecodeMUTF7(s)
		if !ok && d != s {
			t.Fatalf("DecodeMUTF7(%q) = %q, false: want the input back", s, d)
		}
		if ok && (!utf8.ValidString(d) || EncodeMUTF7(d) != s) {
			t.Fatalf("DecodeMUTF7(%q) = %q, true: invalid UTF-8 or does not encode back", s, d)
		}
		if !utf8.ValidString(s) {
			return
		}
		e := EncodeMUTF7(s)
		for i := 0; i < len(e); i++ {
			if e[i] < 0x20 || e[i] > 0x7e {
				t.Fatalf("EncodeMUTF7(%q) = %q: byte %#x is not printable ASCII", s, e, e[i])
			}
		}
		back, ok := DecodeMUTF7(e)
		if back != s || ok != (e != s || strings.Contains(s, "&")) {
			t.Fatalf("DecodeMUTF7(EncodeMUTF7(%q) = %q) = %q, %v", s, e, back, ok)
		}
	})
}
