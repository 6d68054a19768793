package contacts

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseMap checks that no input makes Parse or Map panic, that every
// card begun is accounted for once (parsed or in bad, indices 0..n-1 in
// file order), and that what Map gives stays under Graph's limits on a
// contact (MaxEmails and the phone limits). The seed corpus is
// testdata/*.vcf, the DAV seed's vCards and testdata/fuzz/FuzzParseMap.
func FuzzParseMap(f *testing.F) {
	for _, pat := range []string{"testdata/*.vcf", "../../testdata/pim/*.vcf", "../../source/testserver/seed/dav/*/*/*.vcf"} {
		files, _ := filepath.Glob(pat)
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=\r\n=FCrgen\r\nEND:VCARD\r\n"))
	f.Add([]byte("BEGIN:VCARD\nBEGIN:VCARD\nFN:x\nEND:VCARD\nBEGIN:VCARD\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cards, bad, err := Parse(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("Parse() = %v (the reader never fails)", err)
		}
		seen := map[int]bool{}
		for _, c := range cards {
			seen[c.Index] = true
		}
		for _, b := range bad {
			if seen[b.Index] {
				t.Fatalf("card %d is both parsed and bad (%v)", b.Index, b)
			}
			seen[b.Index] = true
			if b.Err == nil || b.Error() == "" {
				t.Fatalf("bad card %d without a reason", b.Index)
			}
		}
		for i := range len(cards) + len(bad) {
			if !seen[i] {
				t.Fatalf("card index %d missing among %d parsed and %d bad", i, len(cards), len(bad))
			}
		}
		for _, c := range cards {
			got, _ := Map(c.Card)
			if len(got.Emails) > MaxEmails || len(got.BusinessPhones) > MaxBusinessPhones || len(got.HomePhones) > MaxHomePhones || len(got.Photo) > MaxPhotoBytes {
				t.Fatalf("card %d: Map gives %d e-mails, %d business and %d home phones, a %d-byte photo: over Graph's limits",
					c.Index, len(got.Emails), len(got.BusinessPhones), len(got.HomePhones), len(got.Photo))
			}
		}
	})
}
