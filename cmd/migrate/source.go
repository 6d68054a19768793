package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/migrate-tool/migrate/migrate"
	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/imap"
	"github.com/migrate-tool/migrate/source/mailparts"
	"github.com/migrate-tool/migrate/source/mbox"
	"github.com/migrate-tool/migrate/source/pop3"
)

// sourceSettings are the run-wide source settings that a CSV row does not
// carry, with file paths already resolved.
type sourceSettings struct {
	CAFile             string
	InsecureSkipVerify bool
	AllowPlaintext     bool
	Auth               string // auto, plain, login, xoauth2 (IMAP) or apop (POP3)
	AdminUser          string
	AdminPassword      string
	Timeout            time.Duration
	// NoSpecialUse ignores the server's SPECIAL-USE flags (tests).
	NoSpecialUse bool
	// MailParts adds the vCard and iCalendar parts of the row's mail as
	// the address book and calendar "From mail" (filters.mail_parts).
	MailParts bool
	// MboxEscaping is source.mbox_escaping.
	MboxEscaping string
}

// sourceSettingsFrom returns the source settings of a loaded project.
func sourceSettingsFrom(p *config.Project) sourceSettings {
	s := p.Settings.Source
	return sourceSettings{
		CAFile:             p.Resolve(s.CAFile),
		InsecureSkipVerify: s.InsecureSkipVerify,
		AllowPlaintext:     s.AllowPlaintext,
		Auth:               s.Auth,
		AdminUser:          s.AdminUser,
		AdminPassword:      s.AdminPassword.Value(),
		Timeout:            time.Duration(s.Timeout),
		MailParts:          p.Settings.Filters.MailParts,
		MboxEscaping:       s.MboxEscaping,
	}
}

// openSources returns the project's source opener.
func openSources(p *config.Project) migrate.SourceOpener {
	return sourceSettingsFrom(p).opener()
}

// opener returns the opener of source accounts with these settings: the
// adapter is chosen by the row's protocol. This is the one place that
// knows the source adapters; a new adapter is a case here.
func (s sourceSettings) opener() migrate.SourceOpener {
	return func(ctx context.Context, m config.Mailbox, log *slog.Logger) (source.Account, error) {
		mail, err := s.openMail(ctx, m, log)
		if err != nil {
			return nil, err
		}
		if s.MailParts {
			mail = mailparts.Wrap(mail, &mailparts.Options{Logger: log})
		}
		pim, err := s.openPIM(ctx, m, log)
		if err != nil {
			mail.Close()
			return nil, err
		}
		return source.Combine(mail, pim...), nil
	}
}

// openMail opens row m's mail account with the adapter of its protocol.
func (s sourceSettings) openMail(ctx context.Context, m config.Mailbox, log *slog.Logger) (source.Account, error) {
	switch m.Protocol {
	case "imap", "":
		if s.Auth == "apop" {
			return nil, fmt.Errorf("source %s (imap): source.auth apop is for POP3 rows; use auto, plain, login or xoauth2", m.UserName)
		}
		return imap.Dial(ctx, s.imapOptions(m, log))
	case "pop3":
		opts, err := s.pop3Options(m, log)
		if err != nil {
			return nil, err
		}
		return pop3.Dial(ctx, opts)
	case "mbox":
		return s.openMbox(ctx, m, m.SourcePaths, log)
	case "local":
		return s.openLocal(ctx, m, log)
	}
	return nil, fmt.Errorf("source %s: protocol %q is not supported yet", m.EmailAddress, m.Protocol)
}

// openMbox opens mbox files and Thunderbird folder trees, read-only.
func (s sourceSettings) openMbox(ctx context.Context, m config.Mailbox, paths []string, log *slog.Logger) (source.Account, error) {
	a, err := mbox.Open(ctx, &mbox.Options{Paths: paths, Escaping: mbox.Escaping(s.MboxEscaping), Logger: log})
	if err != nil {
		return nil, fmt.Errorf("source %s (mbox): %w", m.EmailAddress, err)
	}
	return a, nil
}

// openLocal opens a SourceProtocol local row: the kind of each SourcePath
// is detected (localKind) and the paths are opened with their adapter.
func (s sourceSettings) openLocal(ctx context.Context, m config.Mailbox, log *slog.Logger) (source.Account, error) {
	var mboxes []string
	for _, p := range m.SourcePaths {
		kind, err := localKind(p)
		if err != nil {
			return nil, fmt.Errorf("source %s (local): %w", m.EmailAddress, err)
		}
		switch kind {
		case "mbox":
			mboxes = append(mboxes, p)
		default:
			return nil, fmt.Errorf("source %s (local): %s looks like a %s store, which is not supported yet", m.EmailAddress, p, kind)
		}
	}
	return s.openMbox(ctx, m, mboxes, log)
}

// localKind detects what kind of local store a path is: "mbox" for a
// file that is empty or begins with a From_ line, or a directory holding
// one (a Thunderbird account directory, a folder of mbox files, at any
// depth); "maildir" for a directory with cur/ and new/. Anything else is
// an error naming the path.
func localKind(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		ok, err := mbox.IsMbox(path)
		switch {
		case err != nil:
			return "", err
		case ok:
			return "mbox", nil
		}
		return "", fmt.Errorf("%s is not a mail store that migrate reads (an mbox file begins with a From_ line)", path)
	}
	if isDir(filepath.Join(path, "cur")) && isDir(filepath.Join(path, "new")) {
		return "maildir", nil
	}
	found := false
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || found {
			return err
		}
		if d.Type().IsRegular() {
			if ok, _ := mbox.IsMbox(p); ok {
				if fi, err := d.Info(); err == nil && fi.Size() > 0 {
					found = true
					return fs.SkipAll
				}
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if !found {
		return "", fmt.Errorf("%s holds no mbox file (a file beginning with a From_ line)", path)
	}
	return "mbox", nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// imapOptions are the IMAP adapter's options for row m.
func (s sourceSettings) imapOptions(m config.Mailbox, log *slog.Logger) *imap.Options {
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
	return opts
}

// imapAuth maps the source.auth setting to the IMAP adapter's method.
func imapAuth(auth string) imap.AuthMethod {
	if auth == "auto" {
		return imap.AuthAuto
	}
	return imap.AuthMethod(auth)
}

// pop3Options are the POP3 adapter's options for row m. source.auth maps
// to the adapter's login method: auto (SASL PLAIN over TLS, APOP first on
// plaintext, else USER/PASS), plain (AUTH PLAIN), login (USER/PASS), apop.
// An admin (master user) login and XOAUTH2 are refused here rather than
// sent as something the server would misread.
func (s sourceSettings) pop3Options(m config.Mailbox, log *slog.Logger) (*pop3.Options, error) {
	switch {
	case s.Auth == "xoauth2":
		return nil, fmt.Errorf("source %s (pop3): source.auth xoauth2 is not supported for POP3 yet; give the password", m.UserName)
	case m.Password.Value() == "":
		return nil, fmt.Errorf("source %s (pop3): no password: an admin (master user) login is not supported for POP3 yet", m.UserName)
	}
	return &pop3.Options{
		Host:               m.Host,
		Port:               m.Port,
		Security:           pop3.Security(m.Security),
		AllowPlaintext:     s.AllowPlaintext,
		CAFile:             s.CAFile,
		InsecureSkipVerify: s.InsecureSkipVerify,
		Username:           m.UserName,
		Password:           m.Password.Value(),
		Auth:               pop3Auth(s.Auth),
		Timeout:            s.Timeout,
		Logger:             log,
	}, nil
}

// pop3Auth maps the source.auth setting to the POP3 adapter's method.
func pop3Auth(auth string) pop3.Auth {
	switch auth {
	case "plain":
		return pop3.AuthPlain
	case "login":
		return pop3.AuthUser
	case "apop":
		return pop3.AuthAPOP
	}
	return pop3.AuthAuto
}
