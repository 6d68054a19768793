package message

import (
	"testing"
	"time"
)

// FuzzParseDate checks the Date reader: no panic on any value; a date it
// reads has a four-digit year (the ISO 8601 form Graph takes, PR_CLIENT_SUBMIT_TIME
// included); and any instant written as RFC 5322 writes it (time.RFC1123Z,
// seconds from 1970 to 9999 and an offset within a day) is read back
// exactly. ReceivedDate never panics on the value as a Received field.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"Tue, 10 Jan 2023 10:00:00 +0100", "Thu, 20 Nov 97 09:55:06 GMT", "Mon Jan  2 15:04:05 2006",
		"Thu, 1 Jan 1970 00:00:00 +0000", "Fri, 31 Dec 2100 23:59:59 -1200", "20 Nov 104 09:55:06 +0000", "Monday, 02-Jan-2006 15:04:05 GMT+0200"} {
		f.Add(s, int64(0), int16(0))
	}
	f.Add("", int64(4102444799), int16(-720))
	f.Fuzz(func(t *testing.T, v string, sec int64, offMin int16) {
		if d, ok := ParseDate(v); ok && (d.Year() < 0 || d.Year() > 9999) {
			t.Fatalf("ParseDate(%q) = %v: the year has no ISO 8601 four-digit form", v, d)
		}
		_, _ = ReceivedDate([]string{v, "from x by y; " + v})
		const maxSec = 253402300799 // 9999-12-31T23:59:59Z
		if sec < 0 || sec > maxSec || offMin <= -24*60 || offMin >= 24*60 {
			return
		}
		want := time.Unix(sec, 0).In(time.FixedZone("", int(offMin)*60))
		if want.Year() > 9999 {
			return
		}
		s := want.Format(time.RFC1123Z)
		if got, ok := ParseDate(s); !ok || !got.Equal(want) {
			t.Fatalf("ParseDate(%q) = %v, %v; want %v", s, got, ok, want)
		}
	})
}
