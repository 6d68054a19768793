// Package testserver starts real mail and DAV servers on 127.0.0.1 and
// seeds them from the corpus of package seed (source/testserver/seed,
// embedded in the binary), for tests and demos.
//
// [StartDovecot] runs Dovecot (IMAP, IMAPS, POP3, POP3S) from a generated
// configuration under a temporary directory and seeds it over IMAP from
// seed/mail/accounts.yaml; [StartRadicale] runs Radicale (CardDAV,
// CalDAV) and seeds it over HTTP from seed/dav/; [StartMemIMAP] is an
// in-process IMAP server (go-imap's imapmemserver) seeded from the same
// mail corpus, for demos on machines without Dovecot, or with empty
// accounts and the hooks the IMAP adapter's tests need (roles, \Noselect
// parents, namespaces, a master user, XOAUTH2, large messages, failures);
// [StartMemPOP3] is an in-process POP3 server with empty accounts for what
// Dovecot cannot be made to show (no UIDL, TOP or CAPA, one session per
// account, locked maildrops, connections dropped mid-RETR or between
// commands); [StartFaultProxy] is a TCP proxy that cuts, stalls, delays
// or slows the connections to any of them, one fault per connection.
//
// The corpus is described by [LoadManifest] and [LoadDAVManifest], so tests
// of other packages can compare what they migrated against what was seeded.
//
// Nothing in this package depends on the testing package except the
// helpers in testing.go ([DovecotForTest], [RadicaleForTest],
// [MemIMAPForTest], [MemPOP3ForTest]), which skip when a server binary is
// missing unless the environment variable CI is "true", in which case they
// fail.
package testserver
