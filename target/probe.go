package target

import "context"

// Prober is an optional ability of a Mailbox, found by type assertion: it
// tries out on the real mailbox what a run relies on but no test here can
// prove, because it rests on the target's documentation only. It creates a
// hidden, clearly named folder, creates one message in it the way a run
// does, reads it back, and deletes what it made.
//
// A probe writes to the mailbox: callers run it only when asked
// (`migrate doctor --probe MAILBOX`, `migrate plan --probe MAILBOX`).
type Prober interface {
	Probe(ctx context.Context) (ProbeResult, error)
}

// Answers of a tenant to a probe's questions.
const (
	// AnswerYes: the probe saw the tenant do it.
	AnswerYes = "yes"
	// AnswerNo: the probe saw the tenant refuse it or not keep it.
	AnswerNo = "no"
)

// TenantAnswers are what a probe learned of the tenant that a run chooses
// its path from. An empty answer means not probed: the run then decides
// as it goes (for example at the first refusal).
type TenantAnswers struct {
	// ReceivedMail is AnswerYes when a message created with its message
	// flags (no "unsent" bit) is received mail, not a draft, with the
	// delivery and submit times that were set.
	ReceivedMail string `json:"received_mail,omitempty"`
	// AttachToReceived is AnswerYes when the mailbox accepts attachments
	// added to a received (non-draft) message after its creation, which a
	// run needs for attachments that do not fit in the creation request.
	// With AnswerNo a run creates such messages as drafts carrying every
	// attachment from the start.
	AttachToReceived string `json:"attach_to_received,omitempty"`
}

// ProbeCheck is one property the probe set and read back.
type ProbeCheck struct {
	// Property names what was checked, for example "received mail (not a
	// draft)" or "5 MB attachment through an upload session".
	Property string `json:"property"`
	// Want is what was set, Got what the target gave back.
	Want string `json:"want"`
	Got  string `json:"got"`
	// Kept is true when Got is what a run needs.
	Kept bool `json:"kept"`
	// Answer names the TenantAnswers field this check decides
	// (AnswerReceivedMail, AnswerAttachToReceived), or "".
	Answer string `json:"answer,omitempty"`
}

// Names of the TenantAnswers fields, for ProbeCheck.Answer.
const (
	AnswerReceivedMail     = "received_mail"
	AnswerAttachToReceived = "attach_to_received"
)

// ProbeResult is what a probe found.
type ProbeResult struct {
	// Mailbox is the mailbox probed, Folder the name of the hidden folder
	// the probe made in it.
	Mailbox string `json:"mailbox"`
	Folder  string `json:"folder"`
	// Checks are the properties checked, in the order checked.
	Checks []ProbeCheck `json:"checks"`
	// Answers are the tenant's answers a run uses.
	Answers TenantAnswers `json:"answers"`
	// Left is empty when everything the probe made was deleted; otherwise
	// it says what is left in the mailbox, for the user to delete.
	Left string `json:"left,omitempty"`
}

// AllKept reports whether every check was kept.
func (r ProbeResult) AllKept() bool {
	for _, c := range r.Checks {
		if !c.Kept {
			return false
		}
	}
	return true
}
