package imap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

func TestDialSecurity(t *testing.T) {
	tests := []struct {
		name     string
		server   Security
		mutate   func(o *Options)
		wantErr  error  // nil: success
		wantText string // in the error
		wantTLS  bool
	}{
		{name: "implicit TLS with CA file", server: SecurityTLS, wantTLS: true},
		{name: "STARTTLS with CA file", server: SecuritySTARTTLS, wantTLS: true},
		{name: "plaintext allowed", server: SecurityPlain},
		{
			name: "plaintext refused without AllowPlaintext", server: SecurityPlain,
			mutate:  func(o *Options) { o.AllowPlaintext = false },
			wantErr: ErrPlaintextNotAllowed, wantText: "allow_plaintext: true (or --allow-plaintext)",
		},
		{
			name: "TLS without trusting the CA", server: SecurityTLS,
			mutate:  func(o *Options) { o.CAFile = "" },
			wantErr: ErrConnect, wantText: "ca_file",
		},
		{
			name: "STARTTLS without trusting the CA", server: SecuritySTARTTLS,
			mutate:  func(o *Options) { o.CAFile = "" },
			wantErr: ErrConnect, wantText: "certificate",
		},
		{
			name: "TLS with InsecureSkipVerify", server: SecurityTLS,
			mutate:  func(o *Options) { o.CAFile = ""; o.InsecureSkipVerify = true },
			wantTLS: true,
		},
		{
			name: "TLS to a plaintext server", server: SecurityPlain,
			mutate:  func(o *Options) { o.Security = SecurityTLS; o.Timeout = time.Second },
			wantErr: ErrConnect,
		},
		{
			name: "STARTTLS to a server without it", server: SecurityPlain,
			mutate:  func(o *Options) { o.Security = SecuritySTARTTLS },
			wantErr: ErrConnect, wantText: "STARTTLS",
		},
		{
			name: "wrong password", server: SecurityTLS,
			mutate:  func(o *Options) { o.Password = "wrong-password" },
			wantErr: ErrAuth,
		},
		{
			name: "unknown user", server: SecurityTLS,
			mutate:  func(o *Options) { o.Username = "mallory" },
			wantErr: ErrAuth,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, fixtureOptions{security: tt.server})
			opts := fx.options(tt.server)
			if tt.mutate != nil {
				tt.mutate(opts)
			}
			a, err := Dial(context.Background(), opts)
			if tt.wantErr != nil {
				if err == nil {
					a.Close()
					t.Fatalf("Dial() = nil error, want %v", tt.wantErr)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Dial() = %v, want an error matching %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantText) {
					t.Errorf("Dial() = %q, want it to mention %q", err, tt.wantText)
				}
				if strings.Contains(err.Error(), testPassword) || strings.Contains(err.Error(), opts.Password) {
					t.Errorf("Dial() error reveals the password: %v", err)
				}
				// Connection and authentication errors are told apart.
				if errors.Is(err, ErrAuth) && errors.Is(err, ErrConnect) {
					t.Errorf("Dial() = %v matches both ErrAuth and ErrConnect", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial() = %v", err)
			}
			defer a.Close()
			info := a.Info()
			if gotTLS := info.TLSVersion != ""; gotTLS != tt.wantTLS {
				t.Errorf("Info().TLSVersion = %q, want TLS %v", info.TLSVersion, tt.wantTLS)
			}
			if info.InsecureSkipVerify != opts.InsecureSkipVerify {
				t.Errorf("Info().InsecureSkipVerify = %v, want %v", info.InsecureSkipVerify, opts.InsecureSkipVerify)
			}
			if info.Mailbox != testUser || info.Addr != net.JoinHostPort(fx.host, fmt.Sprint(fx.port)) {
				t.Errorf("Info() = %+v", info)
			}
			if _, err := a.Folders(context.Background()); err != nil {
				t.Errorf("Folders() = %v", err)
			}
		})
	}
}

func TestDialUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	_, err = Dial(context.Background(), &Options{Host: "127.0.0.1", Port: port, Username: testUser, Password: testPassword})
	if !errors.Is(err, ErrConnect) {
		t.Fatalf("Dial(closed port) = %v, want ErrConnect", err)
	}
}

func TestDialSilentServer(t *testing.T) {
	// A server that accepts and never greets.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	for _, sec := range []Security{SecurityPlain, SecuritySTARTTLS, SecurityTLS} {
		t.Run(string(sec), func(t *testing.T) {
			start := time.Now()
			_, err := Dial(context.Background(), &Options{
				Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Security: sec, AllowPlaintext: true,
				Username: testUser, Password: testPassword, Timeout: 300 * time.Millisecond,
			})
			if !errors.Is(err, ErrConnect) {
				t.Fatalf("Dial(silent server) = %v, want ErrConnect", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Dial(silent server) took %v, want about the 300ms timeout", d)
			}
		})
	}
}

func TestDialCancelled(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Dial(ctx, fx.options(SecurityTLS))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial(cancelled) = %v, want context.Canceled", err)
	}
}

func TestOptionsErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no host", Options{Username: "u", Password: "p"}, "no host"},
		{"no username", Options{Host: "h", Password: "p"}, "no username"},
		{"no secret", Options{Host: "h", Username: "u"}, "neither a password nor an OAuth2 token"},
		{"token and authzid", Options{Host: "h", Username: "u", OAuth2Token: "t", AuthzID: "x"}, "cannot be combined"},
		{"bad security", Options{Host: "h", Username: "u", Password: "p", Security: "ssl"}, "unknown security"},
		{"bad port", Options{Host: "h", Username: "u", Password: "p", Port: 70000}, "invalid port"},
		{"missing CA file", Options{Host: "h", Username: "u", Password: "p", CAFile: "/nonexistent/ca.pem"}, "reading CA file"},
		{"unknown auth", Options{Host: "h", Username: "u", Password: "p", Auth: "cram-md5"}, "unknown auth"},
		{"xoauth2 without token", Options{Host: "h", Username: "u", Password: "p", Auth: AuthXOAuth2}, "needs an OAuth2 token"},
		{"login without password", Options{Host: "h", Username: "u", OAuth2Token: "t", Auth: AuthLogin}, "needs a password"},
		{"admin login with LOGIN", Options{Host: "h", Username: "u", Password: "p", AuthzID: "x", Auth: AuthLogin}, "needs auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Dial(context.Background(), &tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Dial() = %v, want an error containing %q", err, tt.want)
			}
			if errors.Is(err, ErrConnect) || errors.Is(err, ErrAuth) {
				t.Errorf("Dial() = %v: an options error must not look like a connection or auth failure", err)
			}
		})
	}
	if _, err := Dial(context.Background(), nil); err == nil {
		t.Errorf("Dial(nil) = nil error")
	}
}

func TestAuthMechanisms(t *testing.T) {
	tests := []struct {
		name     string
		mechs    []string // offered by the server; nil = PLAIN, XOAUTH2
		mutate   func(o *Options)
		wantMech string
		wantErr  error
		wantText string
	}{
		{name: "PLAIN when offered", wantMech: "PLAIN"},
		{name: "LOGIN forced", mutate: func(o *Options) { o.Auth = AuthLogin }, wantMech: "LOGIN"},
		{name: "PLAIN forced", mutate: func(o *Options) { o.Auth = AuthPlain }, wantMech: "PLAIN"},
		{name: "PLAIN forced, not offered", mechs: []string{}, mutate: func(o *Options) { o.Auth = AuthPlain }, wantErr: ErrAuth, wantText: "PLAIN"},
		{name: "XOAUTH2 forced", mutate: func(o *Options) { o.Auth, o.OAuth2Token = AuthXOAuth2, testToken }, wantMech: "XOAUTH2"},
		{name: "LOGIN without SASL", mechs: []string{}, wantMech: "LOGIN"},
		{name: "LOGIN wrong password", mechs: []string{}, mutate: func(o *Options) { o.Password = "nope-nope" }, wantErr: ErrAuth},
		{
			name:     "admin login with authzid",
			mutate:   func(o *Options) { o.Username, o.Password, o.AuthzID = testAdmin, testAdminPass, testUser },
			wantMech: "PLAIN",
		},
		{
			name:    "admin login wrong admin password",
			mutate:  func(o *Options) { o.Username, o.Password, o.AuthzID = testAdmin, "wrong-admin", testUser },
			wantErr: ErrAuth,
		},
		{
			name: "admin login needs PLAIN", mechs: []string{"XOAUTH2"},
			mutate:  func(o *Options) { o.Username, o.Password, o.AuthzID = testAdmin, testAdminPass, testUser },
			wantErr: ErrAuth, wantText: "PLAIN",
		},
		{
			name:     "XOAUTH2",
			mutate:   func(o *Options) { o.Password, o.OAuth2Token = "", testToken },
			wantMech: "XOAUTH2",
		},
		{
			name:    "XOAUTH2 bad token",
			mutate:  func(o *Options) { o.Password, o.OAuth2Token = "", "ya29.expired-token" },
			wantErr: ErrAuth, wantText: "status 401",
		},
		{
			name: "token without a bearer mechanism", mechs: []string{"PLAIN"},
			mutate:  func(o *Options) { o.Password, o.OAuth2Token = "", testToken },
			wantErr: ErrAuth, wantText: "XOAUTH2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, fixtureOptions{security: SecurityTLS, mechs: tt.mechs})
			opts := fx.options(SecurityTLS)
			if tt.mutate != nil {
				tt.mutate(opts)
			}
			trace := &syncBuffer{}
			opts.Trace = trace
			a, err := Dial(context.Background(), opts)
			defer assertNoSecrets(t, "trace", trace.String(), opts)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Dial() = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantText) {
					t.Errorf("Dial() = %q, want it to mention %q", err, tt.wantText)
				}
				assertNoSecrets(t, "error", err.Error(), opts)
				return
			}
			if err != nil {
				t.Fatalf("Dial() = %v", err)
			}
			defer a.Close()
			if got := a.Info().AuthMechanism; got != tt.wantMech {
				t.Errorf("Info().AuthMechanism = %q, want %q", got, tt.wantMech)
			}
			if got, want := a.Info().AdminLogin, opts.AuthzID != ""; got != want {
				t.Errorf("Info().AdminLogin = %v, want %v", got, want)
			}
			if _, err := a.Folders(context.Background()); err != nil {
				t.Errorf("Folders() = %v", err)
			}
		})
	}
}

// assertNoSecrets fails if s holds any credential of opts or the test
// constants, in any encoding the tracer knows.
func assertNoSecrets(t *testing.T, what, s string, opts *Options) {
	t.Helper()
	cfg, err := opts.check()
	if err != nil {
		t.Fatal(err)
	}
	secrets := append(traceSecrets(cfg), secretForms(testPassword)...)
	secrets = append(secrets, secretForms(testAdminPass)...)
	secrets = append(secrets, secretForms(testToken)...)
	for _, secret := range secrets {
		if len(secret) >= traceMinSecret && strings.Contains(s, secret) {
			t.Errorf("%s reveals a secret (%q):\n%s", what, secret, s)
		}
	}
}

func TestOptionsFormattingHidesSecrets(t *testing.T) {
	opts := Options{Host: "h", Username: testUser, Password: testPassword, OAuth2Token: testToken}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("dialing", "opts", opts)
	for _, s := range []string{
		fmt.Sprint(opts), fmt.Sprintf("%v", opts), fmt.Sprintf("%+v", opts), fmt.Sprintf("%#v", opts),
		fmt.Sprint(&opts), logged.String(),
	} {
		if strings.Contains(s, testPassword) || strings.Contains(s, testToken) {
			t.Errorf("formatted options reveal a secret: %s", s)
		}
		if !strings.Contains(s, testUser) {
			t.Errorf("formatted options lost the username: %s", s)
		}
	}
}
