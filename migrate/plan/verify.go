package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// VerifyFormat identifies a verification file; VerifyVersion is the
// version this package writes and reads.
const (
	VerifyFormat  = "migrate-verify"
	VerifyVersion = 1
)

// The kinds of Problem a verification finds.
const (
	// ProblemMissing: a source item that should be in the target is not.
	ProblemMissing = "missing"
	// ProblemDoubled: the target holds more than one item stamped with the
	// source item's key.
	ProblemDoubled = "doubled"
	// ProblemChanged: the item differs from what was migrated (its source
	// size, or the target item the state recorded).
	ProblemChanged = "changed"
	// ProblemExtra: the target holds a stamped item whose source item is
	// gone. Reported, not a failure: the source may have deleted it after
	// the migration.
	ProblemExtra = "extra"
	// ProblemUnparsable: a contact or event item that does not parse, so
	// the run cannot migrate it: not expected in the target (counted as
	// skipped) and not a failure of the comparison; the plan and the run
	// list it too.
	ProblemUnparsable = "unparsable"
	// ProblemError: the mailbox or folder could not be compared.
	ProblemError = "error"
)

// Verification is the result of comparing the sources with the target.
type Verification struct {
	// Format is always "migrate-verify"; Version the format version.
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Tool is the version of migrate that verified.
	Tool string `json:"tool"`
	// CreatedAt is when the verification ran (UTC).
	CreatedAt time.Time `json:"created_at"`
	// OK is true when every mailbox matched: nothing missing, doubled or
	// changed, and no errors.
	OK bool `json:"ok"`
	// Totals sum the mailboxes.
	Totals VerifyCounts `json:"totals"`
	// Mailboxes are the verified mailboxes.
	Mailboxes []VerifyMailbox `json:"mailboxes"`
}

// VerifyCounts count a comparison's outcome.
type VerifyCounts struct {
	// Expected counts the source items that should be in the target;
	// Matched those found exactly once and unchanged.
	Expected int64 `json:"expected"`
	Matched  int64 `json:"matched"`
	// Missing, Doubled, Changed and Extra count the problems by kind;
	// Skipped counts source items not migrated by a rule (filters,
	// exclusions), which are not expected in the target.
	Missing int64 `json:"missing"`
	Doubled int64 `json:"doubled"`
	Changed int64 `json:"changed"`
	Extra   int64 `json:"extra"`
	Skipped int64 `json:"skipped"`
	Errors  int64 `json:"errors"`
}

// Add adds o to c.
func (c *VerifyCounts) Add(o VerifyCounts) {
	c.Expected += o.Expected
	c.Matched += o.Matched
	c.Missing += o.Missing
	c.Doubled += o.Doubled
	c.Changed += o.Changed
	c.Extra += o.Extra
	c.Skipped += o.Skipped
	c.Errors += o.Errors
}

// Failed reports whether the counts include a failure.
func (c VerifyCounts) Failed() bool {
	return c.Missing > 0 || c.Doubled > 0 || c.Changed > 0 || c.Errors > 0
}

// VerifyMailbox is the comparison of one mailbox.
type VerifyMailbox struct {
	Address string `json:"address"`
	Target  string `json:"target"`
	// OK is true when the mailbox matched.
	OK bool `json:"ok"`
	// Unreachable is true when the mailbox could not be compared because
	// its source or the target could not be reached or refused the
	// credentials.
	Unreachable bool `json:"unreachable,omitempty"`
	VerifyCounts
	// Folders are the compared folders.
	Folders []VerifyFolder `json:"folders"`
	// Problems lists the problems (at most MaxProblems per mailbox; the
	// counts are complete).
	Problems []Problem `json:"problems"`
}

// MaxProblems is the most problems a VerifyMailbox lists.
const MaxProblems = 1000

// VerifyFolder is the comparison of one folder.
type VerifyFolder struct {
	// Source is the source path; Target where it was migrated.
	Source string `json:"source"`
	Target string `json:"target"`
	VerifyCounts
}

// Problem is one item or folder that does not match.
type Problem struct {
	// Kind is one of the Problem constants.
	Kind   string `json:"kind"`
	Folder string `json:"folder"`
	// Key is the source key of the item ("" for a folder problem).
	Key string `json:"key,omitempty"`
	// Detail says what was found, as a sentence.
	Detail string `json:"detail"`
	// TargetIDs are the target items involved.
	TargetIDs []string `json:"target_ids,omitempty"`
}

// Sum recomputes Totals and OK from the mailboxes.
func (v *Verification) Sum() {
	v.Totals = VerifyCounts{}
	for i := range v.Mailboxes {
		m := &v.Mailboxes[i]
		m.OK = !m.Failed()
		v.Totals.Add(m.VerifyCounts)
	}
	v.OK = !v.Totals.Failed()
}

// WriteVerification writes v to path (see WriteFile).
func WriteVerification(path string, v *Verification) error {
	v.Format, v.Version = VerifyFormat, VerifyVersion
	return WriteFile(path, v)
}

// ReadVerification reads a verification file.
func ReadVerification(path string) (*Verification, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("verification file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("verification file %s: %w", path, err)
	}
	if err := checkHeader(data, VerifyFormat, VerifyVersion); err != nil {
		return nil, fmt.Errorf("verification file %s: %w", path, err)
	}
	var v Verification
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("verification file %s: %w: %w", path, ErrFormat, err)
	}
	return &v, nil
}
