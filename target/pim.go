package target

import (
	"context"
	"io"
	"iter"
	"time"
)

// Contacts and events reach a target through two optional abilities of a
// Mailbox, found by type assertion like every optional ability:
//
//	if cw, ok := mb.(target.ContactWriter); ok { ... }
//
// A source yields them as items of kind contact (text/vcard) and event
// (text/calendar) in folders of that kind (see source.Kind); the mapping
// stage turns each into a Contact or an Event; the engine hands them to
// the writer. Each writer is to its items what Mailbox is to messages:
// folders created idempotently, items created atomically and stamped with
// their source key and content identity, and a Stamps listing through
// which a lost state is reconciled. A target without a writer cannot
// take that kind: the engine skips those items with a reason.

// ContactWriter is an optional ability of a Mailbox: it creates contacts.
type ContactWriter interface {
	// EnsureContactFolder returns the contact folder at path below the
	// mailbox's default contact folder (the default folder itself when
	// path is empty), creating what is missing; idempotent like
	// EnsureFolder, under any letter case.
	EnsureContactFolder(ctx context.Context, path []string) (FolderID, error)
	// PutContact creates c in contact folder f, stamped with c.SourceKey
	// and c.ContentID, atomically as PutMessage.
	PutContact(ctx context.Context, f FolderID, c *Contact) (Created, error)
	// ContactStamps streams the stamps of every complete stamped contact
	// in f, paging through the target.
	ContactStamps(ctx context.Context, f FolderID) iter.Seq2[Stamp, error]
}

// EventWriter is an optional ability of a Mailbox: it creates calendar
// events. It never sends a meeting invitation, update or cancellation:
// an event is created without attendees (their list and responses go in
// Event.Attendees, which the target keeps in the body or a property), so
// that creating it mails no one.
type EventWriter interface {
	// EnsureCalendar returns the calendar named name (the mailbox's
	// default calendar when name is ""), creating it when missing;
	// idempotent, under any letter case. Calendars are flat.
	EnsureCalendar(ctx context.Context, name string) (FolderID, error)
	// PutEvent creates e in calendar f, stamped with e.SourceKey and
	// e.ContentID, atomically as PutMessage, and with its exceptions
	// (Event.Cancelled, Event.Overrides) applied and its attachments
	// added before it is complete.
	PutEvent(ctx context.Context, f FolderID, e *Event) (Created, error)
	// EventStamps streams the stamps of every complete stamped event
	// (series masters and single events, not occurrences) in f.
	EventStamps(ctx context.Context, f FolderID) iter.Seq2[Stamp, error]
}

// PIMFinder is an optional ability of a Mailbox with a ContactWriter or
// an EventWriter, found by type assertion: it finds a contact folder or a
// calendar as EnsureContactFolder and EnsureCalendar match them, without
// creating anything, so that `migrate verify` without a state finds where
// a run put an address book or a calendar. It only reads.
type PIMFinder interface {
	// FindContactFolder returns the contact folder at path below the
	// mailbox's default contact folder (the default folder itself when
	// path is empty), matched as EnsureContactFolder matches names;
	// found is false, with no error, when a folder of the path does not
	// exist.
	FindContactFolder(ctx context.Context, path []string) (id FolderID, found bool, err error)
	// FindCalendar returns the calendar named name (the default calendar
	// when name is ""), matched as EnsureCalendar matches names; found is
	// false, with no error, when there is none.
	FindCalendar(ctx context.Context, name string) (id FolderID, found bool, err error)
}

// EventInspector is an optional ability of a Mailbox with an
// EventWriter, found by type assertion: it lists a series' occurrences as
// the target computes them, so that `migrate verify` can check that the
// cancelled occurrences of a series are cancelled in the target too
// (Graph's /events/{id}/instances leaves deleted occurrences out, so a
// listing of the series shows nothing of them). It only reads.
type EventInspector interface {
	// Occurrences returns the original starts of the occurrences of the
	// series id in calendar f whose original start is in [from, to),
	// cancelled ones left out, in order; none for a single event.
	Occurrences(ctx context.Context, f FolderID, id ItemID, from, to time.Time) ([]time.Time, error)
}

// Contact is a contact ready to be created: what the mapping kept of one
// vCard, in the shape of Graph's contact resource
// (https://learn.microsoft.com/graph/api/resources/contact), the only
// contact target there is. What did not fit (a fourth e-mail address, a
// typed web site) is in Notes, and the mapping reports it.
type Contact struct {
	// SourceKey and ContentID stamp the created item (see Message).
	SourceKey, ContentID string
	// DisplayName is the name shown; the name parts as vCard N has them.
	DisplayName                                       string
	GivenName, MiddleName, Surname, Title, Generation string
	Nickname                                          string
	Emails                                            []Address // at most 3 in Graph
	IMAddresses                                       []string
	BusinessPhones, HomePhones                        []string // at most 2 each in Graph
	MobilePhone                                       string
	Home, Business, Other                             PostalAddress
	CompanyName, Department, JobTitle, OfficeLocation string
	Manager, AssistantName, Profession, SpouseName    string
	Children                                          []string
	BusinessHomePage                                  string
	// Birthday is the date of birth at midnight UTC (zero when unknown).
	Birthday time.Time
	// Anniversary is the wedding anniversary at midnight UTC (zero when
	// unknown). Graph v1.0 has no field for it: a writer keeps it in an
	// extended property.
	Anniversary time.Time
	// Notes is the contact's notes, with what did not fit elsewhere.
	Notes string
	// Categories are the contact's categories.
	Categories []string
	// Photo is a JPEG photo (nil when none).
	Photo []byte
}

// Address is a named e-mail address.
type Address struct {
	Name, Address string
}

// PostalAddress is a postal address; the zero value is none.
type PostalAddress struct {
	Street, City, State, PostalCode, Country string
}

// Event is a calendar event ready to be created: what the mapping kept
// of one iCalendar VEVENT (with its recurrence overrides), in the shape of
// Graph's event resource
// (https://learn.microsoft.com/graph/api/resources/event).
type Event struct {
	// SourceKey and ContentID stamp the created item (see Message).
	SourceKey, ContentID string
	// UID is the iCalendar UID, kept so that the event can be matched to
	// later copies of the same meeting.
	UID string
	// Subject, Location and Body (plain text, or HTML when BodyHTML).
	Subject, Location, Body string
	BodyHTML                bool
	// Start and End; End is exclusive. TimeZone is the zone both are
	// meant in, as a name the target accepts (Windows or IANA).
	Start, End time.Time
	TimeZone   string
	// AllDay events start and end at midnight in TimeZone.
	AllDay bool
	// ShowAs is free, tentative, busy, oof or workingElsewhere ("" busy).
	ShowAs string
	// Private marks the event private.
	Private bool
	// Reminder is how long before the start the reminder fires; nil for
	// none.
	Reminder *time.Duration
	// Categories are the event's categories.
	Categories []string
	// Recurrence is the series' rule, nil for a single event.
	Recurrence *Recurrence
	// Cancelled lists the original starts of cancelled occurrences;
	// Overrides the occurrences changed from the series.
	Cancelled []time.Time
	Overrides []Occurrence
	// Organizer and Attendees are kept as information only: the target
	// never invites anyone (see EventWriter).
	Organizer Address
	Attendees []Attendee
	// Attachments are the event's files, added before the event is
	// complete (see EventWriter.PutEvent).
	Attachments []EventAttachment
}

// EventAttachment is a file attached to an event.
type EventAttachment struct {
	// Name is the file name (never empty: the mapping makes one up);
	// ContentType its media type ("" application/octet-stream).
	Name, ContentType string
	// Size is the content's size in bytes.
	Size int64
	// Open returns the content; it may be called more than once (a
	// retry reads it again).
	Open func() (io.ReadCloser, error)
	// ContentID and Inline mark a file the body shows (cid: URL).
	ContentID string
	Inline    bool
}

// Attendee is an event's attendee and their response.
type Attendee struct {
	Address
	// Response is accepted, declined, tentativelyAccepted or "" (none).
	Response string
	// Optional is true for an optional attendee.
	Optional bool
}

// Occurrence is one changed occurrence of a series: its original start
// and what differs.
type Occurrence struct {
	OriginalStart     time.Time
	Start, End        time.Time
	Subject, Location string
}

// Recurrence is a series rule in the terms Graph accepts
// (https://learn.microsoft.com/graph/api/resources/patternedrecurrence);
// the mapping expands or reports what these cannot express.
type Recurrence struct {
	// Pattern is daily, weekly, absoluteMonthly, relativeMonthly,
	// absoluteYearly or relativeYearly.
	Pattern string
	// Interval is the number of units between occurrences (>= 1).
	Interval int
	// DaysOfWeek (sunday...saturday), DayOfMonth, Month (1-12) and Index
	// (first, second, third, fourth, last) as the pattern needs them.
	DaysOfWeek []string
	DayOfMonth int
	Month      int
	Index      string
	// FirstDayOfWeek for weekly patterns ("" sunday).
	FirstDayOfWeek string
	// The range: from StartDate, until EndDate (inclusive, a date), or
	// for Occurrences occurrences, or with no end when both are zero.
	StartDate, EndDate time.Time
	Occurrences        int
}
