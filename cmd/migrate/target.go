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

// openTarget returns the opener of target mailboxes for the project's
// Graph settings. Credentials are built here; no request is made until a
// mailbox is opened.
func openTarget(ctx context.Context, p *config.Project, log *slog.Logger) (func(context.Context, string) (target.Mailbox, error), error) {
	t := p.Settings.Target
	client, err := graph.New(ctx, &graph.Config{
		Endpoint:            t.GraphEndpoint,
		Authority:           t.Authority,
		Tenant:              t.Tenant,
		Auth:                t.Auth,
		ClientID:            t.ClientID,
		ClientSecret:        t.ClientSecret.Value(),
		CertificateFile:     p.Resolve(t.CertificateFile),
		CertificatePassword: t.CertificatePass.Value(),
		Token:               t.Token.Value(),
		CAFile:              p.Resolve(t.CAFile),
		Logger:              log,
	})
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
