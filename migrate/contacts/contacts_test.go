package contacts

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/migrate-tool/migrate/target"
)

func TestParseKeepsGoodCardsAroundBadOnes(t *testing.T) {
	f, err := os.Open("testdata/mixed.vcf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cards, bad, err := Parse(f)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var got []string
	for _, c := range cards {
		got = append(got, c.PreferredValue("FN"))
	}
	if want := []string{"Jürgen Müller", "Dana Four"}; !cmp.Equal(got, want) {
		t.Errorf("cards = %q, want %q", got, want)
	}
	if cards[1].Index != 2 || cards[1].Line != 20 {
		t.Errorf("second good card at index %d line %d, want 2 and 20", cards[1].Index, cards[1].Line)
	}
	tests := []struct {
		index, line, errLine int
		reason               error
	}{
		{1, 15, 18, ErrMalformedLine},
		{3, 42, 42, ErrNoEnd},
	}
	if len(bad) != len(tests) {
		t.Fatalf("bad = %v, want %d errors", bad, len(tests))
	}
	for i, tt := range tests {
		e := bad[i]
		if e.Index != tt.index || e.Line != tt.line || e.ErrLine != tt.errLine || !errors.Is(e, tt.reason) {
			t.Errorf("bad[%d] = %+v (%v), want index %d line %d at %d, %v", i, *e, e, tt.index, tt.line, tt.errLine, tt.reason)
		}
	}
}

func parseOne(t *testing.T, text string) Card {
	t.Helper()
	cards, bad, err := Parse(strings.NewReader(text))
	if err != nil || len(bad) > 0 || len(cards) != 1 {
		t.Fatalf("Parse = %d cards, bad %v, err %v", len(cards), bad, err)
	}
	return cards[0]
}

func TestParseQuotedPrintable(t *testing.T) {
	tests := []struct {
		name, card, prop, want string
	}{
		{"windows-1252 name", "N;CHARSET=windows-1252;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen;;;", "N", "Müller;Jürgen;;;"},
		{"windows-1252 euro", "ORG;CHARSET=windows-1252;ENCODING=QUOTED-PRINTABLE:=80uro", "ORG", "€uro"},
		{"ISO-8859-1 soft line break", "FN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:J=FCrgen M=\r\n=FCller", "FN", "Jürgen Müller"},
		{"bare QUOTED-PRINTABLE, UTF-8", "FN;CHARSET=UTF-8;QUOTED-PRINTABLE:Zo=C3=AB", "FN", "Zoë"},
		{"encoded line break", "NOTE;ENCODING=QUOTED-PRINTABLE:a=0D=0Ab\\c", "NOTE", "a\nb\\c"},
		{"8-bit without charset", "FN:J\xfcrgen", "FN", "Jürgen"},
		{"3.0 folded", "FN:J\xc3\xbcr\r\n gen", "FN", "Jürgen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := parseOne(t, "BEGIN:VCARD\r\nVERSION:2.1\r\n"+tt.card+"\r\nEND:VCARD\r\n")
			if got := c.Value(tt.prop); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.prop, got, tt.want)
			}
		})
	}
}

func TestParseBadEncoding(t *testing.T) {
	_, bad, _ := Parse(strings.NewReader("BEGIN:VCARD\nFN;CHARSET=x-no-such;ENCODING=QUOTED-PRINTABLE:a\nEND:VCARD\n"))
	if len(bad) != 1 || !errors.Is(bad[0], ErrEncoding) {
		t.Fatalf("bad = %v, want one ErrEncoding", bad)
	}
}

func TestMapMixed(t *testing.T) {
	f, err := os.Open("testdata/mixed.vcf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cards, _, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		card     Card
		want     target.Contact
		findings []Finding
	}{
		{
			name: "vCard 2.1 quoted-printable",
			card: cards[0],
			want: target.Contact{
				DisplayName: "Jürgen Müller", GivenName: "Jürgen", Surname: "Müller",
				CompanyName: "Café €uro GmbH", Department: "Verkauf",
				BusinessPhones: []string{"+49 221 555 0100"}, MobilePhone: "+49 170 555 0199",
				Emails:   []target.Address{{Name: "Jürgen Müller", Address: "juergen@example.test"}},
				Birthday: time.Date(1975, 11, 3, 0, 0, 0, 0, time.UTC),
				Notes:    "Erste Zeile\nZweite Zeile mit ü\n\n" + NotesHeading + "\nPhone (fax): +49 221 555 0101",
			},
			findings: []Finding{{"TEL", InNotes, "no such phone field in Graph"}},
		},
		{
			name: "four e-mail addresses and Graph's limits",
			card: cards[1],
			want: target.Contact{
				DisplayName: "Dana Four", GivenName: "Dana", Surname: "Four",
				Emails: []target.Address{
					{Name: "Dana Four", Address: "d0@example.test"},
					{Name: "Dana Four", Address: "d1@example.test"},
					{Name: "Dana Four", Address: "d2@example.test"},
				},
				BusinessPhones: []string{"+1 555 0001", "+1 555 0002"},
				HomePhones:     []string{"+1 555 0011"},
				MobilePhone:    "+1 555 0021",
				Home:           target.PostalAddress{Street: "1 Home St", City: "Springfield", State: "IL", PostalCode: "62701", Country: "USA"},
				Business:       target.PostalAddress{Street: "2 Work Ave\nSuite 5", City: "Springfield", State: "IL", PostalCode: "62702", Country: "USA"},
				Other:          target.PostalAddress{Street: "3 Other Rd", City: "Shelbyville", State: "IL", PostalCode: "62565", Country: "USA"},
				Anniversary:    time.Date(2010, 6, 12, 0, 0, 0, 0, time.UTC),
				Categories:     []string{"Friends", "VIP"},
				Notes: NotesHeading + "\nE-mail: d3@example.test\nPhone (work): +1 555 0003\nPhone (cell): +1 555 0022\n" +
					"Address (home): 4 Second Home, 62000 Ogdenville, IL, USA",
			},
			findings: []Finding{
				{"ANNIVERSARY", Changed, "no anniversary field in Graph v1.0: kept in an extended property"},
				{"EMAIL", InNotes, "Graph keeps at most 3 e-mail addresses"},
				{"TEL", InNotes, "Graph keeps at most 2 business phones"},
				{"TEL", InNotes, "Graph keeps one mobile phone"},
				{"ADR", InNotes, "Graph keeps one address of each kind"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rep := Map(tt.card.Card)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Map contact (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.findings, rep.Findings); d != "" {
				t.Errorf("Map report (-want +got):\n%s", d)
			}
		})
	}
}

func TestMapPhoto(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var pngBuf, jpgBuf bytes.Buffer
	if err := png.Encode(&pngBuf, img); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jpgBuf, img, nil); err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	big := make([]byte, MaxPhotoBytes+1)
	copy(big, jpgBuf.Bytes())
	tests := []struct {
		name     string
		line     string
		wantJPEG []byte // nil: any JPEG
		photo    bool
		findings []Finding
	}{
		{"3.0 JPEG kept as is", "PHOTO;ENCODING=b;TYPE=JPEG:" + b64(jpgBuf.Bytes()), jpgBuf.Bytes(), true, nil},
		{"4.0 data URI PNG re-encoded", "PHOTO:data:image/png;base64," + b64(pngBuf.Bytes()), nil, true,
			[]Finding{{"PHOTO", Changed, "png photo re-encoded to JPEG"}}},
		{"2.1 BASE64 folded", "PHOTO;ENCODING=BASE64;JPEG:" + b64(jpgBuf.Bytes())[:20] + "\r\n  " + b64(jpgBuf.Bytes())[20:] + "\r\n", jpgBuf.Bytes(), true, nil},
		{"linked photo skipped", "PHOTO;VALUE=uri:https://example.test/p.jpg", nil, false,
			[]Finding{{"PHOTO", Dropped, "a linked photo is not fetched"}}},
		{"over 4 MB skipped", "PHOTO;ENCODING=b;TYPE=JPEG:" + b64(big), nil, false,
			[]Finding{{"PHOTO", Dropped, "photo of 4194305 bytes is over Graph's 4194304"}}},
		{"not an image skipped", "PHOTO;ENCODING=b:" + b64([]byte("hello")), nil, false,
			[]Finding{{"PHOTO", Dropped, "photo in a format that does not decode"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := parseOne(t, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:P\r\n"+tt.line+"\r\nEND:VCARD\r\n")
			got, rep := Map(c.Card)
			if (got.Photo != nil) != tt.photo {
				t.Fatalf("photo present = %v, want %v (%v)", got.Photo != nil, tt.photo, rep)
			}
			if tt.photo {
				if _, format, err := image.DecodeConfig(bytes.NewReader(got.Photo)); err != nil || format != "jpeg" {
					t.Errorf("photo format %q, %v; want jpeg", format, err)
				}
			}
			if tt.wantJPEG != nil && !bytes.Equal(got.Photo, tt.wantJPEG) {
				t.Errorf("JPEG photo changed")
			}
			if d := cmp.Diff(tt.findings, rep.Findings); d != "" {
				t.Errorf("report (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseDateNoDrift(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"19800229", time.Date(1980, 2, 29, 0, 0, 0, 0, time.UTC), true},
		{"1980-02-29", time.Date(1980, 2, 29, 0, 0, 0, 0, time.UTC), true},
		// A time late in the day east of UTC keeps its written date.
		{"1980-02-29T23:30:00+14:00", time.Date(1980, 2, 29, 0, 0, 0, 0, time.UTC), true},
		{"19800229T003000Z", time.Date(1980, 2, 29, 0, 0, 0, 0, time.UTC), true},
		{"--0415", time.Time{}, false},
		{"soon", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := parseDate(tt.in)
		if ok != tt.ok || !got.Equal(tt.want) || (ok && got.Location() != time.UTC) {
			t.Errorf("parseDate(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// The cards the Radicale harness serves (source/testserver/seed/dav).
func TestMapSeedCards(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, c target.Contact, rep Report)
	}{
		{"alice@example.test/contacts/bob-mueller.vcf", func(t *testing.T, c target.Contact, rep Report) {
			want := target.Contact{
				DisplayName: "Bob Müller", GivenName: "Bob", MiddleName: "Andreas", Surname: "Müller", Title: "Dr.",
				Nickname: "Bobby", CompanyName: "Example Bau GmbH", Department: "Planung", JobTitle: "Projektleiter",
				Emails: []target.Address{
					{Name: "Bob Müller", Address: "bob@example.test"},
					{Name: "Bob Müller", Address: "bob.mueller@home.example.test"},
					{Name: "Bob Müller", Address: "b.mueller@old.example.test"},
				},
				BusinessPhones: []string{"+49 221 555 0100"}, MobilePhone: "+49 170 555 0199", HomePhones: []string{"+49 221 555 0123"},
				Business:         target.PostalAddress{Street: "Domstraße 1", City: "Köln", PostalCode: "50667", Country: "Deutschland"},
				Birthday:         time.Date(1980, 2, 29, 0, 0, 0, 0, time.UTC),
				BusinessHomePage: "https://bau.example.test/",
				Notes:            "Several e-mail addresses and phones, a leap-day birthday.",
				Categories:       []string{"Work", "Planning"},
			}
			if d := cmp.Diff(want, c); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if len(rep.Findings) != 0 {
				t.Errorf("findings %v, want none", rep.Findings)
			}
		}},
		{"alice@example.test/contacts/carol-photo.vcf", func(t *testing.T, c target.Contact, rep Report) {
			if _, f, err := image.DecodeConfig(bytes.NewReader(c.Photo)); err != nil || f != "jpeg" {
				t.Errorf("photo %q, %v; want a JPEG", f, err)
			}
			if c.MobilePhone != "+33 6 55 55 01 23" || c.Birthday != time.Date(1991, 7, 14, 0, 0, 0, 0, time.UTC) {
				t.Errorf("mobile %q birthday %v", c.MobilePhone, c.Birthday)
			}
		}},
		{"alice@example.test/contacts/no-name-company.vcf", func(t *testing.T, c target.Contact, rep Report) {
			if c.DisplayName != "ACME Switchboard" || c.CompanyName != "ACME Corporation" || c.GivenName != "" {
				t.Errorf("got %+v", c)
			}
		}},
		{"alice@example.test/contacts/yamada.vcf", func(t *testing.T, c target.Contact, rep Report) {
			if c.DisplayName != "山田 太郎" || c.Surname != "山田" || c.CompanyName != "株式会社サンプル" {
				t.Errorf("got %+v", c)
			}
			if !strings.Contains(c.Notes, "X-PHONETIC-LAST-NAME: やまだ") {
				t.Errorf("notes %q lack the phonetic name", c.Notes)
			}
		}},
		{"alice@example.test/contacts/zoe-angstrom.vcf", func(t *testing.T, c target.Contact, rep Report) {
			if c.MobilePhone != "+46-70-555-01-23" || !cmp.Equal(c.BusinessPhones, []string{"+46-8-555-01-00;ext=42"}) {
				t.Errorf("phones %q %q", c.MobilePhone, c.BusinessPhones)
			}
			if !c.Birthday.IsZero() || !strings.Contains(c.Notes, "Birthday: --0415") {
				t.Errorf("birthday %v notes %q: a year-less birthday belongs in the notes", c.Birthday, c.Notes)
			}
			if c.Anniversary != time.Date(2015, 6, 20, 0, 0, 0, 0, time.UTC) {
				t.Errorf("anniversary %v", c.Anniversary)
			}
			if c.Emails[0].Address != "zoe@example.test" || c.Surname != "Ångström-Ñúñez" {
				t.Errorf("got %+v", c)
			}
		}},
		{"bob@example.test/kontakte/juergen.vcf", func(t *testing.T, c target.Contact, rep Report) {
			if c.Home.City != "Köln" || c.Birthday != time.Date(1975, 11, 3, 0, 0, 0, 0, time.UTC) {
				t.Errorf("got %+v", c)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "..", "source", "testserver", "seed", "dav", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			c := parseOne(t, string(b))
			got, rep := Map(c.Card)
			tt.check(t, got, rep)
		})
	}
}
