package pop3

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"
)

// Security is how the connection is protected.
type Security string

// Connection security modes.
const (
	// SecurityTLS is implicit TLS from the first byte (usually port 995).
	SecurityTLS Security = "tls"
	// SecuritySTARTTLS starts in plaintext and upgrades with STLS (RFC
	// 2595) before the credentials are sent (usually port 110).
	SecuritySTARTTLS Security = "starttls"
	// SecurityPlain sends everything, credentials included, unencrypted.
	// It requires Options.AllowPlaintext.
	SecurityPlain Security = "plain"
)

// DefaultTimeout is the inactivity limit when Options.Timeout is zero.
const DefaultTimeout = 60 * time.Second

// Options configures Dial. The zero value of each field selects its
// default; Host, Username and Password are required.
type Options struct {
	// Host is the server's name or address, and the name its TLS
	// certificate must carry.
	Host string
	// Port defaults to 995 for SecurityTLS and 110 otherwise.
	Port int
	// Security is SecurityTLS (the default), SecuritySTARTTLS or
	// SecurityPlain.
	Security Security
	// AllowPlaintext permits SecurityPlain. Without it Dial refuses a
	// plaintext connection with ErrPlaintextNotAllowed.
	AllowPlaintext bool
	// CAFile is a PEM file of CA certificates to trust instead of the
	// system's.
	CAFile string
	// InsecureSkipVerify accepts any server certificate (tests only).
	InsecureSkipVerify bool
	// Username and Password are sent with USER and PASS.
	Username, Password string
	// Timeout bounds connecting (TCP, TLS, greeting, login) and each wait
	// for the server during a call. Default DefaultTimeout.
	Timeout time.Duration
	// Logger receives connection events; nil discards them. It never
	// receives secrets.
	Logger *slog.Logger
}

// String formats the options with the password masked.
func (o Options) String() string {
	pw := `""`
	if o.Password != "" {
		pw = "[redacted]"
	}
	return fmt.Sprintf("pop3.Options{Host:%q Port:%d Security:%q AllowPlaintext:%v CAFile:%q InsecureSkipVerify:%v Username:%q Password:%s Timeout:%v}",
		o.Host, o.Port, o.Security, o.AllowPlaintext, o.CAFile, o.InsecureSkipVerify, o.Username, pw, o.Timeout)
}

// GoString is String, for %#v.
func (o Options) GoString() string { return o.String() }

// config is Options validated and completed with defaults.
type config struct {
	Options
	addr string
	tls  *tls.Config
	log  *slog.Logger
}

// check validates o and fills in defaults. It reads CAFile but does no
// network I/O.
func (o *Options) check() (*config, error) {
	c := &config{Options: *o}
	if c.Host == "" {
		return nil, fmt.Errorf("pop3: no host given")
	}
	if c.Username == "" {
		return nil, fmt.Errorf("pop3: host %s: no username given", c.Host)
	}
	if c.Password == "" {
		return nil, fmt.Errorf("pop3: mailbox %q: no password given", c.Username)
	}
	switch c.Security {
	case "":
		c.Security = SecurityTLS
	case SecurityTLS, SecuritySTARTTLS:
	case SecurityPlain:
		if !c.AllowPlaintext {
			return nil, fmt.Errorf("pop3: mailbox %q: %w: security %q would send the password unencrypted to %s; use \"tls\" or \"starttls\", or set source.allow_plaintext: true (or --allow-plaintext) to accept that risk",
				c.Username, ErrPlaintextNotAllowed, c.Security, c.Host)
		}
	default:
		return nil, fmt.Errorf("pop3: mailbox %q: unknown security %q (want \"tls\", \"starttls\" or \"plain\")", c.Username, c.Security)
	}
	if c.Port == 0 {
		c.Port = 110
		if c.Security == SecurityTLS {
			c.Port = 995
		}
	}
	if c.Port < 0 || c.Port > 65535 {
		return nil, fmt.Errorf("pop3: mailbox %q: invalid port %d", c.Username, c.Port)
	}
	c.addr = net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	c.log = c.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.Security != SecurityPlain {
		c.tls = &tls.Config{
			ServerName:         c.Host,
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // explicit option
		}
		if c.CAFile != "" {
			pem, err := os.ReadFile(c.CAFile)
			if err != nil {
				return nil, fmt.Errorf("pop3: mailbox %q: reading CA file: %w", c.Username, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("pop3: mailbox %q: CA file %s holds no PEM certificate", c.Username, c.CAFile)
			}
			c.tls.RootCAs = pool
		}
	}
	return c, nil
}
