package message

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	gmcharset "github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/transform"
)

// charsetKind says how text in a charset is decoded.
type charsetKind int

const (
	csNone    charsetKind = iota // no label: UTF-8 if it is, else windows-1252
	csASCII                      // us-ascii: as csNone, but 8-bit bytes are a defect
	csUTF8                       // utf-8: as csNone, but windows-1252 is a defect
	csSingle                     // a single-byte charset: itself, unless the text is UTF-8
	csOther                      // a multi-byte charset decoded by golang.org/x/text
	csGoMsg                      // known to go-message's IANA table only
	csUnknown                    // unknown label: as csNone, and a defect
)

// charset is a resolved charset label.
type charset struct {
	label string // as written, lower case
	name  string // canonical name, for messages
	kind  charsetKind
	enc   encoding.Encoding // csOther
	cm    *charmap.Charmap  // csSingle
}

// lookupCharset resolves a charset label. Labels are resolved first by the
// WHATWG Encoding Standard (golang.org/x/text/encoding/htmlindex), which is
// what mail clients and browsers do in practice: iso-8859-1 means
// windows-1252, gb2312 means gbk, ks_c_5601-1987 means euc-kr. Labels it does
// not know go to go-message's IANA table (github.com/emersion/go-message/charset).
func lookupCharset(label string) charset {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), "\"' "))
	if i := strings.IndexByte(l, '*'); i >= 0 { // RFC 2231 section 5 language suffix
		l = l[:i]
	}
	cs := charset{label: l, name: l}
	switch l {
	case "":
		cs.kind = csNone
		return cs
	case "us-ascii", "ascii", "us_ascii", "ansi_x3.4-1968", "iso646-us", "iso-ir-6", "cp367", "ibm367", "646", "default":
		cs.kind, cs.name = csASCII, "us-ascii"
		return cs
	case "unknown-8bit", "x-unknown", "unknown", "8bit", "x-user-defined-8bit":
		cs.kind = csUnknown
		return cs
	}
	if enc, err := htmlindex.Get(l); err == nil && enc != encoding.Replacement {
		name, _ := htmlindex.Name(enc)
		cs.name = name
		switch e := enc.(type) {
		case *charmap.Charmap:
			cs.kind, cs.cm = csSingle, e
		default:
			if name == "utf-8" {
				cs.kind = csUTF8
			} else {
				cs.kind, cs.enc = csOther, enc
			}
		}
		return cs
	}
	if _, err := gmcharset.Reader(l, strings.NewReader("")); err == nil {
		cs.kind = csGoMsg
		return cs
	}
	cs.kind = csUnknown
	return cs
}

// textReader returns a reader of r decoded from cs to UTF-8, and the
// adaptive decoder in use, if any, whose outcome the caller reports.
func (cs charset) textReader(r io.Reader) (io.Reader, *adaptiveDecoder) {
	switch cs.kind {
	case csOther:
		return transform.NewReader(r, cs.enc.NewDecoder()), nil
	case csGoMsg:
		if gr, err := gmcharset.Reader(cs.label, r); err == nil {
			return gr, nil
		}
	}
	d := &adaptiveDecoder{fallback: charmap.Windows1252}
	if cs.kind == csSingle {
		d.fallback = cs.cm
	}
	return newDecodeReader(r, d), d
}

// decodeBytes converts b from cs to UTF-8, for header values. The string is
// empty when there is nothing to report.
func (cs charset) decodeBytes(b []byte) (string, string) {
	r, d := cs.textReader(bytes.NewReader(b))
	out, err := io.ReadAll(r)
	if err != nil { // a decoder of golang.org/x/text gave up: fall back
		cs.kind = csUnknown
		r, d = cs.textReader(bytes.NewReader(b))
		out, _ = io.ReadAll(r)
	}
	return strings.ToValidUTF8(string(out), "\uFFFD"), cs.outcome(d)
}

// outcome describes a defect found while decoding text in cs, or "".
func (cs charset) outcome(d *adaptiveDecoder) string {
	var msg string
	if d == nil {
		return ""
	}
	fb := "windows-1252"
	if cs.kind == csSingle {
		fb = cs.name
	}
	switch cs.kind {
	case csNone:
		if d.mode == modeFallback {
			msg = "8-bit text without a charset, decoded as " + fb
		}
	case csASCII:
		switch d.mode {
		case modeFallback:
			msg = "text declared us-ascii has 8-bit bytes, decoded as " + fb
		case modeUTF8:
			msg = "text declared us-ascii is UTF-8, decoded as UTF-8"
		}
	case csUTF8:
		if d.mode == modeFallback {
			msg = "text declared utf-8 is not UTF-8, decoded as " + fb
		}
	case csSingle:
		if d.mode == modeUTF8 {
			msg = fmt.Sprintf("text declared %s is UTF-8, decoded as UTF-8", cs.label)
		}
	case csUnknown, csGoMsg:
		as := "UTF-8"
		if d.mode == modeFallback {
			as = fb
		}
		msg = fmt.Sprintf("unknown charset %q, decoded as %s", cs.label, as)
	}
	if d.replaced > 0 {
		if msg != "" {
			msg += "; "
		}
		msg += fmt.Sprintf("%d invalid UTF-8 sequences replaced with U+FFFD", d.replaced)
	}
	return msg
}

const (
	modeUndecided = iota
	modeUTF8
	modeFallback
)

// adaptiveDecoder decodes text that is UTF-8 or a single-byte charset: the
// first byte sequence beyond ASCII decides. If it is valid UTF-8 the text is
// UTF-8 and later invalid sequences become U+FFFD; otherwise the whole text
// is decoded with the fallback charset. NUL bytes are dropped.
type adaptiveDecoder struct {
	fallback *charmap.Charmap
	mode     int
	replaced int64
	pend     [utf8.UTFMax]byte
	npend    int
	carry    []byte
}

func (d *adaptiveDecoder) decode(dst, src []byte) []byte {
	if d.npend > 0 {
		d.carry = append(append(d.carry[:0], d.pend[:d.npend]...), src...)
		src, d.npend = d.carry, 0
	}
	return d.run(dst, src, false)
}

func (d *adaptiveDecoder) flush(dst []byte) []byte {
	p := d.pend
	n := d.npend
	d.npend = 0
	return d.run(dst, p[:n], true)
}

func (d *adaptiveDecoder) run(dst, src []byte, atEOF bool) []byte {
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			if c != 0 {
				dst = append(dst, c)
			}
			i++
			continue
		}
		if d.mode == modeFallback {
			dst = utf8.AppendRune(dst, d.fallback.DecodeByte(c))
			i++
			continue
		}
		if !atEOF && !utf8.FullRune(src[i:]) {
			d.npend = copy(d.pend[:], src[i:])
			break
		}
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size <= 1 {
			if d.mode == modeUndecided {
				d.mode = modeFallback
				continue // decode this byte again
			}
			dst = append(dst, "\uFFFD"...)
			d.replaced++
			i++
			continue
		}
		d.mode = modeUTF8
		dst = append(dst, src[i:i+size]...)
		i += size
	}
	return dst
}

// headerText returns a header value as UTF-8. Valid UTF-8 is kept (RFC
// 6532); otherwise each byte sequence that is valid UTF-8 is kept and every
// other byte is decoded as windows-1252, since headers written by different
// hops can mix both. ok is false in the second case.
func headerText(b []byte) (s string, ok bool) {
	if utf8.Valid(b) {
		return string(b), true
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			out = append(out, c)
			i++
			continue
		}
		if r, size := utf8.DecodeRune(b[i:]); r != utf8.RuneError || size > 1 {
			out = append(out, b[i:i+size]...)
			i += size
			continue
		}
		out = utf8.AppendRune(out, charmap.Windows1252.DecodeByte(c))
		i++
	}
	return string(out), false
}
