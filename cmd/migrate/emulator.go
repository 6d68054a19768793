package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/target/graphemu"
)

// emulatorOptions are the flags of `migrate emulator`.
type emulatorOptions struct {
	listen, tenant, clientID, clientSecret, users, caOut, faults, data string
	timeScale                                                          float64
	seed                                                               int64
	maxMessageSize                                                     int64
	attachmentsOnNonDraft                                              bool
	reportsReadAll, concealNames                                       bool
	quota                                                              int64
}

// newEmulatorCmd returns `migrate emulator`, which serves the local
// Microsoft Graph emulator until interrupted.
func newEmulatorCmd(g *globalOptions) *cobra.Command {
	o := &emulatorOptions{}
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Serve a local Microsoft Graph emulator for tests and demos",
		Long: `emulator serves a local emulator of the Microsoft Graph v1.0 endpoints a
migration uses (identity, users, mail folders, messages, attachments, contacts,
calendars and events) over HTTPS with a certificate from its own CA, which it
writes to --ca-out. It prints the Graph base URL, the token URL and the CA file,
then serves until interrupted. Every flag can also be set with the environment
variable MIGRATE_EMULATOR_<FLAG> (for example MIGRATE_EMULATOR_CLIENT_SECRET).

The inspection API is under /_emulator/ on the same address.`,
		Example: `  migrate emulator --listen 127.0.0.1:8443 --tenant contoso.test \
    --client-id app --client-secret secret --users a@x.test,b@x.test --ca-out ca.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEmulator(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", envOr("MIGRATE_EMULATOR_LISTEN", "127.0.0.1:8443"), "address to listen on, host:port (env MIGRATE_EMULATOR_LISTEN)")
	f.StringVar(&o.tenant, "tenant", envOr("MIGRATE_EMULATOR_TENANT", "emulator.test"), "tenant name or id (env MIGRATE_EMULATOR_TENANT)")
	f.StringVar(&o.clientID, "client-id", os.Getenv("MIGRATE_EMULATOR_CLIENT_ID"), "client id of the app that may use the emulator (env MIGRATE_EMULATOR_CLIENT_ID)")
	f.StringVar(&o.clientSecret, "client-secret", os.Getenv("MIGRATE_EMULATOR_CLIENT_SECRET"), "the app's client secret (env MIGRATE_EMULATOR_CLIENT_SECRET)")
	f.StringVar(&o.users, "users", os.Getenv("MIGRATE_EMULATOR_USERS"), "comma-separated user principal names of the mailboxes (env MIGRATE_EMULATOR_USERS)")
	f.StringVar(&o.caOut, "ca-out", os.Getenv("MIGRATE_EMULATOR_CA_OUT"), "file to write the CA certificate to (default DATA/ca.pem or a temp file; env MIGRATE_EMULATOR_CA_OUT)")
	f.StringVar(&o.faults, "faults", os.Getenv("MIGRATE_EMULATOR_FAULTS"), "fault injection spec (env MIGRATE_EMULATOR_FAULTS)")
	f.StringVar(&o.data, "data", os.Getenv("MIGRATE_EMULATOR_DATA"), "directory that keeps the tenant across restarts (env MIGRATE_EMULATOR_DATA)")
	f.Float64Var(&o.timeScale, "time-scale", 0, "speed up throttling windows by this factor; 0 turns throttling off (env MIGRATE_EMULATOR_TIME_SCALE)")
	f.Int64Var(&o.seed, "seed", 0, "seed for deterministic fault injection (env MIGRATE_EMULATOR_SEED)")
	f.Int64Var(&o.maxMessageSize, "max-message-size", 0, "maximum message size in bytes (default 35 MB, Exchange Online's default; env MIGRATE_EMULATOR_MAX_MESSAGE_SIZE)")
	f.BoolVar(&o.attachmentsOnNonDraft, "attachments-on-non-draft", false, "accept attachments added to non-draft messages, which Microsoft does not document (env MIGRATE_EMULATOR_ATTACHMENTS_ON_NON_DRAFT)")
	f.BoolVar(&o.reportsReadAll, "reports-read-all", false, "grant the app Reports.Read.All, for the mailbox usage report that gives quotas (env MIGRATE_EMULATOR_REPORTS_READ_ALL)")
	f.BoolVar(&o.concealNames, "conceal-names", false, "conceal user names in the usage reports, as the tenant setting does (env MIGRATE_EMULATOR_CONCEAL_NAMES)")
	f.Int64Var(&o.quota, "quota", 0, "every mailbox's Prohibit Send/Receive quota in bytes in the usage report (default 50 GB, Exchange Online's; env MIGRATE_EMULATOR_QUOTA)")
	return cmd
}

// numericEnv fills numeric and boolean flags from the environment when the
// flag was not given.
func (o *emulatorOptions) numericEnv(cmd *cobra.Command) error {
	if v := os.Getenv("MIGRATE_EMULATOR_TIME_SCALE"); v != "" && !cmd.Flags().Changed("time-scale") {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("MIGRATE_EMULATOR_TIME_SCALE %q: want a number", v)
		}
		o.timeScale = f
	}
	if v := os.Getenv("MIGRATE_EMULATOR_SEED"); v != "" && !cmd.Flags().Changed("seed") {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("MIGRATE_EMULATOR_SEED %q: want an integer", v)
		}
		o.seed = n
	}
	if v := os.Getenv("MIGRATE_EMULATOR_MAX_MESSAGE_SIZE"); v != "" && !cmd.Flags().Changed("max-message-size") {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("MIGRATE_EMULATOR_MAX_MESSAGE_SIZE %q: want a number of bytes", v)
		}
		o.maxMessageSize = n
	}
	if v := os.Getenv("MIGRATE_EMULATOR_QUOTA"); v != "" && !cmd.Flags().Changed("quota") {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("MIGRATE_EMULATOR_QUOTA %q: want a number of bytes", v)
		}
		o.quota = n
	}
	for _, b := range []struct {
		flag string
		v    *bool
	}{{"attachments-on-non-draft", &o.attachmentsOnNonDraft}, {"reports-read-all", &o.reportsReadAll}, {"conceal-names", &o.concealNames}} {
		env := "MIGRATE_EMULATOR_" + strings.ToUpper(strings.ReplaceAll(b.flag, "-", "_"))
		if v := os.Getenv(env); v != "" && !cmd.Flags().Changed(b.flag) {
			x, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s %q: want true or false", env, v)
			}
			*b.v = x
		}
	}
	return nil
}

func runEmulator(cmd *cobra.Command, g *globalOptions, o *emulatorOptions) error {
	if err := o.numericEnv(cmd); err != nil {
		return usageError(err)
	}
	switch {
	case o.clientID == "":
		return usageError(errors.New("emulator: --client-id is required (or MIGRATE_EMULATOR_CLIENT_ID)"))
	case o.clientSecret == "":
		return usageError(errors.New("emulator: --client-secret is required (or MIGRATE_EMULATOR_CLIENT_SECRET)"))
	case strings.TrimSpace(o.users) == "":
		return usageError(errors.New("emulator: --users needs at least one user principal name, such as a@x.test"))
	case o.timeScale < 0:
		return usageError(fmt.Errorf("emulator: --time-scale %v: must be 0 (no throttling) or more", o.timeScale))
	case o.maxMessageSize < 0:
		return usageError(fmt.Errorf("emulator: --max-message-size %d: must not be negative", o.maxMessageSize))
	case o.quota < 0:
		return usageError(fmt.Errorf("emulator: --quota %d: must not be negative", o.quota))
	}
	if o.data != "" {
		if err := os.MkdirAll(o.data, 0o700); err != nil {
			return usageError(fmt.Errorf("emulator: --data %s: %w", o.data, err))
		}
	}
	log := g.logger(o.clientSecret)
	e, err := graphemu.New(&graphemu.Options{
		Tenant:                o.tenant,
		ClientID:              o.clientID,
		ClientSecret:          o.clientSecret,
		Users:                 strings.Split(o.users, ","),
		TimeScale:             o.timeScale,
		Faults:                o.faults,
		Seed:                  o.seed,
		DataDir:               o.data,
		CAFile:                o.caOut,
		MaxMessageSize:        o.maxMessageSize,
		AttachmentsOnNonDraft: o.attachmentsOnNonDraft,
		ReportsReadAll:        o.reportsReadAll,
		ConcealNames:          o.concealNames,
		Quotas:                graphemu.Quotas{ProhibitSendReceive: o.quota},
		Logger:                log,
	})
	if err != nil {
		return usageError(err)
	}
	defer e.Close()
	ctx := cmd.Context()
	ep, err := e.Serve(ctx, o.listen, true)
	if err != nil {
		return withCode(exitConnect, fmt.Errorf("emulator: %w (choose another --listen address)", err))
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Graph base URL: %s\n", ep.GraphURL)
	fmt.Fprintf(out, "Token URL:      %s\n", ep.TokenURL)
	fmt.Fprintf(out, "Authority host: %s\n", ep.AuthorityHost)
	fmt.Fprintf(out, "CA file:        %s\n", ep.CAFile)
	fmt.Fprintf(out, "Inspection API: %s/_emulator/\n", ep.BaseURL)
	<-ctx.Done()
	ep.Close()
	return nil
}
