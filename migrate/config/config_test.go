package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeProject writes a project file and CSV into a temp dir and returns the
// project file's path.
func writeProject(t *testing.T, yaml, csv string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "migration.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if csv != "" {
		if err := os.WriteFile(filepath.Join(dir, "mailboxes.csv"), []byte(csv), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "migration.yaml")
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const goodYAML = `client: Contoso
source:
  host: mail.example.com
  port: 993
target:
  tenant: contoso.onmicrosoft.com
  client_id: abc
  client_secret: env:SECRET
`

const goodCSV = "EmailAddress,UserName,Password\nalice@contoso.com,alice,pw-alice-123\n"

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		csv       string
		env       map[string]string
		sets      []string
		wantPlace string // substring: file:line:col or env/flag name
		wantMsg   string
	}{
		{"unknown key", "source:\n  host: x\n  hots: y\n", goodCSV, nil, nil, "migration.yaml:3:3", `unknown key "source.hots"`},
		{"unknown top key", "clinet: x\n", goodCSV, nil, nil, "migration.yaml:1:1", `unknown key "clinet"`},
		{"bad port", "source:\n  host: x\n  port: 70000\n", goodCSV, nil, nil, "migration.yaml:3:9", "source.port: 70000 is not a port"},
		{"port not a number", "source:\n  port: abc\n", goodCSV, nil, nil, "migration.yaml:2:9", `source.port: "abc" is not a whole number`},
		{"unknown protocol", "source:\n  host: x\n  protocol: smtp\n", goodCSV, nil, nil, "migration.yaml:3:13", `"smtp" is not a protocol`},
		{"plain without allow", "source:\n  host: x\n  security: plain\n", goodCSV, nil, nil, "migration.yaml:3:13", "allow_plaintext"},
		{"unreadable secret file", "source:\n  host: x\ntarget:\n  client_secret: file:/nonexistent/secret.txt\n", goodCSV, nil, nil, "migration.yaml:4:18", "target.client_secret: cannot read secret file"},
		{"missing env secret", "source:\n  host: x\ntarget:\n  client_secret: env:NOPE_NOT_SET\n", goodCSV, nil, nil, "migration.yaml:4:18", "NOPE_NOT_SET"},
		{"missing csv column", "source:\n  host: x\n", "EmailAddress,Password\na@b.c,pw1\n", nil, nil, "mailboxes.csv:1", "missing column UserName"},
		{"unknown csv column", "source:\n  host: x\n", "EmailAddress,UserName,Password,Colour\na@b.c,a,pw1,red\n", nil, nil, "mailboxes.csv:1:4", `unknown column "Colour"`},
		{"csv bad port", "source:\n  host: x\n", "EmailAddress,UserName,Password,SourcePort\na@b.c,a,pw1,99999\n", nil, nil, "mailboxes.csv:2:13", `SourcePort: "99999" is not a port`},
		{"csv unknown protocol", "source:\n  host: x\n", "EmailAddress,UserName,Password,SourceProtocol\na@b.c,a,pw1,smtp\n", nil, nil, "mailboxes.csv:2:13", `"smtp" is not a protocol`},
		{"csv local row without SourcePath", "", "EmailAddress,SourceProtocol,SourcePath\na@b.c,mbox,\n", nil, nil, "mailboxes.csv:2:", "SourcePath: empty for a@b.c (SourceProtocol mbox)"},
		{"csv SourcePath on an imap row", "source:\n  host: x\n", "EmailAddress,UserName,Password,SourcePath\na@b.c,a,pw1,/tmp/Inbox\n", nil, nil, "mailboxes.csv:2:13", "SourcePath is for mail stores on disk"},
		{"csv imap row beside local rows still needs its login", "source:\n  host: x\n", "EmailAddress,UserName,Password,SourcePath\na@b.c,a,,\n", nil, nil, "mailboxes.csv:2:", "Password: empty for a@b.c"},
		{"csv unreadable secret", "source:\n  host: x\n", "EmailAddress,UserName,Password\na@b.c,a,file:/nonexistent/pw\n", nil, nil, "mailboxes.csv:2:9", "cannot read secret file"},
		{"csv duplicate mailbox", "source:\n  host: x\n", "EmailAddress,UserName,Password\na@b.c,a,pw1\nA@b.c,b,pw2\n", nil, nil, "mailboxes.csv:3:1", "listed twice (first on line 2)"},
		{"env bad port", "source:\n  host: x\n", goodCSV, map[string]string{"MIGRATE_SOURCE_PORT": "0x"}, nil, "environment variable MIGRATE_SOURCE_PORT", "is not a whole number"},
		{"flag unknown key", "source:\n  host: x\n", goodCSV, nil, []string{"source.hots=y"}, "flag --set source.hots", "unknown key"},
		{"flag bad protocol", "source:\n  host: x\n", goodCSV, nil, []string{"source.protocol=ftp"}, "flag --set source.protocol", `"ftp" is not a protocol`},
		{"not yaml", "source: [\n", goodCSV, nil, nil, "migration.yaml", "not valid YAML"},
		{"csv DAVURL not a URL", "source:\n  host: x\n", "EmailAddress,UserName,Password,DAVURL\na@b.c,a,pw1,dav.example\n", nil, nil, "mailboxes.csv:2:", `DAVURL: a@b.c: "dav.example" is not a DAV URL`},
		{"csv DAVURL http without allow_plaintext", "source:\n  host: x\n", "EmailAddress,UserName,Password,DAVURL\na@b.c,a,pw1,http://dav.example/\n", nil, nil, "mailboxes.csv:2:", "sends the password unencrypted"},
		{"csv DAVURL with a login", "source:\n  host: x\n", "EmailAddress,UserName,Password,DAVURL\na@b.c,a,pw1,https://u:secretpw@dav.example/\n", nil, nil, "mailboxes.csv:2:", "carries a login"},
		{"source.dav_url bad", "source:\n  host: x\n  dav_url: ftp://x/\n", goodCSV, nil, nil, "migration.yaml:3:12", `source.dav_url: "ftp://x/" is not a DAV URL`},
		{"csv DAV login without a server", "source:\n  host: x\n", "EmailAddress,UserName,Password,DAVUserName\na@b.c,a,pw1,other\n", nil, nil, "mailboxes.csv:2:", "a DAV login without a DAV server"},
		{"csv TargetFolder on an imap row", "source:\n  host: x\n", "EmailAddress,UserName,Password,TargetFolder\na@b.c,a,pw1,Old\n", nil, nil, "mailboxes.csv:2:13", "TargetFolder: a@b.c is not a pop3 row"},
		{"csv TargetFolder empty segment", "source:\n  host: x\n", "EmailAddress,UserName,Password,SourceProtocol,TargetFolder\na@b.c,a,pw1,pop3,a//b\n", nil, nil, "mailboxes.csv:2:18", `"a//b" is not a folder path`},
		{"bad pop3.folder", "source:\n  host: x\npop3:\n  folder: Old//x\n", goodCSV, nil, nil, "migration.yaml:4:11", `pop3.folder: "Old//x" is not a folder path`},
		{"csv local row without SourcePath", "source:\n  host: x\n", "EmailAddress,UserName,Password,SourceProtocol,SourcePath\na@b.c,,,maildir,\n", nil, nil, "mailboxes.csv:2:", "SourcePath: empty for a@b.c (SourceProtocol maildir)"},
		{"csv SourcePath on an imap row", "source:\n  host: x\n", "EmailAddress,UserName,Password,SourceProtocol,SourcePath\na@b.c,a,pw1,imap,/m\n", nil, nil, "mailboxes.csv:2:", "SourcePath: a@b.c: SourcePath is for mail stores on disk"},
		{"csv TargetFolder on a local row", "source:\n  host: x\n", "EmailAddress,SourceProtocol,SourcePath,TargetFolder\na@b.c,eml,/m,Old\n", nil, nil, "mailboxes.csv:2:", "TargetFolder: a@b.c reads a mail store on disk (SourceProtocol eml)"},
		{"csv imap row without login beside a local row", "source:\n  host: x\n", "EmailAddress,UserName,Password,SourceProtocol,SourcePath\na@b.c,,,local,/m\nb@b.c,,,imap,\n", nil, nil, "mailboxes.csv:3:", "UserName: empty"},
		{"per mailbox concurrency", "source:\n  host: x\nconcurrency:\n  per_mailbox: 8\n", goodCSV, nil, nil, "migration.yaml:4:16", "Graph allows 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeProject(t, tt.yaml, tt.csv)
			_, err := Load(Options{Path: path, LookupEnv: env(tt.env), Sets: tt.sets})
			if err == nil {
				t.Fatalf("Load() = nil error, want one at %s", tt.wantPlace)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load() error %T %v, want *config.Error", err, err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if !strings.Contains(msg, tt.wantPlace) || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("Load() error = %q\nwant place %q and message %q", msg, tt.wantPlace, tt.wantMsg)
			}
		})
	}
}

func TestLoadGood(t *testing.T) {
	path := writeProject(t, goodYAML, goodCSV+"bob@contoso.com,bob,env:BOBPW\n")
	secretFile := filepath.Join(filepath.Dir(path), "secret.txt")
	if err := os.WriteFile(secretFile, []byte("from-file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Load(Options{
		Path:      path,
		LookupEnv: env(map[string]string{"SECRET": "s3cr3t-value", "BOBPW": "bob-pw-123", "MIGRATE_SOURCE_SECURITY": "starttls"}),
		Sets:      []string{"target.token=file:secret.txt", "folders.exclude=Trash, Junk"},
	})
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	s := p.Settings
	if s.Client != "Contoso" || s.Source.Host != "mail.example.com" || s.Source.Security != "starttls" {
		t.Errorf("settings = %+v", s)
	}
	if got := s.Target.ClientSecret.Value(); got != "s3cr3t-value" {
		t.Errorf("client secret = %q", got)
	}
	if got := s.Target.Token.Value(); got != "from-file-secret" {
		t.Errorf("token = %q", got)
	}
	if fmt.Sprint(s.Folders.Exclude) != "[Trash Junk]" {
		t.Errorf("exclude = %q", s.Folders.Exclude)
	}
	if len(p.Mailboxes) != 2 || p.Mailboxes[1].Password.Value() != "bob-pw-123" || p.Mailboxes[0].Port != 993 {
		t.Errorf("mailboxes = %+v", p.Mailboxes)
	}
	if got := p.Place("source.security").String(); got != "environment variable MIGRATE_SOURCE_SECURITY" {
		t.Errorf("Place(source.security) = %q", got)
	}
	// Secrets never print.
	b, _ := json.Marshal(p.Settings)
	dump := string(b) + fmt.Sprintf("%v %+v %#v", p.Settings, p.Mailboxes, p.Mailboxes)
	for _, secret := range []string{"s3cr3t-value", "from-file-secret", "pw-alice-123", "bob-pw-123"} {
		if strings.Contains(dump, secret) {
			t.Errorf("secret %q appears in printed settings", secret)
		}
	}
	if got := len(p.Secrets()); got != 4 {
		t.Errorf("Secrets() has %d values, want 4", got)
	}
	if err := p.RequireTarget(); err != nil {
		t.Errorf("RequireTarget() = %v", err)
	}
}

// TestPOP3Rows loads POP3 rows beside IMAP ones: the protocol's ports, the
// TargetFolder column, and pop3.folder and pop3.read from the project.
func TestPOP3Rows(t *testing.T) {
	csv := "EmailAddress,UserName,Password,SourceProtocol,SourceSecurity,TargetFolder\n" +
		"a@contoso.com,a,pw1,imap,,\n" +
		"b@contoso.com,b,pw2,pop3,tls,\n" +
		"c@contoso.com,c,pw3,pop3,starttls,Inbox/From POP\n"
	tests := []struct {
		name       string
		yaml       string
		wantFolder [3]string
		wantRead   bool
	}{
		{"defaults: the Inbox, read", "source:\n  host: x\n", [3]string{"", "", "Inbox/From POP"}, true},
		{"pop3.folder for rows without TargetFolder", "source:\n  host: x\npop3:\n  folder: Old provider\n  read: false\n", [3]string{"", "Old provider", "Inbox/From POP"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Load(Options{Path: writeProject(t, tt.yaml, csv), LookupEnv: env(nil)})
			if err != nil {
				t.Fatalf("Load() = %v", err)
			}
			if p.Settings.POP3.Read != tt.wantRead {
				t.Errorf("pop3.read = %v, want %v", p.Settings.POP3.Read, tt.wantRead)
			}
			wantPort := [3]int{993, 995, 110}
			for i, m := range p.Mailboxes {
				if m.TargetFolder != tt.wantFolder[i] || m.Port != wantPort[i] {
					t.Errorf("row %d: TargetFolder %q port %d, want %q %d", i, m.TargetFolder, m.Port, tt.wantFolder[i], wantPort[i])
				}
			}
		})
	}
}

// TestPIMColumns checks the DAV and export-file columns: defaults from
// source.dav_url and the mail login, paths relative to the CSV.
func TestPIMColumns(t *testing.T) {
	csv := "EmailAddress,UserName,Password,DAVURL,DAVUserName,DAVPassword,ExportFiles\n" +
		"a@contoso.com,a,pw1,,,,\n" +
		"b@contoso.com,b,pw2,https://dav.contoso.com/b/,bdav,dpw,exports/b.vcf; /abs/b.ics\n" +
		"c@contoso.com,c,pw3,auto,,dpw3,\n"
	p, err := Load(Options{Path: writeProject(t, "source:\n  host: x\n  dav_url: https://dav.contoso.com/\n", csv), LookupEnv: env(nil)})
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	type row struct{ url, user, pw string }
	want := []row{{"https://dav.contoso.com/", "a", "pw1"}, {"https://dav.contoso.com/b/", "bdav", "dpw"}, {"auto", "c", "dpw3"}}
	for i, m := range p.Mailboxes {
		u, pw := m.DAVLogin()
		if got := (row{m.DAVURL, u, pw.Value()}); got != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, got, want[i])
		}
	}
	files := p.Mailboxes[1].ExportFiles
	if len(files) != 2 || files[0] != filepath.Join(p.Dir, "exports", "b.vcf") || files[1] != "/abs/b.ics" {
		t.Errorf("ExportFiles = %q", files)
	}
	if !slices.Contains(p.Secrets(), "dpw") || !slices.Contains(p.Secrets(), "dpw3") {
		t.Errorf("Secrets() lacks the DAV passwords")
	}
}

// TestLocalMboxRows loads local store rows (mbox, local) beside an IMAP row:
// no login or host needed, SourcePath split at ";" and relative to the
// CSV, one TargetAddress shared with the IMAP row.
func TestLocalMboxRows(t *testing.T) {
	csv := "EmailAddress,UserName,Password,SourceProtocol,SourcePath,TargetAddress\n" +
		"a@contoso.com,a,pw1,imap,,\n" +
		"a-tb@contoso.com,,,mbox,Thunderbird/Mail/Local Folders; /abs/Inbox,a@contoso.com\n" +
		"b@contoso.com,,,LOCAL,/exports/b.mbox,\n"
	p, err := Load(Options{Path: writeProject(t, "source:\n  host: x\n", csv), LookupEnv: env(nil)})
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	ms := p.Mailboxes
	if ms[0].Local() || !ms[1].Local() || !ms[2].Local() || ms[2].Protocol != "local" {
		t.Errorf("Local() = %v %v %v, protocol %q", ms[0].Local(), ms[1].Local(), ms[2].Local(), ms[2].Protocol)
	}
	if want := []string{filepath.Join(p.Dir, "Thunderbird", "Mail", "Local Folders"), "/abs/Inbox"}; !slices.Equal(ms[1].SourcePaths, want) {
		t.Errorf("SourcePaths = %q, want %q", ms[1].SourcePaths, want)
	}
	if ms[1].Target() != "a@contoso.com" || ms[1].Host != "" || ms[1].Port != 0 {
		t.Errorf("local row: target %s host %q port %d", ms[1].Target(), ms[1].Host, ms[1].Port)
	}
}

// TestLocalRows checks rows of mail stores on disk: no login, host or
// port needed, paths relative to the CSV, and a server row beside them.
func TestLocalRows(t *testing.T) {
	csv := "EmailAddress,UserName,Password,SourceProtocol,SourcePath\n" +
		"a@contoso.com,,,maildir,stores/a/Maildir\n" +
		"b@contoso.com,,,EML,/abs/eml; more/eml\n" +
		"c@contoso.com,,,local,c\n" +
		"d@contoso.com,d,pw4,imap,\n"
	p, err := Load(Options{Path: writeProject(t, "source:\n  host: imap.contoso.com\n", csv), LookupEnv: env(nil)})
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	want := []struct {
		protocol, server string
		local            bool
	}{
		{"maildir", filepath.Join(p.Dir, "stores", "a", "Maildir"), true},
		{"eml", "/abs/eml;" + filepath.Join(p.Dir, "more", "eml"), true},
		{"local", filepath.Join(p.Dir, "c"), true},
		{"imap", "imap.contoso.com:993", false},
	}
	for i, m := range p.Mailboxes {
		if m.Protocol != want[i].protocol || m.Server() != want[i].server || m.Local() != want[i].local {
			t.Errorf("row %d: protocol %q server %q local %v, want %+v", i, m.Protocol, m.Server(), m.Local(), want[i])
		}
	}
}

func TestMicrosoftCSV(t *testing.T) {
	// Microsoft's IMAP migration CSV, as exported: CRLF, a BOM, quoted fields.
	data := "\ufeffEmailAddress,UserName,Password\r\n\"terrya@contoso.edu\",\"contoso\\terry.adams\",\"1091990\"\r\nannb@contoso.edu,ann.beebe,2111991\r\n"
	ms, err := ParseMailboxes(strings.NewReader(data), "ms.csv", Source{Protocol: "imap", Host: "imap.contoso.edu", Security: "tls"}, env(nil))
	if err != nil {
		t.Fatalf("ParseMailboxes() = %v", err)
	}
	if len(ms) != 2 || ms[0].UserName != `contoso\terry.adams` || ms[0].Password.Value() != "1091990" || ms[1].Host != "imap.contoso.edu" || ms[1].Port != 993 || ms[1].Line != 3 {
		t.Errorf("ParseMailboxes() = %+v", ms)
	}
}

func TestExampleLoads(t *testing.T) {
	path := writeProject(t, ExampleProject(), ExampleMailboxes())
	dir := filepath.Dir(path)
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets", "bob.txt"), []byte("pw"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Load(Options{Path: path, LookupEnv: env(map[string]string{"MIGRATE_CLIENT_SECRET": "x-secret", "ALICE_PASSWORD": "pw-a"})})
	if err != nil {
		t.Fatalf("Load(example) = %v\n%s", err, ExampleProject())
	}
	if p.Settings.Target.Tenant != "contoso.onmicrosoft.com" || len(p.Mailboxes) != 2 {
		t.Errorf("example settings = %+v", p.Settings)
	}
	for _, k := range Keys() {
		last := k.Name[strings.LastIndex(k.Name, ".")+1:]
		if !strings.Contains(ExampleProject(), last+":") || !strings.Contains(ExampleProject(), EnvName(k.Name)) {
			t.Errorf("example project lacks key %s", k.Name)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
		bad  bool
	}{
		{"35MB", 35 << 20, false}, {"150 mb", 150 << 20, false}, {"512KB", 512 << 10, false},
		{"1.5GB", 3 << 29, false}, {"1000", 1000, false}, {"", 0, false}, {"lots", 0, true}, {"-1MB", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, bad=%v", tt.in, got, err, tt.want, tt.bad)
		}
	}
}
