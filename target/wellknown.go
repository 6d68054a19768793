package target

import "strings"

// WellKnownMail returns the well-known mail folders below Root that a
// source folder can map to: Inbox, SentItems, Drafts, DeletedItems,
// JunkEmail, Archive.
func WellKnownMail() []string {
	return []string{Inbox, SentItems, Drafts, DeletedItems, JunkEmail, Archive}
}

// DisplayName returns the name Outlook shows for a well-known mail folder
// (Inbox, SentItems, Drafts, DeletedItems, JunkEmail, Archive) in an
// English-language mailbox: "Inbox", "Sent Items", "Drafts", "Deleted
// Items", "Junk Email", "Archive", and "Contacts" and "Calendar" for the
// default contact folder and calendar. It returns "" for Root, which Outlook
// shows as the mailbox itself, and for any other name. Exchange localises
// these names with the mailbox language; Graph addresses the folders by
// their well-known names whatever the language
// (https://learn.microsoft.com/graph/api/resources/mailfolder,
// "Well-known folder names").
func DisplayName(wellKnown string) string {
	switch wellKnown {
	case Inbox:
		return "Inbox"
	case SentItems:
		return "Sent Items"
	case Drafts:
		return "Drafts"
	case DeletedItems:
		return "Deleted Items"
	case JunkEmail:
		return "Junk Email"
	case Archive:
		return "Archive"
	case Contacts:
		return "Contacts"
	case Calendar:
		return "Calendar"
	}
	return ""
}

// DisplayPath returns where a folder is, as Outlook shows it: the display
// name of the well-known folder it is under (or, for Root, nothing), then
// the path below it, joined with "/": "Inbox/Projects", "Sent Items",
// "work (2)" for a folder at the top of the mailbox, "(mailbox root)" for
// Root itself. A wellKnown that is not one of the constants is shown as it
// is.
func DisplayPath(wellKnown string, below ...string) string {
	var path []string
	if n := DisplayName(wellKnown); n != "" {
		path = append(path, n)
	} else if wellKnown != Root && wellKnown != "" {
		path = append(path, wellKnown)
	}
	path = append(path, below...)
	if len(path) == 0 {
		return "(mailbox root)"
	}
	return strings.Join(path, "/")
}
