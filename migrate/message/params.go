package message

import (
	"sort"
	"strconv"
	"strings"
)

// mediaType is a parsed Content-Type or Content-Disposition value.
type mediaType struct {
	value  string            // "type/subtype" or disposition type, lower case
	params map[string]string // lower-case names, decoded values
	bad    bool              // the value was malformed (params are best effort)
}

// rfc2231Piece is one section of a parameter split by RFC 2231.
type rfc2231Piece struct {
	index   int
	value   string
	encoded bool
}

// parseMediaType parses a Content-Type or Content-Disposition value
// leniently. mime.ParseMediaType drops every parameter when one is malformed
// and ignores RFC 2231 charsets other than UTF-8 and US-ASCII; mail in the
// wild has unquoted values with spaces, missing closing quotes, duplicate
// parameters and ISO-8859-1 in filename*=. So:
//
//   - values may be quoted strings (with \ escapes, and the closing quote may
//     be missing) or run to the next ';' (white space inside is kept);
//   - RFC 2231 continuations (name*0=, name*1*=) are joined in index order and
//     decoded with their charset; they win over a plain name= of the same name;
//   - RFC 2047 encoded words in values are decoded (not standard, but
//     Outlook and others write filename="=?UTF-8?B?...?=");
//   - the first of duplicate parameters wins.
func parseMediaType(s string) mediaType {
	mt := mediaType{params: map[string]string{}}
	v, rest, _ := strings.Cut(s, ";")
	mt.value = strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexAny(mt.value, " \t("); i >= 0 {
		mt.value, mt.bad = mt.value[:i], true
	}
	pieces := map[string][]rfc2231Piece{}
	for rest != "" {
		rest = strings.TrimLeft(rest, " \t\r\n;")
		if rest == "" {
			break
		}
		// name
		i := strings.IndexAny(rest, "=;")
		if i < 0 || rest[i] == ';' {
			mt.bad = true
			if i < 0 {
				break
			}
			rest = rest[i:]
			continue
		}
		name := strings.ToLower(strings.TrimSpace(rest[:i]))
		rest = strings.TrimLeft(rest[i+1:], " \t\r\n")
		// value
		var val string
		if strings.HasPrefix(rest, "\"") {
			var b strings.Builder
			j := 1
			closed := false
			for ; j < len(rest); j++ {
				c := rest[j]
				// A backslash escapes only '"' and '\': senders on Windows
				// write paths such as "C:\Users\me\a.doc" unescaped.
				if c == '\\' && j+1 < len(rest) && (rest[j+1] == '"' || rest[j+1] == '\\') {
					j++
					b.WriteByte(rest[j])
					continue
				}
				if c == '"' {
					closed = true
					j++
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				mt.bad = true
			}
			val = b.String()
			rest = rest[j:]
			// Junk after the closing quote, up to ';', is dropped.
			if k := strings.IndexByte(rest, ';'); k >= 0 {
				if strings.TrimSpace(rest[:k]) != "" {
					mt.bad = true
				}
				rest = rest[k:]
			} else {
				if strings.TrimSpace(rest) != "" {
					mt.bad = true
				}
				rest = ""
			}
		} else {
			k := strings.IndexByte(rest, ';')
			if k < 0 {
				k = len(rest)
			}
			val = strings.TrimSpace(rest[:k])
			rest = rest[k:]
		}
		if name == "" {
			mt.bad = true
			continue
		}
		if base, p, ok := split2231(name, val); ok {
			pieces[base] = append(pieces[base], p)
			continue
		}
		if _, dup := mt.params[name]; !dup {
			mt.params[name] = val
		}
	}
	for name, val := range mt.params {
		if strings.Contains(val, "=?") {
			mt.params[name], _ = decodeWords(val)
		}
	}
	for base, ps := range pieces {
		mt.params[base] = join2231(ps)
	}
	return mt
}

// split2231 recognizes an RFC 2231 parameter name: name*, name*N or name*N*.
func split2231(name, val string) (string, rfc2231Piece, bool) {
	base, sect, ok := strings.Cut(name, "*")
	if !ok || base == "" {
		return "", rfc2231Piece{}, false
	}
	p := rfc2231Piece{value: val}
	if sect == "" { // name*=charset'lang'value
		p.encoded = true
		return base, p, true
	}
	if strings.HasSuffix(sect, "*") {
		p.encoded = true
		sect = strings.TrimSuffix(sect, "*")
	}
	n, err := strconv.Atoi(sect)
	if err != nil || n < 0 || n > 999 {
		return "", rfc2231Piece{}, false
	}
	p.index = n
	return base, p, true
}

// join2231 joins RFC 2231 sections in index order and decodes them: encoded
// sections are percent-decoded into bytes, then the bytes are decoded with
// the charset named at the start of the first encoded section.
func join2231(ps []rfc2231Piece) string {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].index < ps[j].index })
	var raw []byte
	label := ""
	for i, p := range ps {
		if i > 0 && p.index == ps[i-1].index {
			continue // duplicate section: the first wins
		}
		v := p.value
		if p.encoded {
			if i == 0 {
				// charset'language'value; tolerate a missing language part.
				if cs, rest, ok := strings.Cut(v, "'"); ok {
					label = cs
					if _, after, ok := strings.Cut(rest, "'"); ok {
						v = after
					} else {
						v = rest
					}
				}
			}
			raw = append(raw, percentDecode(v)...)
		} else {
			raw = append(raw, v...)
		}
	}
	s, _ := lookupCharset(label).decodeBytes(raw)
	if strings.Contains(s, "=?") {
		s, _ = decodeWords(s)
	}
	return s
}

// percentDecode decodes %XX escapes; a malformed escape is kept as it is.
func percentDecode(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b = append(b, hi<<4|lo)
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return b
}
