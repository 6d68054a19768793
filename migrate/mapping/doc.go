// Package mapping decides where and how each source folder and message
// lands in Exchange Online: folders to Graph folders (Folders), IMAP flags
// and keywords to message state and categories (Flags), and each item to
// migrate or skip (Item). It is pure: no I/O, no package state, and the same
// input always gives the same output, whatever its order, because the state
// of a resumed run depends on it.
//
// # The mapping
//
// The table is Markdown, for README.md. "Reported" means the folder
// mapping's Changes or Reason, or the item decision's Reason or
// State.Dropped, say so.
//
//	| Source | Target | Kept, changed or dropped |
//	|---|---|---|
//	| **Folders** | | |
//	| INBOX (any case) | Inbox (Graph well-known folder `inbox`) | kept |
//	| `\Sent`, `\Drafts`, `\Trash`, `\Junk`, `\Archive` folder | Sent Items, Drafts, Deleted Items, Junk Email, Archive (`sentitems`, `drafts`, `deleteditems`, `junkemail`, `archive`) | kept; the role comes from the server at any depth; a role no folder announces is guessed from the name (e.g. "Archive" on a server that announces only `\Sent` and `\Trash`), and counts at the top, under INBOX or under a listed `\Noselect` container such as `[Gmail]` ("Projects/Sent" stays an ordinary folder, reported); a guessed role is reported |
//	| subfolders of those (Sent/2019) | subfolders of the well-known folder (Sent Items/2019) | kept |
//	| a second folder with the same role ("Sent" and "Sent Messages") | subfolder of the well-known folder under its own name (Sent Items/Sent Messages) | changed, reported; the first is chosen by: holds items, announced before guessed, shallower, named as the role (Sent, Drafts, Trash, Junk, Archive) before other names, path bytes |
//	| other folders | same hierarchy below the mailbox root (`msgfolderroot`) | kept |
//	| `\All`, `\Flagged`, `\Important` folders (Gmail's All Mail, Starred, Important) | none | dropped, reported: their messages are in other folders, with their flags |
//	| `\Noselect` folder | created only if a migrated folder goes inside it; never holds items | kept as a parent, else dropped, reported |
//	| contact or calendar folder | none here | left to the contact and calendar mapping |
//	| `folders.rename` from → to | the "to" path; a first segment Inbox, Sent Items, Deleted Items, Drafts, Junk Email or Archive (or its well-known name) puts it in that folder, "Sent Items" alone merges into it | changed, reported; subfolders move along; a folder's own rename wins over its role |
//	| `folders.exclude`, `folders.include` globs | none | dropped, reported; a pattern matching a folder covers its subfolders; exclude wins; parents of included folders are still created |
//	| top-level name of an Exchange default folder (Calendar, Contacts, Outbox, Files, Tasks, Notes, Journal, Sync Issues, RSS Feeds, Clutter, Scheduled, Conversation History...) | name + " (imported)" | changed, reported |
//	| "/" or "\" in a name; control characters | "_" | changed, reported |
//	| invalid UTF-8 | U+FFFD | changed, reported |
//	| leading or trailing spaces; empty name | trimmed; "(no name)" | changed, reported |
//	| name over 255 UTF-16 code units | cut to 255 | changed, reported |
//	| names equal but for case (or Unicode normalisation) below one target folder | the first by source name bytes keeps it, the others get " (2)", " (3)"..., never a name already taken | changed, reported |
//	| **Messages** | | |
//	| `\Seen` | read | kept |
//	| `\Answered` | replied to (last verb) | kept |
//	| `$Forwarded` | forwarded (last verb; replied wins if both) | kept |
//	| `\Flagged` (Gmail's `\Starred` label) | flagged for follow-up | kept |
//	| `\Draft`, or any message in the source Drafts folder itself | draft | kept |
//	| `\Deleted` | skipped, "flagged \Deleted on the source"; with `filters.deleted_items: migrate`, migrated as an ordinary message | dropped by default, reported |
//	| `\Recent` | none | dropped (session state) |
//	| Thunderbird `$label1`–`$label5` | categories Important, Work, Personal, To Do, Later | changed |
//	| user keywords, client labels | categories: modified UTF-7 decoded, separators , ; removed, spaces collapsed, cut to 255, case-insensitive duplicates removed | kept |
//	| system keywords (`$MDNSent`, `$Junk`, `$NotJunk`, `Junk`, `NonJunk`, `NotJunk`, `$Phishing`, `$SubmitPending`, `$Submitted`, `$MailFlagBit0`–`2`, `$HasAttachment`, `$HasNoAttachment`, `$IsTrusted`, `$Important`, `Old`...) | none | dropped, reported (per item in the state; counted in the run summary, the plan and both reports) |
//	| other `$` keywords, other `\` flags (Gmail's `\Important`, `\Inbox`...) | none; with `keywords.keep_dollar: true` the `$` ones become categories without the `$` (`$Project` is "Project") | dropped, reported |
//	| received date (IMAP INTERNALDATE) | received time (PR_MESSAGE_DELIVERY_TIME) | kept |
//	| Date header | sent time (PR_CLIENT_SUBMIT_TIME) | kept |
//	| `Disposition-Notification-To`, `Return-Receipt-To`... | isReadReceiptRequested and isDeliveryReceiptRequested false | dropped: an old message never sends a receipt |
//	| `filters.since`, `filters.before`, `filters.max_size`, `target.max_message_size` | none | skipped, reported |
//
// # Decisions and their sources
//
// Well-known folders: Graph's mailFolder resource lists the well-known
// folder names and says they work whatever the mailbox language
// (https://learn.microsoft.com/graph/api/resources/mailfolder). Exchange's
// default folders also include Calendar, Contacts, Journal, Notes, Outbox,
// Tasks and others ([MS-OXWSCDATA] 2.2.5.10 DistinguishedFolderIdNameType);
// Exchange Online refuses "Files" ("NO Folder name is reserved", imapsync's
// FAQ.Office365). A source folder must not land in one of them by name, so
// a top-level folder with such a name gets ReservedSuffix. The names are
// localised with the mailbox; RulesOptions.Reserved adds other languages.
//
// Folder names: sibling folders must have unique display names
// ([MS-OXCFOLD] 3.2.5.2, ecDuplicateName), and Exchange compares them
// without case (imapsync's FAQ.Office365, "Couldn't create folder [trash]
// Mailbox already exists"), hence the " (2)" suffixes, in the byte order of
// the source names so that a rerun gives the same names. Exchange puts no
// character restriction on folders created through its APIs (Exchange 2007
// SDK, "Special Characters in Folder Names"), but Outlook on the web and
// Exchange tools refuse or mangle "/" and "\" (KB 256385; MigrationWiz
// turns "/" into "_"), and Outlook synchronisation trips over trailing
// spaces. No maximum length is documented; the only figure found is
// Outlook on the web's maximum folder name length of 256, so names are cut
// to MaxFolderNameLength (255).
//
// Virtual folders: RFC 6154 defines \All and \Flagged as views of messages
// stored elsewhere; RFC 8457 defines \Important likewise. Migrating them
// would duplicate every message.
//
// Keywords: the IANA "IMAP and JMAP Keywords" registry (RFC 5788, 8621)
// and RFC 9979 list the keywords clients and servers set for their own
// use; RFC 8457 adds $Important. By convention a "$" marks such keywords,
// and people's own labels do not begin with "$" or "\", so unknown "$"
// keywords are dropped unless FlagOptions.KeepDollarKeywords is set (the
// project key keywords.keep_dollar; KeptByKeepDollar says which keywords
// it would keep).
// $Important and Gmail's \Important are dropped too: Gmail sets them by its
// own ranking on much of the mail, so as a category they would be noise
// (FlagOptions.Labels can map them). Carrying system keywords over is a
// known failure: after IMAP imports "every single mail ... owns the
// category $MDNSent" (imapsync's FAQ.Office365). Thunderbird's $label1-5
// default names are Important, Work, Personal, To Do and Later; it names
// other tags' keywords after the tag, lower-case, in modified UTF-7 (RFC
// 3501 5.1.3) with "_" for spaces, so keywords are decoded when they are
// canonical modified UTF-7, and FlagOptions.UnderscoresAsSpaces turns "_"
// back into spaces (off by default: other clients use "_" literally).
//
// Categories: Exchange imports categories by removing the separators
// , ; U+061B U+FE54 U+FF1B, collapsing white space, trimming, cutting to 255
// WCHARs without splitting surrogate pairs and removing case-insensitive
// duplicates and empty strings ([MS-OXCICAL] 2.1.3.1.1.20.3); Flags does
// the same so that what the report shows is what the mailbox gets.
//
// Read receipts: a message imported with its Disposition-Notification-To
// header sends a read receipt when first opened in Outlook, years late
// (imapsync's FAQ.Office365, --disarmreadreceipts); see
// ReceiptRequestHeaders.
//
// # Stability across runs
//
// A resumed run maps the same folders to the same targets as long as the
// source folders and the rules are the same. A folder created on the source
// between runs can change the choice of the primary special-use folder or
// the suffixes of folders whose names differ only by case; the engine
// should keep the target of each folder it has started to migrate in its
// state and warn when Folders proposes another.
package mapping
