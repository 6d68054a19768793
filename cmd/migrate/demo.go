package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/migrate"
	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/humanize"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/report"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// demoOptions are the flags of `migrate demo`.
type demoOptions struct {
	seedDir    string
	memoryIMAP bool
	dovecot    string // the dovecot executable; empty: testserver.DovecotBinary
	radicale   string // the radicale executable; empty: testserver.RadicaleBinary
	outDir     string
}

func newDemoCmd(g *globalOptions) *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole job on built-in test mailboxes and a local Graph emulator",
		Long: `demo needs no internet, no credentials and no checkout. It starts a real
Dovecot (2.3 or 2.4) seeded with the test mailboxes built into the binary (or
go-imap's in-memory server where no usable Dovecot is installed, saying why)
on 127.0.0.1, and shows what migrate discovers in each mailbox: folders,
their roles, item counts, sizes and date ranges. With Dovecot, the first
test mailbox is also read over POP3S, as a POP3 row of its own
(local+pop@domain, into the folder "Old provider").
A Thunderbird profile built into the binary (Local Folders: Inbox with a
subfolder, Sent, Trash, Archives, and a message deleted but not yet
compacted away) is written into the --out directory and migrated as a
local store row of its own: dave@example.test, a POP user whose mail
lives only in Thunderbird, into his own mailbox.
Beside it, a real Radicale (CardDAV and CalDAV over http on 127.0.0.1)
seeded with the test address books and calendars of the same users (or,
where no usable Radicale is installed, saying why, the same address books
and calendars written as .vcf and .ics export files into the --out
directory); each mailbox's inventory lists them too.
It then starts the Graph emulator on 127.0.0.1 and migrates every mailbox
into it through the real Graph target (client credentials over HTTPS), runs
the migration a second time to show that nothing is created twice, and
prints what the emulator holds: messages, contacts and events per mailbox,
and the meeting messages Graph would have sent, which must be none. The
plan, the assessment, the verification and the migration report (HTML
and PDF) are written into the --out directory.

--seed-dir replaces the built-in mailboxes with a directory holding an
accounts.yaml in the same format (source/testserver/seed/mail in the
repository).`,
		Example: "  make demo\n  migrate demo --memory-imap\n  migrate demo --radicale /nonexistent   # contacts and calendars from export files",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.seedDir, "seed-dir", "", "directory of a mail corpus with accounts.yaml (default: the built-in test mailboxes)")
	cmd.Flags().BoolVar(&o.memoryIMAP, "memory-imap", false, "use the in-memory IMAP server even where Dovecot is installed")
	cmd.Flags().StringVar(&o.dovecot, "dovecot", "", "the Dovecot executable to run (default "+testserver.DovecotBinary+"); one that cannot be used gives the in-memory IMAP server, with a warning saying why")
	cmd.Flags().StringVar(&o.radicale, "radicale", "", "the Radicale executable to run (default "+testserver.RadicaleBinary+"); one that cannot be used gives export files of the same address books and calendars, with a warning saying why")
	cmd.Flags().StringVar(&o.outDir, "out", "demo-out", "directory for the demo's state database, plan, reports, export files and Thunderbird profile (replaced on each demo)")
	return cmd
}

// demoSource is a started, seeded source server.
type demoSource struct {
	name      string
	mailboxes []config.Mailbox
	caFile    string
	close     func() error
}

// startDemoSource starts Dovecot, or the in-memory IMAP server when Dovecot
// is missing or not wanted.
func startDemoSource(ctx context.Context, o *demoOptions, log *slog.Logger) (*demoSource, error) {
	if !o.memoryIMAP {
		d, err := testserver.StartDovecot(ctx, &testserver.DovecotOptions{SeedDir: o.seedDir, Binary: o.dovecot, Logger: log})
		switch {
		case err == nil:
			src := &demoSource{name: fmt.Sprintf("Dovecot on %s (IMAPS) and %s (POP3S)", d.IMAPSAddr(), d.POP3SAddr()), caFile: d.CAFile, close: d.Close}
			for _, u := range d.Users {
				src.mailboxes = append(src.mailboxes, demoMailbox(u, d.Host, d.IMAPSPort, "tls"))
			}
			if len(d.Users) > 0 {
				src.mailboxes = append(src.mailboxes, demoPOP3Mailbox(d.Users[0], d.Host, d.POP3SPort))
			}
			return src, nil
		case ctx.Err() != nil:
			return nil, fmt.Errorf("demo: starting Dovecot: %w", err)
		case errors.Is(err, testserver.ErrNotInstalled):
			log.Warn("Dovecot is not installed; using the in-memory IMAP server (make deps installs Dovecot)")
		default:
			log.Warn("Dovecot cannot be used; using the in-memory IMAP server", "err", err)
		}
	}
	m, err := testserver.StartMemIMAP(ctx, &testserver.MemIMAPOptions{SeedDir: o.seedDir, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("demo: starting the in-memory IMAP server: %w", err)
	}
	src := &demoSource{name: fmt.Sprintf("in-memory IMAP server on %s (STARTTLS)", m.Addr()), caFile: m.CAFile, close: m.Close}
	for _, u := range m.Users {
		src.mailboxes = append(src.mailboxes, demoMailbox(u, m.Host, m.Port, "starttls"))
	}
	return src, nil
}

func demoMailbox(u testserver.User, host string, port int, security string) config.Mailbox {
	return config.Mailbox{
		EmailAddress: u.Name, UserName: u.Name, Password: config.NewSecret(u.Password),
		Protocol: "imap", Host: host, Port: port, Security: security,
	}
}

// demoPOP3Mailbox is a POP3 row beside the IMAP ones: u's maildrop (its
// INBOX) read over POP3S into a mailbox of its own, local+pop@domain, in
// the folder "Old provider", as a consultant would place a POP account's
// mail.
func demoPOP3Mailbox(u testserver.User, host string, port int) config.Mailbox {
	local, domain, _ := strings.Cut(u.Name, "@")
	return config.Mailbox{
		EmailAddress: local + "+pop@" + domain, UserName: u.Name, Password: config.NewSecret(u.Password),
		Protocol: "pop3", Host: host, Port: port, Security: "tls", TargetFolder: "Old provider",
	}
}

func runDemo(ctx context.Context, g *globalOptions, o *demoOptions) error {
	log := g.logger()
	outDir, err := filepath.Abs(o.outDir)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := os.RemoveAll(outDir); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	src, err := startDemoSource(ctx, o, log)
	if err != nil {
		return err
	}
	defer src.close()
	pim, err := startDemoPIM(ctx, o, outDir, log)
	if err != nil {
		return err
	}
	defer pim.close()
	pim.attach(src.mailboxes)
	store, err := writeDemoStore(outDir)
	if err != nil {
		return err
	}
	src.mailboxes = append(src.mailboxes, store)
	secrets := pim.secrets()
	for _, m := range src.mailboxes {
		secrets = append(secrets, m.Password.Value())
	}
	log = g.logger(secrets...)
	fmt.Fprintf(g.stdout, "Source: %s, %d test mailboxes\nContacts and calendars: %s\nLocal store: Thunderbird profile in %s (%s)\n\n",
		src.name, len(src.mailboxes)-1, pim.name, filepath.Dir(filepath.Dir(store.SourcePaths[0])), store.EmailAddress)

	// AllowPlaintext is for Radicale, which the demo runs on http: every
	// server of the demo is on 127.0.0.1, so no password leaves the
	// machine; the mail servers still use TLS.
	sources := sourceSettings{CAFile: src.caFile, Auth: "auto", AllowPlaintext: pim.url != ""}.opener()
	invs := make([]*migrate.MailboxInventory, len(src.mailboxes))
	errs := make([]error, len(src.mailboxes))
	var wg sync.WaitGroup
	for i, m := range src.mailboxes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acct, err := sources(ctx, m, log)
			if err != nil {
				errs[i] = err
				return
			}
			defer acct.Close()
			invs[i], errs[i] = migrate.Inventory(ctx, m.EmailAddress, acct)
		}()
	}
	wg.Wait()
	failed := 0
	for i, m := range src.mailboxes {
		if errs[i] != nil {
			failed++
			fmt.Fprintf(g.stdout, "%s: FAILED: %v\n\n", m.EmailAddress, errs[i])
			continue
		}
		printInventory(g.stdout, invs[i])
	}
	if failed > 0 {
		return withCode(exitConnect, fmt.Errorf("demo: %d of %d mailboxes could not be read", failed, len(src.mailboxes)))
	}
	return demoMigrate(ctx, g, o, outDir, src, sources, secrets)
}

// demoMigrate starts the emulator and migrates the demo mailboxes into it,
// twice.
func demoMigrate(ctx context.Context, g *globalOptions, o *demoOptions, outDir string, src *demoSource, sources migrate.SourceOpener, secrets []string) error {
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	var users []string
	for _, m := range src.mailboxes {
		users = append(users, m.Target())
	}
	emuOpts := &graphemu.Options{Tenant: "demo.test", ClientID: "migrate-demo", ClientSecret: hex.EncodeToString(secret), Users: users,
		CAFile: filepath.Join(outDir, "emulator-ca.pem"), DataDir: filepath.Join(outDir, "emulator")}
	emu, err := graphemu.New(emuOpts)
	if err != nil {
		return fmt.Errorf("demo: emulator: %w", err)
	}
	defer emu.Close()
	ep, err := emu.Serve(ctx, "127.0.0.1:0", true)
	if err != nil {
		return fmt.Errorf("demo: emulator: %w", err)
	}
	defer ep.Close()
	log := g.logger(append(secrets, emuOpts.ClientSecret)...)
	fmt.Fprintf(g.stdout, "Target: Graph emulator at %s (tenant %s)\n", ep.GraphURL, ep.Tenant)

	p := &config.Project{Path: "demo", Dir: outDir, Settings: config.Defaults(), Mailboxes: src.mailboxes}
	t := &p.Settings.Target
	t.GraphEndpoint, t.Authority, t.Tenant = ep.GraphURL, ep.AuthorityHost, ep.Tenant
	t.ClientID, t.ClientSecret, t.CAFile = emuOpts.ClientID, config.NewSecret(emuOpts.ClientSecret), ep.CAFile
	p.Settings.Client = "Demo client"
	open, err := openTarget(ctx, p, log)
	if err != nil {
		return err
	}
	rules, err := mapping.ProjectRules(p.Settings)
	if err != nil {
		return err
	}
	statePath := filepath.Join(o.outDir, "state.db")
	env := migrate.Env{Sources: sources, Target: open, Rules: rules,
		Items: mapping.NewItemOptions(p.Settings.Filters, p.Settings.Target, p.Settings.Keywords), POP3Unread: !p.Settings.POP3.Read, Dedupe: p.Settings.Dedupe.AcrossRows, Secrets: p.Secrets(), Log: log}
	if err := demoAssessment(ctx, g, p, env, outDir); err != nil {
		return err
	}
	for pass := 1; pass <= 2; pass++ {
		st, err := state.Open(ctx, statePath, nil)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		e := &migrate.Engine{Env: env, Mailboxes: 4, PerMailbox: 4}
		e.Store = st
		res, err := e.Run(ctx, src.mailboxes)
		st.Close()
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if pass == 1 {
			fmt.Fprintf(g.stdout, "\nMigration:\n")
		} else {
			fmt.Fprintf(g.stdout, "\nSecond run (nothing may be created twice):\n")
		}
		printRunSummary(g, res, false)
		if res.Failed() || res.Interrupted {
			return withCode(exitItemsFailed, errors.New("demo: the migration did not complete"))
		}
	}
	fmt.Fprintf(g.stdout, "\nIn the emulator:\n")
	sent := 0
	for _, m := range src.mailboxes {
		dump := emu.DumpMailbox(nil, m.Target())
		if dump == nil {
			continue
		}
		printEmulatorMailbox(g.stdout, dump)
		sent += dump.MeetingMessagesSent
	}
	if sent > 0 {
		return withCode(exitItemsFailed, fmt.Errorf("demo: Graph would have sent %d meeting messages for the migrated events; a migration must send none", sent))
	}
	fmt.Fprintf(g.stdout, "\nState: %s (try: migrate status --state %s)\n", statePath, statePath)
	return demoProof(ctx, g, p, env, outDir)
}

// printInventory prints what the demo found in one mailbox: its mail
// folders (role, messages, size, dates), then its address books and
// calendars (kind, count).
func printInventory(w io.Writer, inv *migrate.MailboxInventory) {
	var mail, pim []migrate.FolderInventory
	var items, bytes, contacts, events int64
	for _, f := range inv.Folders {
		switch {
		case mapping.IsMail(f.Folder.Kind):
			mail = append(mail, f)
			items, bytes = items+f.Items, bytes+f.Bytes
		case f.Folder.Kind == source.KindContact:
			pim = append(pim, f)
			contacts += f.Items
		default:
			pim = append(pim, f)
			events += f.Items
		}
	}
	fmt.Fprintf(w, "%s: %d folders, %d messages, %s", inv.Mailbox, len(mail), items, humanize.Bytes(bytes))
	if len(pim) > 0 {
		fmt.Fprintf(w, "; contacts: %d, events: %d", contacts, events)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  folder\trole\tmessages\tsize\tdates\t")
	for _, f := range mail {
		role := string(f.Folder.SpecialUse)
		if f.Folder.SpecialUseGuessed {
			role += " (by name)"
		}
		dates := ""
		if !f.Oldest.IsZero() {
			dates = f.Oldest.Format("2006-01-02") + " .. " + f.Newest.Format("2006-01-02")
		}
		count := fmt.Sprint(f.Items)
		if f.Folder.NoSelect {
			count = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t\n", strings.Join(f.Folder.Path, "/"), role, count, humanize.Bytes(f.Bytes), dates)
	}
	tw.Flush()
	for _, f := range mail {
		name := strings.Join(f.Folder.Path, "/")
		if n := f.Folder.Deleted; n > 0 {
			noun := "messages"
			if n == 1 {
				noun = "message"
			}
			fmt.Fprintf(w, "  %s: %d %s marked deleted in the local store (not yet compacted away), not migrated\n", name, n, noun)
		}
		for _, u := range f.Folder.Unreadable {
			fmt.Fprintf(w, "  %s: not migrated: %s\n", name, u)
		}
	}
	if len(pim) > 0 {
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  address book or calendar\tkind\titems\trole\t")
		for _, f := range pim {
			kind := "address book"
			if f.Folder.Kind != source.KindContact {
				kind = "calendar"
			}
			role := string(f.Folder.SpecialUse)
			switch {
			case f.Folder.Skip != "":
				role = "skipped: " + f.Folder.Skip
			case f.Folder.SpecialUse == source.Default:
				role = "default"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t\n", strings.Join(f.Folder.Path, "/"), kind, f.Items, role)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
}

// printEmulatorMailbox prints what the emulator holds of one mailbox:
// messages in mail folders, contacts and events, and the meeting messages
// Graph would have sent for its events.
func printEmulatorMailbox(w io.Writer, dump *graphemu.DumpMailbox) {
	var folders, messages, drafts, contacts, events int
	for _, f := range dump.Folders {
		if f.Kind == "mail" {
			folders++
		}
		for _, it := range f.Items {
			switch it.Kind {
			case "contact":
				contacts++
			case "event":
				events++
			default:
				messages++
				if it.IsDraft {
					drafts++
				}
			}
		}
	}
	fmt.Fprintf(w, "%s: %d messages (%d drafts) in %d folders; contacts: %d, events: %d, meeting messages sent: %d\n",
		dump.UPN, messages, drafts, folders, contacts, events, dump.MeetingMessagesSent)
}

// demoAssessment plans the demo migration before it runs, as a consultant
// would, and writes the plan and the assessment (HTML and PDF) into the
// demo's out directory.
func demoAssessment(ctx context.Context, g *globalOptions, p *config.Project, env migrate.Env, outDir string) error {
	planner := &migrate.Planner{Env: env, Settings: p.Settings, Tool: planTool()}
	pl, err := planner.Plan(ctx, p.Mailboxes)
	if err != nil {
		return fmt.Errorf("demo: plan: %w", err)
	}
	planFile := filepath.Join(outDir, "plan.json")
	if err := plan.Write(planFile, pl); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	doc := report.Assessment(pl, &report.Options{Tool: planTool(), Consultant: "migrate demo"})
	files, err := writeDemoReport(doc, outDir, "assessment")
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "\nPlan: %s; %d items to migrate, estimated %s, %d risks.\nAssessment: %s\n",
		planFile, pl.Totals.ToMigrate.Items, plan.FormatDuration(pl.Estimate.Seconds), len(pl.Risks), strings.Join(files, ", "))
	return nil
}

// demoProof verifies the demo migration and writes the verification and
// the migration report (HTML and PDF) into the demo's out directory.
func demoProof(ctx context.Context, g *globalOptions, p *config.Project, env migrate.Env, outDir string) error {
	st, err := state.Open(ctx, filepath.Join(outDir, "state.db"), &state.Options{Mode: state.ReadOnly})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer st.Close()
	v := &migrate.Verifier{Env: env, Tool: planTool()}
	v.Store = st
	res, err := v.Verify(ctx, p.Mailboxes)
	if err != nil {
		return fmt.Errorf("demo: verify: %w", err)
	}
	if err := plan.WriteVerification(filepath.Join(outDir, "verify.json"), res); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	in, err := report.LoadMigration(ctx, st)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	in.Verification = res
	doc := report.Migration(in, &report.Options{Tool: planTool(), Client: p.Settings.Client, Consultant: "migrate demo"})
	files, err := writeDemoReport(doc, outDir, "migration")
	if err != nil {
		return err
	}
	verdict := "passed: every item is in the target exactly once"
	if !res.OK {
		verdict = fmt.Sprintf("FAILED: %d missing, %d doubled, %d changed", res.Totals.Missing, res.Totals.Doubled, res.Totals.Changed)
	}
	fmt.Fprintf(g.stdout, "Verification %s.\nMigration report: %s\n", verdict, strings.Join(files, ", "))
	if !res.OK {
		return withCode(exitItemsFailed, errors.New("demo: the verification failed"))
	}
	return nil
}

// writeDemoReport writes doc as name.html and name.pdf in dir.
func writeDemoReport(doc *report.Document, dir, name string) ([]string, error) {
	var files []string
	for _, f := range []report.Format{report.FormatHTML, report.FormatPDF} {
		path := filepath.Join(dir, name+"."+string(f))
		out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		err = report.Render(out, doc, f)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("demo: %s: %w", path, err)
		}
		files = append(files, path)
	}
	return files, nil
}
