package message

import (
	"bufio"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// decodeAll runs a decoder over in, one byte at a time and in one go, and
// checks both give the same output.
func decodeAll(t *testing.T, newDec func() decoder, in string) string {
	t.Helper()
	whole, err := io.ReadAll(newDecodeReader(strings.NewReader(in), newDec()))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	bytewise, err := io.ReadAll(newDecodeReader(iotest.OneByteReader(strings.NewReader(in)), newDec()))
	if err != nil {
		t.Fatalf("decode bytewise: %v", err)
	}
	if string(whole) != string(bytewise) {
		t.Errorf("decode(%q): whole %q, bytewise %q", in, whole, bytewise)
	}
	return string(whole)
}

func TestBase64Decoder(t *testing.T) {
	tests := []struct {
		in, want      string
		invalid, lost int64
	}{
		{"aGVsbG8=", "hello", 0, 0},
		{"aGVs\r\n bG8", "hello", 0, 0},                 // folded, unpadded
		{"aGVsbG8=aGVsbG8=", "hellohello", 0, 0},        // concatenated encodings
		{"aGVs*bG8=", "hello", 1, 0},                    // junk skipped
		{"aGVsbG8gd", "hello ", 0, 1},                   // dangling character
		{"", "", 0, 0},                                  //
		{"====", "", 0, 0},                              // padding only
		{"-_-_", "", 4, 0},                              // URL-safe alphabet is not MIME
		{"SGVsbG8sIFdvcmxkIQ==", "Hello, World!", 0, 0}, //
	}
	for _, tt := range tests {
		var d *b64Decoder
		got := decodeAll(t, func() decoder { d = &b64Decoder{}; return d }, tt.in)
		if got != tt.want || d.invalid != tt.invalid || d.lost != tt.lost {
			t.Errorf("base64 %q = %q (invalid %d, lost %d), want %q (%d, %d)", tt.in, got, d.invalid, d.lost, tt.want, tt.invalid, tt.lost)
		}
	}
}

func TestQPDecoder(t *testing.T) {
	tests := []struct {
		in, want string
		invalid  int64
	}{
		{"caf=C3=A9", "café", 0},
		{"caf=c3=a9", "café", 0}, // lower-case hex
		{"soft=\r\nbreak", "softbreak", 0},
		{"soft=\nbreak", "softbreak", 0},
		{"soft=  \r\nbreak", "softbreak", 0}, // white space after "="
		{"trailing   \r\nspace\t\n", "trailing\r\nspace\n", 0},
		{"a = b", "a = b", 1},
		{"=ZZ", "=ZZ", 1},
		{"=4", "=4", 1},
		{"=4x", "=4x", 1},
		{"end=", "end", 0},
		{"inner  space", "inner  space", 0},
		{"=\rX", "X", 0}, // soft break ended by a bare CR
		{strings.Repeat("x", 100000), strings.Repeat("x", 100000), 0},
	}
	for _, tt := range tests {
		var d *qpDecoder
		got := decodeAll(t, func() decoder { d = &qpDecoder{}; return d }, tt.in)
		if got != tt.want || d.invalid != tt.invalid {
			t.Errorf("qp %.40q = %.40q (invalid %d), want %.40q (%d)", tt.in, got, d.invalid, tt.want, tt.invalid)
		}
	}
}

func TestAdaptiveDecoder(t *testing.T) {
	tests := []struct {
		label, in, want, outcome string
	}{
		{"", "plain ascii", "plain ascii", ""},
		{"", "K\xc3\xb6ln", "Köln", ""},
		{"", "K\xf6ln", "Köln", "8-bit text without a charset, decoded as windows-1252"},
		{"us-ascii", "K\xc3\xb6ln", "Köln", "text declared us-ascii is UTF-8, decoded as UTF-8"},
		{"utf-8", "\x93quoted\x94", "“quoted”", "text declared utf-8 is not UTF-8, decoded as windows-1252"},
		{"utf-8", "\xe6\x9d\xb1\xff", "東\uFFFD", "1 invalid UTF-8 sequences replaced with U+FFFD"},
		{"utf-8", "nul\x00byte", "nulbyte", ""},
		{"latin1", "\xe9t\xe9", "été", ""},
		{"iso-8859-15", "\xa4", "€", ""},
		{"windows-1251", "\xcf\xf0\xe8", "При", ""},
		{"x-foo", "\xe9", "é", `unknown charset "x-foo", decoded as windows-1252`},
		{"x-foo", "abc", "abc", `unknown charset "x-foo", decoded as UTF-8`},
		{"\"UTF-8\"", "ok", "ok", ""},
		{"utf-8*en", "ok", "ok", ""},
		{"ibm437", "\x81", "ü", ""}, // not in the WHATWG list: go-message's IANA table
	}
	for _, tt := range tests {
		cs := lookupCharset(tt.label)
		r, d := cs.textReader(iotest.OneByteReader(strings.NewReader(tt.in)))
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%q: %v", tt.label, err)
		}
		if string(got) != tt.want || cs.outcome(d) != tt.outcome {
			t.Errorf("charset %q, %q = %q, %q; want %q, %q", tt.label, tt.in, got, cs.outcome(d), tt.want, tt.outcome)
		}
	}
}

func TestParseMediaType(t *testing.T) {
	tests := []struct {
		in     string
		value  string
		params map[string]string
		bad    bool
	}{
		{`text/plain; charset="utf-8"`, "text/plain", map[string]string{"charset": "utf-8"}, false},
		{`Multipart/Mixed; Boundary="A;b=c"`, "multipart/mixed", map[string]string{"boundary": "A;b=c"}, false},
		{`attachment; filename=my file.pdf; size=3`, "attachment", map[string]string{"filename": "my file.pdf", "size": "3"}, false},
		{`attachment; filename="unterminated.pdf`, "attachment", map[string]string{"filename": "unterminated.pdf"}, true},
		{`attachment; filename="a.pdf"; filename="b.pdf"`, "attachment", map[string]string{"filename": "a.pdf"}, false},
		{`attachment; filename*=UTF-8''%e2%82%ac.txt; filename="euro.txt"`, "attachment", map[string]string{"filename": "€.txt"}, false},
		{`attachment; filename*1="b.txt"; filename*0="a"`, "attachment", map[string]string{"filename": "ab.txt"}, false},
		{`attachment; filename*0*=utf-8'de'%C3%A4; filename*1=".txt"`, "attachment", map[string]string{"filename": "ä.txt"}, false},
		{`attachment; filename*=''plain%20name`, "attachment", map[string]string{"filename": "plain name"}, false},
		{`attachment; filename*=x-bogus''%E9`, "attachment", map[string]string{"filename": "é"}, false},
		{`attachment; filename="=?iso-8859-1?Q?r=E9sum=E9.pdf?="`, "attachment", map[string]string{"filename": "résumé.pdf"}, false},
		{`attachment; filename="a\"b\\c"`, "attachment", map[string]string{"filename": `a"b\c`}, false},
		{`text/plain; ; charset=us-ascii;`, "text/plain", map[string]string{"charset": "us-ascii"}, false},
		{`text/plain; junk; charset=x`, "text/plain", map[string]string{"charset": "x"}, true},
		{`text/plain (comment)`, "text/plain", map[string]string{}, true},
		{``, "", map[string]string{}, false},
	}
	for _, tt := range tests {
		got := parseMediaType(tt.in)
		if got.value != tt.value || got.bad != tt.bad || !cmp.Equal(got.params, tt.params) {
			t.Errorf("parseMediaType(%q) = %q %v bad=%v, want %q %v bad=%v", tt.in, got.value, got.params, got.bad, tt.value, tt.params, tt.bad)
		}
	}
}

func TestDecodeWords(t *testing.T) {
	tests := []struct{ in, want, problem string }{
		{"plain", "plain", ""},
		{"=?UTF-8?Q?caf=C3=A9?=", "café", ""},
		{"=?utf-8?q?a?= =?utf-8?q?b?=", "ab", ""},           // white space between words dropped
		{"=?utf-8?q?a?= x =?utf-8?q?b?=", "a x b", ""},      // but not other text
		{"=?UTF-8?B?5p2x?= =?UTF-8?B?5Lqs?=", "東京", ""},     //
		{"=?UTF-8?B?5p0=?= =?UTF-8?B?seS6rA==?=", "東京", ""}, // character split across words
		{"=?iso-8859-1?Q?J=FCrgen?=", "Jürgen", ""},         //
		{"=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=", "こんにちは", ""},
		{"=?x-unknown?Q?caf=E9?=", "café", `unknown charset "x-unknown", decoded as windows-1252`},
		{"=?utf-8?Q?with space?=", "with space", ""}, // unencoded space, seen in the wild
		{"=?utf-8?X?bad?=", "=?utf-8?X?bad?=", ""},
		{"=?broken", "=?broken", ""},
		{"a=?utf-8?q?b?=c", "abc", ""},
		{"=?utf-8*en?q?lang?=", "lang", ""},
	}
	for _, tt := range tests {
		got, p := decodeWords(tt.in)
		if got != tt.want || p != tt.problem {
			t.Errorf("decodeWords(%q) = %q, %q; want %q, %q", tt.in, got, p, tt.want, tt.problem)
		}
	}
}

func TestParseAddressList(t *testing.T) {
	tests := []struct {
		in      string
		want    []Address
		lenient bool
	}{
		{"a@example.test", []Address{{"", "a@example.test"}}, false},
		{`"Doe, John" <john@example.test>, jane@example.test`, []Address{{"Doe, John", "john@example.test"}, {"", "jane@example.test"}}, false},
		{"=?utf-8?q?J=C3=B6rg?= <j@example.test>", []Address{{"Jörg", "j@example.test"}}, false},
		{`"=?utf-8?q?J=C3=B6rg?=" <j@example.test>`, []Address{{"Jörg", "j@example.test"}}, false},
		{"Friends: a@example.test, b@example.test;", []Address{{"", "a@example.test"}, {"", "b@example.test"}}, false},
		{"undisclosed-recipients:;", nil, false},
		{"John Q. Public <jqp@example.test>; Mary <m@example.test>", []Address{{"John Q. Public", "jqp@example.test"}, {"Mary", "m@example.test"}}, true},
		{"<@route:user@example.test>", []Address{{"", "user@example.test"}}, true}, // obsolete source route
		{"broken <missing@bracket", []Address{{"broken", "missing@bracket"}}, true},
		{"root", []Address{{"", "root"}}, true},
		{"Some Name", []Address{{"Some Name", ""}}, true},
		{"user@example.test (Real Name)", []Address{{"Real Name", "user@example.test"}}, false},
		{"mailto:x@example.test", []Address{{"", "x@example.test"}}, true},
		{"", nil, false},
	}
	for _, tt := range tests {
		got, p := parseAddressList(tt.in)
		if !cmp.Equal(got, tt.want) || (p != "") != tt.lenient {
			t.Errorf("parseAddressList(%q) = %+v, %q; want %+v, lenient %v", tt.in, got, p, tt.want, tt.lenient)
		}
	}
}

func TestParseDate(t *testing.T) {
	z := func(h, m int) *time.Location { return time.FixedZone("", h*3600+m*60) }
	tests := []struct {
		in   string
		want time.Time
		note string
	}{
		{"Tue, 10 Jan 2023 10:00:00 +0100", time.Date(2023, 1, 10, 10, 0, 0, 0, z(1, 0)), ""},
		{"10 Jan 2023 10:00 -0530 (IST?)", time.Date(2023, 1, 10, 10, 0, 0, 0, z(-5, -30)), ""},
		{"Thu, 20 Nov 1997 09:55:06 MDT", time.Date(1997, 11, 20, 9, 55, 6, 0, z(-6, 0)), ""},
		{"Thu, 20 Nov 97 09:55:06 GMT", time.Date(1997, 11, 20, 9, 55, 6, 0, time.UTC), ""},
		{"20 Nov 04 09:55:06 UT", time.Date(2004, 11, 20, 9, 55, 6, 0, time.UTC), ""},
		{"20 Nov 104 09:55:06 +0000", time.Date(2004, 11, 20, 9, 55, 6, 0, time.UTC), ""},
		{"Mon Jan  2 15:04:05 2006", time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC), "no time zone, UTC assumed"},
		{"Mon Jan 2 15:04:05 MST 2006", time.Date(2006, 1, 2, 15, 4, 5, 0, z(-7, 0)), ""},
		{"2006-01-02T15:04:05Z", time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC), ""},
		{"2006-01-02 15:04:05 +0200", time.Date(2006, 1, 2, 15, 4, 5, 0, z(2, 0)), ""},
		{"Monday, 02-Jan-2006 15:04:05 GMT+0200", time.Date(2006, 1, 2, 15, 4, 5, 0, z(2, 0)), ""},
		{"Tue, 10 Jan 2023 10:00:60 +0000", time.Date(2023, 1, 10, 10, 0, 59, 0, time.UTC), ""},
		{"10 Jan 2023", time.Date(2023, 1, 10, 0, 0, 0, 0, time.UTC), "no time of day, midnight assumed, no time zone, UTC assumed"},
		{"Tue, 10 Jan 2023 10:00:00 +0100 garbage", time.Date(2023, 1, 10, 10, 0, 0, 0, z(1, 0)), "unreadable words ignored"},
	}
	for _, tt := range tests {
		got, note, ok := parseDate(tt.in)
		if !ok || !got.Equal(tt.want) || note != tt.note {
			t.Errorf("parseDate(%q) = %v, %q, %v; want %v, %q", tt.in, got, note, ok, tt.want, tt.note)
		}
		if _, off := got.Zone(); ok {
			if _, wantOff := tt.want.Zone(); off != wantOff {
				t.Errorf("parseDate(%q) offset %d, want %d", tt.in, off, wantOff)
			}
		}
	}
	for _, bad := range []string{"", "yesterday", "31 Feb 2023 10:00 +0000", "10 Foo 2023", "Tue, 10 Jan 2023 25:00:00 +0000"} {
		if got, _, ok := parseDate(bad); ok {
			t.Errorf("parseDate(%q) = %v, want failure", bad, got)
		}
	}
}

func TestMsgIDs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"<a@b>", []string{"<a@b>"}},
		{"<a@b> (comment) <c@d>", []string{"<a@b>", "<c@d>"}},
		{"a@b", []string{"<a@b>"}},
		{"<a@\r\n b>", []string{"<a@b>"}},
		{"<unterminated@x", []string{"<unterminated@x>"}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := msgIDs(tt.in); !cmp.Equal(got, tt.want) {
			t.Errorf("msgIDs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestImportance(t *testing.T) {
	tests := []struct{ header, want string }{
		{"", "normal"},
		{"Importance: high", "high"},
		{"Importance: bogus\r\nX-Priority: 5 (Lowest)", "low"},
		{"X-Priority: 2", "high"},
		{"X-Priority: 3", "normal"},
		{"Priority: urgent", "high"},
		{"Priority: non-urgent", "low"},
		{"X-MSMail-Priority: High", "high"},
	}
	for _, tt := range tests {
		h, err := readHeader(bufio.NewReader(strings.NewReader(tt.header+"\r\n\r\n")), 1024, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		if got := importance(h); got != tt.want {
			t.Errorf("importance(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestSplitter(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		preamble string
		parts    []string
		state    int
		epilogue string
	}{
		{"simple", "pre\r\n--b\r\nA\r\n--b\r\nB\r\n--b--\r\nepi", "pre", []string{"A", "B"}, spClosed, "epi"},
		{"first line is the delimiter", "--b\r\nA\r\n--b--", "", []string{"A"}, spClosed, ""},
		{"LF", "--b\nA\nA2\n--b--\n", "", []string{"A\nA2"}, spClosed, ""},
		{"not a delimiter", "--b\r\n--bb\r\n --b\r\nx--b\r\n--b--", "", []string{"--bb\r\n --b\r\nx--b"}, spClosed, ""},
		{"no close", "--b\r\nA\r\n", "", []string{"A\r\n"}, spEOF, ""},
		{"empty part", "--b\r\n--b\r\nB\r\n--b--", "", []string{"", "B"}, spClosed, ""},
		{"padding after delimiters", "--b \t\r\nA\r\n--b-- \r\n", "", []string{"A"}, spClosed, ""},
		{"none", "text only\r\n", "text only\r\n", nil, spEOF, ""},
		{"long line", "--b\r\n" + strings.Repeat("y", 100000) + "\r\n--b--", "", []string{strings.Repeat("y", 100000)}, spClosed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				s := newSplitter(r, "b")
				var pre strings.Builder
				if _, err := s.preamble(&pre); err != nil {
					t.Fatal(err)
				}
				var parts []string
				for {
					ok, err := s.next()
					if err != nil {
						t.Fatal(err)
					}
					if !ok {
						break
					}
					b, _ := io.ReadAll(s)
					parts = append(parts, string(b))
				}
				var epi strings.Builder
				if s.state == spClosed {
					s.epilogue(&epi)
				}
				if pre.String() != tt.preamble || !cmp.Equal(parts, tt.parts) || s.state != tt.state || epi.String() != tt.epilogue {
					t.Errorf("got preamble %.40q, parts %.40q, state %d, epilogue %q", pre.String(), parts, s.state, epi.String())
				}
			}
		})
	}
}

func TestSanitizeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{`C:\Users\me\report.pdf`, "report.pdf"},
		{"../../etc/passwd", "passwd"},
		{"bell\x07.txt", "bell.txt"},
		{"..", ""},
		{"  ", ""},
		{strings.Repeat("é", 200) + ".pdf", strings.Repeat("é", 125) + ".pdf"},
	}
	for _, tt := range tests {
		if got := sanitizeName(tt.in); got != tt.want {
			t.Errorf("sanitizeName(%.30q) = %.30q, want %.30q", tt.in, got, tt.want)
		}
	}
}

// TestReceivedDate: the newest (topmost) Received field whose date, after
// its last ";", parses; comments dropped first; fields without a readable
// date passed over.
func TestReceivedDate(t *testing.T) {
	z := func(h int) *time.Location { return time.FixedZone("", h*3600) }
	tests := []struct {
		name   string
		values []string
		want   time.Time
		ok     bool
	}{
		{"none", nil, time.Time{}, false},
		{"one", []string{"from a.example (a.example [192.0.2.1]) by mx.example with ESMTP id 1; Tue, 1 Jul 2003 10:52:37 +0200"},
			time.Date(2003, 7, 1, 10, 52, 37, 0, z(2)), true},
		{"the topmost is the newest", []string{
			"by mx.example; Wed, 2 Jul 2003 08:00:00 +0000",
			"by relay.example; Tue, 1 Jul 2003 10:52:37 +0200"},
			time.Date(2003, 7, 2, 8, 0, 0, 0, time.UTC), true},
		{"folded (unfolded by the parser) with a zone comment", []string{"from a.example\r\n\tby mx.example;\r\n\tTue, 1 Jul 2003 10:52:37 +0200 (CEST)"},
			time.Date(2003, 7, 1, 10, 52, 37, 0, z(2)), true},
		{"a ';' inside a comment", []string{"from a (helo=x; y) by mx.example (Postfix; z) ; Tue, 1 Jul 2003 10:52:37 -0500 (EST; really)"},
			time.Date(2003, 7, 1, 10, 52, 37, 0, z(-5)), true},
		{"nested comment with an escaped paren", []string{`by mx (a (b\) c; d) e); 3 Jan 2010 01:02:03 +0000`},
			time.Date(2010, 1, 3, 1, 2, 3, 0, time.UTC), true},
		{"a bad date passed over for the next", []string{
			"by mx.example; yesterday at noon",
			"by relay.example; Tue, 1 Jul 2003 10:52:37 +0200"},
			time.Date(2003, 7, 1, 10, 52, 37, 0, z(2)), true},
		{"no ';' passed over", []string{"from a by b with SMTP", "by c; 1 Jul 2003 10:00:00 +0000"},
			time.Date(2003, 7, 1, 10, 0, 0, 0, time.UTC), true},
		{"only bad ones", []string{"by mx; not a date", "from x", ""}, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ReceivedDate(tt.values)
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("ReceivedDate() = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestParseReceived: Parse reads the received date from the top header's
// Received fields (folded), never from a part's.
func TestParseReceived(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want time.Time
	}{
		{"folded Received", "Received: from a.example\r\n by mx.example with ESMTP;\r\n Tue, 1 Jul 2003 10:52:37 +0000\r\nReceived: by relay; 1 Jan 2000 00:00:00 +0000\r\nDate: Mon, 30 Jun 2003 00:00:00 +0000\r\nSubject: x\r\n\r\nbody\r\n",
			time.Date(2003, 7, 1, 10, 52, 37, 0, time.UTC)},
		{"no Received", "Date: Mon, 30 Jun 2003 00:00:00 +0000\r\nSubject: x\r\n\r\nbody\r\n", time.Time{}},
		{"Received in a part only", "Date: Mon, 30 Jun 2003 00:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nReceived: by x; 1 Jan 2001 00:00:00 +0000\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(t, tt.msg, nil)
			if !m.Received.Equal(tt.want) {
				t.Errorf("Received = %v, want %v", m.Received, tt.want)
			}
		})
	}
}
