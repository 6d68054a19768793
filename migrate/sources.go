package migrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/imap"
)

// ErrConnect reports that a source or target could not be reached or
// refused the credentials; the command line exits with code 3 for it.
var ErrConnect = errors.New("cannot connect or authenticate")

// SourceSettings are the run-wide source settings that a CSV row does not
// carry, with file paths already resolved.
type SourceSettings struct {
	CAFile             string
	InsecureSkipVerify bool
	AllowPlaintext     bool
	Auth               string // plain, login or xoauth2
	AdminUser          string
	AdminPassword      string
	Timeout            time.Duration
	// NoSpecialUse ignores the server's SPECIAL-USE flags (tests).
	NoSpecialUse bool
}

// SourceSettingsFrom returns the settings of a loaded project.
func SourceSettingsFrom(p *config.Project) SourceSettings {
	s := p.Settings.Source
	return SourceSettings{
		CAFile:             p.Resolve(s.CAFile),
		InsecureSkipVerify: s.InsecureSkipVerify,
		AllowPlaintext:     s.AllowPlaintext,
		Auth:               s.Auth,
		AdminUser:          s.AdminUser,
		AdminPassword:      s.AdminPassword.Value(),
		Timeout:            time.Duration(s.Timeout),
	}
}

// OpenSource opens and authenticates the source account of mailbox m.
// Errors that mean "cannot connect or authenticate" match ErrConnect.
func OpenSource(ctx context.Context, m config.Mailbox, s SourceSettings, log *slog.Logger) (source.Account, error) {
	switch m.Protocol {
	case "imap", "":
		opts := &imap.Options{
			Host:               m.Host,
			Port:               m.Port,
			Security:           imap.Security(m.Security),
			AllowPlaintext:     s.AllowPlaintext,
			CAFile:             s.CAFile,
			InsecureSkipVerify: s.InsecureSkipVerify,
			Username:           m.UserName,
			Password:           m.Password.Value(),
			Auth:               imapAuth(s.Auth),
			NoSpecialUse:       s.NoSpecialUse,
			Timeout:            s.Timeout,
			Logger:             log,
		}
		switch {
		case s.Auth == "xoauth2":
			opts.Password, opts.OAuth2Token, opts.Auth = "", m.Password.Value(), imap.AuthXOAuth2
		case m.Password.Value() == "" && s.AdminUser != "":
			// Admin (master user) login: authenticate as the admin, act as the user.
			opts.Username, opts.Password, opts.AuthzID = s.AdminUser, s.AdminPassword, m.UserName
			if opts.Auth == imap.AuthLogin {
				opts.Auth = imap.AuthPlain // LOGIN has no authorization identity
			}
		}
		acct, err := imap.Dial(ctx, opts)
		if err != nil {
			if errors.Is(err, imap.ErrConnect) || errors.Is(err, imap.ErrAuth) {
				return nil, fmt.Errorf("mailbox %s: %w: %w", m.EmailAddress, ErrConnect, err)
			}
			return nil, fmt.Errorf("mailbox %s: %w", m.EmailAddress, err)
		}
		return acct, nil
	}
	return nil, fmt.Errorf("mailbox %s: source protocol %q is not supported yet", m.EmailAddress, m.Protocol)
}

// imapAuth maps the source.auth setting to the IMAP adapter's method.
func imapAuth(auth string) imap.AuthMethod {
	if auth == "auto" {
		return imap.AuthAuto
	}
	return imap.AuthMethod(auth)
}
