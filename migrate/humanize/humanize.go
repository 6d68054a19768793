// Package humanize formats numbers for people: the one byte formatter of
// the program (reports, the command line's tables and progress, the
// plan's risks, the targets' reasons) and the thousands separator.
package humanize

import (
	"fmt"
	"strconv"
)

// Bytes formats a size in binary units, as Exchange counts them (1 MB =
// 1,048,576 bytes), with one decimal from 1 KB: "512 B", "3.4 KB",
// "12.0 MB", "1.2 GB", "2.0 TB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 3; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "KMGT"[exp])
}

// Number formats n with thousands separators: "1,234,567".
func Number(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}

// Plural formats a count with the singular or the plural words that
// follow it, the count with thousands separators (Number):
// Plural(1, "item is", "items are") is "1 item is", Plural(1234, ...) is
// "1,234 items are". Every sentence that counts with a noun (reports,
// plan risks and notes, the command line's errors) goes through it, so
// that none says "1 mailboxes" or "mailbox(es)".
func Plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Number(n) + " " + many
}
