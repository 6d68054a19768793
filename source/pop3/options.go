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

// Auth is how Dial logs in.
type Auth string

// Login methods.
const (
	// AuthAuto (the default, also "") chooses from what the server offers:
	// over TLS, SASL PLAIN when CAPA lists it, else USER/PASS; on a
	// plaintext connection (Options.AllowPlaintext), APOP first when the
	// greeting carries a timestamp, because it does not send the password
	// itself, then SASL PLAIN, then USER/PASS (also when APOP is refused:
	// some servers show a timestamp but keep no plaintext passwords). A
	// server without CAPA gets USER/PASS (or APOP on plaintext).
	AuthAuto Auth = "auto"
	// AuthUser is USER and PASS (RFC 1939 section 7).
	AuthUser Auth = "user"
	// AuthPlain is AUTH PLAIN (SASL PLAIN over POP3, RFC 5034 and RFC
	// 4616); it fails when CAPA does not list SASL PLAIN.
	AuthPlain Auth = "plain"
	// AuthAPOP is APOP (RFC 1939 section 7): the MD5 of the greeting's
	// timestamp and the password; it fails when the greeting has no
	// timestamp. The server must hold the password in plaintext, and MD5
	// is weak against an eavesdropper's dictionary attack: prefer TLS.
	AuthAPOP Auth = "apop"
)

// DefaultTimeout is the inactivity limit when Options.Timeout is zero.
const DefaultTimeout = 60 * time.Second

// Reconnection defaults.
const (
	// DefaultMaxRetries is how many times a dropped or refused (maildrop
	// locked) session is re-opened when Options.MaxRetries is zero.
	DefaultMaxRetries = 3
	// DefaultRetryDelay is the first back-off when Options.RetryDelay is
	// zero.
	DefaultRetryDelay = time.Second
	// maxRetryDelay caps the back-off.
	maxRetryDelay = 30 * time.Second
)

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
	// Username and Password are the login, sent as Auth says.
	Username, Password string
	// Auth is the login method; "" means AuthAuto.
	Auth Auth
	// Timeout bounds connecting (TCP, TLS, greeting, login) and each wait
	// for the server during a call. Default DefaultTimeout.
	Timeout time.Duration
	// MaxRetries is how many times in a row a session is re-opened (after
	// a dropped connection, or a login refused because the maildrop is
	// locked, [IN-USE], or [SYS/TEMP]) before the call fails. Zero means
	// DefaultMaxRetries; a negative value, none.
	MaxRetries int
	// RetryDelay is the back-off before the first re-open, doubled for
	// each further one (at most 30 s), with jitter: each wait is a random
	// duration between half and all of it. Default DefaultRetryDelay.
	RetryDelay time.Duration
	// Logger receives connection events (connect, re-open and why); nil
	// discards them. Records carry component=pop3 and user (the login name). It never
	// receives secrets.
	Logger *slog.Logger
}

// String formats the options with the password masked.
func (o Options) String() string {
	pw := `""`
	if o.Password != "" {
		pw = "[redacted]"
	}
	return fmt.Sprintf("pop3.Options{Host:%q Port:%d Security:%q AllowPlaintext:%v CAFile:%q InsecureSkipVerify:%v Username:%q Password:%s Auth:%q Timeout:%v MaxRetries:%d RetryDelay:%v}",
		o.Host, o.Port, o.Security, o.AllowPlaintext, o.CAFile, o.InsecureSkipVerify, o.Username, pw, o.Auth, o.Timeout, o.MaxRetries, o.RetryDelay)
}

// GoString is String, for %#v.
func (o Options) GoString() string { return o.String() }

// config is Options validated and completed with defaults.
type config struct {
	Options
	addr    string
	tls     *tls.Config
	log     *slog.Logger
	retries int
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
	switch c.Auth {
	case "":
		c.Auth = AuthAuto
	case AuthAuto, AuthUser, AuthPlain, AuthAPOP:
	default:
		return nil, fmt.Errorf("pop3: mailbox %q: unknown auth %q (want \"auto\", \"user\", \"plain\" or \"apop\")", c.Username, c.Auth)
	}
	c.retries = c.MaxRetries
	if c.retries == 0 {
		c.retries = DefaultMaxRetries
	} else if c.retries < 0 {
		c.retries = 0
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = DefaultRetryDelay
	}
	c.log = c.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("component", "pop3", "user", c.Username)
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
