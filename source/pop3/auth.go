package pop3

import (
	"context"
	"crypto/md5" //nolint:gosec // APOP (RFC 1939 section 7) is defined on MD5
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// apopStamp returns the RFC 1939 section 7 timestamp of a greeting: the
// first "<...@...>" in it, brackets included, or "".
func apopStamp(greeting string) string {
	i := strings.IndexByte(greeting, '<')
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(greeting[i:], '>')
	if j < 0 {
		return ""
	}
	s := greeting[i : i+j+1]
	if !strings.Contains(s, "@") || strings.ContainsAny(s[1:len(s)-1], "<> ") {
		return ""
	}
	return s
}

// chooseAuth picks the login method, as AuthAuto documents, or checks that
// the one asked for can work.
func chooseAuth(c *conn, cfg *config) (Auth, error) {
	stamp := apopStamp(c.greeting)
	switch cfg.Auth {
	case AuthUser:
		return AuthUser, nil
	case AuthPlain:
		if _, known := c.has("SASL"); known && !c.sasl("PLAIN") {
			return "", fmt.Errorf("%w: auth %q asked for, but the server's CAPA does not list SASL PLAIN", ErrAuth, cfg.Auth)
		}
		return AuthPlain, nil
	case AuthAPOP:
		if stamp == "" {
			return "", fmt.Errorf("%w: auth %q asked for, but the server's greeting has no APOP timestamp", ErrAuth, cfg.Auth)
		}
		return AuthAPOP, nil
	}
	user, known := c.has("USER")
	switch {
	case c.tls == "" && stamp != "":
		return AuthAPOP, nil
	case c.sasl("PLAIN"):
		return AuthPlain, nil
	case known && !user && stamp != "":
		return AuthAPOP, nil
	}
	return AuthUser, nil
}

// login authenticates with the method chooseAuth picks. A refusal is
// ErrAuth, except the RFC 2449 / RFC 3206 response codes that say the
// failure is temporary: [IN-USE] (the maildrop is locked by another
// session) and [SYS/TEMP], which are ErrConnect and are retried (see
// retryable). With AuthAuto, an APOP refused for good (a server that
// shows a timestamp but keeps no plaintext passwords) is followed by SASL
// PLAIN or USER/PASS, which plaintext was allowed for. It returns the
// method used.
func login(ctx context.Context, c *conn, cfg *config) (Auth, error) {
	method, err := chooseAuth(c, cfg)
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(cfg.Username+cfg.Password, "\r\n") {
		return "", fmt.Errorf("%w: the username or password holds a line break", ErrAuth)
	}
	tctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	err = loginWith(tctx, c, cfg, method)
	var re *respError
	if method == AuthAPOP && cfg.Auth == AuthAuto && errors.As(err, &re) && !temporary(re) {
		next := AuthUser
		if c.sasl("PLAIN") {
			next = AuthPlain
		}
		cfg.log.Info("APOP refused: trying the next login method", "auth", string(next), "err", err)
		method = next
		err = loginWith(tctx, c, cfg, method)
	}
	switch {
	case err == nil:
		return method, nil
	case errors.As(err, &re) && temporary(re):
		return "", fmt.Errorf("%w: %w", ErrConnect, err)
	case errors.As(err, &re):
		return "", fmt.Errorf("%w: %s: %w", ErrAuth, method, err)
	case ctx.Err() != nil:
		return "", ctx.Err()
	}
	return "", fmt.Errorf("%w: %w", ErrConnect, err)
}

// temporary reports whether a -ERR says to try again later.
func temporary(re *respError) bool { return re.code() == "IN-USE" || re.code() == "SYS/TEMP" }

// loginWith sends one login method's commands.
func loginWith(ctx context.Context, c *conn, cfg *config, method Auth) error {
	switch method {
	case AuthAPOP:
		sum := md5.Sum([]byte(apopStamp(c.greeting) + cfg.Password)) //nolint:gosec // APOP is MD5
		_, err := c.cmd(ctx, "APOP "+cfg.Username+" "+hex.EncodeToString(sum[:]))
		return err
	case AuthPlain:
		return authPlain(ctx, c, cfg)
	}
	_, err := c.cmd(ctx, "USER "+cfg.Username)
	if err == nil {
		_, err = c.cmd(ctx, "PASS "+cfg.Password)
	}
	return err
}

// maxAuthLine is the longest AUTH command with an initial response (RFC
// 5034 section 4: 255 octets); a longer one is sent after the server's
// "+ " continuation instead.
const maxAuthLine = 255

// authPlain sends AUTH PLAIN (RFC 5034) with the RFC 4616 response
// "\x00user\x00password", no authorization identity. The response is
// never part of an error.
func authPlain(ctx context.Context, c *conn, cfg *config) error {
	resp := base64.StdEncoding.EncodeToString([]byte("\x00" + cfg.Username + "\x00" + cfg.Password))
	if line := "AUTH PLAIN " + resp; len(line)+2 <= maxAuthLine {
		_, err := c.cmd(ctx, line)
		return err
	}
	stop := c.watch(ctx)
	defer stop()
	if err := c.send("AUTH PLAIN"); err != nil {
		return err
	}
	l, err := c.line()
	if err != nil {
		return fmt.Errorf("AUTH: reading the answer: %w", err)
	}
	if l != "+" && !strings.HasPrefix(l, "+ ") {
		if strings.HasPrefix(l, "-ERR") {
			return &respError{cmd: "AUTH", text: strings.TrimSpace(strings.TrimPrefix(l, "-ERR"))}
		}
		return fmt.Errorf("AUTH: unexpected answer %q", truncate(l))
	}
	if err := c.send(resp); err != nil {
		return fmt.Errorf("AUTH: %w", err)
	}
	_, err = c.status("AUTH")
	return err
}
