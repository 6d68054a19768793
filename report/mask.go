package report

import (
	"regexp"
	"strings"
)

// addressPattern finds email addresses in text.
var addressPattern = regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+`)

// MaskAddress masks the local part of an email address, keeping its first
// and last characters and the domain: "alice@contoso.com" becomes
// "a***e@contoso.com". A string without "@" is masked whole but for its
// first character.
func MaskAddress(s string) string {
	local, domain, ok := strings.Cut(s, "@")
	r := []rune(local)
	switch {
	case len(r) == 0:
		return s
	case len(r) <= 2:
		local = string(r[:1]) + "***"
	default:
		local = string(r[:1]) + "***" + string(r[len(r)-1:])
	}
	if !ok {
		return local
	}
	return local + "@" + domain
}

// MaskText masks every email address in free text (reasons, messages).
func MaskText(s string) string {
	return addressPattern.ReplaceAllStringFunc(s, MaskAddress)
}
