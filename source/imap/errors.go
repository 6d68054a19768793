package imap

import (
	"errors"
	"fmt"

	"github.com/migrate-tool/migrate/source"
)

// Sentinel errors. Errors returned by this package wrap them, so callers
// test with errors.Is; ErrConnect, ErrAuth, ErrNotFound and
// ErrValidityChanged also match the source vocabulary (source.ErrConnect
// and so on); the message always names the mailbox (user) and,
// where relevant, the folder and UID.
var (
	// ErrConnect means the server could not be reached or the connection
	// could not be secured: DNS, TCP, TLS or STARTTLS failure, a greeting
	// other than OK, or a server that is temporarily unavailable. The CLI
	// maps it to exit code 3.
	ErrConnect = source.NewError("cannot connect to the IMAP server", source.ErrConnect)
	// ErrAuth means the server refused the credentials or the SASL
	// mechanism the options require is not offered. The CLI maps it to
	// exit code 3. It is never retried, so a wrong password cannot lock an
	// account out.
	ErrAuth = source.NewError("IMAP authentication failed", source.ErrAuth)
	// ErrPlaintextNotAllowed means Security is "plain" but AllowPlaintext
	// is not set.
	ErrPlaintextNotAllowed = errors.New("plaintext IMAP is not allowed")
	// ErrValidityChanged means a folder's UIDVALIDITY is not the one the
	// caller expected: item keys from before mean nothing now. The error
	// is a *ValidityChangedError.
	ErrValidityChanged = source.NewError("IMAP folder UIDVALIDITY changed", source.ErrValidityChanged)
	// ErrNotFound means the message is no longer in the folder (expunged
	// since it was listed), or the folder does not exist.
	ErrNotFound = source.NewError("IMAP folder or message not found", source.ErrNotFound)
	// ErrBusy means a reader returned by Open is still open: close it
	// before the next call on the Account.
	ErrBusy = errors.New("IMAP connection busy: the reader returned by Open must be closed first")
	// ErrClosed means the Account was closed.
	ErrClosed = errors.New("IMAP account is closed")
)

// ValidityChangedError reports that a folder's UIDVALIDITY differs from the
// one its items were keyed with. It matches ErrValidityChanged.
type ValidityChangedError struct {
	// Mailbox is the user whose mailbox it is.
	Mailbox string
	// Folder is the folder's name.
	Folder string
	// Want is the UIDVALIDITY the caller expected, Got the server's.
	Want, Got uint32
}

// Error implements error.
func (e *ValidityChangedError) Error() string {
	return fmt.Sprintf("imap: mailbox %q folder %q: UIDVALIDITY is %d, expected %d: item keys from before are void",
		e.Mailbox, e.Folder, e.Got, e.Want)
}

// Is makes errors.Is(err, ErrValidityChanged) and
// errors.Is(err, source.ErrValidityChanged) true.
func (e *ValidityChangedError) Is(target error) bool {
	return target == ErrValidityChanged || target == source.ErrValidityChanged
}
