// Package contacts turns vCards (2.1, 3.0 and 4.0) into target.Contact
// values: Parse splits a .vcf file holding many cards and parses each one
// on its own, so that one bad card loses nothing else; Map maps one card
// onto the fields of Graph's contact resource and reports what it could
// not keep in a field of its own.
//
// Parsing is github.com/emersion/go-vcard's, after a normalisation pass
// that adds what it lacks (its issue #32): vCard 2.1 ENCODING=QUOTED-PRINTABLE
// values with their soft line breaks and CHARSET parameter, 2.1's bare
// parameters (TEL;HOME;VOICE), and 8-bit values in a legacy charset.
package contacts

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-vcard"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// Reasons a card does not parse, found with errors.Is on a ParseError.
var (
	// ErrNoEnd is a BEGIN:VCARD without its END:VCARD.
	ErrNoEnd = errors.New("no END:VCARD")
	// ErrMalformedLine is a content line without a property name and a
	// colon.
	ErrMalformedLine = errors.New("malformed content line")
	// ErrEncoding is a quoted-printable value that does not decode or a
	// CHARSET that is unknown.
	ErrEncoding = errors.New("undecodable value")
)

// Card is one parsed vCard and where it was in its file.
type Card struct {
	// Index is the card's position in its file, from 0; Line the line of
	// its BEGIN:VCARD, from 1.
	Index, Line int
	vcard.Card
}

// ParseError is a card that does not parse: the others of its file are
// parsed all the same.
type ParseError struct {
	// Index and Line are the card's as in Card; ErrLine is the line at
	// fault (its BEGIN line when no single line is).
	Index, Line, ErrLine int
	Err                  error
}

// Error names the card and the reason.
func (e *ParseError) Error() string {
	return fmt.Sprintf("contacts: card %d (line %d): line %d: %v", e.Index, e.Line, e.ErrLine, e.Err)
}

// Unwrap returns the reason.
func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads every vCard of r, parsing each one on its own. The cards
// that parse are returned in file order; each card that does not is a
// ParseError in bad. err is only for a failure to read r. Text outside
// BEGIN:VCARD ... END:VCARD is ignored.
func Parse(r io.Reader) (cards []Card, bad []*ParseError, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	var (
		cur   []numbered
		in    bool
		start int
		index int
		n     int
	)
	finish := func() {
		c, perr := parseCard(index, start, cur)
		if perr != nil {
			bad = append(bad, perr)
		} else {
			cards = append(cards, c)
		}
		index++
		cur, in = nil, false
	}
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		upper := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case upper == "BEGIN:VCARD":
			if in { // the previous card never ended
				bad = append(bad, &ParseError{Index: index, Line: start, ErrLine: start, Err: ErrNoEnd})
				index++
			}
			in, start, cur = true, n, []numbered{{n, line}}
		case !in:
		case upper == "END:VCARD":
			cur = append(cur, numbered{n, line})
			finish()
		default:
			cur = append(cur, numbered{n, line})
		}
	}
	if err := sc.Err(); err != nil {
		return cards, bad, fmt.Errorf("contacts: read vCard file: %w", err)
	}
	if in {
		bad = append(bad, &ParseError{Index: index, Line: start, ErrLine: start, Err: ErrNoEnd})
	}
	return cards, bad, nil
}

type numbered struct {
	n    int
	text string
}

// parseCard unfolds and normalises the lines of one card (BEGIN to END)
// and decodes them with go-vcard.
func parseCard(index, start int, lines []numbered) (Card, *ParseError) {
	fail := func(line int, err error) (Card, *ParseError) {
		return Card{}, &ParseError{Index: index, Line: start, ErrLine: line, Err: err}
	}
	var logical []numbered
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l.text == "" {
			continue
		}
		if (l.text[0] == ' ' || l.text[0] == '\t') && len(logical) > 0 {
			logical[len(logical)-1].text += l.text[1:]
			continue
		}
		// A quoted-printable value goes on past a line ending in "="
		// (a soft line break), folded or not.
		if isQP(l.text) {
			for strings.HasSuffix(l.text, "=") && i+1 < len(lines) {
				i++
				l.text = l.text[:len(l.text)-1] + strings.TrimLeft(lines[i].text, " \t")
			}
		}
		logical = append(logical, l)
	}
	var buf bytes.Buffer
	for _, l := range logical {
		norm, err := normalise(l.text)
		if err != nil {
			return fail(l.n, err)
		}
		buf.WriteString(norm)
		buf.WriteString("\r\n")
	}
	c, err := vcard.NewDecoder(&buf).Decode()
	if err != nil {
		return fail(start, err)
	}
	return Card{Index: index, Line: start, Card: c}, nil
}

// isQP tells whether a content line's parameters say quoted-printable.
func isQP(line string) bool {
	head, _, ok := splitLine(line)
	return ok && strings.Contains(strings.ToUpper(head), "QUOTED-PRINTABLE")
}

// splitLine splits a content line at its first colon outside quotes.
func splitLine(line string) (head, value string, ok bool) {
	quoted := false
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '"':
			quoted = !quoted
		case ':':
			if !quoted {
				return line[:i], line[i+1:], true
			}
		}
	}
	return "", "", false
}

// splitParams splits a line's head at semicolons outside quotes.
func splitParams(head string) []string {
	var out []string
	quoted, from := false, 0
	for i := 0; i < len(head); i++ {
		switch head[i] {
		case '"':
			quoted = !quoted
		case ';':
			if !quoted {
				out = append(out, head[from:i])
				from = i + 1
			}
		}
	}
	return append(out, head[from:])
}

// normalise rewrites one unfolded content line into the form go-vcard
// decodes: bare 2.1 parameters become TYPE= (or ENCODING=), a
// quoted-printable value is decoded, a value in a CHARSET other than
// UTF-8 (or, without CHARSET, not valid UTF-8: taken as windows-1252, the
// charset of 2.1 exports from Outlook) is converted to UTF-8, and the
// ENCODING=QUOTED-PRINTABLE and CHARSET parameters are dropped.
func normalise(line string) (string, error) {
	head, value, ok := splitLine(line)
	if !ok || head == "" {
		return "", ErrMalformedLine
	}
	parts := splitParams(head)
	name := parts[0]
	if strings.ContainsAny(name, " \t\"=,") {
		return "", fmt.Errorf("%w: property name %q", ErrMalformedLine, name)
	}
	var (
		qp      bool
		charset string
		params  []string
	)
	for _, p := range parts[1:] {
		if p == "" {
			continue
		}
		k, v, hasEq := strings.Cut(p, "=")
		if !hasEq {
			k, v = "TYPE", p
			switch strings.ToUpper(p) {
			case "QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT", "B":
				k = "ENCODING"
			}
		}
		switch strings.ToUpper(k) {
		case "ENCODING":
			if strings.EqualFold(v, "QUOTED-PRINTABLE") {
				qp = true
				continue
			}
			if strings.EqualFold(v, "8BIT") || strings.EqualFold(v, "7BIT") {
				continue
			}
		case "CHARSET":
			charset = strings.Trim(v, `"`)
			continue
		}
		params = append(params, k+"="+v)
	}
	raw := []byte(value)
	if qp {
		dec, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(value)))
		if err != nil {
			return "", fmt.Errorf("%w: %s: quoted-printable: %w", ErrEncoding, name, err)
		}
		raw = dec
	}
	text, err := toUTF8(raw, charset)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrEncoding, name, err)
	}
	if qp {
		// The decoded text is plain: escape what go-vcard unescapes.
		text = strings.NewReplacer(`\`, `\\`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(text)
	}
	out := name
	if len(params) > 0 {
		out += ";" + strings.Join(params, ";")
	}
	return out + ":" + text, nil
}

// toUTF8 converts b from charset (UTF-8 when empty and b is valid UTF-8,
// windows-1252 when empty and it is not) to UTF-8.
func toUTF8(b []byte, charset string) (string, error) {
	var enc encoding.Encoding
	switch {
	case charset == "" && utf8.Valid(b):
		return string(b), nil
	case charset == "":
		enc = charmap.Windows1252
	default:
		e, err := htmlindex.Get(charset)
		if err != nil {
			return "", fmt.Errorf("charset %q: %w", charset, err)
		}
		enc = e
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return "", fmt.Errorf("charset %q: %w", charset, err)
	}
	return string(out), nil
}
