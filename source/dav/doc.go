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
// github.com/emersion/go-webdav finds the current-user-principal and the
// home sets. Collections and objects are listed with this package's own
// PROPFIND, because go-webdav decodes a whole multistatus in memory, aborts
// a calendar listing on the first object it cannot parse, and does not
// expose resourcetype, current-user-privilege-set or
// supported-calendar-component-set, which decide what is skipped.
package dav
