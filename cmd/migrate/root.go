package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/migrate/redact"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	configPath string
	statePath  string
	logLevel   string
	logFormat  string
	noColor    bool
	sets       []string

	stdout, stderr io.Writer
	// logs is where log records go: stderr, above the progress bar while
	// one is drawn.
	logs *logWriter
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globalOptions{stdout: stdout, stderr: stderr, logs: &logWriter{w: stderr}}
	root := &cobra.Command{
		Use:   "migrate",
		Short: "Move POP3 and IMAP mailboxes into Exchange Online",
		Long: `migrate moves mailboxes from POP3 and IMAP hosting into Exchange Online through
Microsoft Graph: mail and folders, and contacts and calendars from CardDAV/CalDAV
servers and .vcf/.ics exports (the DAVURL and ExportFiles columns of the mailbox
CSV) and, with filters.mail_parts, from the .vcf attachments and invitations in the
mail, without sending a single meeting invitation. Local mail stores too: mbox
files and Thunderbird profiles, Maildir and .eml trees, Apple Mail's .emlx store,
Outlook .pst/.ost files (SourceProtocol mbox, maildir, eml, emlx, pst or local
with a SourcePath column; files go-pst cannot read through readpst with
source.pst_converter).

Typical use:
  migrate init                 write an example migration.yaml and mailboxes.csv
  migrate doctor               check configuration, secrets and connectivity
  migrate plan                 assess every mailbox and write a plan
  migrate run                  migrate, resumably; safe to re-run
  migrate verify               prove that everything arrived
  migrate report               print the assessment or migration report`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&g.configPath, "config", envOr("MIGRATE_CONFIG", "migration.yaml"), "project file (env MIGRATE_CONFIG)")
	pf.StringVar(&g.statePath, "state", os.Getenv("MIGRATE_STATE"), "state database (default from the project file, else .migrate/state.db; env MIGRATE_STATE)")
	pf.StringVar(&g.logLevel, "log-level", envOr("MIGRATE_LOG_LEVEL", ""), "log level: debug, info, warn, error (default warn on a terminal, info otherwise; env MIGRATE_LOG_LEVEL)")
	pf.StringVar(&g.logFormat, "log-format", envOr("MIGRATE_LOG_FORMAT", "text"), "log format: text or json (env MIGRATE_LOG_FORMAT)")
	pf.StringArrayVar(&g.sets, "set", nil, "override a project setting, e.g. --set source.host=mail.example.com (repeatable)")
	pf.BoolVar(&g.noColor, "no-color", os.Getenv("NO_COLOR") != "" || os.Getenv("MIGRATE_NO_COLOR") != "", "disable colour and progress bars (env NO_COLOR, MIGRATE_NO_COLOR)")

	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if _, err := parseLevel(g.logLevel); err != nil {
			return usageError(err)
		}
		if g.logFormat != "text" && g.logFormat != "json" {
			return usageError(fmt.Errorf("--log-format %q: want text or json", g.logFormat))
		}
		return nil
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError(fmt.Errorf("%s: %w", cmd.CommandPath(), err))
	})

	root.AddCommand(
		newInitCmd(g),
		newPlanCmd(g),
		newRunCmd(g),
		newStatusCmd(g),
		newVerifyCmd(g),
		newPOP3DeleteCmd(g),
		newReportCmd(g),
		newDoctorCmd(g),
		newDemoCmd(g),
		newEmulatorCmd(g),
		newVersionCmd(g),
	)
	return root
}

// envOr returns the environment variable name, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", s)
}

// logger returns the logger the global flags ask for, writing to stderr.
// Every record passes through redact, which removes the given secrets.
func (g *globalOptions) logger(secrets ...string) *slog.Logger {
	level, _ := parseLevel(g.logLevel)
	if g.logLevel == "" {
		level = defaultLevel(isTerminal(g.stderr))
	}
	hopts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if g.logFormat == "json" {
		h = slog.NewJSONHandler(g.logs, hopts)
	} else {
		h = slog.NewTextHandler(g.logs, hopts)
	}
	return slog.New(redact.NewHandler(h, redact.New(secrets...)))
}
