package migrate

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/redact"
	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/targettest"
)

// probingMailbox is an in-memory mailbox that answers a probe with res
// and err.
type probingMailbox struct {
	target.Mailbox
	res target.ProbeResult
	err error
}

func (m probingMailbox) Probe(context.Context) (target.ProbeResult, error) { return m.res, m.err }

func TestProbeRecordsAnswersAndRisks(t *testing.T) {
	received := target.ProbeCheck{Property: "received mail", Want: "isDraft false", Got: "isDraft false", Kept: true, Answer: target.AnswerReceivedMail}
	asDraft := received
	asDraft.Got, asDraft.Kept = "isDraft true", false
	refused := target.ProbeCheck{Property: "attachment added to received mail", Want: "accepted", Got: "refused", Answer: target.AnswerAttachToReceived}
	headers := target.ProbeCheck{Property: "original header block", Want: "kept", Got: "missing"}
	tests := []struct {
		name      string
		prober    bool
		res       target.ProbeResult
		err       error
		answers   target.TenantAnswers
		risks     []string
		wantError bool
	}{
		{name: "all kept", prober: true,
			res:     target.ProbeResult{Checks: []target.ProbeCheck{received}, Answers: target.TenantAnswers{ReceivedMail: "yes", AttachToReceived: "yes"}},
			answers: target.TenantAnswers{ReceivedMail: "yes", AttachToReceived: "yes"}},
		{name: "attachments refused, headers lost", prober: true,
			res:     target.ProbeResult{Checks: []target.ProbeCheck{received, refused, headers}, Answers: target.TenantAnswers{ReceivedMail: "yes", AttachToReceived: "no"}},
			answers: target.TenantAnswers{ReceivedMail: "yes", AttachToReceived: "no"},
			risks:   []string{"probe_attach_refused", "probe_not_kept"}},
		{name: "drafts", prober: true,
			res:     target.ProbeResult{Checks: []target.ProbeCheck{asDraft}, Answers: target.TenantAnswers{ReceivedMail: "no", AttachToReceived: "yes"}, Left: "folder X"},
			answers: target.TenantAnswers{ReceivedMail: "no", AttachToReceived: "yes"},
			risks:   []string{"probe_not_received_mail", "probe_left"}},
		{name: "probe failed", prober: true, err: errors.New("HTTP 403 secret-value"),
			risks: []string{"probe_failed"}, wantError: true},
		{name: "target cannot probe", risks: []string{"probe_failed"}, wantError: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := targettest.NewMemory()
			open := func(ctx context.Context, address string) (target.Mailbox, error) {
				mb, err := mem.Open(ctx, address)
				if err != nil || !tc.prober {
					return mb, err
				}
				return probingMailbox{Mailbox: mb, res: tc.res, err: tc.err}, nil
			}
			tp, err := Probe(context.Background(), open, "test@contoso.test", func() time.Time { return time.Unix(0, 0) }, redact.New("secret-value"))
			if err != nil {
				t.Fatalf("Probe() = %v", err)
			}
			if (tp.Error != "") != tc.wantError {
				t.Errorf("Error = %q", tp.Error)
			}
			if got := Answers(tp); got != tc.answers {
				t.Errorf("Answers() = %+v, want %+v", got, tc.answers)
			}
			var codes []string
			for _, r := range probeRisks(tp) {
				codes = append(codes, r.Code)
				if r.Mailbox != "test@contoso.test" {
					t.Errorf("risk %s names mailbox %q", r.Code, r.Mailbox)
				}
			}
			if !slices.Equal(codes, tc.risks) {
				t.Errorf("risks %v, want %v", codes, tc.risks)
			}
			for _, r := range probeRisks(tp) {
				if strings.Contains(r.Message, "secret-value") {
					t.Errorf("risk %s reveals a secret: %s", r.Code, r.Message)
				}
			}
		})
	}
	if probeRisks((*plan.TenantProbe)(nil)) != nil {
		t.Error("risks without a probe")
	}
}
