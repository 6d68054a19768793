// Package imap reads a mailbox over IMAP for the migration engine: it is the
// IMAP adapter behind source.Account, built on go-imap v2's client.
//
// # Guarantees
//
// The adapter never changes the source. Folders are opened with EXAMINE
// (read-only), bodies are fetched with BODY.PEEK[] (no \Seen), and no STORE,
// EXPUNGE, COPY, MOVE, APPEND, CREATE, DELETE or RENAME is ever sent.
//
// Item keys are "UIDVALIDITY.UID" ("1700000000.42"). A folder whose
// UIDVALIDITY differs from the source.Folder.Validity the caller passes (the
// server renumbered it since Folders was called, possibly across a
// reconnection) makes Items and Open fail with an error that matches
// ErrValidityChanged, never mixing two generations of keys.
//
// Memory is bounded: Items holds one window of metadata (Options.WindowSize,
// 1,000 messages by default) and never fetches headers or bodies; Open
// streams the message literal straight from the connection to the caller.
//
// # One command at a time
//
// An Account owns one IMAP connection. Its methods may be called from one
// goroutine at a time (concurrent calls are serialised). The iterator that
// Items returns holds no command open while it yields, so the caller may call
// Open, and even Items on another folder, from inside the loop. The reader
// that Open returns does hold the connection: it must be closed before the
// next call on the Account, which otherwise fails with ErrBusy. Closing a
// reader that was not read to the end drains the rest when little is left
// (up to 1 MiB) and otherwise drops the connection, which the next call
// re-opens.
//
// # Reconnection
//
// When the connection drops (EOF, reset, timeout), Folders, Items and Open
// re-open it, log in again, re-select the folder and carry on: Items
// continues after the last UID it yielded, and a reader from Open resumes
// with a partial fetch (BODY.PEEK[]<offset.length>) at the byte where it
// stopped. At most Options.MaxRetries consecutive attempts are made; an
// authentication failure or a UIDVALIDITY change is never retried.
//
// # Secrets
//
// Passwords and tokens never appear in errors or logs. The optional
// Options.Trace wire log redacts the arguments of LOGIN and AUTHENTICATE and
// every client line of a SASL exchange, and also blanks any occurrence of the
// password, the token and their encoded forms (those of four bytes or more).
// Options formats itself with the secrets masked.
package imap
