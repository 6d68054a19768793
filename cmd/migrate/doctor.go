package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
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
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the configuration, secrets and connectivity",
		Long: `doctor loads the project file and the mailbox CSV (every problem is named by
file, line and column), resolves every secret reference, and checks that
each source server and the Graph endpoint can be reached over TLS with
certificates verified. It changes nothing.

Exit codes: 0 all good, 2 configuration problem, 3 a server cannot be reached.`,
		Example: `  migrate doctor
  migrate doctor --config contoso/migration.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.loadProject(config.Options{})
			if err != nil {
				return err
			}
			log := g.logger(p.Secrets()...)
			fmt.Fprintf(g.stdout, "ok   configuration %s: %d mailboxes\n", p.Path, len(p.Mailboxes))
			checks := doctorChecks(cmd.Context(), p, timeout)
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
	return cmd
}

// doctorChecks dials every distinct source endpoint and the Graph endpoint.
func doctorChecks(ctx context.Context, p *config.Project, timeout time.Duration) []check {
	type endpoint struct {
		protocol string
		host     string
		port     int
		security string
	}
	seen := map[endpoint]bool{}
	var eps []endpoint
	for _, m := range p.Mailboxes {
		ep := endpoint{m.Protocol, m.Host, m.Port, m.Security}
		if !seen[ep] {
			seen[ep] = true
			eps = append(eps, ep)
		}
	}
	roots, rootsErr := loadRoots(p.Resolve(p.Settings.Source.CAFile))
	checks := make([]check, len(eps)+1)
	var wg sync.WaitGroup
	for i, ep := range eps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addr := net.JoinHostPort(ep.host, strconv.Itoa(ep.port))
			c := check{what: fmt.Sprintf("source %s (%s, %s)", addr, cmp.Or(ep.protocol, "imap"), ep.security)}
			if rootsErr != nil {
				c.err = rootsErr
			} else {
				c.err = dialSource(ctx, addr, ep.host, ep.security, roots, p.Settings.Source.InsecureSkipVerify, timeout)
			}
			checks[i] = c
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		checks[len(eps)] = check{what: "Graph endpoint " + p.Settings.Target.GraphEndpoint, err: pingGraph(ctx, p, timeout)}
	}()
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

// dialSource connects and, for implicit TLS, completes a verified handshake.
func dialSource(ctx context.Context, addr, host, security string, roots *x509.CertPool, insecure bool, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if security != "tls" {
		return nil
	}
	tc := tls.Client(conn, &tls.Config{ServerName: host, RootCAs: roots, InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS12})
	return tc.HandshakeContext(ctx)
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
