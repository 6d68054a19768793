package report

import (
	"fmt"
	"strconv"
)

// Number formats n with thousands separators: 1,234,567.
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

// Bytes formats a size in binary units, as Exchange counts them: 512 B,
// 3.4 KB, 12.0 MB, 1.2 GB, 2.0 TB.
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

// Items formats an item count with its noun: "1 item", "1,234 items".
func Items(n int64) string { return plural(n, "item", "items") }

// plural formats n with the singular or plural noun.
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Number(n) + " " + many
}

// ruleName returns the words for a skip rule of package mapping.
func ruleName(rule string) string {
	switch rule {
	case "folder_excluded":
		return "folder not migrated"
	case "deleted":
		return `flagged \Deleted`
	case "since":
		return "older than filters.since"
	case "before":
		return "not before filters.before"
	case "max_size":
		return "larger than filters.max_size"
	case "too_large":
		return "larger than the tenant accepts"
	}
	return rule
}
