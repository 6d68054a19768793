package graph

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// TestProbe runs the tenant probe against both answers the emulator can
// give to attachments added to received mail: every other property is
// kept either way, the answer is recorded, and nothing is left behind.
func TestProbe(t *testing.T) {
	tests := []struct {
		name       string
		onNonDraft bool
		want       string
	}{
		{"attachments on received mail accepted", true, target.AnswerYes},
		{"attachments on received mail refused", false, target.AnswerNo},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, &graphemu.Options{AttachmentsOnNonDraft: tc.onNonDraft}, nil)
			ctx := testContext(t)
			mb := e.mailbox(t, ctx)
			before := len(e.dump(t).Folders)
			var p target.Prober = mb
			res, err := p.Probe(ctx)
			if err != nil {
				t.Fatalf("Probe() = %v", err)
			}
			if res.Answers.AttachToReceived != tc.want || res.Answers.ReceivedMail != target.AnswerYes {
				t.Errorf("answers = %+v, want attach_to_received %s, received_mail yes", res.Answers, tc.want)
			}
			if !strings.HasPrefix(res.Folder, probeFolderPrefix) || res.Left != "" {
				t.Errorf("folder %q, left %q", res.Folder, res.Left)
			}
			names := map[string]bool{}
			for _, c := range res.Checks {
				names[c.Property] = true
				refusal := c.Property == "attachment added to received mail" && !tc.onNonDraft
				if c.Kept == refusal {
					t.Errorf("check %q: want %q, got %q, kept %v", c.Property, c.Want, c.Got, c.Kept)
				}
			}
			for _, want := range []string{checkReceived, checkDelivery, checkSubmit, "inline image (cid:)", "5 MB attachment through an upload session", "source-key stamp", "original header block (PidTagTransportMessageHeaders)"} {
				if !names[want] {
					t.Errorf("no check %q in %+v", want, res.Checks)
				}
			}
			if res.AllKept() != tc.onNonDraft {
				t.Errorf("AllKept() = %v", res.AllKept())
			}
			after := e.dump(t)
			if len(after.Folders) != before {
				t.Errorf("%d folders after the probe, %d before", len(after.Folders), before)
			}
			for _, f := range after.Folders {
				if len(f.Items) > 0 {
					t.Errorf("folder %s holds %d items after the probe", f.Path, len(f.Items))
				}
			}
		})
	}
}

// TestProbeFolderHidden: the probe's folder is hidden while it exists,
// and a plan's folder listing does not show it.
func TestProbeFolderHidden(t *testing.T) {
	t.Parallel()
	e := newEnv(t, &graphemu.Options{AttachmentsOnNonDraft: true}, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	id, err := mb.createHiddenFolder(ctx, "migrate tenant probe test", "test")
	if err != nil {
		t.Fatal(err)
	}
	list, err := mb.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range list {
		if f.ID == id {
			t.Errorf("Folders() lists the hidden probe folder")
		}
	}
	if found, err := mb.findChild(ctx, target.Root, "migrate tenant probe test", true, "test"); err != nil || found != id {
		t.Errorf("findChild(hidden) = %s, %v; want %s", found, err, id)
	}
	if left := mb.removeProbeFolder(ctx, id, "migrate tenant probe test", "test"); left != "" {
		t.Errorf("removeProbeFolder() left %q", left)
	}
}

// TestAnswersChooseThePath: with the probe's answer "no" recorded, a
// message whose attachments do not fit in the creation request is created
// as a draft at once, without first trying received mail.
func TestAnswersChooseThePath(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	cfg := &Config{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Answers: target.TenantAnswers{AttachToReceived: target.AnswerNo}}
	e := newEnv(t, &graphemu.Options{AttachmentsOnNonDraft: false}, cfg)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	f, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Large"})
	if err != nil {
		t.Fatal(err)
	}
	msg := testMessage(t, "imap:INBOX:7:42", mime("Large", logo, clip))
	msg.Read = true
	created, err := mb.PutMessage(ctx, f, msg)
	if err != nil {
		t.Fatalf("PutMessage() = %v", err)
	}
	it := checkComplete(t, e, f, "imap:INBOX:7:42", []part{logo, clip})
	if !it.IsDraft || len(created.Notes) != 1 {
		t.Errorf("isDraft %v, notes %q; want a draft with a note", it.IsDraft, created.Notes)
	}
	if strings.Contains(logs.String(), "refused an attachment") {
		t.Errorf("the client tried received mail first:\n%s", logs)
	}
}
