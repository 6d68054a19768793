package migrate

import (
	"context"
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/redact"
)

// PlanRow returns the plan's view of a CSV row: address, target and how
// the source is reached, for plan.Now.
func PlanRow(m config.Mailbox) plan.Mailbox {
	return plan.Mailbox{Address: m.EmailAddress, Target: m.Target(), Protocol: protocolOf(m),
		Server: m.Server(), Security: m.Security, TargetFolder: m.TargetFolder}
}

// Relist lists the mailboxes again, metadata only, and returns their
// fingerprints (Address, Error, Fingerprint and Folders), for
// plan.Problems before a saved plan is applied.
func (planner *Planner) Relist(ctx context.Context, mailboxes []config.Mailbox) ([]plan.Mailbox, error) {
	p, err := planner.withDefaults()
	if err != nil {
		return nil, err
	}
	red := redact.New(p.Secrets...)
	out := make([]plan.Mailbox, len(mailboxes))
	eachMailbox(ctx, mailboxes, p.Parallel, func(i int, m config.Mailbox) {
		a := &assessment{p: p, m: m, red: red, log: p.mailboxLog(componentPlan, m), ids: map[string][]plan.ItemRef{}}
		a.mb = PlanRow(m)
		a.mb.Sizes = plan.NewSizeBuckets()
		acct, err := p.openSource(ctx, m)
		if err != nil {
			a.mb.Error = red.String(err.Error())
			out[i] = a.mb
			return
		}
		defer acct.Close()
		if _, err := a.list(ctx, acct); err != nil {
			a.mb.Error = red.String(err.Error())
		}
		a.mb.Fingerprint = plan.MailboxFingerprint(a.mb.Folders)
		out[i] = a.mb
	}, func(i int, m config.Mailbox, err error) {
		out[i] = PlanRow(m)
		out[i].Error = "not listed: " + err.Error()
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// PlannedMailboxes returns the CSV rows of the plan's mailboxes, in the
// plan's order, or an error naming the mailboxes that are not in the CSV.
func PlannedMailboxes(p *plan.Plan, all []config.Mailbox) ([]config.Mailbox, error) {
	var out []config.Mailbox
	var missing []string
	for _, pm := range p.Mailboxes {
		found := false
		for _, m := range all {
			if strings.EqualFold(m.EmailAddress, pm.Address) {
				out = append(out, m)
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, pm.Address)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the plan names mailboxes that are not in the mailbox list: %s", strings.Join(missing, ", "))
	}
	return out, nil
}
