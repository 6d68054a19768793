package message

import (
	"io"
	"strings"
)

// A decoder turns a stream of bytes into another, one chunk at a time,
// keeping whatever state straddles chunk ends. It never fails: defects are
// counted and reported by the implementation.
type decoder interface {
	// decode appends the output for src to dst.
	decode(dst, src []byte) []byte
	// flush appends whatever is held back once the input has ended.
	flush(dst []byte) []byte
}

// decodeReader reads r through a decoder.
type decodeReader struct {
	r       io.Reader
	d       decoder
	in      []byte
	out     []byte
	pos     int
	err     error
	flushed bool
}

func newDecodeReader(r io.Reader, d decoder) *decodeReader {
	return &decodeReader{r: r, d: d, in: make([]byte, 32<<10)}
}

func (dr *decodeReader) Read(p []byte) (int, error) {
	for dr.pos == len(dr.out) {
		if dr.err != nil {
			if dr.err == io.EOF && !dr.flushed {
				dr.flushed = true
				dr.out, dr.pos = dr.d.flush(dr.out[:0]), 0
				continue
			}
			return 0, dr.err
		}
		n, err := dr.r.Read(dr.in)
		dr.out, dr.pos = dr.d.decode(dr.out[:0], dr.in[:n]), 0
		dr.err = err
	}
	n := copy(p, dr.out[dr.pos:])
	dr.pos += n
	return n, nil
}

// normalizeCTE maps a Content-Transfer-Encoding value to "base64",
// "quoted-printable", "" (identity: 7bit, 8bit, binary or absent) or the
// lower-case value when it is unknown.
func normalizeCTE(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexAny(v, " \t;("); i >= 0 {
		v = v[:i]
	}
	v = strings.Trim(v, "\"'")
	switch strings.NewReplacer("-", "", "_", "", " ", "").Replace(v) {
	case "base64":
		return "base64"
	case "quotedprintable", "qp":
		return "quoted-printable"
	case "7bit", "8bit", "binary", "", "none", "7bits", "8bits":
		return ""
	}
	return v
}

// b64Decoder decodes base64 leniently: whitespace is skipped, other
// characters outside the alphabet are skipped and counted, padding may be
// missing, and padding in the middle (concatenated encodings) restarts the
// decoder.
type b64Decoder struct {
	tab     *[256]byte // b64Value of every byte
	quad    [4]byte
	n       int
	invalid int64 // characters outside the alphabet, whitespace excluded
	lost    int64 // dangling single characters that could not make a byte
}

// b64Value returns the value of a character of the base64 alphabet of
// RFC 2045 section 6.8, or 0xFF.
func b64Value(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c - 'A'
	case 'a' <= c && c <= 'z':
		return c - 'a' + 26
	case '0' <= c && c <= '9':
		return c - '0' + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return 0xFF
}

func (d *b64Decoder) decode(dst, src []byte) []byte {
	if d.tab == nil {
		d.tab = new([256]byte)
		for i := range d.tab {
			d.tab[i] = b64Value(byte(i))
		}
	}
	t := d.tab
	for i := 0; i < len(src); i++ {
		// Fast path: whole quanta of alphabet characters.
		if d.n == 0 {
			for i+4 <= len(src) {
				a, b, c, e := t[src[i]], t[src[i+1]], t[src[i+2]], t[src[i+3]]
				if (a|b|c|e)&0xC0 != 0 {
					break
				}
				dst = append(dst, a<<2|b>>4, b<<4|c>>2, c<<6|e)
				i += 4
			}
			if i == len(src) {
				break
			}
		}
		c := src[i]
		v := t[c]
		if v != 0xFF {
			d.quad[d.n] = v
			d.n++
			if d.n == 4 {
				dst = append(dst, d.quad[0]<<2|d.quad[1]>>4, d.quad[1]<<4|d.quad[2]>>2, d.quad[2]<<6|d.quad[3])
				d.n = 0
			}
			continue
		}
		switch c {
		case '=':
			dst = d.partial(dst)
		case ' ', '\t', '\r', '\n', '\f', '\v':
		default:
			d.invalid++
		}
	}
	return dst
}

// partial emits the bytes of an incomplete quantum and starts a new one.
func (d *b64Decoder) partial(dst []byte) []byte {
	switch d.n {
	case 1:
		d.lost++
	case 2:
		dst = append(dst, d.quad[0]<<2|d.quad[1]>>4)
	case 3:
		dst = append(dst, d.quad[0]<<2|d.quad[1]>>4, d.quad[1]<<4|d.quad[2]>>2)
	}
	d.n = 0
	return dst
}

func (d *b64Decoder) flush(dst []byte) []byte { return d.partial(dst) }

// qpDecoder decodes quoted-printable leniently (RFC 2045 section 6.7 with the
// robustness it recommends): "=" not followed by two hex digits or a line
// break is kept literally and counted; lower-case hex is accepted; trailing
// white space on a line is dropped; lines may be of any length.
type qpDecoder struct {
	state   int
	hex1    byte
	ws      []byte // white space held back: trailing white space is dropped
	invalid int64
}

const (
	qpText  = iota
	qpEq    // after "="
	qpEqHex // after "=" and one hex digit
	qpEqWS  // after "=" and white space: a soft break with padding, or junk
	qpEqCR  // after "=" [white space] CR
)

// maxHeldWS bounds the white space a decoder holds back.
const maxHeldWS = 1024

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func (d *qpDecoder) decode(dst, src []byte) []byte {
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch d.state {
		case qpText:
			switch c {
			case '=':
				d.state = qpEq
			case ' ', '\t':
				if len(d.ws) >= maxHeldWS {
					dst = append(dst, d.ws...)
					d.ws = d.ws[:0]
				}
				d.ws = append(d.ws, c)
			case '\r', '\n':
				d.ws = d.ws[:0]
				dst = append(dst, c)
			default:
				if len(d.ws) > 0 {
					dst = append(dst, d.ws...)
					d.ws = d.ws[:0]
				}
				dst = append(dst, c)
			}
		case qpEq:
			if len(d.ws) > 0 {
				// White space before "=" is not trailing.
				dst = append(dst, d.ws...)
				d.ws = d.ws[:0]
			}
			switch {
			case c == '\n':
				d.state = qpText
			case c == '\r':
				d.state = qpEqCR
			case c == ' ' || c == '\t':
				d.state = qpEqWS
				d.ws = append(d.ws, c)
			default:
				if _, ok := unhex(c); ok {
					d.hex1, d.state = c, qpEqHex
				} else {
					d.invalid++
					dst = append(dst, '=')
					d.state = qpText
					i-- // reread c as text
				}
			}
		case qpEqHex:
			if lo, ok := unhex(c); ok {
				hi, _ := unhex(d.hex1)
				dst = append(dst, hi<<4|lo)
				d.state = qpText
			} else {
				d.invalid++
				dst = append(dst, '=', d.hex1)
				d.state = qpText
				i--
			}
		case qpEqWS:
			switch c {
			case ' ', '\t':
				if len(d.ws) < maxHeldWS {
					d.ws = append(d.ws, c)
				}
			case '\n':
				d.ws, d.state = d.ws[:0], qpText
			case '\r':
				d.ws, d.state = d.ws[:0], qpEqCR
			default:
				d.invalid++
				dst = append(dst, '=')
				dst = append(dst, d.ws...)
				d.ws, d.state = d.ws[:0], qpText
				i--
			}
		case qpEqCR:
			d.state = qpText
			if c != '\n' {
				i-- // a soft break ended by a bare CR
			}
		}
	}
	return dst
}

func (d *qpDecoder) flush(dst []byte) []byte {
	switch d.state {
	case qpEqHex:
		d.invalid++
		dst = append(dst, '=', d.hex1)
	}
	// "=" at the very end is a soft break without its line break; held white
	// space is trailing.
	d.state, d.ws = qpText, d.ws[:0]
	return dst
}
