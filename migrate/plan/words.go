package plan

import "strconv"

// plural formats n with the singular or the plural words that follow it:
// plural(1, "run", "runs") is "1 run", plural(2, ...) is "2 runs". The
// plan's sentences (estimate notes, reasons a plan is stale) count with
// it, so that none says "1 mailboxes" or "run(s)".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}
