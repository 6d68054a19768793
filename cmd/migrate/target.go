package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/graph"
)

// graphTimeScale divides the Graph client's pacing windows and retry
// back-off (graph.Config.TimeScale) for tests against a time-scaled
// emulator, which would otherwise take real Exchange Online time: 150 MB of
// uploads per 5 minutes and mailbox (TestE2ELargeMessageMemory moves
// 100 MB). Retry-After is honoured as sent (the emulator scales it
// itself). 0 is real time; only tests set it.
var graphTimeScale float64

// openTarget returns the opener of target mailboxes for the project's
// Graph settings. Credentials are built here; no request is made until a
// mailbox is opened.
func openTarget(ctx context.Context, p *config.Project, log *slog.Logger) (func(context.Context, string) (target.Mailbox, error), error) {
	cfg := graph.ConfigFrom(p.Settings.Target)
	cfg.CertificateFile = p.Resolve(cfg.CertificateFile)
	cfg.CAFile = p.Resolve(cfg.CAFile)
	cfg.Concurrency = p.Settings.Concurrency.PerMailbox
	cfg.Logger = log
	cfg.TimeScale = graphTimeScale // tests only (e2e_*_test.go)
	client, err := graph.New(ctx, cfg)
	if err != nil {
		return nil, usageError(fmt.Errorf("target: %w", err))
	}
	return func(ctx context.Context, address string) (target.Mailbox, error) {
		mb, err := client.Mailbox(ctx, address)
		if errors.Is(err, target.ErrNotFound) {
			return nil, fmt.Errorf("target mailbox %s does not exist in the tenant: %w", address, err)
		}
		return mb, err
	}, nil
}
