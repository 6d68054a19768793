package mbox

import (
	"bytes"
	"strings"
	"time"
)

// fromLayouts are the dates a From_ line may carry, after its runs of
// spaces are folded to one. RFC 4155 (Appendix A) gives the traditional
// form, asctime(3) output in UTC or local time ("Mon Jan  2 15:04:05
// 2006"); the variants are those seen in the wild: a time zone name or
// numeric offset before or after the year (qmail's mbox(5), Google
// Takeout's "+0000 2024"), no seconds, zero-padded days (Thunderbird:
// "From - Tue Jul 05 18:44:15 2022", import-export-tools-ng#329), and the
// JavaScript Date form ImportExportTools NG writes ("Sat Apr 12 2025
// 15:59:28", import-export-tools-ng#766). Go's "2" accepts a day of one
// or two digits.
var fromLayouts = []string{
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04 2006",
	"Mon Jan 2 15:04:05 MST 2006",
	"Mon Jan 2 15:04:05 -0700 2006",
	"Mon Jan 2 15:04:05 2006 -0700",
	"Mon Jan 2 15:04:05 2006 MST",
	"Mon Jan 2 2006 15:04:05",
	"Mon, 2 Jan 2006 15:04:05 -0700",
}

// zoned reports whether a layout carries its own time zone.
func zoned(layout string) bool {
	return strings.Contains(layout, "MST") || strings.Contains(layout, "-0700")
}

// parseFromLine reports whether line (without its line ending) is a valid
// From_ line: "From ", then the envelope sender (an address, a bang path,
// MAILER-DAEMON, or "-" as Thunderbird writes; up to two words, for
// "From - user@host date"; or none), then a date of one of fromLayouts,
// optionally followed by UUCP's "remote from host". A body line such as
// "From the desk of ..." has no such date and is not a From_ line. A date
// without a zone is read in loc. It returns the date.
func parseFromLine(line []byte, loc *time.Location) (time.Time, bool) {
	if !bytes.HasPrefix(line, []byte("From ")) || len(line) > 1000 {
		return time.Time{}, false
	}
	fields := strings.Fields(string(line[len("From "):]))
	if i := indexOf(fields, "remote"); i > 0 && i+1 < len(fields) && fields[i+1] == "from" {
		fields = fields[:i]
	}
	for sender := 0; sender <= 2 && sender < len(fields); sender++ {
		rest := fields[sender:]
		if len(rest) < 5 || len(rest) > 6 {
			continue
		}
		s := strings.Join(rest, " ")
		for _, layout := range fromLayouts {
			if strings.Count(layout, " ") != len(rest)-1 {
				continue
			}
			var t time.Time
			var err error
			if zoned(layout) {
				t, err = time.Parse(layout, s)
			} else {
				t, err = time.ParseInLocation(layout, s, loc)
			}
			if err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
