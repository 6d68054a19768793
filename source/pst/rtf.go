package pst

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// De-encapsulation of the HTML or plain text that Outlook keeps inside an
// RTF body, as [MS-OXRTFEX] "Rich Text Format (RTF) Extensions Algorithm"
// describes it (https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxrtfex/):
//
//   - recognising (section 2.2.3.1, which the extraction page names):
//     among the first 10 tokens of the document
//     (group starts and control words), \fromhtml1 says the RTF
//     encapsulates HTML and \fromtext that it was made from plain text;
//     with neither, there is nothing to de-encapsulate;
//   - extracting HTML (page 906fbb0f, "Extracting Encapsulated HTML from
//     RTF"): the CONTENT of each {\*\htmltagN ...} destination group is
//     copied, its parameter N (the HTMLTagParameter flags) ignored; text
//     outside those groups is copied unless it is inside \htmlrtf ...
//     \htmlrtf0 (RTF-only rendering; page c2e2d599, "HTMLRTF Control
//     Word": the state is carried into groups and restored when they
//     end); other destinations (font and colour
//     tables, {\*\...} groups, pictures) are skipped; RTF escapes become
//     the characters they stand for: \{ \} \\, \'hh bytes in the code
//     page of the current font (\fN with \fcharsetN in the font table),
//     else the document's \ansicpgN, \uN as Unicode (skipping the \ucN
//     fallback characters that follow), \par and \line as CRLF, \tab as a
//     tab;
//   - extracting text from \fromtext RTF is the same walk: the text
//     outside destinations and \htmlrtf runs.
//
// {\*\mhtmltagN ...} groups (the same tag with URLs rewritten for MHTML)
// are skipped: the \htmltag group that follows each holds the original.

// rtfBody sets c's body from an RTF-only message's decompressed RTF: the
// HTML or text it encapsulates when there is one, else the RTF itself,
// attached as body.rtf by writeMessage.
func rtfBody(c *content, rtf []byte) {
	switch kind, s := deencapsulateRTF(rtf); kind {
	case rtfHTML:
		c.html = []byte(s)
	case rtfText:
		c.text = s
	default:
		c.rtf = rtf
	}
}

// rtfKind is what an RTF body encapsulates.
type rtfKind int

// The kinds deencapsulateRTF tells apart.
const (
	rtfNone rtfKind = iota // plain RTF, or not readable: keep the RTF
	rtfHTML                // \fromhtml1: the HTML is recovered
	rtfText                // \fromtext: the text is recovered
)

// maxRTFDepth bounds group nesting; deeper RTF is not de-encapsulated.
const maxRTFDepth = 512

// rtfDestinations are the control words that begin a destination group
// whose text is not part of the document's text ([MSFT-RTF]); {\*\...}
// groups other than \htmltag are skipped too.
var rtfDestinations = map[string]bool{
	"fonttbl": true, "colortbl": true, "stylesheet": true, "info": true, "pict": true,
	"object": true, "objdata": true, "header": true, "headerl": true, "headerr": true,
	"headerf": true, "footer": true, "footerl": true, "footerr": true, "footerf": true,
	"footnote": true, "listtable": true, "listoverridetable": true, "revtbl": true,
	"rsidtbl": true, "generator": true, "xmlnstbl": true, "fldinst": true, "themedata": true,
	"colorschememapping": true, "latentstyles": true, "datastore": true, "filetbl": true,
	"pgdsctbl": true, "mmathPr": true, "userprops": true, "title": true, "author": true,
}

// rtfChars are control words that stand for one character.
var rtfChars = map[string]string{
	"par": "\r\n", "line": "\r\n", "tab": "\t", "lquote": "\u2018", "rquote": "\u2019",
	"ldblquote": "\u201c", "rdblquote": "\u201d", "bullet": "\u2022", "endash": "\u2013",
	"emdash": "\u2014", "emspace": "\u2003", "enspace": "\u2002", "qmspace": "\u2005",
}

// fontCodepages maps \fcharsetN to a Windows code page ([MSFT-RTF], "Font
// table"); 0 (ANSI) and 1 (default) use the document's \ansicpgN.
var fontCodepages = map[int]int{
	77: 10000, 128: 932, 129: 949, 130: 1361, 134: 936, 136: 950, 161: 1253, 162: 1254,
	163: 1258, 177: 1255, 178: 1256, 186: 1257, 204: 1251, 222: 874, 238: 1250, 254: 437,
}

// rtfGroup is the state a group gives its text; a group's end restores
// the state of the group around it.
type rtfGroup struct {
	skip    bool // a destination whose text is not output
	fonttbl bool // inside the font table
	htmltag bool // inside an \htmltag group
	htmlrtf bool // inside \htmlrtf ... \htmlrtf0
	uc      int  // fallback characters after \uN
	font    int  // current \fN
}

// deencapsulateRTF returns what rtf encapsulates, as UTF-8: HTML for
// \fromhtml1 RTF, text for \fromtext RTF; rtfNone (and "") for other RTF,
// RTF that cannot be walked, or an empty result.
func deencapsulateRTF(rtf []byte) (rtfKind, string) {
	kind := rtfKindOf(rtf)
	if kind == rtfNone {
		return rtfNone, ""
	}
	var out strings.Builder
	var pending []byte // \'hh and 8-bit bytes, decoded together (multi-byte code pages)
	ansicpg := 1252
	fontCP := map[int]int{}
	st := rtfGroup{uc: 1}
	var stack []rtfGroup
	first := false // the next control word is the group's first
	star := false  // the group began with \*
	skipFallback := 0
	curFont := -1 // the font being defined in the font table
	codepage := func() int {
		if cp, ok := fontCP[st.font]; ok {
			return cp
		}
		return ansicpg
	}
	emitting := func() bool { return !st.skip && (st.htmltag || !st.htmlrtf) }
	flush := func() {
		if len(pending) > 0 {
			out.WriteString(decode8(pending, codepage()))
			pending = pending[:0]
		}
	}
	emit := func(s string) {
		flush()
		if emitting() {
			out.WriteString(s)
		}
	}
	for i := 0; i < len(rtf); {
		c := rtf[i]
		switch c {
		case '{':
			flush()
			if len(stack) >= maxRTFDepth {
				return rtfNone, ""
			}
			stack = append(stack, st)
			first, star = true, false
			i++
			continue
		case '}':
			flush()
			if len(stack) == 0 {
				i = len(rtf) // the document's end
				continue
			}
			st, stack = stack[len(stack)-1], stack[:len(stack)-1]
			first, star = false, false
			i++
			continue
		case '\r', '\n':
			i++
			continue
		case '\\':
		default:
			first = false
			if skipFallback > 0 {
				skipFallback--
			} else if emitting() {
				pending = append(pending, c)
			}
			i++
			continue
		}
		// A control word or symbol.
		if i+1 >= len(rtf) {
			break
		}
		n := rtf[i+1]
		if !isASCIILetter(n) {
			i += 2
			switch n {
			case '*':
				star = true
				continue
			case '\'':
				if i+2 <= len(rtf) {
					if b, err := strconv.ParseUint(string(rtf[i:i+2]), 16, 8); err == nil {
						i += 2
						if skipFallback > 0 {
							skipFallback--
						} else if emitting() {
							pending = append(pending, byte(b))
						}
						continue
					}
				}
				continue
			case '{', '}', '\\':
				if skipFallback > 0 {
					skipFallback--
				} else {
					emit(string(n))
				}
			case '~':
				emit("\u00a0")
			case '_':
				emit("\u2011")
			case '\r', '\n':
				emit("\r\n") // \<newline> is \par
			}
			first = false
			continue
		}
		// \word, an optional signed number, an optional space.
		j := i + 1
		for j < len(rtf) && isASCIILetter(rtf[j]) {
			j++
		}
		word := string(rtf[i+1 : j])
		k := j
		if k < len(rtf) && rtf[k] == '-' {
			k++
		}
		for k < len(rtf) && rtf[k] >= '0' && rtf[k] <= '9' {
			k++
		}
		param, hasParam := 0, false
		if k > j && !(k == j+1 && rtf[j] == '-') {
			param, _ = strconv.Atoi(string(rtf[j:k]))
			hasParam = true
		}
		if k < len(rtf) && rtf[k] == ' ' {
			k++
		}
		i = k
		wasFirst := first
		first = false
		if word != "u" && word != "bin" {
			flush()
		}
		if wasFirst {
			switch {
			case star && word == "htmltag":
				st.htmltag, st.htmlrtf = true, false
				continue
			case star, rtfDestinations[word]:
				st.skip = true
				if word == "fonttbl" {
					st.fonttbl, curFont = true, -1
				}
				continue
			}
		}
		switch word {
		case "bin":
			if hasParam && param > 0 {
				i = min(i+param, len(rtf))
			}
		case "ansicpg":
			if hasParam && param > 0 {
				ansicpg = param
			}
		case "f":
			if st.fonttbl {
				curFont = param
			} else {
				st.font = param
			}
		case "fcharset":
			if st.fonttbl && curFont >= 0 {
				if cp, ok := fontCodepages[param]; ok {
					fontCP[curFont] = cp
				}
			}
		case "htmlrtf":
			st.htmlrtf = !hasParam || param != 0
		case "uc":
			if hasParam && param >= 0 {
				st.uc = param
			}
		case "u":
			r := rune(param)
			if r < 0 {
				r += 65536
			}
			flush()
			if skipFallback == 0 && emitting() && utf8.ValidRune(r) {
				out.WriteRune(r)
			}
			skipFallback = st.uc // the fallback of this \uN (a \uN inside another's is dropped)
		default:
			if s, ok := rtfChars[word]; ok {
				if skipFallback > 0 {
					skipFallback--
				} else {
					emit(s)
				}
			}
		}
	}
	flush()
	s := out.String()
	if strings.TrimSpace(s) == "" {
		return rtfNone, ""
	}
	return kind, s
}

// rtfKindOf looks for \fromhtml1 or \fromtext among the first 10 tokens
// (group starts and control words) of rtf ([MS-OXRTFEX] 2.2.3.1).
func rtfKindOf(rtf []byte) rtfKind {
	if !bytes.HasPrefix(rtf, []byte(`{\rtf`)) {
		return rtfNone
	}
	tokens := 0
	for i := 0; i < len(rtf) && tokens < 10; i++ {
		switch rtf[i] {
		case '{':
			tokens++
		case '\\':
			j := i + 1
			for j < len(rtf) && isASCIILetter(rtf[j]) {
				j++
			}
			if j == i+1 { // a control symbol: not a token of this count
				i++
				continue
			}
			k := j
			for k < len(rtf) && (rtf[k] == '-' || rtf[k] >= '0' && rtf[k] <= '9') {
				k++
			}
			tokens++
			switch word, param := string(rtf[i+1:j]), string(rtf[j:k]); {
			case word == "fromhtml" && param == "1":
				return rtfHTML
			case word == "fromtext":
				return rtfText
			}
			i = k - 1
		}
	}
	return rtfNone
}

// isASCIILetter reports whether c is a letter of a control word.
func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
