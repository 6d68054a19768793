package source

import "errors"

// The error vocabulary of sources. Adapters wrap these (directly, or through
// sentinels of their own made with NewError), so that the engine and the
// command line decide with errors.Is and never on an error's text.
var (
	// ErrConnect: the source could not be reached or the connection could
	// not be secured (DNS, TCP, TLS, STARTTLS, a refusing greeting, a
	// server that is temporarily unavailable). Retrying later may help.
	ErrConnect = errors.New("cannot connect to the source")
	// ErrAuth: the source refused the credentials, or offers no login
	// method the settings allow. Never retried, so that a wrong password
	// cannot lock an account out.
	ErrAuth = errors.New("the source refused the credentials")
	// ErrNotFound: the folder or item is not (or no longer) in the source,
	// for example a message expunged since it was listed.
	ErrNotFound = errors.New("not found in the source")
	// ErrValidityChanged: the folder was renumbered (IMAP UIDVALIDITY
	// changed) since its items were listed or keyed: keys from before mean
	// nothing now, and items must be matched by content.
	ErrValidityChanged = errors.New("source folder renumbered (its validity changed)")
)

// NewError returns a sentinel error with its own text that matches kind
// (ErrConnect, ErrAuth, ErrNotFound or ErrValidityChanged) with errors.Is,
// so that an adapter's own sentinels, such as imap.ErrAuth, speak the
// shared vocabulary without repeating its text.
func NewError(text string, kind error) error {
	return &kindError{text: text, kind: kind}
}

type kindError struct {
	text string
	kind error
}

func (e *kindError) Error() string { return e.text }

// Is makes errors.Is(e, kind) true.
func (e *kindError) Is(target error) bool { return target == e.kind }
