package message

import (
	"strings"
	"unicode/utf8"
)

// maxWordText bounds the encoded text of one encoded word.
const maxWordText = 2000

// encodedWord is one RFC 2047 encoded word found in a header value.
type encodedWord struct {
	start, end int // byte offsets in the value
	charset    string
	data       []byte // decoded from B or Q, still in charset
}

// parseWord parses an encoded word starting at s[i:] ("=?"), leniently:
// the encoding may be lower case and Q text may contain spaces (some
// mailers write them unencoded). It returns false if there is none.
func parseWord(s string, i int) (encodedWord, bool) {
	rest := s[i+2:]
	q1 := strings.IndexByte(rest, '?')
	if q1 <= 0 || q1 > 75 || strings.ContainsAny(rest[:q1], " \t\r\n\"()<>") {
		return encodedWord{}, false
	}
	if len(rest) < q1+3 || rest[q1+2] != '?' {
		return encodedWord{}, false
	}
	enc := rest[q1+1]
	text := rest[q1+3:]
	// RFC 2047 allows 75 characters per word; allow more, but bound the
	// search so that a long value full of "=?" stays linear.
	text = text[:min(len(text), maxWordText)]
	q2 := strings.Index(text, "?=")
	if q2 < 0 {
		return encodedWord{}, false
	}
	text = text[:q2]
	w := encodedWord{start: i, end: i + 2 + q1 + 3 + q2 + 2, charset: rest[:q1]}
	switch enc {
	case 'B', 'b':
		if strings.ContainsAny(text, " \t") {
			return encodedWord{}, false
		}
		var d b64Decoder
		w.data = d.flush(d.decode(nil, []byte(text)))
	case 'Q', 'q':
		w.data = make([]byte, 0, len(text))
		for j := 0; j < len(text); j++ {
			c := text[j]
			switch {
			case c == '_':
				w.data = append(w.data, ' ')
			case c == '=' && j+2 < len(text):
				hi, ok1 := unhex(text[j+1])
				lo, ok2 := unhex(text[j+2])
				if ok1 && ok2 {
					w.data = append(w.data, hi<<4|lo)
					j += 2
				} else {
					w.data = append(w.data, c)
				}
			default:
				w.data = append(w.data, c)
			}
		}
	default:
		return encodedWord{}, false
	}
	return w, true
}

// decodeWords decodes the RFC 2047 encoded words in s. White space between
// two encoded words is dropped (RFC 2047 section 6.2), and adjacent words in
// the same charset are joined before decoding, so a character split across
// two words (a common encoder bug) survives. The second result describes
// charset defects, or is "".
func decodeWords(s string) (string, string) {
	if !strings.Contains(s, "=?") {
		return s, ""
	}
	var b strings.Builder
	b.Grow(len(s))
	var problems []string
	var pend []byte
	pendCS := ""
	flush := func() {
		if pend == nil {
			return
		}
		text, p := lookupCharset(pendCS).decodeBytes(pend)
		b.WriteString(text)
		if p != "" {
			problems = append(problems, p)
		}
		pend, pendCS = nil, ""
	}
	last := 0      // end of the text already handled
	lastWord := -1 // end of the previous encoded word, if it ended at last
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "=?")
		if j < 0 {
			break
		}
		j += i
		w, ok := parseWord(s, j)
		if !ok {
			i = j + 2
			continue
		}
		gap := s[last:w.start]
		if lastWord == last && strings.Trim(gap, " \t\r\n") == "" {
			gap = ""
		}
		if gap != "" {
			flush()
			b.WriteString(gap)
		}
		if pend != nil && !strings.EqualFold(pendCS, w.charset) {
			flush()
		}
		if pend == nil {
			pend = []byte{}
		}
		pendCS = w.charset
		pend = append(pend, w.data...)
		last, lastWord = w.end, w.end
		i = w.end
	}
	flush()
	b.WriteString(s[last:])
	return b.String(), strings.Join(problems, "; ")
}

// cleanText removes control characters from text taken from a header: tabs
// become spaces, other C0 controls, DEL and U+FFFE/U+FFFF are dropped.
func cleanText(s string) string {
	clean := true
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffe || r == 0xffff {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || r == 0xfffe || r == 0xffff:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// headerString decodes a header value meant for display: encoded words,
// then control characters. The second result describes defects, or is "".
func headerString(v string) (string, string) {
	s, p := decodeWords(v)
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	return strings.TrimSpace(cleanText(s)), p
}
