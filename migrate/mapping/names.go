package mapping

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// MaxFolderNameLength is the longest folder display name, in UTF-16 code
// units, that the mapping produces. Exchange documents no limit for folder
// names created through its APIs; the only figure found is Outlook on the
// web's maximum folder name length of 256, and 255 is also the length to
// which Exchange cuts categories, so names are kept to 255. Longer names
// are cut (never inside a surrogate pair) and the cut is reported.
const MaxFolderNameLength = 255

// ReservedSuffix is appended to a top-level folder whose name is the display
// name of an Exchange default folder (see ReservedFolderNames).
const ReservedSuffix = " (imported)"

// EmptyFolderName replaces a folder name that is empty, or empty once
// spaces are trimmed (IMAP allows "a//b").
const EmptyFolderName = "(no name)"

// ReservedFolderNames returns the display names that Exchange Online gives
// its default folders directly under the mailbox root ("Top of Information
// Store", Graph's msgfolderroot), in an English-language mailbox. A source
// folder mapped to the root under one of these names, compared
// case-insensitively, would land in (or be refused as a duplicate of) the
// default folder, so it gets ReservedSuffix instead.
//
// Sources: Graph's mailFolder resource ("Well-known folder names": archive,
// clutter, conflicts, conversationhistory, deleteditems, drafts, inbox,
// junkemail, localfailures, msgfolderroot, outbox, scheduled, searchfolders,
// sentitems, serverfailures, syncissues), EWS's WellKnownFolderName and
// DistinguishedFolderIdNameType ([MS-OXWSCDATA] 2.2.5.10: calendar,
// contacts, journal, notes, tasks, voicemail...), and the imapsync FAQ for
// Office 365 ("Files": "NO Folder name is reserved"). Default folders are
// localised with the mailbox language; RulesOptions.Reserved adds the names
// of other languages.
func ReservedFolderNames() []string {
	return []string{
		"Archive",
		"Calendar",
		"Clutter",
		"Contacts",
		"Conversation Action Settings",
		"Conversation History",
		"Deleted Items",
		"Drafts",
		"ExternalContacts",
		"Files",
		"Inbox",
		"Journal",
		"Junk E-mail",
		"Junk Email",
		"Notes",
		"Outbox",
		"PersonMetadata",
		"Quick Step Settings",
		"RSS Feeds",
		"RSS Subscriptions",
		"Scheduled",
		"Search Folders",
		"Sent Items",
		"Social Activity Notifications",
		"Sync Issues",
		"Tasks",
		"Voice Mail",
		"Yammer Root",
	}
}

// foldKey is the key under which Exchange would consider two folder names
// (or two categories) the same: NFC-normalised and case-folded. Exchange's
// exact comparison is not documented; full Unicode case folding is at least
// as eager as it ("Straße" and "STRASSE" are treated as one), so a clash is
// sometimes resolved that Exchange would have allowed, but never missed.
func foldKey(s string) string {
	return cases.Fold().String(norm.NFC.String(s))
}

// utf16Len returns the length of s in UTF-16 code units, the unit in which
// Exchange (MAPI PT_UNICODE) counts string lengths.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// truncateUTF16 cuts s to at most max UTF-16 code units without splitting a
// character (and so never a surrogate pair). It reports whether it cut.
func truncateUTF16(s string, max int) (string, bool) {
	n := 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if n+w > max {
			return s[:i], true
		}
		n += w
	}
	return s, false
}

// sanitizeFolderName makes name acceptable as an Exchange folder display
// name and says what it changed (nil when nothing). The rules, applied in
// order:
//   - invalid UTF-8 becomes U+FFFD;
//   - "/" and "\" become "_": both are folder path separators in Exchange
//     and Outlook tools, and in this project's "/"-joined paths (the same
//     conversion MigrationWiz applies to "/");
//   - control characters (Unicode Cc: C0, DEL, C1) become "_": they cannot
//     be carried by EWS's XML and are invisible in every client;
//   - leading and trailing white space is trimmed (Outlook synchronisation
//     trips over trailing spaces in folder names);
//   - an empty result becomes EmptyFolderName;
//   - the result is cut to MaxFolderNameLength UTF-16 code units.
func sanitizeFolderName(name string) (string, []string) {
	var why []string
	s := name
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
		why = append(why, "invalid UTF-8 replaced with U+FFFD")
	}
	var b strings.Builder
	sep, ctl := false, false
	for _, r := range s {
		switch {
		case r == '/' || r == '\\':
			b.WriteByte('_')
			sep = true
		case unicode.IsControl(r):
			b.WriteByte('_')
			ctl = true
		default:
			b.WriteRune(r)
		}
	}
	s = b.String()
	if sep {
		why = append(why, `"/" and "\" replaced with "_"`)
	}
	if ctl {
		why = append(why, `control characters replaced with "_"`)
	}
	if t := strings.TrimFunc(s, unicode.IsSpace); t != s {
		s = t
		why = append(why, "leading or trailing spaces removed")
	}
	if s == "" {
		s = EmptyFolderName
		why = append(why, "empty name")
	}
	if t, cut := truncateUTF16(s, MaxFolderNameLength); cut {
		s = strings.TrimRightFunc(t, unicode.IsSpace)
		why = append(why, fmt.Sprintf("cut to %d characters", MaxFolderNameLength))
	}
	return s, why
}

// withSuffix appends suffix to base, cutting base so that the result stays
// within MaxFolderNameLength.
func withSuffix(base, suffix string) string {
	if utf16Len(base)+utf16Len(suffix) > MaxFolderNameLength {
		base, _ = truncateUTF16(base, MaxFolderNameLength-utf16Len(suffix))
		base = strings.TrimRightFunc(base, unicode.IsSpace)
	}
	return base + suffix
}

// counterSuffix is the suffix for the n-th folder (n >= 2) of names that
// differ only by case: " (2)", " (3)"...
func counterSuffix(n int) string {
	return " (" + strconv.Itoa(n) + ")"
}
