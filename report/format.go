package report

import (
	"github.com/migrate-tool/migrate/migrate/humanize"
	"github.com/migrate-tool/migrate/migrate/state"
)

// Number formats n with thousands separators: 1,234,567
// (humanize.Number).
func Number(n int64) string { return humanize.Number(n) }

// Bytes formats a size in binary units, as Exchange counts them: 512 B,
// 3.4 KB, 12.0 MB, 1.2 GB, 2.0 TB (humanize.Bytes, the program's one byte
// formatter).
func Bytes(n int64) string { return humanize.Bytes(n) }

// Items formats an item count with its noun: "1 item", "1,234 items".
func Items(n int64) string { return humanize.Plural(n, "item", "items") }

// noun returns one when n is 1 and many otherwise: the words for a count
// printed elsewhere (a tile's label under its number).
func noun(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
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
	case "source":
		return "not an item to migrate, says the source"
	case "store_deleted":
		return "marked deleted in the local store"
	}
	return rule
}

// statusVerifyFailed is the status HTML, PDF and Markdown show for a
// mailbox the state records as migrated but whose verification failed:
// never "migrated" in green next to a failed proof.
const statusVerifyFailed = "verify failed"

// shownStatus is the status the formats show for a mailbox row: its
// Status, but statusVerifyFailed for a migrated mailbox whose Verify is
// failed (the JSON keeps the state's status next to verify).
func shownStatus(r MailboxRow) string {
	if r.Status == string(state.StatusMigrated) && r.Verify == "failed" {
		return statusVerifyFailed
	}
	return r.Status
}

// badgeClass is the HTML badge class of a shown status or severity.
func badgeClass(word string) string {
	if word == statusVerifyFailed {
		return "failed"
	}
	return word
}

// subjectCell is an item's subject as a table shows it: "(no subject)",
// as Outlook says, when there is none or the plan did not read it.
func subjectCell(it ItemRow) string {
	if it.Subject == "" {
		return "(no subject)"
	}
	return it.Subject
}

// receivedCell is an item's date as a table shows it: a message's
// received day, an event's start ("starts 2025-01-02"), and "—" for a
// contact, which has no date.
func receivedCell(it ItemRow) string {
	switch {
	case it.Kind == "contact":
		return "—"
	case it.Date.IsZero():
		return "date unknown"
	case it.Kind == "event":
		return "starts " + day(it.Date)
	}
	return day(it.Date)
}
