package maildir

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParseName checks that parseName never panics, that the key is a
// prefix of the file name and the flags field a part of what follows it,
// and that flags gives each name once, only system flags and keywords
// dovecot-keywords names, and trashed says whether T is set. The seeds
// are the names Dovecot, mutt and a copy to Windows write.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{"1700000000.M1P2.host,S=123,W=130:2,FRS", "1700000000.M1P2.host", "a:1,xyz", "b;2,ST",
		"c:2,Sab,D=1", "d:2,", ":2,:2,PRSTDFz", "e:2,S:2,T"} {
		f.Add(s)
	}
	kw := map[byte]string{'a': "Important", 'b': "$label1", 'z': "R&D"}
	f.Fuzz(func(t *testing.T, name string) {
		key, in := parseName(name)
		if !strings.HasPrefix(name, key) || !strings.Contains(name[len(key):], string(in)) {
			t.Fatalf("parseName(%q) = %q, %q: not parts of the name", name, key, in)
		}
		got := in.flags(kw)
		for i, fl := range got {
			if slices.Contains(got[:i], fl) {
				t.Fatalf("flags of %q: %q twice in %q", in, fl, got)
			}
			known := false
			for _, v := range systemFlags {
				known = known || v == fl
			}
			for _, v := range kw {
				known = known || v == fl
			}
			if !known {
				t.Fatalf("flags of %q: %q is neither a system flag nor a named keyword", in, fl)
			}
		}
		if in.trashed() != strings.Contains(string(in), "T") {
			t.Fatalf("trashed(%q) = %v", in, in.trashed())
		}
	})
}
