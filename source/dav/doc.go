// Package dav is a source.Account over CardDAV (RFC 6352) and CalDAV
// (RFC 4791): the address books and calendars of one user, found from an
// explicit URL or by RFC 6764 discovery, listed as folders of kind
// source.KindContact and source.KindEvent.
//
// It only reads: PROPFIND and GET, never PUT, DELETE, PROPPATCH or MKCOL.
// Objects are streamed raw (one vCard or one iCalendar resource per item)
// and never parsed here, so one object that does not parse loses nothing
// else: the engine parses them one by one.
//
// Discovery, collections and objects all use this package's own PROPFIND,
// not github.com/emersion/go-webdav: go-webdav decodes a whole multistatus
// in memory, aborts a calendar listing on the first object it cannot parse,
// does not expose resourcetype, current-user-privilege-set or
// supported-calendar-component-set, which decide what is skipped, and its
// FindCalendarHomeSet and FindAddressBookHomeSet return only the href's
// path, losing the host of a home set on another server (iCloud).
package dav
