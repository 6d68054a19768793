package mapping

import (
	"fmt"
	"path"
	"strings"
)

// glob is a compiled folder pattern from folders.exclude or folders.include.
//
// A pattern is a "/"-separated folder path whose segments use path.Match
// syntax (* ? [a-z] and \ to escape), matched against the folder's decoded
// path one segment at a time: "*" never crosses a "/". A segment that is
// exactly "**" matches any number of segments, none included. A first
// segment that spells INBOX in any case matches INBOX in any case (IMAP
// treats that name case-insensitively, RFC 3501 section 5.1); every other
// segment is matched case-sensitively, as IMAP servers name folders.
type glob struct {
	text string
	segs []string
}

// compileGlob checks and splits a pattern. key names the setting for the
// error message, e.g. "folders.exclude[2]".
func compileGlob(key, text string) (glob, error) {
	t := strings.Trim(text, "/")
	if strings.TrimSpace(t) == "" {
		return glob{}, fmt.Errorf("%s: the pattern %q is empty; give a folder path or glob such as \"Trash/*\"", key, text)
	}
	segs := canonicalPath(strings.Split(t, "/"))
	for _, s := range segs {
		if s == "**" {
			continue
		}
		if _, err := path.Match(s, ""); err != nil {
			return glob{}, fmt.Errorf("%s: the pattern %q is not a valid glob (%v): check its [ ] brackets and \\ escapes", key, text, err)
		}
	}
	return glob{text: text, segs: segs}, nil
}

// match reports whether the pattern matches the whole canonical path p.
func (g glob) match(p []string) bool {
	return matchSegs(g.segs, p)
}

func matchSegs(pat, p []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			// Collapse runs of "**", then try every split.
			for len(pat) > 0 && pat[0] == "**" {
				pat = pat[1:]
			}
			if len(pat) == 0 {
				return true
			}
			for i := 0; i <= len(p); i++ {
				if matchSegs(pat, p[i:]) {
					return true
				}
			}
			return false
		}
		if len(p) == 0 {
			return false
		}
		ok, err := path.Match(pat[0], p[0])
		if err != nil || !ok {
			return false
		}
		pat, p = pat[1:], p[1:]
	}
	return len(p) == 0
}

// canonicalPath returns a copy of p with a first segment that spells INBOX
// in any case written "INBOX".
func canonicalPath(p []string) []string {
	out := append([]string(nil), p...)
	if len(out) > 0 && strings.EqualFold(out[0], "INBOX") {
		out[0] = "INBOX"
	}
	return out
}

// samePath reports whether two canonical paths are equal segment by segment.
func samePath(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// comparePaths orders canonical paths segment by segment, by bytes, so that
// a parent sorts before its children.
func comparePaths(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}
