package imap

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
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
	// SecurityTLS is implicit TLS from the first byte (usually port 993).
	SecurityTLS Security = "tls"
	// SecuritySTARTTLS starts in plaintext and upgrades with STARTTLS
	// before anything else is sent (usually port 143).
	SecuritySTARTTLS Security = "starttls"
	// SecurityPlain sends everything, credentials included, unencrypted.
	// It requires Options.AllowPlaintext.
	SecurityPlain Security = "plain"
)

// AuthMethod forces an authentication method.
type AuthMethod string

// Authentication methods.
const (
	// AuthAuto picks from the options and the server: XOAUTH2 (or
	// OAUTHBEARER) with a token, SASL PLAIN with an authorization identity
	// or when the server offers it, else the LOGIN command.
	AuthAuto AuthMethod = ""
	// AuthPlain is SASL PLAIN (RFC 4616), with AuthzID when set.
	AuthPlain AuthMethod = "plain"
	// AuthLogin is the IMAP LOGIN command.
	AuthLogin AuthMethod = "login"
	// AuthXOAuth2 is SASL XOAUTH2 with OAuth2Token.
	AuthXOAuth2 AuthMethod = "xoauth2"
)

// Defaults applied to zero Options fields.
const (
	DefaultTimeout    = 60 * time.Second
	DefaultMaxRetries = 3
	DefaultRetryDelay = time.Second
	DefaultWindowSize = 1000
	// DefaultMaxMessageSize is the largest body Open accepts when
	// Options.MaxMessageSize is zero: far above what Exchange Online takes
	// (150 MB at most), so that only a lying or broken server reaches it.
	DefaultMaxMessageSize = 1 << 30
)

// Options configures Dial. The zero value of each field selects its default;
// Host and credentials are required.
type Options struct {
	// Host is the server's name or address. It is also the name the TLS
	// certificate must carry.
	Host string
	// Port defaults to 993 for SecurityTLS and 143 otherwise.
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
	// InsecureSkipVerify accepts any server certificate. Info reports it so
	// that the migration report can record it.
	InsecureSkipVerify bool

	// Username is the login name. With AuthzID set it is the admin (master
	// user) who authenticates on the user's behalf.
	Username string
	// Password is the password of Username. Unused with OAuth2Token.
	Password string
	// AuthzID, when set, is the user whose mailbox is opened by an admin:
	// SASL PLAIN with authorization identity AuthzID and authentication
	// identity Username (Dovecot master users, Cyrus and others).
	AuthzID string
	// OAuth2Token, when set, is a bearer token sent with SASL XOAUTH2 (or
	// OAUTHBEARER when the server only offers that) instead of Password.
	OAuth2Token string
	// Auth forces a method; AuthAuto (the zero value) chooses. A forced
	// method the server does not offer fails with ErrAuth.
	Auth AuthMethod

	// NoSpecialUse ignores the roles a server announces (RFC 6154) and
	// guesses them from folder names, for servers whose announcements are
	// wrong.
	NoSpecialUse bool

	// Timeout bounds connecting (TCP, TLS, greeting, login) and, once
	// connected, each wait for the server while a call is in progress: it
	// is an inactivity limit, so a large message that keeps arriving never
	// times out. Default DefaultTimeout.
	Timeout time.Duration
	// MaxRetries is how many times in a row a dropped connection is
	// re-opened before the call fails. Zero means DefaultMaxRetries; a
	// negative value disables reconnection.
	MaxRetries int
	// RetryDelay is the wait before the first reconnection, doubled for
	// each further one (at most 30 s). Default DefaultRetryDelay.
	RetryDelay time.Duration
	// WindowSize is how many messages Items fetches metadata for at once.
	// Default DefaultWindowSize.
	WindowSize int
	// MaxMessageSize is the largest message body Open accepts: a FETCH
	// literal announced larger fails before a byte of it is read. Default
	// DefaultMaxMessageSize.
	MaxMessageSize int64

	// Logger receives connection events (connect, reconnect, retries); nil
	// discards them. It never receives secrets. The adapter adds
	// component=imap and user (the login's user, or its authorization
	// identity) to every record, so the caller's logger may carry other
	// attributes (the engine's names the mailbox) but not these.
	Logger *slog.Logger
	// Trace, when set, receives the IMAP conversation, one line per
	// protocol line prefixed "C: " (client) or "S: " (server), with
	// credentials redacted. Message bodies appear in it as received.
	Trace io.Writer
}

// String formats the options with secrets masked, so that logging them by
// mistake leaks nothing.
func (o Options) String() string {
	return fmt.Sprintf("imap.Options{Host:%q Port:%d Security:%q AllowPlaintext:%v CAFile:%q InsecureSkipVerify:%v Username:%q Password:%s AuthzID:%q OAuth2Token:%s Auth:%q NoSpecialUse:%v Timeout:%v MaxRetries:%d RetryDelay:%v WindowSize:%d}",
		o.Host, o.Port, o.Security, o.AllowPlaintext, o.CAFile, o.InsecureSkipVerify,
		o.Username, mask(o.Password), o.AuthzID, mask(o.OAuth2Token), o.Auth,
		o.NoSpecialUse, o.Timeout, o.MaxRetries, o.RetryDelay, o.WindowSize)
}

// GoString is String, for %#v.
func (o Options) GoString() string { return o.String() }

// LogValue implements slog.LogValuer with secrets masked.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", o.Host),
		slog.Int("port", o.Port),
		slog.String("security", string(o.Security)),
		slog.Bool("insecure_skip_verify", o.InsecureSkipVerify),
		slog.String("username", o.Username),
		slog.String("authzid", o.AuthzID),
		slog.String("password", mask(o.Password)),
		slog.String("oauth2_token", mask(o.OAuth2Token)),
	)
}

func mask(secret string) string {
	if secret == "" {
		return `""`
	}
	return "[redacted]"
}

// config is Options validated and completed with defaults.
type config struct {
	Options
	addr    string
	user    string // the mailbox, for errors and logs
	tls     *tls.Config
	log     *slog.Logger
	retries int
}

// check validates o and fills in defaults. It reads CAFile but does no
// network I/O.
func (o *Options) check() (*config, error) {
	c := &config{Options: *o}
	if c.Host == "" {
		return nil, fmt.Errorf("imap: no host given")
	}
	c.user = c.Username
	if c.AuthzID != "" {
		c.user = c.AuthzID
	}
	if c.Username == "" {
		return nil, fmt.Errorf("imap: host %s: no username given", c.Host)
	}
	if c.Password == "" && c.OAuth2Token == "" {
		return nil, fmt.Errorf("imap: mailbox %q: neither a password nor an OAuth2 token given", c.user)
	}
	if c.OAuth2Token != "" && c.AuthzID != "" {
		return nil, fmt.Errorf("imap: mailbox %q: an OAuth2 token cannot be combined with an authorization identity (admin login)", c.user)
	}
	switch c.Auth {
	case AuthAuto:
	case AuthPlain, AuthLogin:
		if c.Password == "" {
			return nil, fmt.Errorf("imap: mailbox %q: auth %q needs a password", c.user, c.Auth)
		}
		if c.Auth == AuthLogin && c.AuthzID != "" {
			return nil, fmt.Errorf("imap: mailbox %q: an admin login (authorization identity) needs auth \"plain\", not \"login\"", c.user)
		}
		c.OAuth2Token = ""
	case AuthXOAuth2:
		if c.OAuth2Token == "" {
			return nil, fmt.Errorf("imap: mailbox %q: auth \"xoauth2\" needs an OAuth2 token", c.user)
		}
	default:
		return nil, fmt.Errorf("imap: mailbox %q: unknown auth %q (want \"plain\", \"login\" or \"xoauth2\")", c.user, c.Auth)
	}
	switch c.Security {
	case "":
		c.Security = SecurityTLS
	case SecurityTLS, SecuritySTARTTLS:
	case SecurityPlain:
		if !c.AllowPlaintext {
			return nil, fmt.Errorf("imap: mailbox %q: %w: security %q would send the password unencrypted to %s; use \"tls\" or \"starttls\", or set source.allow_plaintext: true (or --allow-plaintext) to accept that risk",
				c.user, ErrPlaintextNotAllowed, c.Security, c.Host)
		}
	default:
		return nil, fmt.Errorf("imap: mailbox %q: unknown security %q (want \"tls\", \"starttls\" or \"plain\")", c.user, c.Security)
	}
	if c.Port == 0 {
		c.Port = 143
		if c.Security == SecurityTLS {
			c.Port = 993
		}
	}
	if c.Port < 0 || c.Port > 65535 {
		return nil, fmt.Errorf("imap: mailbox %q: invalid port %d", c.user, c.Port)
	}
	c.addr = net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
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
	if c.WindowSize <= 0 {
		c.WindowSize = DefaultWindowSize
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	c.log = c.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("component", "imap", "user", c.user)
	if c.Security != SecurityPlain {
		c.tls = &tls.Config{
			ServerName:         c.Host,
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // explicit, reported option
		}
		if c.CAFile != "" {
			pem, err := os.ReadFile(c.CAFile)
			if err != nil {
				return nil, fmt.Errorf("imap: mailbox %q: reading CA file: %w", c.user, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("imap: mailbox %q: CA file %s holds no PEM certificate", c.user, c.CAFile)
			}
			c.tls.RootCAs = pool
		}
	}
	return c, nil
}
