package source

import (
	"encoding/base64"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// IMAP's modified UTF-7 (RFC 3501 section 5.1.3): printable US-ASCII
// stands for itself except "&", written "&-"; other characters are UTF-16,
// in base64 with "," for "/", between "&" and "-". Thunderbird names the
// keyword of a tag it creates this way (its key is the tag name, lower-case,
// in modified UTF-7).

// mutf7Encoding is modified base64, without padding. A function, not a
// package variable, so the package holds no mutable state.
func mutf7Encoding() *base64.Encoding {
	return base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding).Strict()
}

// DecodeMUTF7 decodes s from modified UTF-7 (IMAP keywords, and folder
// names as Dovecot and Courier store Maildir folders on disk). It reports false, and s is to
// be taken as it is, unless s is in the canonical form an encoder produces:
// only printable ASCII, every "&" opening a well-formed section, no section
// encoding a printable ASCII character, no two sections in a row, no lone
// surrogates. A keyword such as "R&D" is therefore kept as written.
func DecodeMUTF7(s string) (string, bool) {
	if !strings.Contains(s, "&") {
		return s, false
	}
	enc := mutf7Encoding()
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return s, false
		}
		if c != '&' {
			b.WriteByte(c)
			i++
			continue
		}
		j := strings.IndexByte(s[i+1:], '-')
		if j < 0 {
			return s, false
		}
		sec := s[i+1 : i+1+j]
		i += j + 2
		if sec == "" {
			b.WriteByte('&')
			continue
		}
		raw, err := enc.DecodeString(sec)
		if err != nil || len(raw)%2 != 0 {
			return s, false
		}
		units := make([]uint16, len(raw)/2)
		for k := range units {
			units[k] = uint16(raw[2*k])<<8 | uint16(raw[2*k+1])
		}
		for k := 0; k < len(units); k++ {
			u := units[k]
			switch {
			case u >= 0xd800 && u < 0xdc00:
				if k+1 >= len(units) || units[k+1] < 0xdc00 || units[k+1] >= 0xe000 {
					return s, false
				}
				b.WriteRune(utf16.DecodeRune(rune(u), rune(units[k+1])))
				k++
			case u >= 0xdc00 && u < 0xe000:
				return s, false
			case u >= 0x20 && u <= 0x7e:
				return s, false // printable ASCII must stand for itself
			default:
				b.WriteRune(rune(u))
			}
		}
	}
	out := b.String()
	if EncodeMUTF7(out) != s {
		return s, false
	}
	return out, true
}

// EncodeMUTF7 encodes s (valid UTF-8) in modified UTF-7.
func EncodeMUTF7(s string) string {
	enc := mutf7Encoding()
	var b strings.Builder
	var pending []uint16
	flush := func() {
		if len(pending) == 0 {
			return
		}
		raw := make([]byte, 2*len(pending))
		for k, u := range pending {
			raw[2*k], raw[2*k+1] = byte(u>>8), byte(u)
		}
		b.WriteByte('&')
		b.WriteString(enc.EncodeToString(raw))
		b.WriteByte('-')
		pending = pending[:0]
	}
	for _, r := range s {
		if r >= 0x20 && r <= 0x7e {
			flush()
			if r == '&' {
				b.WriteString("&-")
			} else {
				b.WriteRune(r)
			}
			continue
		}
		if r == utf8.RuneError {
			r = '\uFFFD'
		}
		pending = utf16.AppendRune(pending, r)
	}
	flush()
	return b.String()
}
