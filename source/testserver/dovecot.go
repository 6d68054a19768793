package testserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// DovecotBinary is where Debian's dovecot-core package installs Dovecot.
const DovecotBinary = "/usr/sbin/dovecot"

// ErrNotInstalled is wrapped by the error of [StartDovecot] and
// [StartRadicale] when the server's executable is missing, so a demo can
// fall back to [StartMemIMAP].
var ErrNotInstalled = errors.New("server not installed")

// ErrUnsupportedVersion is wrapped by the error of [StartDovecot] when the
// installed Dovecot is neither 2.3 nor 2.4, the two configuration syntaxes
// this package writes, so a demo can fall back to [StartMemIMAP].
var ErrUnsupportedVersion = errors.New("unsupported Dovecot version")

// DovecotVersions names the Dovecot releases [StartDovecot] supports, for
// messages.
const DovecotVersions = "Dovecot 2.3 or 2.4"

// DovecotInstalled reports whether [DovecotBinary] exists and is executable.
func DovecotInstalled() bool { return installed(DovecotBinary) }

// RadicaleInstalled reports whether [RadicaleBinary] exists and is
// executable.
func RadicaleInstalled() bool { return installed(RadicaleBinary) }

func installed(bin string) bool {
	_, err := exec.LookPath(bin)
	return err == nil
}

// DovecotOptions configure [StartDovecot]. A nil *DovecotOptions means
// the zero value: a fresh temporary directory, the embedded mail corpus and
// SPECIAL-USE announced.
type DovecotOptions struct {
	// Dir is the directory for configuration, mailboxes and logs. Empty
	// means a new temporary directory that Close removes; a given Dir
	// should be empty or absent and is left in place. Running as root, Dir
	// and its parents must be searchable by other users, which t.TempDir()
	// is not: leave Dir empty in tests.
	Dir string
	// SeedDir is the mail corpus directory holding accounts.yaml. Empty
	// means the corpus embedded in package seed.
	SeedDir string
	// NoSpecialUse starts Dovecot without SPECIAL-USE attributes on any
	// folder, so clients must recognise Sent, Drafts and the like by name.
	NoSpecialUse bool
	// APOP enables the APOP mechanism: POP3 greetings carry an RFC 1939
	// timestamp and APOP logins are accepted (the passwords are stored in
	// plaintext, as APOP needs). IMAP does not announce it.
	APOP bool
	// POP3LockSession makes a POP3 session lock the maildrop
	// (pop3_lock_session = yes), so that a second POP3 session of the
	// same account is refused with "-ERR [IN-USE]" while the first lasts
	// (Dovecot 2.3 waits about 10 s for the lock first).
	POP3LockSession bool
	// NoSeed creates the accounts of the manifest but no folders or
	// messages (INBOX exists, empty).
	NoSeed bool
	// ExtraMessages are appended after the corpus, for example a 100 MB
	// generated message for memory tests.
	ExtraMessages []ExtraMessage
	// Populate, when set, writes each account's Maildir before Dovecot
	// starts: it is called with the login name and the Maildir root
	// (LAYOUT=fs: INBOX at the root, folders as directories, names in
	// modified UTF-7), for example by package mailgen. Running as root,
	// the tree is then given to the mail user. Seeding over IMAP still
	// follows unless NoSeed is set.
	Populate func(user, maildir string) error
	// Binary is the dovecot executable; empty means [DovecotBinary].
	Binary string
	// Logger receives the harness's own progress; nil discards it.
	// Dovecot's log goes to Dovecot.LogFile.
	Logger *slog.Logger
}

// ExtraMessage is a message appended to an account beyond the manifest.
// The folder is created when the manifest does not have it.
type ExtraMessage struct {
	// User is the login name of an account of the manifest.
	User string
	// Folder is the full folder name, "/"-separated.
	Folder string
	// Message is the message, usually with Generate set.
	Message ManifestMessage
}

// User is a login name and password of a test account.
type User struct {
	// Name is the login name.
	Name string
	// Password is the plain-text password.
	Password string
}

// String returns the name only, so that a User printed by mistake never
// shows its password.
func (u User) String() string { return u.Name }

// LogValue makes slog print the name only.
func (u User) LogValue() slog.Value { return slog.StringValue(u.Name) }

// Dovecot is a running Dovecot serving IMAP, IMAPS, POP3 and POP3S on
// 127.0.0.1, seeded from a [Manifest]. Close stops it.
type Dovecot struct {
	// Host is the address every listener is bound to: "127.0.0.1".
	Host string
	// Version is what `dovecot --version` printed first, e.g. "2.3.19.1".
	Version string
	// IMAPPort is plain IMAP with STARTTLS offered (not required).
	IMAPPort int
	// IMAPSPort is IMAP over implicit TLS.
	IMAPSPort int
	// POP3Port is plain POP3 with STLS offered (not required).
	POP3Port int
	// POP3SPort is POP3 over implicit TLS.
	POP3SPort int
	// CAFile is the PEM file of the CA that signed the server certificate
	// (for 127.0.0.1 and localhost).
	CAFile string
	// Users are the seeded accounts, in manifest order.
	Users []User
	// Master is a master user: logging in as "<user>*<master>" with the
	// master's password, or with SASL PLAIN and authorization identity
	// <user>, opens <user>'s mailbox.
	Master User
	// LogFile is Dovecot's log.
	LogFile string
	// Dir is the directory holding configuration, mailboxes and logs.
	Dir string
	// Manifest is the corpus that was seeded (without ExtraMessages).
	Manifest *Manifest

	log     *slog.Logger
	proc    *process
	certs   *certFiles
	ownDir  bool
	runDir  string // base_dir when outside Dir, removed by Close
	confDir string
}

// StartDovecot writes a configuration under opts.Dir, starts Dovecot in the
// foreground as a child process on free 127.0.0.1 ports, waits for its
// greetings and seeds the corpus over IMAPS. Cancelling ctx kills Dovecot
// at any time; call Close to stop it and clean up.
func StartDovecot(ctx context.Context, opts *DovecotOptions) (_ *Dovecot, err error) {
	if opts == nil {
		opts = &DovecotOptions{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bin := opts.Binary
	if bin == "" {
		bin = DovecotBinary
	}
	if !installed(bin) {
		return nil, fmt.Errorf("start dovecot: %w: %s is missing; install %s: the Debian packages dovecot-imapd and dovecot-pop3d (make deps)", ErrNotInstalled, bin, DovecotVersions)
	}
	version, err := DovecotVersion(ctx, bin)
	if err != nil {
		return nil, fmt.Errorf("start dovecot: %w", err)
	}
	tmpl, err := dovecotConfTemplate(version)
	if err != nil {
		return nil, fmt.Errorf("start dovecot: %s: %w", bin, err)
	}
	m, err := LoadManifest(opts.SeedDir)
	if err != nil {
		return nil, fmt.Errorf("start dovecot: %w", err)
	}
	id, err := lookupIdentity()
	if err != nil {
		return nil, fmt.Errorf("start dovecot: %w", err)
	}

	d := &Dovecot{Host: "127.0.0.1", Version: version, Manifest: m, log: log.With("component", "dovecot")}
	if opts.Dir == "" {
		d.Dir, err = os.MkdirTemp(shortTempRoot(), "dovecot-")
		if err != nil {
			return nil, fmt.Errorf("start dovecot: %w", err)
		}
		d.ownDir = true
	} else {
		d.Dir, err = filepath.Abs(opts.Dir)
		if err != nil {
			return nil, fmt.Errorf("start dovecot: %w", err)
		}
		if err := os.MkdirAll(d.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("start dovecot: %w", err)
		}
	}
	defer func() {
		if err != nil {
			_ = d.Close()
		}
	}()
	if !safePath.MatchString(d.Dir) {
		return nil, fmt.Errorf("start dovecot: directory %q holds characters Dovecot's configuration cannot take", d.Dir)
	}
	if err := os.Chmod(d.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("start dovecot: %w", err)
	}
	if err := id.checkTraversable(d.Dir); err != nil {
		return nil, fmt.Errorf("start dovecot: %w", err)
	}
	// base_dir holds Unix sockets, whose paths are limited to ~100 bytes.
	baseDir := filepath.Join(d.Dir, "run")
	if len(baseDir) > 40 {
		d.runDir, err = os.MkdirTemp(shortTempRoot(), "dvrun-")
		if err != nil {
			return nil, fmt.Errorf("start dovecot: %w", err)
		}
		if err := os.Chmod(d.runDir, 0o755); err != nil {
			return nil, fmt.Errorf("start dovecot: %w", err)
		}
		baseDir = filepath.Join(d.runDir, "run")
	}

	if err := d.prepare(id, opts); err != nil {
		return nil, fmt.Errorf("start dovecot: %w", err)
	}
	cfg := dovecotConfig{
		Dir:           d.Dir,
		BaseDir:       baseDir,
		Root:          id.root,
		InternalUser:  id.internalUser,
		LoginUser:     id.loginUser,
		InternalGroup: id.internalGroup,
		FirstUID:      min(id.mailUID, 500),
		CertFile:      d.certs.CertFile,
		KeyFile:       d.certs.KeyFile,
		APOP:          opts.APOP,
		POP3Lock:      opts.POP3LockSession,
	}
	if !opts.NoSpecialUse {
		cfg.SpecialUse, err = specialUseConfig(m)
		if err != nil {
			return nil, fmt.Errorf("start dovecot: %w", err)
		}
	}
	if err := d.start(ctx, bin, tmpl, &cfg); err != nil {
		return nil, err
	}
	if err := seedIMAP(ctx, d.IMAPSAddr(), d.TLSConfig(), m, opts.NoSeed, opts.ExtraMessages, d.log); err != nil {
		return nil, fmt.Errorf("start dovecot: seed: %w; dovecot log:\n%s", err, tailFile(d.LogFile, 2048))
	}
	d.log.Info("dovecot ready", "imap", d.IMAPAddr(), "imaps", d.IMAPSAddr(), "pop3", d.POP3Addr(), "pop3s", d.POP3SAddr(), "dir", d.Dir)
	return d, nil
}

// prepare writes certificates, passwd-files and mail homes.
func (d *Dovecot) prepare(id *serverIdentity, opts *DovecotOptions) error {
	d.confDir = filepath.Join(d.Dir, "etc")
	for _, sub := range []string{d.confDir, filepath.Join(d.Dir, "home"), filepath.Join(d.Dir, "state")} {
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
	}
	var err error
	if d.certs, err = writeCerts(d.confDir); err != nil {
		return err
	}
	d.CAFile = d.certs.CAFile
	d.LogFile = filepath.Join(d.Dir, "dovecot.log")

	masterPW, err := randomPassword()
	if err != nil {
		return err
	}
	d.Master = User{Name: "admin", Password: masterPW}

	var users strings.Builder
	for _, u := range d.Manifest.Users {
		home := filepath.Join(d.Dir, "home", u.Name)
		if err := os.MkdirAll(home, 0o700); err != nil {
			return err
		}
		if err := id.chown(home, id.mailUID, id.mailGID); err != nil {
			return err
		}
		if opts.Populate != nil {
			maildir := filepath.Join(home, "Maildir")
			if err := opts.Populate(u.Name, maildir); err != nil {
				return fmt.Errorf("populate %s: %w", u.Name, err)
			}
			if err := id.chownTree(maildir, id.mailUID, id.mailGID); err != nil {
				return err
			}
		}
		// user:password:uid:gid:gecos:home:shell
		fmt.Fprintf(&users, "%s:{PLAIN}%s:%d:%d::%s::\n", u.Name, u.Password, id.mailUID, id.mailGID, home)
		d.Users = append(d.Users, User{Name: u.Name, Password: u.Password})
	}
	for _, x := range opts.ExtraMessages {
		if _, ok := d.Manifest.User(x.User); !ok {
			return fmt.Errorf("extra message for unknown user %q", x.User)
		}
	}
	files := []struct{ name, data string }{
		{"users", users.String()},
		{"masters", fmt.Sprintf("%s:{PLAIN}%s\n", d.Master.Name, d.Master.Password)},
	}
	for _, f := range files {
		name := filepath.Join(d.confDir, f.name)
		if err := os.WriteFile(name, []byte(f.data), 0o600); err != nil {
			return err
		}
		if err := id.chown(name, id.internalUID, id.internalGID); err != nil {
			return err
		}
	}
	return nil
}

// start writes the configuration with fresh ports and runs Dovecot until
// all four listeners greet, retrying when a port was taken meanwhile.
func (d *Dovecot) start(ctx context.Context, bin string, tmpl *template.Template, cfg *dovecotConfig) error {
	confFile := filepath.Join(d.confDir, "dovecot.conf")
	outFile := filepath.Join(d.Dir, "dovecot.out")
	const attempts = 3
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(4)
		if err != nil {
			return fmt.Errorf("start dovecot: %w", err)
		}
		d.IMAPPort, d.IMAPSPort, d.POP3Port, d.POP3SPort = ports[0], ports[1], ports[2], ports[3]
		cfg.IMAPPort, cfg.IMAPSPort, cfg.POP3Port, cfg.POP3SPort = ports[0], ports[1], ports[2], ports[3]
		var conf strings.Builder
		if err := tmpl.Execute(&conf, cfg); err != nil {
			return fmt.Errorf("start dovecot: render configuration: %w", err)
		}
		if err := os.WriteFile(confFile, []byte(conf.String()), 0o644); err != nil {
			return fmt.Errorf("start dovecot: %w", err)
		}
		cmd := exec.Command(bin, "-F", "-c", confFile)
		cmd.Dir = d.Dir
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TZ=UTC"}
		d.proc, err = startProcess(ctx, "dovecot", cmd, outFile, d.log)
		if err != nil {
			return fmt.Errorf("start dovecot: %w", err)
		}
		err = d.waitReady(ctx)
		if err == nil {
			return nil
		}
		stopErr := d.proc.shutdown(0)
		d.proc = nil
		logs := tailFile(outFile, 2048) + "\n" + tailFile(d.LogFile, 4096)
		if strings.Contains(logs, "Address already in use") && attempt < attempts && ctx.Err() == nil {
			d.log.Warn("a port was taken meanwhile, retrying", "attempt", attempt)
			_ = os.Remove(d.LogFile)
			continue
		}
		return fmt.Errorf("start dovecot: %w; output and log:\n%s", errors.Join(err, stopErr), logs)
	}
}

// waitReady polls until every listener accepts and the plain ones greet.
func (d *Dovecot) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	checks := []struct{ addr, greeting string }{
		{d.IMAPAddr(), "* OK"},
		{d.POP3Addr(), "+OK"},
		{d.IMAPSAddr(), ""},
		{d.POP3SAddr(), ""},
	}
	var last error
	for _, c := range checks {
		for {
			if exited, how := d.proc.exitedEarly(); exited {
				return fmt.Errorf("dovecot exited during start-up: %w", how)
			}
			if c.greeting != "" {
				last = readGreeting(ctx, c.addr, c.greeting)
			} else {
				var conn net.Conn
				if conn, last = dialContext(ctx, c.addr); last == nil {
					_ = conn.Close()
				}
			}
			if last == nil {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("dovecot not ready on %s: %w", c.addr, errors.Join(ctx.Err(), last))
			case <-time.After(25 * time.Millisecond):
			}
		}
	}
	// A greeting could have come from another server that took a port
	// while this Dovecot failed to bind it and was exiting.
	if exited, how := d.proc.exitedEarly(); exited {
		return fmt.Errorf("dovecot exited during start-up: %w", how)
	}
	return nil
}

// Close stops Dovecot and every process it started, waits for them to
// exit, and removes the directory when StartDovecot created it. It is safe
// to call more than once.
func (d *Dovecot) Close() error {
	var errs []error
	if d.proc != nil {
		if err := d.proc.shutdown(5 * time.Second); err != nil {
			errs = append(errs, fmt.Errorf("stop dovecot: %w", err))
		}
	}
	if d.runDir != "" {
		if err := os.RemoveAll(d.runDir); err != nil {
			errs = append(errs, fmt.Errorf("remove dovecot run directory: %w", err))
		}
	}
	if d.ownDir && d.Dir != "" {
		if err := os.RemoveAll(d.Dir); err != nil {
			errs = append(errs, fmt.Errorf("remove dovecot directory: %w", err))
		}
	}
	return errors.Join(errs...)
}

// IMAPAddr returns host:port of plain IMAP (STARTTLS offered).
func (d *Dovecot) IMAPAddr() string { return net.JoinHostPort(d.Host, strconv.Itoa(d.IMAPPort)) }

// IMAPSAddr returns host:port of IMAP over TLS.
func (d *Dovecot) IMAPSAddr() string { return net.JoinHostPort(d.Host, strconv.Itoa(d.IMAPSPort)) }

// POP3Addr returns host:port of plain POP3 (STLS offered).
func (d *Dovecot) POP3Addr() string { return net.JoinHostPort(d.Host, strconv.Itoa(d.POP3Port)) }

// POP3SAddr returns host:port of POP3 over TLS.
func (d *Dovecot) POP3SAddr() string { return net.JoinHostPort(d.Host, strconv.Itoa(d.POP3SPort)) }

// TLSConfig returns a new client TLS configuration that trusts only the
// harness CA (the one in CAFile) and verifies the name 127.0.0.1.
func (d *Dovecot) TLSConfig() *tls.Config { return d.certs.clientTLSConfig() }

// User returns the account with the given login name.
func (d *Dovecot) User(name string) (User, bool) {
	i := slices.IndexFunc(d.Users, func(u User) bool { return u.Name == name })
	if i < 0 {
		return User{}, false
	}
	return d.Users[i], true
}

// MasterLogin returns the login name that opens user's mailbox with the
// master user's password: "<user>*<master>".
func (d *Dovecot) MasterLogin(user string) string { return user + "*" + d.Master.Name }

// CheckDovecot returns nil when bin (empty means [DovecotBinary]) is a
// Dovecot that [StartDovecot] can configure, and otherwise an error that
// wraps [ErrNotInstalled] or [ErrUnsupportedVersion] and names what is
// needed.
func CheckDovecot(ctx context.Context, bin string) error {
	if bin == "" {
		bin = DovecotBinary
	}
	if !installed(bin) {
		return fmt.Errorf("%w: %s is missing; install %s: the Debian packages dovecot-imapd and dovecot-pop3d (make deps)", ErrNotInstalled, bin, DovecotVersions)
	}
	version, err := DovecotVersion(ctx, bin)
	if err != nil {
		return err
	}
	if _, err := dovecotConfTemplate(version); err != nil {
		return fmt.Errorf("%s: %w", bin, err)
	}
	return nil
}

// DovecotVersion returns the version bin reports, e.g. "2.3.19.1" from
// "2.3.19.1 (9b53102964)".
func DovecotVersion(ctx context.Context, bin string) (string, error) {
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("run %s --version: %w", bin, err)
	}
	fields := strings.Fields(string(out))
	if len(fields) == 0 {
		return "", fmt.Errorf("%s --version printed nothing", bin)
	}
	return fields[0], nil
}

// dovecotConfTemplate returns the configuration template for a Dovecot
// version: 2.3 and 2.4 differ in most setting names.
func dovecotConfTemplate(version string) (*template.Template, error) {
	switch {
	case strings.HasPrefix(version, "2.3."):
		return dovecotConf23, nil
	case strings.HasPrefix(version, "2.4."):
		return dovecotConf24, nil
	}
	return nil, fmt.Errorf("%w: Dovecot %q; the harness writes configuration for %s", ErrUnsupportedVersion, version, DovecotVersions)
}

func randomPassword() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	return "test-only-" + hex.EncodeToString(b), nil
}

// specialUseConfig collects the folder names that carry a special use.
// Dovecot configures special use per name for all users, so one name must
// not have two uses.
func specialUseConfig(m *Manifest) ([]specialUseEntry, error) {
	uses := map[string]string{}
	var names []string
	for _, u := range m.Users {
		for _, f := range u.Folders {
			if f.SpecialUse == "" {
				continue
			}
			if strings.ContainsAny(f.Name, "\"\\\r\n") {
				return nil, fmt.Errorf("special-use folder %q: name cannot be quoted in dovecot.conf", f.Name)
			}
			if prev, ok := uses[f.Name]; ok && prev != f.SpecialUse {
				return nil, fmt.Errorf("folder %q is %s for one user and %s for another; Dovecot sets special use per name", f.Name, prev, f.SpecialUse)
			}
			if _, ok := uses[f.Name]; !ok {
				names = append(names, f.Name)
			}
			uses[f.Name] = f.SpecialUse
		}
	}
	out := make([]specialUseEntry, 0, len(names))
	for _, n := range names {
		out = append(out, specialUseEntry{Name: n, Use: uses[n]})
	}
	return out, nil
}

type specialUseEntry struct{ Name, Use string }

type dovecotConfig struct {
	Dir, BaseDir                             string
	Root                                     bool
	InternalUser, LoginUser                  string
	InternalGroup                            string
	FirstUID                                 int
	CertFile, KeyFile                        string
	IMAPPort, IMAPSPort, POP3Port, POP3SPort int
	SpecialUse                               []specialUseEntry
	APOP, POP3Lock                           bool
}

// dovecotConf23 is the configuration for Dovecot 2.3 (Debian 12).
var dovecotConf23 = template.Must(template.New("dovecot.conf").Parse(`# Generated by migrate's source/testserver for Dovecot 2.3; test use only.
protocols = imap pop3
listen = 127.0.0.1
base_dir = {{.BaseDir}}
state_dir = {{.Dir}}/state
instance_name = migrate-testserver
log_path = {{.Dir}}/dovecot.log
info_log_path = {{.Dir}}/dovecot.log
default_internal_user = {{.InternalUser}}
default_login_user = {{.LoginUser}}
{{- if .InternalGroup}}
default_internal_group = {{.InternalGroup}}
{{- end}}
first_valid_uid = {{.FirstUID}}
first_valid_gid = 1
shutdown_clients = yes
verbose_proctitle = no

ssl = yes
ssl_cert = <{{.CertFile}}
ssl_key = <{{.KeyFile}}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no

auth_mechanisms = plain login{{if .APOP}} apop{{end}}
auth_master_user_separator = *
auth_failure_delay = 0
auth_verbose = yes

mail_location = maildir:~/Maildir:LAYOUT=fs
mail_fsync = never
pop3_uidl_format = %08Xu%08Xv
# POP3 sessions leave flags alone (no \Seen on RETR), so POP3 and IMAP
# tests can share one server without seeing each other.
pop3_no_flag_updates = yes

passdb {
  driver = passwd-file
  master = yes
  args = scheme=PLAIN {{.Dir}}/etc/masters
  pass = yes
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {{.Dir}}/etc/users
}
userdb {
  driver = passwd-file
  args = username_format=%u {{.Dir}}/etc/users
}

` + dovecotListeners + `
# Nobody may connect to anvil's auth-penalty socket, which turns off the
# auth penalty: otherwise one failed login (a test of wrong passwords) delays
# the next logins from 127.0.0.1 by seconds.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
{{- if not .Root}}
  chroot =
{{- end}}
}
{{- if not .Root}}
service auth-worker {
  user = $default_internal_user
}
{{- end}}
`))

// dovecotListeners is the part of the configuration that Dovecot 2.3 and
// 2.4 read alike: the inbox namespace with the special-use folders, the
// connection limits and the listeners on 127.0.0.1.
const dovecotListeners = `namespace inbox {
  inbox = yes
  separator = /
  prefix =
{{- range .SpecialUse}}
  mailbox "{{.Name}}" {
    special_use = {{.Use}}
  }
{{- end}}
}

protocol imap {
  mail_max_userip_connections = 200
}
protocol pop3 {
  mail_max_userip_connections = 200
{{- if .POP3Lock}}
  pop3_lock_session = yes
{{- end}}
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = {{.IMAPPort}}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = {{.IMAPSPort}}
    ssl = yes
  }
{{- if not .Root}}
  chroot =
{{- end}}
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = {{.POP3Port}}
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = {{.POP3SPort}}
    ssl = yes
  }
{{- if not .Root}}
  chroot =
{{- end}}
}
`

// Renumber gives a user's folder a new UIDVALIDITY with doveadm, as a
// hoster that rebuilds its indexes does: every key the folder had means
// nothing afterwards.
func (d *Dovecot) Renumber(ctx context.Context, user, folder string) error {
	validity := time.Now().UnixMicro()%4_000_000_000 + 1
	cmd := exec.CommandContext(ctx, "doveadm", "-c", filepath.Join(d.Dir, "etc", "dovecot.conf"),
		"mailbox", "update", "-u", user, "--uid-validity", strconv.FormatInt(validity, 10), folder)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("doveadm mailbox update %s %s: %w: %s", user, folder, err, bytes.TrimSpace(out))
	}
	return nil
}
