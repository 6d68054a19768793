package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/migrate-tool/migrate/migrate"
	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/eml"
	"github.com/migrate-tool/migrate/source/emlx"
	"github.com/migrate-tool/migrate/source/imap"
	"github.com/migrate-tool/migrate/source/maildir"
	"github.com/migrate-tool/migrate/source/mailparts"
	"github.com/migrate-tool/migrate/source/mbox"
	"github.com/migrate-tool/migrate/source/pop3"
	"github.com/migrate-tool/migrate/source/pst"
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
	// PSTConverter is source.pst_converter.
	PSTConverter string
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
		PSTConverter:       s.PSTConverter,
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
	}
	if m.Local() {
		return s.openLocal(ctx, m, log)
	}
	return nil, fmt.Errorf("source protocol %q is not supported yet", m.Protocol)
}

// openLocal opens row m's mail stores on disk (SourcePath) with the
// adapter of its protocol; for protocol local, each path's kind is
// detected (localKind) and the paths of each kind open one account.
func (s sourceSettings) openLocal(ctx context.Context, m config.Mailbox, log *slog.Logger) (source.Account, error) {
	byKind := map[string][]string{}
	var kinds []string
	for _, p := range m.SourcePaths {
		kind := m.Protocol
		if kind == "local" {
			var err error
			if kind, err = localKind(p); err != nil {
				return nil, fmt.Errorf("source %s (local): %w", m.EmailAddress, err)
			}
		}
		if byKind[kind] == nil {
			kinds = append(kinds, kind)
		}
		byKind[kind] = append(byKind[kind], p)
	}
	var accts []source.Account
	for _, kind := range kinds {
		var a source.Account
		var err error
		switch kind {
		case "mbox":
			a, err = mbox.Open(ctx, &mbox.Options{Paths: byKind[kind], Escaping: mbox.Escaping(s.MboxEscaping), Logger: log})
		case "maildir":
			a, err = maildir.Open(ctx, &maildir.Options{Paths: byKind[kind], Logger: log})
		case "eml":
			a, err = eml.Open(ctx, &eml.Options{Paths: byKind[kind], Logger: log})
		case "emlx":
			a, err = emlx.Open(ctx, &emlx.Options{Paths: byKind[kind], Logger: log})
		case "pst":
			a, err = pst.Open(ctx, &pst.Options{Paths: byKind[kind], Converter: s.PSTConverter, Logger: log})
		default:
			err = fmt.Errorf("source protocol %q is not supported yet", kind)
		}
		if err != nil {
			for _, o := range accts {
				o.Close()
			}
			return nil, fmt.Errorf("source %s (%s): %w", m.EmailAddress, m.Protocol, err)
		}
		accts = append(accts, a)
	}
	if len(accts) == 0 {
		return nil, fmt.Errorf("source %s (%s): no SourcePath", m.EmailAddress, m.Protocol)
	}
	return source.Combine(accts[0], accts[1:]...), nil
}

// localKind tells what kind of mail store path is, for SourceProtocol
// local: a file beginning with a From_ line is an mbox, one beginning with
// "!BDN" an Outlook .pst or .ost file; a directory holding cur/ or new/ a
// Maildir, else one with .emlx files (in it or below: Apple Mail's V10
// tree, an account or a .mbox directory) an Apple Mail store, else one
// with .eml files an .eml tree, else one with mbox files (a Thunderbird
// profile's Mail or ImapMail directory, an Apple Mail export) an mbox tree.
func localKind(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		if ok, err := mbox.IsMbox(path); err != nil || ok {
			return "mbox", err
		}
		if ok, err := pst.IsPST(path); err != nil || ok {
			return "pst", err
		}
		return "", fmt.Errorf("cannot tell what kind of mail store %s is: a file that begins neither with a From_ line (an mbox) nor with !BDN (an Outlook .pst or .ost); set SourceProtocol", path)
	}
	switch {
	case maildir.IsMaildir(path):
		return "maildir", nil
	case emlx.HasMessages(path):
		return "emlx", nil
	case eml.HasMessages(path):
		return "eml", nil
	case mbox.HasMbox(path):
		return "mbox", nil
	}
	return "", fmt.Errorf("cannot tell what kind of mail store %s is: not a Maildir (no cur/ or new/ directory), no .emlx, .eml or mbox file in it; set SourceProtocol to mbox, maildir, eml or emlx (an Outlook .pst or .ost file is given as the file itself)", path)
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
