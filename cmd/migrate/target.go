package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/graph"
)

// timeScaleEnv names the environment variable that divides the Graph
// client's pacing windows and retry back-off (graph.Config.TimeScale), for
// runs against an emulator started with --time-scale, which would otherwise
// take real Exchange Online time (150 MB of uploads per 5 minutes and
// mailbox). Retry-After is honoured as sent (the emulator scales it). Unset
// or 0 is real time; never set it against Exchange Online.
const timeScaleEnv = "MIGRATE_TARGET_TIME_SCALE"

// targetTimeScale reads timeScaleEnv.
func targetTimeScale() (float64, error) {
	s := os.Getenv(timeScaleEnv)
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, usageError(fmt.Errorf("environment variable %s: %q is not a non-negative number", timeScaleEnv, s))
	}
	return f, nil
}

// graphConfig converts the project file's target settings into the Graph
// adapter's own options: target/graph knows nothing of the project file.
// Paths are as written in the file (see config.Project.Resolve).
func graphConfig(t config.Target) *graph.Config {
	return &graph.Config{
		Endpoint:            t.GraphEndpoint,
		Authority:           t.Authority,
		Tenant:              t.Tenant,
		Auth:                t.Auth,
		ClientID:            t.ClientID,
		ClientSecret:        t.ClientSecret.Value(),
		CertificateFile:     t.CertificateFile,
		CertificatePassword: t.CertificatePass.Value(),
		Token:               t.Token.Value(),
		CAFile:              t.CAFile,
		MaxMessageSize:      int64(t.MaxMessageSize),
	}
}

// projectGraphConfig is the Graph adapter's configuration for the
// project: its target settings with paths resolved, the per-mailbox
// concurrency and the time scale of timeScaleEnv.
func projectGraphConfig(p *config.Project, log *slog.Logger) (*graph.Config, error) {
	var err error
	cfg := graphConfig(p.Settings.Target)
	cfg.CertificateFile = p.Resolve(cfg.CertificateFile)
	cfg.CAFile = p.Resolve(cfg.CAFile)
	cfg.Concurrency = p.Settings.Concurrency.PerMailbox
	cfg.Logger = log
	if cfg.TimeScale, err = targetTimeScale(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// targetEnvelope is the throttling envelope the project's target paces
// each mailbox in, for the plan's estimate; it needs no credentials.
func targetEnvelope(p *config.Project) (target.Envelope, error) {
	cfg, err := projectGraphConfig(p, nil)
	if err != nil {
		return target.Envelope{}, err
	}
	return cfg.Envelope(), nil
}

// openTarget returns the opener of target mailboxes for the project's
// Graph settings. Credentials are built here; no request is made until a
// mailbox is opened.
func openTarget(ctx context.Context, p *config.Project, log *slog.Logger) (func(context.Context, string) (target.Mailbox, error), error) {
	return openTargetAnswered(ctx, p, log, target.TenantAnswers{})
}

// openTargetAnswered is openTarget for a run that knows the tenant's
// answers from a tenant probe recorded in its plan.
func openTargetAnswered(ctx context.Context, p *config.Project, log *slog.Logger, answers target.TenantAnswers) (func(context.Context, string) (target.Mailbox, error), error) {
	cfg, err := projectGraphConfig(p, log)
	if err != nil {
		return nil, err
	}
	cfg.Answers = answers
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
