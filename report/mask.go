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
	if local == "" {
		return s
	}
	local = maskPart(local)
	if !ok {
		return local
	}
	return local + "@" + domain
}

// MaskSubject masks a subject whole, by the rule MaskAddress applies to a
// local part: "Salary review 2024" becomes "S***4". Only an empty subject
// stays as it is. A masked report is shared beyond the client, and a
// subject tells as much about a person as an address does.
func MaskSubject(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return ""
	}
	return maskPart(s)
}

// maskPart keeps the first and last characters of s (the first only when
// s is one or two characters long) and hides the rest behind "***".
func maskPart(s string) string {
	r := []rune(s)
	if len(r) <= 2 {
		return string(r[:1]) + "***"
	}
	return string(r[:1]) + "***" + string(r[len(r)-1:])
}

// MaskText masks every email address in free text (reasons, messages).
func MaskText(s string) string {
	return addressPattern.ReplaceAllStringFunc(s, MaskAddress)
}
