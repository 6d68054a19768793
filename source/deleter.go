package source

import "context"

// Deleter is an optional ability of an Account, found by type assertion:
// deleting items from the source. It is the one exception to "the source
// is never modified", and only the separately named command that deletes
// what `migrate verify` confirmed in the target may call it; plan, run
// and verify never do. source/pop3 implements it; source/imap does not.
type Deleter interface {
	// Delete deletes the items of folder f whose keys are given (keys as
	// Items lists them), in one session, and says which were deleted. A
	// key the source no longer lists is reported in DeleteResult.NotFound,
	// not as an error. On an error, DeleteResult says what is known to be
	// deleted (for POP3: nothing, unless the session reached its end).
	Delete(ctx context.Context, f Folder, keys []string) (DeleteResult, error)
}

// DeleteResult is what Deleter.Delete did.
type DeleteResult struct {
	// Deleted are the keys of the items deleted, Bytes their total size.
	Deleted []string
	Bytes   int64
	// NotFound are the keys given that the source no longer lists.
	NotFound []string
}
