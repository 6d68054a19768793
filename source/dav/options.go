package dav

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"
)

// DefaultTimeout bounds one HTTP request when Options.Timeout is zero.
const DefaultTimeout = 60 * time.Second

// Options configure Dial.
type Options struct {
	// URL is where the account's DAV service is: a server root, a
	// principal, an addressbook-home-set or calendar-home-set, or a single
	// address book or calendar (then only it is listed). "" or "auto"
	// discovers it from Email's domain (RFC 6764: DNS SRV
	// _carddavs._tcp/_caldavs._tcp with its TXT path, then
	// https://<domain>/.well-known/carddav and caldav).
	URL string
	// Email is the account's address; its domain is where discovery looks.
	Email string
	// Username and Password are sent with HTTP basic authentication.
	Username, Password string
	// CAFile is a PEM file of CA certificates trusted in addition to the
	// system's.
	CAFile string
	// InsecureSkipVerify accepts any server certificate.
	InsecureSkipVerify bool
	// AllowPlaintext permits http:// URLs (given, discovered or redirected
	// to), which send the password unencrypted. Without it such a URL
	// fails with ErrPlaintextNotAllowed.
	AllowPlaintext bool
	// Timeout bounds each HTTP request; zero means DefaultTimeout.
	Timeout time.Duration
	// Logger receives the adapter's records (component "dav"); nil
	// discards them.
	Logger *slog.Logger
	// LookupSRV resolves SRV records as net.Resolver.LookupSRV does; nil
	// means net.DefaultResolver. Tests inject their own.
	LookupSRV func(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
	// LookupTXT resolves TXT records as net.Resolver.LookupTXT does (for
	// the RFC 6764 "path" key); nil means net.DefaultResolver.
	LookupTXT func(ctx context.Context, name string) ([]string, error)
}

func (o *Options) logger() *slog.Logger {
	l := o.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return l.With("component", "dav")
}

func (o *Options) lookupSRV() func(ctx context.Context, service, proto, name string) (string, []*net.SRV, error) {
	if o.LookupSRV != nil {
		return o.LookupSRV
	}
	return net.DefaultResolver.LookupSRV
}

func (o *Options) lookupTXT() func(ctx context.Context, name string) ([]string, error) {
	if o.LookupTXT != nil {
		return o.LookupTXT
	}
	return net.DefaultResolver.LookupTXT
}

// transport builds the HTTP transport: TLS verified against the system's
// roots plus CAFile, unless InsecureSkipVerify.
func (o *Options) transport() (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.InsecureSkipVerify} //nolint:gosec // the user's explicit choice
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("dav: read CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("dav: CA file %s holds no PEM certificate", o.CAFile)
		}
		cfg.RootCAs = pool
	}
	tr.TLSClientConfig = cfg
	return tr, nil
}
