package message

import (
	"io"
	"mime"
	"net/mail"
	"strings"
)

// addressParser returns a net/mail parser whose RFC 2047 decoder knows every
// charset this package knows and never fails on an unknown one.
func addressParser() *mail.AddressParser {
	return &mail.AddressParser{WordDecoder: &mime.WordDecoder{
		CharsetReader: func(label string, r io.Reader) (io.Reader, error) {
			rd, _ := lookupCharset(label).textReader(r)
			return rd, nil
		},
	}}
}

// parseAddressList parses an address header (RFC 5322 section 3.4). Strict
// parsing by net/mail comes first; if it refuses the value, the value is
// split at commas and semicolons outside quotes, angle brackets and comments,
// and each piece is read as "name <address>", "address (name)" or a bare
// address. The second result describes the defect, or is "".
func parseAddressList(v string) ([]Address, string) {
	if strings.TrimSpace(v) == "" {
		return nil, ""
	}
	var out []Address
	if list, err := addressParser().ParseList(v); err == nil {
		for _, a := range list {
			out = append(out, cleanAddress(a.Name, a.Address))
		}
		return dropEmpty(out), ""
	}
	for _, piece := range splitAddresses(v) {
		out = append(out, lenientAddress(piece))
	}
	out = dropEmpty(out)
	return out, "not a valid address list, read leniently"
}

func dropEmpty(as []Address) []Address {
	out := as[:0]
	for _, a := range as {
		if a.Name != "" || a.Address != "" {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// cleanAddress decodes what net/mail leaves encoded (encoded words inside a
// quoted display name, which many mailers write) and drops control
// characters.
func cleanAddress(name, addr string) Address {
	name, _ = headerString(name)
	addr = strings.TrimSpace(cleanText(addr))
	if len(addr) > 7 && strings.EqualFold(addr[:7], "mailto:") {
		addr = addr[7:]
	}
	addr = strings.Trim(addr, "<>\"' ")
	if strings.HasPrefix(addr, "@") { // an obsolete source route: @relay:user@domain
		if _, after, ok := strings.Cut(addr, ":"); ok {
			addr = after
		}
	}
	return Address{Name: name, Address: addr}
}

// splitAddresses splits at ',' and ';' outside quotes, <> and comments.
func splitAddresses(v string) []string {
	var out []string
	depth, angle, quoted := 0, false, false
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quoted:
			if c == '\\' {
				i++
			} else if c == '"' {
				quoted = false
			}
		case c == '"':
			quoted = true
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case (c == ',' || c == ';') && !angle:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// lenientAddress reads one address that net/mail refused.
func lenientAddress(piece string) Address {
	piece = strings.TrimSpace(piece)
	// A group name ("Friends: a@example.com") is dropped.
	if c := strings.IndexByte(piece, ':'); c >= 0 {
		lt, at, q := strings.IndexByte(piece, '<'), strings.IndexByte(piece, '@'), strings.IndexByte(piece, '"')
		if (lt < 0 || c < lt) && (at < 0 || c < at) && (q < 0 || c < q) && !strings.HasPrefix(strings.ToLower(piece), "mailto:") {
			piece = strings.TrimSpace(piece[c+1:])
		}
	}
	if piece == "" {
		return Address{}
	}
	if a, err := addressParser().Parse(piece); err == nil {
		return cleanAddress(a.Name, a.Address)
	}
	if lt := strings.LastIndexByte(piece, '<'); lt >= 0 {
		addr := piece[lt+1:]
		if gt := strings.IndexByte(addr, '>'); gt >= 0 {
			addr = addr[:gt]
		}
		return cleanAddress(unquote(piece[:lt]), addr)
	}
	// address (comment)
	var name strings.Builder
	var rest strings.Builder
	depth := 0
	for _, r := range piece {
		switch {
		case r == '(':
			if depth > 0 {
				name.WriteRune(r)
			}
			depth++
		case r == ')' && depth > 0:
			depth--
			if depth > 0 {
				name.WriteRune(r)
			}
		case depth > 0:
			name.WriteRune(r)
		default:
			rest.WriteRune(r)
		}
	}
	token := strings.TrimSpace(rest.String())
	if strings.Contains(token, "@") || !strings.ContainsAny(token, " \t") {
		// An address, possibly without a domain ("root"): the target decides.
		if i := strings.LastIndexAny(token, " \t"); i >= 0 && strings.Contains(token[i+1:], "@") {
			return cleanAddress(token[:i]+" "+name.String(), token[i+1:])
		}
		return cleanAddress(name.String(), token)
	}
	return cleanAddress(token+" "+name.String(), "")
}

// unquote removes the quotes around a display name that net/mail refused.
func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.ReplaceAll(strings.ReplaceAll(s[1:len(s)-1], `\"`, `"`), `\\`, `\`)
	}
	return s
}
