package pop3

import (
	"errors"

	"github.com/migrate-tool/migrate/source"
)

// Sentinel errors. Errors returned by this package wrap them, so callers
// test with errors.Is; ErrConnect, ErrAuth and ErrNotFound also match the
// source vocabulary (source.ErrConnect and so on). Messages name the
// mailbox (user).
var (
	// ErrConnect means the server could not be reached or the connection
	// could not be secured: DNS, TCP, TLS or STLS failure, a greeting other
	// than +OK, a maildrop locked by another session ([IN-USE]) or a
	// temporary failure ([SYS/TEMP]).
	ErrConnect = source.NewError("cannot connect to the POP3 server", source.ErrConnect)
	// ErrAuth means the server refused the login (USER/PASS, AUTH PLAIN or
	// APOP), or does not offer the login method Options.Auth asks for.
	ErrAuth = source.NewError("POP3 authentication failed", source.ErrAuth)
	// ErrNotFound means the folder is not INBOX, or no message of the
	// current session has the key asked for (or the server no longer
	// returns it).
	ErrNotFound = source.NewError("POP3 folder or message not found", source.ErrNotFound)
	// ErrPlaintextNotAllowed means Security is "plain" but AllowPlaintext
	// is not set.
	ErrPlaintextNotAllowed = errors.New("plaintext POP3 is not allowed")
	// ErrBusy means a reader returned by Open is still open: close it
	// before the next call on the Account.
	ErrBusy = errors.New("POP3 connection busy: the reader returned by Open must be closed first")
	// ErrClosed means the Account was closed, or its connection broke.
	ErrClosed = errors.New("POP3 account is closed")
)

// respError is a -ERR answer of the server.
type respError struct {
	cmd  string // the command's verb
	text string // what followed -ERR
}

// Error implements error.
func (e *respError) Error() string {
	if e.text == "" {
		return e.cmd + ": -ERR"
	}
	return e.cmd + ": -ERR " + e.text
}

// code returns the RFC 2449 response code in brackets ("IN-USE",
// "SYS/TEMP", "AUTH"...), or "".
func (e *respError) code() string {
	if len(e.text) < 2 || e.text[0] != '[' {
		return ""
	}
	for i := 1; i < len(e.text); i++ {
		if e.text[i] == ']' {
			return e.text[1:i]
		}
	}
	return ""
}
