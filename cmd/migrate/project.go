package main

import (
	"errors"

	"github.com/migrate-tool/migrate/migrate/config"
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
