package migrate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/redact"
	"github.com/migrate-tool/migrate/target"
)

// Probe runs the tenant probe (target.Prober) on the target mailbox
// address and returns what it learned. The probe writes to that mailbox:
// a hidden folder with one message, deleted at the end. A target that
// cannot probe, or a probe that fails, is reported in TenantProbe.Error;
// the error is only for a cancelled context.
func Probe(ctx context.Context, open TargetOpener, address string, now func() time.Time, red *redact.Redactor) (*plan.TenantProbe, error) {
	tp := &plan.TenantProbe{Mailbox: address, At: now().UTC()}
	fail := func(err error) (*plan.TenantProbe, error) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		tp.Error = red.String(err.Error())
		return tp, nil
	}
	if open == nil {
		return fail(fmt.Errorf("no target is configured"))
	}
	mb, err := open(ctx, address)
	if err != nil {
		return fail(err)
	}
	if c, ok := mb.(interface{ Close() error }); ok {
		defer c.Close()
	}
	pr, ok := mb.(target.Prober)
	if !ok {
		return fail(fmt.Errorf("the target cannot probe its tenant"))
	}
	res, err := pr.Probe(ctx)
	tp.Folder, tp.Left = res.Folder, red.String(res.Left)
	tp.ReceivedMail, tp.AttachToReceived = res.Answers.ReceivedMail, res.Answers.AttachToReceived
	for _, c := range res.Checks {
		tp.Checks = append(tp.Checks, plan.ProbeCheck{Property: c.Property, Want: c.Want, Got: c.Got, Kept: c.Kept, Answer: c.Answer})
	}
	if err != nil {
		return fail(err)
	}
	return tp, nil
}

// Answers are the tenant answers of a probe recorded in a plan, for the
// run of that plan; the zero value when there was no probe.
func Answers(tp *plan.TenantProbe) target.TenantAnswers {
	if tp == nil || tp.Error != "" {
		return target.TenantAnswers{}
	}
	return target.TenantAnswers{ReceivedMail: tp.ReceivedMail, AttachToReceived: tp.AttachToReceived}
}

// probeRisks are the risks a tenant probe shows.
func probeRisks(tp *plan.TenantProbe) []plan.Risk {
	if tp == nil {
		return nil
	}
	var rs []plan.Risk
	add := func(sev plan.Severity, code, format string, args ...any) {
		rs = append(rs, plan.Risk{Severity: sev, Code: code, Mailbox: tp.Mailbox, Message: fmt.Sprintf(format, args...)})
	}
	if tp.Error != "" {
		add(plan.SevWarning, "probe_failed", "The tenant probe on %s failed: %s. The run will find out the tenant's behaviour as it goes.", tp.Mailbox, tp.Error)
	}
	var lost, other []string
	for _, c := range tp.Checks {
		switch {
		case c.Kept:
		case c.Answer == target.AnswerReceivedMail:
			lost = append(lost, fmt.Sprintf("%s: set %s, got %s", c.Property, c.Want, c.Got))
		case c.Answer == "":
			other = append(other, fmt.Sprintf("%s: set %s, got %s", c.Property, c.Want, c.Got))
		}
	}
	if tp.ReceivedMail == target.AnswerNo || len(lost) > 0 {
		add(plan.SevError, "probe_not_received_mail", "The tenant did not keep a probe message as received mail with its dates (%s): migrated mail would show as drafts or with the wrong dates. Do not run until this is understood.", strings.Join(lost, "; "))
	}
	if tp.AttachToReceived == target.AnswerNo {
		add(plan.SevInfo, "probe_attach_refused", "The tenant refuses attachments added to received mail: messages whose attachments do not fit in one 4 MB request will be created as drafts carrying every attachment (each listed in the migration report).")
	}
	if len(other) > 0 {
		add(plan.SevWarning, "probe_not_kept", "The tenant probe did not read back what it set: %s.", strings.Join(other, "; "))
	}
	if tp.Left != "" {
		add(plan.SevInfo, "probe_left", "The tenant probe left something behind: %s.", tp.Left)
	}
	return rs
}
