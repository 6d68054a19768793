package dav

import (
	"errors"

	"github.com/migrate-tool/migrate/source"
)

// Sentinel errors. Errors of this package wrap them, so callers decide with
// errors.Is; ErrConnect, ErrAuth and ErrNotFound also match source.ErrConnect,
// source.ErrAuth and source.ErrNotFound. No error text ever holds the
// password.
var (
	// ErrConnect means the server could not be reached, TLS failed, or it
	// answered 502, 503 or 504.
	ErrConnect = source.NewError("cannot connect to the DAV server", source.ErrConnect)
	// ErrAuth means the server answered 401 Unauthorized.
	ErrAuth = source.NewError("the DAV server refused the credentials", source.ErrAuth)
	// ErrNotFound means a collection or object is not (or no longer) on the
	// server (404 or 410).
	ErrNotFound = source.NewError("not found on the DAV server", source.ErrNotFound)
	// ErrPlaintextNotAllowed means a URL (given, discovered or redirected
	// to) is http:// and Options.AllowPlaintext is not set: basic
	// authentication would send the password unencrypted.
	ErrPlaintextNotAllowed = errors.New("plain http:// DAV is not allowed (it sends the password unencrypted): use https:// or set AllowPlaintext")
	// ErrDiscovery means no CardDAV or CalDAV service was found for the
	// account.
	ErrDiscovery = errors.New("no CardDAV or CalDAV service found")
	// ErrTooManyRedirects means a request was redirected more than
	// maxRedirects times.
	ErrTooManyRedirects = errors.New("too many redirects")
)
