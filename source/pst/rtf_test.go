package pst

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// outlookHTML is RTF as Outlook encapsulates an HTML body in it, in the
// manner of [MS-OXRTFEX]'s examples: the \fromhtml1 header, a font table
// with a Cyrillic font, the HTML's markup in \htmltag groups (an entity
// kept as markup, the RTF rendering of the text in \htmlrtf runs), text
// in the default and in the font's code page, a Unicode escape with its
// fallback, and an \mhtmltag group.
const outlookHTML = `{\rtf1\ansi\ansicpg1252\fromhtml1 \fbidis \deff0{\fonttbl
{\f0\fswiss\fcharset0 Arial;}
{\f1\fmodern Courier New;}
{\f2\fnil\fcharset204 Arial Cyr;}}
{\colortbl\red0\green0\blue0;\red0\green0\blue255;}
{\*\generator Microsoft Exchange Server;}
{\*\formatConverter converted from html;}
\viewkind5\viewscale100
{\*\bkmkstart BM_BEGIN}{\*\htmltag64}
\uc1\pard\plain\deftab360 \f0\fs24
{\*\htmltag19 <html>}{\*\htmltag34 <head>}
{\*\htmltag241 <style>}{\*\htmltag241 p \{ margin: 0 \}}{\*\htmltag241 </style>}
{\*\htmltag41 </head>}
{\*\htmltag50 <body>}\htmlrtf \lang1033 \ltrpar \htmlrtf0
{\*\htmltag64 <p>}\htmlrtf {\htmlrtf0 Caf\'e9 \u8364? 5{\*\htmltag84 &amp;}\htmlrtf &\htmlrtf0 \f2 \'cf\'f0\'e8\f0 
{\*\mhtmltag84 <a href="cid:x">}{\*\htmltag84 <a href="http://example.test/">}\htmlrtf {\field{\*\fldinst{HYPERLINK "http://example.test/"}}{\fldrslt\cf1\ul \htmlrtf0 link\htmlrtf }\htmlrtf0 \htmlrtf }\htmlrtf0 {\*\htmltag92 </a>}
\htmlrtf\par}\htmlrtf0
{\*\htmltag72 </p>}{\*\htmltag58 </body>}{\*\htmltag27 </html>}}`

func TestDeencapsulateRTF(t *testing.T) {
	for _, c := range []struct {
		name string
		rtf  string
		kind rtfKind
		want string
	}{
		{"Outlook HTML", outlookHTML, rtfHTML, `<html><head><style>p { margin: 0 }</style></head><body><p>Café € 5&amp;При<a href="http://example.test/">link</a></p></body></html>`},
		{"htmlrtf restored at a group's end", `{\rtf1\fromhtml1{\*\htmltag0 <b>}\htmlrtf {\htmlrtf0 x}y\htmlrtf0 z}`, rtfHTML, "<b>xz"},
		{"htmltag copied inside htmlrtf", `{\rtf1\fromhtml1\htmlrtf x{\*\htmltag0 <i>}y\htmlrtf0 z}`, rtfHTML, "<i>z"},
		{"escapes, tab and par", `{\rtf1\fromhtml1{\*\htmltag0 <pre>}a\{b\}c\\d\tab e\par f{\*\htmltag0 </pre>}}`, rtfHTML, "<pre>a{b}c\\d\te\r\nf</pre>"},
		{"par inside an htmltag", `{\rtf1\fromhtml1{\*\htmltag0 <p>\par }x}`, rtfHTML, "<p>\r\nx"},
		{"unicode fallbacks", `{\rtf1\fromhtml1{\*\htmltag0 <p>}\uc2\u8364\'80\'81 a\uc1\u-3?b}`, rtfHTML, "<p>€ a\ufffdb"},
		{"quotes and dashes", `{\rtf1\fromhtml1\lquote a\rquote \ldblquote b\rdblquote \endash\emdash\~}`, rtfHTML, "‘a’“b”–—\u00a0"},
		{"destinations skipped", `{\rtf1\fromhtml1{\*\generator Riched20;}{\info{\author x}}{\pict\wmetafile8 0102}{\*\mhtmltag84 <a href="cid:x">}{\*\htmltag84 <a href="x">}link{\*\htmltag0 </a>}}`, rtfHTML, `<a href="x">link</a>`},
		{"bin skipped", `{\rtf1\fromtext a\bin3 {}}b}`, rtfText, "ab"},
		{"fromtext", "{\\rtf1\\ansi\\ansicpg1252\\fromtext \\fbidis \\deff0{\\fonttbl\r\n{\\f0\\fswiss Arial;}}\r\n\\uc1\\pard\\plain\\f0\\fs20 Hello,\\par\r\nCaf\\'e9 \\u8364?\\par\r\n}", rtfText, "Hello,\r\nCafé €\r\n"},
		{"plain RTF", `{\rtf1\ansi\deff0{\fonttbl{\f0 Arial;}}\pard hello\par}`, rtfNone, ""},
		{"fromhtml after 10 tokens", `{\rtf1\ansi\a\b\c\d\e\f\g\h\i\fromhtml1 x}`, rtfNone, ""},
		{"fromhtml0", `{\rtf1\fromhtml0 x}`, rtfNone, ""},
		{"nothing encapsulated", `{\rtf1\fromhtml1{\*\htmltag64}}`, rtfNone, ""},
		{"not RTF", `<html>x</html>`, rtfNone, ""},
		{"too deep", `{\rtf1\fromtext ` + strings.Repeat("{", 600) + "x" + strings.Repeat("}", 601), rtfNone, ""},
		{"truncated", `{\rtf1\fromhtml1{\*\htmltag0 <p>}x\`, rtfHTML, "<p>x"},
	} {
		t.Run(c.name, func(t *testing.T) {
			kind, got := deencapsulateRTF([]byte(c.rtf))
			if kind != c.kind || got != c.want {
				t.Errorf("deencapsulateRTF() = %d, %q; want %d, %q", kind, got, c.kind, c.want)
			}
		})
	}
}

// TestRTFBody checks which body an RTF-only message gets: the HTML or
// the text its RTF encapsulates, else the RTF (attached as body.rtf).
func TestRTFBody(t *testing.T) {
	for _, c := range []struct {
		name, rtf       string
		text, html, raw string
	}{
		{"html", `{\rtf1\fromhtml1{\*\htmltag0 <p>}x}`, "", "<p>x", ""},
		{"text", `{\rtf1\fromtext x\par}`, "x\r\n", "", ""},
		{"plain", `{\rtf1 x}`, "", "", `{\rtf1 x}`},
	} {
		var got content
		rtfBody(&got, []byte(c.rtf))
		if got.text != c.text || string(got.html) != c.html || string(got.rtf) != c.raw {
			t.Errorf("%s: text %q, html %q, rtf %q; want %q, %q, %q", c.name, got.text, got.html, got.rtf, c.text, c.html, c.raw)
		}
	}
}

// FuzzDeencapsulateRTF checks that no RTF makes deencapsulateRTF panic
// or give invalid UTF-8.
func FuzzDeencapsulateRTF(f *testing.F) {
	f.Add([]byte(outlookHTML))
	f.Add([]byte(`{\rtf1\fromtext a\bin3 {}}b\'e`))
	f.Add([]byte(`{\rtf1\fromhtml1\uc5\u-`))
	f.Fuzz(func(t *testing.T, rtf []byte) {
		if _, s := deencapsulateRTF(rtf); !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8 %q", s)
		}
	})
}
