package main

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/migrate-tool/migrate/migrate"
	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/mapping"
)

// loadProject loads the project file named by --config with the --set
// overrides. Configuration problems become usage errors (exit 2).
func (g *globalOptions) loadProject(opts config.Options) (*config.Project, error) {
	opts.Path = g.configPath
	opts.Sets = append(opts.Sets, g.sets...)
	p, err := config.Load(opts)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			return nil, usageError(err)
		}
		return nil, err
	}
	return p, nil
}

// statePath returns the state database path: --state, else the project's
// setting resolved against its directory.
func (g *globalOptions) stateFile(p *config.Project) string {
	if g.statePath != "" {
		return g.statePath
	}
	if p == nil {
		return ".migrate/state.db"
	}
	return p.Resolve(p.Settings.State)
}

// loadedProject is a project loaded for a command that works on mailboxes.
type loadedProject struct {
	p         *config.Project
	log       *slog.Logger // redacts every secret of the project
	mailboxes []config.Mailbox
	rules     *mapping.Rules
}

// loadMailboxes loads the project with the extra --set style overrides,
// keeps the mailboxes named by --mailbox (all when none) and compiles the
// folder rules. Every problem is a usage error naming its place.
func (g *globalOptions) loadMailboxes(sets, names []string) (*loadedProject, error) {
	p, err := g.loadProject(config.Options{Sets: sets})
	if err != nil {
		return nil, err
	}
	mailboxes, err := selectMailboxes(p.Mailboxes, names)
	if err != nil {
		return nil, err
	}
	rules, err := mapping.ProjectRules(p.Settings)
	if err != nil {
		return nil, usageError(fmt.Errorf("%s: %w", p.Path, err))
	}
	return &loadedProject{p: p, log: g.logger(p.Secrets()...), mailboxes: mailboxes, rules: rules}, nil
}

// env is what plan, run and verify share: the project's source opener,
// its mapping rules, its secrets and the redacting logger. The target and
// the state are added by each command.
func (lp *loadedProject) env() migrate.Env {
	return migrate.Env{
		Sources: openSources(lp.p),
		Rules:   lp.rules,
		Items:   mapping.NewItemOptions(lp.p.Settings.Filters, lp.p.Settings.Target, lp.p.Settings.Keywords),
		// POP3 has no read state: its mail is created read unless pop3.read is false.
		POP3Unread: !lp.p.Settings.POP3.Read,
		Dedupe:     lp.p.Settings.Dedupe.AcrossRows,
		Secrets:    lp.p.Secrets(),
		Log:        lp.log,
	}
}
