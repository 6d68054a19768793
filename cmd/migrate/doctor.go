package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/migrate/config"
)

// check is one line of the doctor's report.
type check struct {
	what string
	err  error
}

func newDoctorCmd(g *globalOptions) *cobra.Command {
	var timeout time.Duration
	var probe string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the configuration, secrets and connectivity",
		Long: `doctor loads the project file and the mailbox CSV (every problem is named by
file, line and column), resolves every secret reference, and checks what
the run will do the way the run does it: it logs in to every source
mailbox with the run's TLS settings (STARTTLS upgrade, CA file, plaintext
only where allowed) and logs out, reaches the Graph endpoint over verified
TLS, and, with target credentials, gets a token and looks up every target
mailbox (not with the device code flow, which would prompt). It changes
nothing.

With --probe MAILBOX it runs the tenant probe instead, on that target
mailbox: it creates a hidden folder named "migrate tenant probe <time>",
creates one message in it the way "migrate run" does (received mail with
its read flag, received and sent dates and original headers, an inline
image and a 5 MB attachment added through an upload session), reads it
back, prints each property as kept or not with the tenant's answers, and
deletes the folder with its message. Use a test mailbox. "migrate plan
--probe MAILBOX" records the same answers in the plan.

Exit codes: 0 all good, 1 the probe found a property the tenant did not
keep, 2 configuration problem, 3 a server cannot be reached (or the probe
failed).`,
		Example: `  migrate doctor
  migrate doctor --config contoso/migration.yaml
  migrate doctor --probe test.user@contoso.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.loadProject(config.Options{})
			if err != nil {
				return err
			}
			if probe != "" {
				return runProbe(cmd.Context(), g, p, probe)
			}
			log := g.logger(p.Secrets()...)
			fmt.Fprintf(g.stdout, "ok   configuration %s: %d mailboxes\n", p.Path, len(p.Mailboxes))
			checks := doctorChecks(cmd.Context(), p, timeout, log)
			failed := 0
			for _, c := range checks {
				if c.err != nil {
					failed++
					fmt.Fprintf(g.stdout, "FAIL %s: %v\n", c.what, c.err)
					log.Debug("doctor check failed", "check", c.what, "err", c.err)
					continue
				}
				fmt.Fprintf(g.stdout, "ok   %s\n", c.what)
			}
			if failed > 0 {
				return withCode(exitConnect, fmt.Errorf("doctor: %d of %d checks failed", failed, len(checks)))
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "timeout per connection check")
	cmd.Flags().StringVar(&probe, "probe", "", "run the tenant probe on this target mailbox (creates, reads back and deletes a hidden folder with one message)")
	return cmd
}

// doctorParallel bounds the logins doctor makes at once.
const doctorParallel = 8

// doctorChecks checks what the run will do, the way it will do it: each
// source mailbox is opened with the run's source opener (the same TLS
// settings and CA file, the STARTTLS upgrade, the login, plaintext only
// where allowed) and closed again; the Graph endpoint is reached over
// verified TLS; and, with target credentials (other than the device code
// flow, which would prompt), a token is acquired and every target mailbox
// looked up as the run looks it up. Nothing is changed.
func doctorChecks(ctx context.Context, p *config.Project, timeout time.Duration, log *slog.Logger) []check {
	open := openSources(p)
	checks := make([]check, len(p.Mailboxes))
	sem := make(chan struct{}, doctorParallel)
	var wg sync.WaitGroup
	for i, m := range p.Mailboxes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			c := check{what: fmt.Sprintf("source %s (%s, %s) login %s for %s", m.Server(), cmp.Or(m.Protocol, "imap"), m.Security, m.UserName, m.EmailAddress)}
			if m.Local() {
				c.what = fmt.Sprintf("source %s (%s) for %s", m.Server(), m.Protocol, m.EmailAddress)
			}
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			acct, err := open(cctx, m, log)
			if err == nil {
				err = acct.Close()
			}
			c.err = err
			checks[i] = c
		}()
	}
	wg.Wait()
	checks = append(checks, check{what: "Graph endpoint " + p.Settings.Target.GraphEndpoint, err: pingGraph(ctx, p, timeout)})
	return append(checks, targetChecks(ctx, p, timeout, log)...)
}

// targetChecks acquires a token and looks up every target mailbox, as a
// run does before writing to it; none without target credentials or with
// the device code flow.
func targetChecks(ctx context.Context, p *config.Project, timeout time.Duration, log *slog.Logger) []check {
	if p.RequireTarget() != nil || p.Settings.Target.Auth == "device_code" {
		return nil
	}
	open, err := openTarget(ctx, p, log)
	if err != nil {
		return []check{{what: "target credentials", err: err}}
	}
	seen := map[string]bool{}
	var addrs []string
	for _, m := range p.Mailboxes {
		if a := strings.ToLower(m.Target()); !seen[a] {
			seen[a] = true
			addrs = append(addrs, m.Target())
		}
	}
	checks := make([]check, len(addrs))
	sem := make(chan struct{}, doctorParallel)
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			_, err := open(cctx, a)
			checks[i] = check{what: "target mailbox " + a + " (token and user lookup)", err: err}
		}()
	}
	wg.Wait()
	return checks
}

// loadRoots returns the system pool plus the PEM certificates in file.
func loadRoots(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", file)
	}
	return pool, nil
}

// pingGraph checks that the Graph endpoint answers over verified TLS. Any
// HTTP status counts as reachable: no credentials are sent.
func pingGraph(ctx context.Context, p *config.Project, timeout time.Duration) error {
	roots, err := loadRoots(p.Resolve(p.Settings.Target.CAFile))
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Settings.Target.GraphEndpoint+"/$metadata", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) {
			return ue.Unwrap()
		}
		return err
	}
	resp.Body.Close()
	return nil
}
