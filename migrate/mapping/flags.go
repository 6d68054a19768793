package mapping

import (
	"slices"
	"strings"
	"unicode"

	"github.com/migrate-tool/migrate/source"
)

// MaxCategoryLength is the longest category name, in UTF-16 code units:
// [MS-OXCICAL] 2.1.3.1.1.20.3 truncates categories to 255 WCHARs when
// Exchange imports them (PidNameKeywords), without splitting surrogate
// pairs.
const MaxCategoryLength = 255

// State is what a message's flags and keywords become on the target.
type State struct {
	// Read is \Seen: the message is created read (PidTagMessageFlags
	// MSGFLAG_READ) rather than unread.
	Read bool
	// Flagged is \Flagged (or Gmail's \Starred label): the message is
	// flagged for follow-up.
	Flagged bool
	// Answered is \Answered: the message shows as replied to
	// (PidTagLastVerbExecuted "reply to sender").
	Answered bool
	// Forwarded is the $Forwarded keyword: the message shows as forwarded
	// (PidTagLastVerbExecuted "forward"). When both Answered and Forwarded
	// are set, the target can show only one last verb; replied wins.
	Forwarded bool
	// Draft is \Draft: the message is created as a draft.
	Draft bool
	// Deleted is \Deleted: the message is marked for deletion on the
	// source. Exchange has no such state; see ItemOptions.DeletedItems.
	Deleted bool
	// Categories are the Outlook categories the message gets: its user
	// keywords and client labels, cleaned up as Exchange imports
	// categories, without case-insensitive duplicates, sorted.
	Categories []string
	// Dropped lists, for the report, the flags and keywords that set no
	// state and become no category (system keywords such as $MDNSent,
	// unknown "\" flags, "$" keywords), as the source has them, sorted.
	Dropped []string
}

// FlagOptions adjust how flags and keywords map. A nil *FlagOptions means
// the defaults.
type FlagOptions struct {
	// Labels maps a keyword (matched case-insensitively, as the source has
	// it or decoded) to the category it becomes, overriding the built-in
	// rules: {"$label1": "Urgent"} renames Thunderbird's first label,
	// {"$Important": "Important"} keeps Gmail's Important marks, and an
	// empty name drops the keyword.
	Labels map[string]string
	// UnderscoresAsSpaces turns "_" into spaces in keywords that become
	// categories. Thunderbird writes a tag named "Project X" as the keyword
	// "project_x"; other clients use "_" literally, so it is off by
	// default.
	UnderscoresAsSpaces bool
	// KeepDollarKeywords makes unknown keywords that begin with "$" into
	// categories (without the "$"). By default they are dropped: "$" marks
	// keywords that clients and servers set for their own use (RFC 5788's
	// registry, RFC 9979), not labels a person chose.
	KeepDollarKeywords bool
	// RawKeywords keeps keywords as the source has them instead of decoding
	// modified UTF-7 ("&AOk-t&AOk-" is "été").
	RawKeywords bool
}

// keywordRole is what a known flag or keyword does.
type keywordRole int

const (
	kwUnknown keywordRole = iota
	kwSeen
	kwAnswered
	kwFlagged
	kwDeleted
	kwDraft
	kwForwarded
	kwSystem // known, never a category, no state
	kwSilent // known, never a category, not even reported (\Recent)
)

// knownKeyword classifies a flag or keyword, case-insensitively, and for a
// Thunderbird label returns its category name.
func knownKeyword(flag string) (keywordRole, string) {
	switch strings.ToLower(flag) {
	// RFC 3501 / 9051 system flags.
	case `\seen`:
		return kwSeen, ""
	case `\answered`:
		return kwAnswered, ""
	case `\flagged`, `\starred`: // Gmail's X-GM-LABELS spell it \Starred
		return kwFlagged, ""
	case `\deleted`:
		return kwDeleted, ""
	case `\draft`:
		return kwDraft, ""
	case `\recent`:
		return kwSilent, ""
	// Registered keywords (IANA "IMAP and JMAP Keywords": RFC 3503, 5550,
	// 8457, 9051, 9979).
	case "$forwarded":
		return kwForwarded, ""
	case "$mdnsent", "$submitpending", "$submitted",
		"$junk", "$notjunk", "$phishing",
		"$important",
		"$mailflagbit0", "$mailflagbit1", "$mailflagbit2",
		"$hasattachment", "$hasnoattachment", "$hasmemo", "$memo",
		"$istrusted", "$autosent", "$canunsubscribe", "$unsubscribed",
		"$followed", "$muted", "$notify", "$imported":
		return kwSystem, ""
	// Client bookkeeping without "$": Thunderbird's and Apple Mail's junk
	// training marks, Netscape's "Old", Evolution's receipt mark.
	case "junk", "nonjunk", "notjunk", "junkrecorded", "old", "receipt-handled":
		return kwSystem, ""
	// Thunderbird's five built-in labels, with their default names.
	case "$label1":
		return kwUnknown, "Important"
	case "$label2":
		return kwUnknown, "Work"
	case "$label3":
		return kwUnknown, "Personal"
	case "$label4":
		return kwUnknown, "To Do"
	case "$label5":
		return kwUnknown, "Later"
	}
	return kwUnknown, ""
}

// Flags maps a message's IMAP flags and keywords (as source.ItemRef.Flags
// has them) to its target state. The result does not depend on the order
// of flags.
//
// \Seen, \Answered, \Flagged, \Draft and \Deleted set the state of the same
// name, $Forwarded sets Forwarded. Registered system keywords ($MDNSent,
// $Junk, $NotJunk, $Phishing, $SubmitPending, $Submitted, $MailFlagBit0-2,
// $HasAttachment, $Important...), client bookkeeping keywords (Junk,
// NonJunk, NotJunk, Old...), any other flag beginning with "\" and, unless
// opts.KeepDollarKeywords, any other keyword beginning with "$" are
// dropped. Thunderbird's $label1 to $label5 become the categories
// "Important", "Work", "Personal", "To Do" and "Later". Every other keyword
// becomes a category: decoded from modified UTF-7 when it is valid and
// canonical, with "_" as space if opts.UnderscoresAsSpaces, then cleaned up
// as Exchange imports categories ([MS-OXCICAL] 2.1.3.1.1.20.3): the
// separators , ; U+061B U+FE54 U+FF1B removed, runs of white space made one
// space, trimmed, cut to MaxCategoryLength UTF-16 code units, empty ones
// dropped. Categories equal but for case keep one spelling (the smallest
// by bytes) and are sorted case-insensitively.
func Flags(flags []string, opts *FlagOptions) State {
	if opts == nil {
		opts = &FlagOptions{}
	}
	var st State
	var cats, dropped []string
	for _, f := range flags {
		if f == "" {
			continue
		}
		decoded := f
		if !opts.RawKeywords && !strings.HasPrefix(f, `\`) {
			decoded, _ = source.DecodeMUTF7(f)
		}
		if name, ok := lookupLabel(opts.Labels, f, decoded); ok {
			if c := sanitizeCategory(name); c != "" {
				cats = append(cats, c)
			} else {
				dropped = append(dropped, f)
			}
			continue
		}
		role, label := knownKeyword(f)
		switch role {
		case kwSeen:
			st.Read = true
			continue
		case kwAnswered:
			st.Answered = true
			continue
		case kwFlagged:
			st.Flagged = true
			continue
		case kwDeleted:
			st.Deleted = true
			continue
		case kwDraft:
			st.Draft = true
			continue
		case kwForwarded:
			st.Forwarded = true
			continue
		case kwSilent:
			continue
		case kwSystem:
			dropped = append(dropped, f)
			continue
		}
		if label != "" {
			cats = append(cats, label)
			continue
		}
		name := decoded
		switch {
		case strings.HasPrefix(f, `\`):
			dropped = append(dropped, f)
			continue
		case strings.HasPrefix(f, "$"):
			if !opts.KeepDollarKeywords {
				dropped = append(dropped, f)
				continue
			}
			name = strings.TrimPrefix(name, "$")
		}
		if opts.UnderscoresAsSpaces {
			name = strings.ReplaceAll(name, "_", " ")
		}
		if c := sanitizeCategory(name); c != "" {
			cats = append(cats, c)
		} else {
			dropped = append(dropped, f)
		}
	}
	st.Categories = dedupeCategories(cats)
	if len(dropped) > 0 {
		slices.Sort(dropped)
		st.Dropped = slices.Compact(dropped)
	}
	return st
}

// KeptByKeepDollar reports whether Flags, with
// FlagOptions.KeepDollarKeywords (the project key keywords.keep_dollar),
// turns the flag or keyword into a category rather than dropping it: a
// "$" keyword that is neither registered ($MDNSent, $Junk...) nor a
// Thunderbird label, and whose name is not empty once cleaned up. Reports
// use it to say which dropped keywords the setting would keep.
func KeptByKeepDollar(flag string) bool {
	if !strings.HasPrefix(flag, "$") {
		return false
	}
	if role, label := knownKeyword(flag); role != kwUnknown || label != "" {
		return false
	}
	decoded, _ := source.DecodeMUTF7(flag)
	return sanitizeCategory(strings.TrimPrefix(decoded, "$")) != ""
}

// lookupLabel finds a keyword in labels: an exact key first, then keys
// equal but for case to the keyword as the source has it or decoded; of
// several such keys the smallest by bytes wins, whatever the map's order.
func lookupLabel(labels map[string]string, raw, decoded string) (string, bool) {
	if len(labels) == 0 {
		return "", false
	}
	if v, ok := labels[raw]; ok {
		return v, true
	}
	best, found := "", false
	var val string
	for k, v := range labels {
		if strings.EqualFold(k, raw) || strings.EqualFold(k, decoded) {
			if !found || k < best {
				best, val, found = k, v, true
			}
		}
	}
	return val, found
}

// sanitizeCategory cleans a category name up as Exchange does on import
// ([MS-OXCICAL] 2.1.3.1.1.20.3), and also drops control characters.
func sanitizeCategory(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == ',' || r == ';' || r == '\u061B' || r == '\uFE54' || r == '\uFF1B':
			continue
		case unicode.IsSpace(r) || unicode.IsControl(r):
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	out, _ := truncateUTF16(b.String(), MaxCategoryLength)
	return strings.TrimRightFunc(out, unicode.IsSpace)
}

// dedupeCategories removes categories equal but for case, keeping the
// smallest spelling by bytes, and sorts them by their case-folded form.
func dedupeCategories(cats []string) []string {
	if len(cats) == 0 {
		return nil
	}
	type cat struct{ key, name string }
	cs := make([]cat, len(cats))
	for i, c := range cats {
		cs[i] = cat{foldKey(c), c}
	}
	slices.SortFunc(cs, func(a, b cat) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, 0, len(cs))
	for i, c := range cs {
		if i > 0 && cs[i-1].key == c.key {
			continue
		}
		out = append(out, c.name)
	}
	return out
}
