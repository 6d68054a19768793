// Package seed holds the corpus the test servers of package testserver are
// seeded from: the mail accounts, folders and messages (mail/accounts.yaml
// and the .eml files it names) and the contacts and calendars
// (dav/accounts.yaml and one directory per account and collection); and
// the local mail stores (stores/: a Thunderbird profile whose
// Mail/Local Folders account source/mbox's tests, the e2e tests and the
// demo read).
//
// The corpus is embedded in every binary that imports this package, so
// `migrate demo` runs from an installed binary without a checkout. This
// directory is its only home: tests, the demo and other packages' tests
// read the same files.
package seed

import (
	"embed"
	"io/fs"
)

// The directory is not named testdata on purpose: the go tool ignores
// packages under testdata, and embed patterns may not leave the package
// directory.
//
//go:embed mail dav stores/thunderbird
var corpus embed.FS

// Mail returns the mail corpus; accounts.yaml is at its root.
func Mail() fs.FS { return sub("mail") }

// DAV returns the contacts and calendars corpus; accounts.yaml is at its
// root.
func DAV() fs.FS { return sub("dav") }

// Thunderbird returns a Thunderbird profile directory: prefs.js and
// Mail/Local Folders/, the account directory a SourcePath names
// (stores/README.md describes its folders and messages).
func Thunderbird() fs.FS { return sub("stores/thunderbird") }

// ThunderbirdAccount is the path of the account directory in
// Thunderbird().
const ThunderbirdAccount = "Mail/Local Folders"

func sub(dir string) fs.FS {
	f, err := fs.Sub(corpus, dir)
	if err != nil {
		// fs.Sub fails only for an invalid path, and dir is a constant.
		panic(err)
	}
	return f
}
