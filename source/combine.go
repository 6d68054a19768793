package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
)

// Combine returns one Account holding the folders of primary (a mail
// account) and then those of others (address books and calendars from a
// DAV server or export files), so that the engine migrates a mailbox row
// from all of them as one account. With no others it returns primary
// itself. Items and Open go to the account that listed the folder;
// Close closes them all. A folder is told apart by its Kind and Name, so
// two accounts must not list a folder of the same kind and name (an
// error from Folders).
//
// The optional abilities of primary (HeaderReader, Deleter...) are found
// through As, not by type assertion on the combined Account.
func Combine(primary Account, others ...Account) Account {
	if len(others) == 0 {
		return primary
	}
	return &combined{accts: append([]Account{primary}, others...)}
}

// As returns acct's optional ability T: acct's own or, for an Account
// made by Combine, its primary account's (found through As again, so
// that a combined account whose primary is itself combined, as
// source/mailparts makes one, still reaches the mail account's).
func As[T any](acct Account) (T, bool) {
	if t, ok := acct.(T); ok {
		return t, true
	}
	if c, ok := acct.(*combined); ok {
		return As[T](c.accts[0])
	}
	var zero T
	return zero, false
}

// combined is the Account Combine makes.
type combined struct {
	accts []Account
	// owner maps a folder (folderID) to the index of the account that
	// listed it; Folders fills it.
	owner map[string]int
}

func folderID(f Folder) string { return string(f.Kind) + "\x00" + f.Name }

// Folders lists the folders of every account, primary's first.
func (c *combined) Folders(ctx context.Context) ([]Folder, error) {
	var out []Folder
	owner := map[string]int{}
	for i, a := range c.accts {
		fs, err := a.Folders(ctx)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			id := folderID(f)
			if _, dup := owner[id]; dup {
				return nil, fmt.Errorf("two sources of the mailbox list the %s folder %q", kindName(f.Kind), f.Name)
			}
			owner[id] = i
			out = append(out, f)
		}
	}
	c.owner = owner
	return out, nil
}

// account returns the account that listed f, listing the folders first
// when that was not done yet.
func (c *combined) account(ctx context.Context, f Folder) (Account, error) {
	if c.owner == nil {
		if _, err := c.Folders(ctx); err != nil {
			return nil, err
		}
	}
	i, ok := c.owner[folderID(f)]
	if !ok {
		return nil, fmt.Errorf("%s folder %q: %w", kindName(f.Kind), f.Name, ErrNotFound)
	}
	return c.accts[i], nil
}

// Items streams the items of f from the account that listed it.
func (c *combined) Items(ctx context.Context, f Folder) iter.Seq2[ItemRef, error] {
	a, err := c.account(ctx, f)
	if err != nil {
		return func(yield func(ItemRef, error) bool) { yield(ItemRef{}, err) }
	}
	return a.Items(ctx, f)
}

// Open opens an item of f from the account that listed it.
func (c *combined) Open(ctx context.Context, f Folder, ref ItemRef) (io.ReadCloser, error) {
	a, err := c.account(ctx, f)
	if err != nil {
		return nil, err
	}
	return a.Open(ctx, f, ref)
}

// Close closes every account.
func (c *combined) Close() error {
	var errs []error
	for _, a := range c.accts {
		errs = append(errs, a.Close())
	}
	return errors.Join(errs...)
}

// kindName names a folder kind for messages ("" is mail).
func kindName(k Kind) string {
	if k == "" {
		return string(KindMessage)
	}
	return string(k)
}
