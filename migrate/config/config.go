// Package config loads a migration project: the project file
// (migration.yaml), the mailbox list (CSV, a superset of Microsoft's Exchange
// Online IMAP migration CSV), and overrides from flags and environment
// variables.
//
// Every setting has a dotted key (source.host, target.client_id, ...). Its
// value comes from, in order of precedence: a --set key=value flag, the
// environment variable MIGRATE_<KEY> with dots as underscores
// (MIGRATE_SOURCE_HOST), the project file, and the default. Secrets
// (passwords, client secrets, tokens) may be given as env:NAME or file:PATH
// references instead of literals; they are resolved at load and never
// printed (Secret's String and JSON forms are masked).
//
// Errors name the place: file, line and column, the environment variable or
// the flag, and say what is expected.
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// File is the project file, migration.yaml. Field tags give each key's name;
// the doc tag is its one-line description (printed by `migrate init` and in
// README.md).
type File struct {
	// Client is the client's name, printed on reports.
	Client string `yaml:"client" doc:"client name printed on reports"`
	// Consultant is who runs the migration, printed on reports.
	Consultant string `yaml:"consultant" doc:"consultant or company printed on reports"`
	// Logo is an image file for the report cover.
	Logo string `yaml:"logo" doc:"logo image (PNG or JPEG) for the report cover, relative to this file"`
	// Mailboxes is the mailbox CSV, relative to the project file.
	Mailboxes string `yaml:"mailboxes" doc:"mailbox list (CSV), relative to this file"`
	// State is the state database path.
	State string `yaml:"state" doc:"state database, relative to this file"`
	// Source holds the defaults for every source mailbox.
	Source Source `yaml:"source"`
	// Target is the Office 365 tenant.
	Target Target `yaml:"target"`
	// Folders holds folder mapping rules.
	Folders Folders `yaml:"folders"`
	// Filters limit what is migrated.
	Filters Filters `yaml:"filters"`
	// Keywords say what becomes of IMAP keywords.
	Keywords Keywords `yaml:"keywords"`
	// POP3 says where POP3 accounts' mail goes and in what state.
	POP3 POP3 `yaml:"pop3"`
	// Dedupe says how rows of one target mailbox recognise a message
	// another row migrated.
	Dedupe Dedupe `yaml:"dedupe"`
	// Concurrency bounds parallel work.
	Concurrency Concurrency `yaml:"concurrency"`
}

// Dedupe says how a message of one row of a target mailbox is found
// already migrated by another row of it (a POP3 or IMAP account and a
// local store of the same mail).
type Dedupe struct {
	AcrossRows string `yaml:"across_rows" doc:"how a row's message is found already migrated by another row of the same target mailbox: body (Date, Message-ID and the body's size and SHA-256, in every folder; never Message-ID alone), exact (the same bytes, INBOX only: the same account over IMAP and POP3) or off"`
}

// Values of dedupe.across_rows.
const (
	DedupeBody  = "body"
	DedupeExact = "exact"
	DedupeOff   = "off"
)

// Source holds defaults for source mailboxes; CSV columns override them per
// mailbox.
type Source struct {
	Protocol           string   `yaml:"protocol" doc:"imap or pop3"`
	Host               string   `yaml:"host" doc:"server host name"`
	Port               int      `yaml:"port" doc:"server port (default 993 for imap with tls, 143 starttls/plain; 995/110 for pop3)"`
	Security           string   `yaml:"security" doc:"tls (implicit TLS), starttls or plain"`
	AllowPlaintext     bool     `yaml:"allow_plaintext" doc:"allow passwords over an unencrypted connection (security: plain)"`
	CAFile             string   `yaml:"ca_file" doc:"PEM file of CA certificates to trust instead of the system ones"`
	InsecureSkipVerify bool     `yaml:"insecure_skip_verify" doc:"do not verify the server's TLS certificate (recorded in reports)"`
	Auth               string   `yaml:"auth" doc:"auto, plain, login, xoauth2 (IMAP only) or apop (POP3 only); IMAP auto: XOAUTH2 with a token, else PLAIN, else LOGIN; POP3 auto: SASL PLAIN over TLS, APOP first on plaintext, else USER/PASS; login is POP3 USER/PASS"`
	AdminUser          string   `yaml:"admin_user" doc:"master/admin user for logging in as each mailbox without its password"`
	AdminPassword      Secret   `yaml:"admin_password" doc:"admin user's password (literal, env:NAME or file:PATH)"`
	Timeout            Duration `yaml:"timeout" doc:"network timeout per operation"`
	MboxEscaping       string   `yaml:"mbox_escaping" doc:"how mbox files (SourceProtocol mbox or local) escaped body lines beginning with 'From ': auto (per file: none when a bare 'From ' body line shows the writer escaped nothing, as Thunderbird; else mboxrd), mboxrd (every >+From line loses one >), mboxo (only >From lines) or none"`
	PSTConverter       string   `yaml:"pst_converter" doc:"converter for .pst/.ost files go-pst cannot read (SourceProtocol pst or local): readpst (pst-utils, found on PATH) or its path; empty (default): such files are an error in the plan and the run"`
	DAVURL             string   `yaml:"dav_url" doc:"CardDAV/CalDAV server of every row without a DAVURL column value: a URL, or auto to discover it from the mailbox's domain (DNS SRV, then /.well-known); empty: no contacts or calendars from DAV"`
}

// Target is the destination tenant and how to reach Microsoft Graph.
type Target struct {
	Tenant          string `yaml:"tenant" doc:"tenant ID or primary domain (contoso.onmicrosoft.com)"`
	GraphEndpoint   string `yaml:"graph_endpoint" doc:"Graph base URL with version (national clouds, the emulator)"`
	Authority       string `yaml:"authority" doc:"login authority host (national clouds, the emulator)"`
	Auth            string `yaml:"auth" doc:"client_secret, certificate, device_code or token"`
	ClientID        string `yaml:"client_id" doc:"application (client) ID of the app registration"`
	ClientSecret    Secret `yaml:"client_secret" doc:"client secret (literal, env:NAME or file:PATH)"`
	CertificateFile string `yaml:"certificate_file" doc:"PEM or PKCS#12 certificate with private key, for auth: certificate"`
	CertificatePass Secret `yaml:"certificate_password" doc:"password of the certificate file, if any"`
	Token           Secret `yaml:"token" doc:"pre-issued bearer token, for auth: token"`
	CAFile          string `yaml:"ca_file" doc:"PEM file of extra CA certificates to trust (the emulator's)"`
	MaxMessageSize  Size   `yaml:"max_message_size" doc:"largest message the tenant accepts (Exchange default 35MB, up to 150MB)"`
}

// Folders are folder mapping rules.
type Folders struct {
	Rename  []Rename `yaml:"rename" doc:"list of {from, to} source-to-target folder renames ('/'-separated paths)"`
	Exclude []string `yaml:"exclude" doc:"source folders to leave out (glob patterns on '/'-separated paths)"`
	Include []string `yaml:"include" doc:"if set, only these source folders (glob patterns)"`
}

// Rename maps a source folder path to a target folder path.
type Rename struct {
	From string `yaml:"from" doc:"source folder path"`
	To   string `yaml:"to" doc:"target folder path"`
}

// Filters limit which items are migrated.
type Filters struct {
	Since          Date   `yaml:"since" doc:"only items received on or after this date (YYYY-MM-DD)"`
	Before         Date   `yaml:"before" doc:"only items received before this date (YYYY-MM-DD)"`
	MaxSize        Size   `yaml:"max_size" doc:"skip items larger than this (e.g. 50MB)"`
	DeletedItems   string `yaml:"deleted_items" doc:"what to do with messages flagged \\Deleted: skip or migrate"`
	IncludeContact bool   `yaml:"contacts" doc:"migrate contacts where the source has them"`
	IncludeEvents  bool   `yaml:"calendars" doc:"migrate calendars where the source has them"`
	MailParts      bool   `yaml:"mail_parts" doc:"also migrate the vCard and iCalendar parts of the mail (.vcf attachments, invitations) into a contact folder and a calendar named From mail; reads the mail once more"`
}

// Keywords say what becomes of message keywords. User keywords and client
// labels always become Outlook categories, and system keywords ($MDNSent,
// $Junk...) never do; the settings decide the rest.
type Keywords struct {
	KeepDollar bool `yaml:"keep_dollar" doc:"keep unknown $ keywords as categories (without the $) instead of dropping them; system keywords such as $MDNSent are always dropped"`
}

// POP3 holds the settings of POP3 rows. A POP3 account has one folder, its
// maildrop, and no flags: these say where its mail goes and whether it
// arrives read.
type POP3 struct {
	Folder string `yaml:"folder" doc:"target folder of POP3 mail, '/'-separated like a folders.rename target (\"Old provider\" below the mailbox root, \"Inbox/Old provider\" inside the Inbox); empty: the Inbox; the CSV's TargetFolder overrides it per row"`
	Read   bool   `yaml:"read" doc:"create POP3 mail read (POP3 has no read state)"`
}

// Concurrency bounds parallel work.
type Concurrency struct {
	Mailboxes  int `yaml:"mailboxes" doc:"mailboxes migrated at once"`
	PerMailbox int `yaml:"per_mailbox" doc:"parallel requests per mailbox (Graph allows 4)"`
}

// Defaults returns the settings used where nothing else is given.
func Defaults() File {
	return File{
		Mailboxes: "mailboxes.csv",
		State:     ".migrate/state.db",
		Source: Source{
			Protocol:     "imap",
			Security:     "tls",
			Auth:         "auto",
			MboxEscaping: "auto",
			Timeout:      Duration(60 * time.Second),
		},
		Target: Target{
			GraphEndpoint:  "https://graph.microsoft.com/v1.0",
			Authority:      "https://login.microsoftonline.com/",
			Auth:           "client_secret",
			MaxMessageSize: 35 << 20,
		},
		Filters: Filters{
			DeletedItems:   "skip",
			IncludeContact: true,
			IncludeEvents:  true,
		},
		POP3:        POP3{Read: true},
		Dedupe:      Dedupe{AcrossRows: DedupeBody},
		Concurrency: Concurrency{Mailboxes: 4, PerMailbox: 4},
	}
}

// Secret is a secret value: a literal, or a reference env:NAME or file:PATH
// resolved at load. Its String and JSON forms never show the value.
type Secret struct {
	// Ref is the value as written (env:NAME, file:PATH, or "literal").
	Ref string
	// value is the resolved secret.
	value string
}

// NewSecret returns a resolved literal secret.
func NewSecret(v string) Secret { return Secret{Ref: "literal", value: v} }

// Value returns the resolved secret.
func (s Secret) Value() string { return s.value }

// IsSet reports whether a secret was given.
func (s Secret) IsSet() bool { return s.value != "" || s.Ref != "" }

// String masks the secret.
func (s Secret) String() string {
	if !s.IsSet() {
		return ""
	}
	if strings.HasPrefix(s.Ref, "env:") || strings.HasPrefix(s.Ref, "file:") {
		return s.Ref
	}
	return "[REDACTED]"
}

// GoString masks the secret in %#v.
func (s Secret) GoString() string { return "config.Secret(" + s.String() + ")" }

// MarshalJSON masks the secret.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Duration is a time.Duration written as "90s", "5m".
type Duration time.Duration

// Size is a byte count written as "35MB", "1.5GB", "512KB" or a plain number
// (binary multiples: 1MB = 1,048,576 bytes, as Exchange counts).
type Size int64

// Date is a calendar day written as YYYY-MM-DD; the zero value is unset.
type Date struct{ time.Time }

// ParseSize parses a byte size such as "35MB".
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	if t == "" {
		return 0, nil
	}
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			mult = u.mult
			t = strings.TrimSpace(strings.TrimSuffix(t, u.suffix))
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("%q is not a size (want e.g. 35MB, 512KB or a number of bytes)", s)
	}
	return Size(f * float64(mult)), nil
}

// String formats the size in the largest unit that divides it.
func (s Size) String() string {
	n := int64(s)
	for _, u := range []struct {
		name string
		mult int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}} {
		if n != 0 && n%u.mult == 0 {
			return fmt.Sprintf("%d%s", n/u.mult, u.name)
		}
	}
	return strconv.FormatInt(n, 10)
}

// Fingerprint returns a stable hash of the settings (secrets only by their
// reference, never their value). A saved plan records it so `migrate run
// --plan` can refuse a plan made for another configuration.
func (f File) Fingerprint() string {
	b, _ := json.Marshal(f)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Key is one setting: its dotted name, description and whether it is secret.
type Key struct {
	Name   string
	Doc    string
	Kind   string // string, int, bool, duration, size, date, list, secret
	Secret bool
}

// Keys lists every setting of the project file, in file order.
func Keys() []Key {
	var keys []Key
	walkKeys(reflect.TypeOf(File{}), "", func(path string, f reflect.StructField) {
		keys = append(keys, Key{Name: path, Doc: f.Tag.Get("doc"), Kind: kindOf(f.Type), Secret: f.Type == reflect.TypeOf(Secret{})})
	})
	return keys
}

// EnvName returns the environment variable that overrides key.
func EnvName(key string) string {
	return "MIGRATE_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

var (
	secretType   = reflect.TypeOf(Secret{})
	durationType = reflect.TypeOf(Duration(0))
	sizeType     = reflect.TypeOf(Size(0))
	dateType     = reflect.TypeOf(Date{})
)

func isLeaf(t reflect.Type) bool {
	switch t {
	case secretType, durationType, sizeType, dateType:
		return true
	}
	return t.Kind() != reflect.Struct
}

func kindOf(t reflect.Type) string {
	switch t {
	case secretType:
		return "secret"
	case durationType:
		return "duration"
	case sizeType:
		return "size"
	case dateType:
		return "date"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "int"
	case reflect.Bool:
		return "bool"
	case reflect.Slice:
		return "list"
	}
	return "string"
}

// walkKeys calls fn for every leaf setting of struct type t.
func walkKeys(t reflect.Type, prefix string, fn func(path string, f reflect.StructField)) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("yaml")
		if name == "" || name == "-" {
			continue
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		if isLeaf(f.Type) {
			fn(path, f)
			continue
		}
		walkKeys(f.Type, path, fn)
	}
}

// fieldByKey finds the settable field for a dotted key in v (a *File).
func fieldByKey(v reflect.Value, key string) (reflect.Value, bool) {
	v = v.Elem()
	for _, part := range strings.Split(key, ".") {
		if v.Kind() != reflect.Struct {
			return reflect.Value{}, false
		}
		found := false
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).Tag.Get("yaml") == part {
				v = v.Field(i)
				found = true
				break
			}
		}
		if !found {
			return reflect.Value{}, false
		}
	}
	return v, true
}

func timeDuration(d Duration) time.Duration { return time.Duration(d) }
