package message

import (
	"strconv"
	"strings"
	"time"
)

// zoneOffset returns the offset in seconds of a named time zone: the
// obsolete zones of RFC 5322 section 4.3 and a few more seen in mail. RFC
// 5322 military zones are read as -0000 (unknown), as it says.
func zoneOffset(z string) (int, bool) {
	h := 3600
	switch z {
	case "ut", "utc", "gmt", "z", "wet", "uct":
		return 0, true
	case "edt":
		return -4 * h, true
	case "est", "cdt":
		return -5 * h, true
	case "cst", "mdt":
		return -6 * h, true
	case "mst", "pdt":
		return -7 * h, true
	case "pst", "akdt":
		return -8 * h, true
	case "akst":
		return -9 * h, true
	case "hst":
		return -10 * h, true
	case "bst", "cet", "met", "west", "mez", "wat":
		return h, true
	case "cest", "mest", "eet", "mesz", "sast":
		return 2 * h, true
	case "eest", "msk":
		return 3 * h, true
	case "ist":
		return 5*h + 30*60, true
	case "sgt", "hkt", "awst", "cct":
		return 8 * h, true
	case "jst", "kst":
		return 9 * h, true
	case "aest":
		return 10 * h, true
	case "aedt":
		return 11 * h, true
	case "nzst":
		return 12 * h, true
	case "nzdt":
		return 13 * h, true
	}
	if len(z) == 1 && z[0] >= 'a' && z[0] <= 'z' && z[0] != 'j' {
		return 0, true
	}
	return 0, false
}

// numericZone parses +hhmm, -hhmm, +hh:mm or +h.
func numericZone(t string) (int, bool) {
	if len(t) < 2 || (t[0] != '+' && t[0] != '-') {
		return 0, false
	}
	sign := 1
	if t[0] == '-' {
		sign = -1
	}
	d := strings.ReplaceAll(t[1:], ":", "")
	if d == "" || len(d) > 4 || strings.Trim(d, "0123456789") != "" {
		return 0, false
	}
	if len(d) <= 2 {
		d += "00"
	}
	if len(d) == 3 {
		d = "0" + d
	}
	hh, _ := strconv.Atoi(d[:2])
	mm, _ := strconv.Atoi(d[2:])
	if hh > 23 || mm > 59 {
		return 0, false
	}
	return sign * (hh*3600 + mm*60), true
}

func monthOf(t string) time.Month {
	if len(t) < 3 {
		return 0
	}
	for i, m := range []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		if t[:3] == m {
			return time.Month(i + 1)
		}
	}
	return 0
}

func isDayName(t string) bool {
	if len(t) < 3 {
		return false
	}
	switch t[:3] {
	case "mon", "tue", "wed", "thu", "fri", "sat", "sun":
		return true
	}
	return false
}

// parseDate parses a Date header leniently: RFC 5322 with its obsolete forms
// (two- and three-digit years, named zones, comments, missing seconds), plus
// asctime, RFC 3339 and ISO "2006-01-02 15:04:05" forms, day names and
// commas anywhere. net/mail.ParseDate is not used: it reads named zones such
// as "EDT" as UTC. The second result notes a tolerated defect ("" if none);
// ok is false if no date could be read.
func parseDate(v string) (time.Time, string, bool) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, "", true
	}
	// Drop comments, commas and dots after day names.
	var b strings.Builder
	depth := 0
	for _, r := range strings.ToLower(v) {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth > 0:
		case r == ',':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	var (
		month         time.Month
		hh, mm, ss    = -1, 0, 0
		zone          = 0
		zoneOK, named bool
		nums          []string
		junk          int
	)
	// Split "02-jan-2006" and "2006-01-02" into their parts; split a zone
	// glued to a time ("10:00:00+0200") or to a name ("gmt+0200").
	var toks []string
	for _, t := range strings.Fields(b.String()) {
		t = strings.TrimRight(t, ".")
		switch {
		case strings.Count(t, "-") == 2 && !strings.HasPrefix(t, "-"):
			toks = append(toks, strings.Split(t, "-")...)
		case strings.Count(t, "/") == 2:
			toks = append(toks, strings.Split(t, "/")...)
		case strings.IndexAny(t, "+-") > 0:
			i := strings.IndexAny(t, "+-")
			toks = append(toks, t[:i], t[i:])
		default:
			toks = append(toks, t)
		}
	}
	for _, t := range toks {
		switch {
		case t == "":
		case strings.Contains(t, ":"):
			if hh >= 0 {
				junk++
				continue
			}
			if strings.HasSuffix(t, "z") {
				t, zone, zoneOK = strings.TrimSuffix(t, "z"), 0, true
			}
			parts := strings.Split(t, ":")
			if len(parts) < 2 || len(parts) > 3 {
				junk++
				continue
			}
			var err1, err2, err3 error
			hh, err1 = strconv.Atoi(parts[0])
			mm, err2 = strconv.Atoi(parts[1])
			if len(parts) == 3 {
				sec, _, _ := strings.Cut(parts[2], ".")
				ss, err3 = strconv.Atoi(sec)
			}
			if err1 != nil || err2 != nil || err3 != nil || hh < 0 || mm < 0 || ss < 0 {
				hh, mm, ss = -1, 0, 0
				junk++
			}
		case t[0] == '+' || t[0] == '-':
			if off, ok := numericZone(t); ok && (!zoneOK || named) {
				zone, zoneOK, named = off, true, false
			} else {
				junk++
			}
		case t[0] >= '0' && t[0] <= '9':
			if strings.Trim(t, "0123456789") != "" || len(t) > 4 {
				junk++
				continue
			}
			nums = append(nums, t)
		case isDayName(t), t == "am":
		case t == "pm":
			if hh >= 0 && hh < 12 {
				hh += 12
			}
		case monthOf(t) != 0 && month == 0:
			month = monthOf(t)
		default:
			if off, ok := zoneOffset(t); ok && !zoneOK {
				zone, zoneOK, named = off, true, true
			} else {
				junk++
			}
		}
	}
	// Day and year: "2 Jan 2006" and "Jan 2 2006" with a month name;
	// "2006 01 02" (ISO) without.
	day, year, yearDigits := -1, -1, 0
	if month == 0 {
		if len(nums) < 3 || len(nums[0]) != 4 {
			return time.Time{}, "", false
		}
		year, _ = strconv.Atoi(nums[0])
		m, _ := strconv.Atoi(nums[1])
		day, _ = strconv.Atoi(nums[2])
		yearDigits = 4
		if m < 1 || m > 12 {
			return time.Time{}, "", false
		}
		month = time.Month(m)
		junk += len(nums) - 3
	} else {
		for _, t := range nums {
			n, _ := strconv.Atoi(t)
			switch {
			case len(t) <= 2 && day < 0:
				day = n
			case year < 0:
				year, yearDigits = n, len(t)
			default:
				junk++
			}
		}
	}
	if year < 0 || day < 1 || day > 31 {
		return time.Time{}, "", false
	}
	switch {
	case yearDigits <= 2 && year < 50:
		year += 2000
	case yearDigits <= 3 && year < 1000:
		year += 1900
	}
	var notes []string
	if hh < 0 {
		hh, mm, ss = 0, 0, 0
		notes = append(notes, "no time of day, midnight assumed")
	}
	if ss == 60 {
		ss = 59
	}
	if hh > 23 || mm > 59 || ss > 59 {
		return time.Time{}, "", false
	}
	if !zoneOK {
		notes = append(notes, "no time zone, UTC assumed")
	}
	loc := time.UTC
	if zone != 0 {
		loc = time.FixedZone("", zone)
	}
	t := time.Date(year, month, day, hh, mm, ss, 0, loc)
	if t.Day() != day {
		return time.Time{}, "", false
	}
	if junk > 0 {
		notes = append(notes, "unreadable words ignored")
	}
	return t, strings.Join(notes, ", "), true
}

// ParseDate parses a Date header field's value as Parse does, leniently
// (see Message.Date); ok is false if no date could be read.
func ParseDate(v string) (t time.Time, ok bool) {
	t, _, ok = parseDate(v)
	return t, ok
}

// ReceivedDate returns the date of the newest Received field whose date
// can be read, given the fields' values in header order (unfolded, as
// net/textproto gives them): a relay prepends its Received field, so the
// topmost is the newest, the one the last server wrote on delivery. A
// Received field's date follows its last ";" (RFC 5322 section 3.6.7,
// received = "Received:" [1*received-token / CFWS] ";" date-time CRLF);
// comments are dropped before that ";" is looked for, since one may hold
// a ";" of its own. Fields without a readable date are passed over.
func ReceivedDate(values []string) (time.Time, bool) {
	for _, v := range values {
		v = dropComments(v)
		i := strings.LastIndexByte(v, ';')
		if i < 0 {
			continue
		}
		if t, _, ok := parseDate(v[i+1:]); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// dropComments removes RFC 5322 comments (nested parentheses, with
// quoted-pair escapes) from a field value; quoted strings are kept as
// they are.
func dropComments(v string) string {
	if !strings.ContainsRune(v, '(') {
		return v
	}
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && (depth > 0 || quoted) && i+1 < len(v):
			if depth == 0 {
				b.WriteByte(c)
				b.WriteByte(v[i+1])
			}
			i++
		case quoted:
			b.WriteByte(c)
			if c == '"' {
				quoted = false
			}
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
		case depth > 0:
		case c == '"':
			quoted = true
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
