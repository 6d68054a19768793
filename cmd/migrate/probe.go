package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/migrate-tool/migrate/migrate"
	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/redact"
)

// runProbe runs the tenant probe on the target mailbox address, for
// `migrate doctor --probe`.
func runProbe(ctx context.Context, g *globalOptions, p *config.Project, address string) error {
	if err := p.RequireTarget(); err != nil {
		return usageError(fmt.Errorf("doctor --probe: %w", err))
	}
	log := g.logger(p.Secrets()...)
	open, err := openTarget(ctx, p, log)
	if err != nil {
		return err
	}
	tp, err := migrate.Probe(ctx, open, address, time.Now, redact.New(p.Secrets()...))
	if err != nil {
		return err
	}
	printProbe(g.stdout, tp, func(s string) string { return s })
	switch {
	case tp.Error != "":
		return withCode(exitConnect, fmt.Errorf("doctor --probe: the probe on %s failed", address))
	case notKept(tp) > 0:
		return withCode(exitItemsFailed, fmt.Errorf("doctor --probe: %d of %d properties were not kept by the tenant", notKept(tp), len(tp.Checks)))
	}
	return nil
}

// notKept counts the probe's checks that were not kept.
func notKept(tp *plan.TenantProbe) int {
	n := 0
	for _, c := range tp.Checks {
		if !c.Kept {
			n++
		}
	}
	return n
}

// printProbe prints a tenant probe's checks and answers; addr masks
// addresses or not.
func printProbe(w io.Writer, tp *plan.TenantProbe, addr func(string) string) {
	fmt.Fprintf(w, "Tenant probe on %s (%s):\n", addr(tp.Mailbox), tp.At.Format(time.RFC3339))
	if tp.Error != "" {
		fmt.Fprintf(w, "  FAILED: %s\n", tp.Error)
	}
	for _, c := range tp.Checks {
		mark := "kept"
		if !c.Kept {
			mark = "NOT KEPT"
		}
		fmt.Fprintf(w, "  [%s] %s: set %s; got %s\n", mark, c.Property, c.Want, c.Got)
	}
	answer := func(a string) string {
		if a == "" {
			return "unknown"
		}
		return a
	}
	fmt.Fprintf(w, "  answers: received mail %s; attachments added to received mail %s\n", answer(tp.ReceivedMail), answer(tp.AttachToReceived))
	if tp.Left != "" {
		fmt.Fprintf(w, "  left behind: %s\n", tp.Left)
	} else if tp.Folder != "" {
		fmt.Fprintf(w, "  the hidden folder %q and its message were deleted\n", tp.Folder)
	}
}
