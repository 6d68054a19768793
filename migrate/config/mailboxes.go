package config

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Mailbox is one row of the mailbox CSV: a source account and the Exchange
// Online mailbox it moves to. Settings not given in the row come from the
// project file's source section.
type Mailbox struct {
	// Line is the row's line number in the CSV.
	Line int
	// EmailAddress is the mailbox's address in Exchange Online, as in
	// Microsoft's IMAP migration CSV.
	EmailAddress string
	// UserName is the login on the source server.
	UserName string
	// Password is the source password (empty when an admin login is used).
	Password Secret
	// Protocol, Host, Port and Security say how to reach the source.
	Protocol, Host string
	Port           int
	Security       string
	// TargetAddress is the target mailbox (user principal name) when it
	// differs from EmailAddress.
	TargetAddress string
	// TargetFolder is where a POP3 row's mail goes, a "/"-separated
	// target path (the TargetFolder column, else pop3.folder); "" is the
	// Inbox. Always "" for an IMAP row, whose folders map one to one.
	TargetFolder string
	// DAVURL is where the row's address books and calendars are (the
	// DAVURL column, else source.dav_url): a CardDAV/CalDAV URL (a server,
	// a principal, a home set or one collection), "auto" to discover the
	// server from EmailAddress's domain, or "" for none.
	DAVURL string
	// DAVUserName and DAVPassword log in to the DAV server; empty, the
	// row's UserName and Password.
	DAVUserName string
	DAVPassword Secret
	// ExportFiles are .vcf and .ics files, or folders of them, to migrate
	// as the row's address books and calendars (the ExportFiles column,
	// ";"-separated, relative to the CSV's folder).
	ExportFiles []string
	// SourcePaths are a local row's mail stores (the SourcePath column,
	// ";"-separated, relative to the CSV's folder): mbox files and
	// Thunderbird folder trees, Maildir roots, .eml folder trees, Apple
	// Mail stores (emlx), Outlook .pst/.ost files, or any of them for
	// protocol local. Empty for a server row.
	SourcePaths []string
}

// LocalProtocols are the SourceProtocol values of mail stores on disk,
// read from SourcePath rather than a server: local detects each path's
// kind.
var LocalProtocols = []string{"mbox", "maildir", "eml", "emlx", "pst", "local"}

// Local reports whether the row reads a mail store on disk (SourcePath)
// rather than a server: no login, host or port.
func (m Mailbox) Local() bool { return oneOf(m.Protocol, LocalProtocols...) }

// Server is where the row's mail is read from, for plans and reports:
// host:port, or a local row's paths joined with ";".
func (m Mailbox) Server() string {
	if m.Local() {
		return strings.Join(m.SourcePaths, ";")
	}
	return net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
}

// DAVLogin returns the user name and password the row logs in to its DAV
// server with: DAVUserName and DAVPassword, else the mail login.
func (m Mailbox) DAVLogin() (user string, password Secret) {
	if m.DAVUserName != "" {
		return m.DAVUserName, m.DAVPassword
	}
	if m.DAVPassword.IsSet() {
		return m.UserName, m.DAVPassword
	}
	return m.UserName, m.Password
}

// Target returns the address of the target mailbox.
func (m Mailbox) Target() string {
	if m.TargetAddress != "" {
		return m.TargetAddress
	}
	return m.EmailAddress
}

// DefaultPort returns the usual port for a protocol and security mode.
func DefaultPort(protocol, security string) int {
	switch {
	case protocol == "pop3" && security == "tls":
		return 995
	case protocol == "pop3":
		return 110
	case security == "tls":
		return 993
	}
	return 143
}

// Columns of the mailbox CSV. The first three are Microsoft's Exchange
// Online IMAP migration CSV (EmailAddress,UserName,Password); the rest are
// optional per-mailbox overrides.
var columns = []string{"EmailAddress", "UserName", "Password", "SourceHost", "SourcePort", "SourceSecurity", "SourceProtocol", "TargetAddress", "TargetFolder", "DAVURL", "DAVUserName", "DAVPassword", "ExportFiles", "SourcePath"}

// Columns returns the accepted CSV columns, in documentation order.
func Columns() []string { return append([]string(nil), columns...) }

// LoadMailboxes reads the mailbox CSV at path. Column names are matched
// without regard to case or surrounding spaces. def supplies what a row
// leaves out. Passwords may be env: or file: references.
//
// The TargetFolder column is for POP3 rows only; LoadMailboxes leaves it
// empty where the row has none (Load fills in pop3.folder for those).
func LoadMailboxes(path string, def Source, lookup func(string) (string, bool)) ([]Mailbox, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &Error{Place: Place{File: path}, Msg: "mailbox list not found; set mailboxes in the project file or create it (columns EmailAddress,UserName,Password)", Err: err}
		}
		return nil, &Error{Place: Place{File: path}, Msg: fmt.Sprintf("cannot read: %v", err), Err: err}
	}
	defer f.Close()
	return ParseMailboxes(f, path, def, lookup)
}

// ParseMailboxes parses a mailbox CSV from r; name is used in errors.
func ParseMailboxes(r io.Reader, name string, def Source, lookup func(string) (string, bool)) ([]Mailbox, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &Error{Place: Place{File: name, Line: 1}, Msg: "empty file; want a header line EmailAddress,UserName,Password"}
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	idx := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		col := ""
		for _, c := range columns {
			if strings.EqualFold(h, c) {
				col = c
			}
		}
		if col == "" {
			return nil, &Error{Place: Place{File: name, Line: 1, Col: i + 1}, Msg: fmt.Sprintf("unknown column %q; known columns: %s", h, strings.Join(columns, ", "))}
		}
		if _, dup := idx[col]; dup {
			return nil, &Error{Place: Place{File: name, Line: 1, Col: i + 1}, Msg: fmt.Sprintf("column %s appears twice", col)}
		}
		idx[col] = i
	}
	required := []string{"EmailAddress", "UserName"}
	if def.AdminUser == "" {
		required = append(required, "Password")
	}
	if _, ok := idx["SourcePath"]; ok {
		// Local rows need no login: each row's own checks ask for it.
		required = []string{"EmailAddress"}
	}
	for _, c := range required {
		if _, ok := idx[c]; !ok {
			return nil, &Error{Place: Place{File: name, Line: 1}, Msg: fmt.Sprintf("missing column %s; the header must include %s", c, strings.Join(required, ","))}
		}
	}
	dir := filepath.Dir(name)
	seen := map[string]int{}
	var out []Mailbox
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		get := func(col string) (string, Place) {
			i, ok := idx[col]
			if !ok || i >= len(rec) {
				return "", Place{File: name, Line: line}
			}
			_, c := cr.FieldPos(i)
			return strings.TrimSpace(rec[i]), Place{File: name, Line: line, Col: c}
		}
		m := Mailbox{Line: line, Protocol: def.Protocol, Host: def.Host, Port: def.Port, Security: def.Security}
		var place Place
		m.EmailAddress, place = get("EmailAddress")
		if !strings.Contains(m.EmailAddress, "@") {
			return nil, &Error{Place: place, Key: "EmailAddress", Msg: fmt.Sprintf("%q is not an email address", m.EmailAddress)}
		}
		if prev, dup := seen[strings.ToLower(m.EmailAddress)]; dup {
			return nil, &Error{Place: place, Key: "EmailAddress", Msg: fmt.Sprintf("%s is listed twice (first on line %d)", m.EmailAddress, prev)}
		}
		seen[strings.ToLower(m.EmailAddress)] = line
		if v, place := get("SourceProtocol"); v != "" {
			v = strings.ToLower(v)
			if !oneOf(v, append([]string{"imap", "pop3"}, LocalProtocols...)...) {
				return nil, &Error{Place: place, Key: "SourceProtocol", Msg: fmt.Sprintf("%q is not a protocol; want imap, pop3, %s", v, strings.Join(LocalProtocols, ", "))}
			}
			m.Protocol = v
		}
		if v, place := get("SourcePath"); m.Local() || v != "" {
			if err := m.localColumns(v, place, dir, get); err != nil {
				return nil, err
			}
		}
		if m.Local() {
			if err := m.pimColumns(get, def, dir, lookup); err != nil {
				return nil, err
			}
			out = append(out, m)
			continue
		}
		m.UserName, place = get("UserName")
		if m.UserName == "" {
			return nil, &Error{Place: place, Key: "UserName", Msg: "empty; want the source login"}
		}
		pw, place := get("Password")
		if pw == "" && def.AdminUser == "" {
			return nil, &Error{Place: place, Key: "Password", Msg: fmt.Sprintf("empty for %s; give the password (or env:NAME / file:PATH), or set source.admin_user", m.EmailAddress)}
		}
		if pw != "" {
			v, err := resolveSecret(pw, dir, lookup)
			if err != nil {
				return nil, &Error{Place: place, Key: "Password", Msg: fmt.Sprintf("%s: %v", m.EmailAddress, err), Err: err}
			}
			ref := "literal"
			if strings.HasPrefix(pw, "env:") || strings.HasPrefix(pw, "file:") {
				ref = pw
			}
			m.Password = Secret{Ref: ref, value: v}
		}
		if v, place := get("SourceHost"); v != "" {
			m.Host = v
		} else if m.Host == "" {
			return nil, &Error{Place: place, Key: "SourceHost", Msg: fmt.Sprintf("no source host for %s; set source.host in the project file or a SourceHost column", m.EmailAddress)}
		}
		if v, place := get("SourceSecurity"); v != "" {
			v = strings.ToLower(v)
			if !oneOf(v, "tls", "starttls", "plain") {
				return nil, &Error{Place: place, Key: "SourceSecurity", Msg: fmt.Sprintf("%q is not a security mode; want tls, starttls or plain", v)}
			}
			if v == "plain" && !def.AllowPlaintext {
				return nil, &Error{Place: place, Key: "SourceSecurity", Msg: "plain sends passwords unencrypted; set source.allow_plaintext: true (or --allow-plaintext) to allow it"}
			}
			m.Security = v
		}
		if v, place := get("SourcePort"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 65535 {
				return nil, &Error{Place: place, Key: "SourcePort", Msg: fmt.Sprintf("%q is not a port; want 1-65535", v)}
			}
			m.Port = n
		}
		if m.Port == 0 {
			m.Port = DefaultPort(m.Protocol, m.Security)
		}
		if err := m.targetAddress(get); err != nil {
			return nil, err
		}
		if v, place := get("TargetFolder"); v != "" {
			if m.Protocol != "pop3" {
				return nil, &Error{Place: place, Key: "TargetFolder", Msg: fmt.Sprintf("%s is not a pop3 row: TargetFolder places a POP3 account's mail; IMAP folders map one to one (use folders.rename)", m.EmailAddress)}
			}
			if t := strings.Trim(v, "/"); t == "" || strings.Contains(t, "//") {
				return nil, &Error{Place: place, Key: "TargetFolder", Msg: fmt.Sprintf("%q is not a folder path; want e.g. \"Old provider\" or \"Inbox/Old provider\"", v)}
			}
			m.TargetFolder = v
		}
		if err := m.pimColumns(get, def, dir, lookup); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// localColumns reads a row's SourcePath (v, at place): required for a
// local protocol, refused for a server row; the row of a local store
// takes no login, host, port or TargetFolder.
func (m *Mailbox) localColumns(v string, place Place, dir string, get func(string) (string, Place)) error {
	if !m.Local() {
		return &Error{Place: place, Key: "SourcePath", Msg: fmt.Sprintf("%s: SourcePath is for mail stores on disk; set SourceProtocol to %s (or leave SourcePath empty for a %s row)", m.EmailAddress, strings.Join(LocalProtocols, ", "), m.Protocol)}
	}
	for _, p := range strings.Split(v, ";") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		m.SourcePaths = append(m.SourcePaths, p)
	}
	if len(m.SourcePaths) == 0 {
		return &Error{Place: place, Key: "SourcePath", Msg: fmt.Sprintf("empty for %s (SourceProtocol %s); give the store's path, several separated by \";\"", m.EmailAddress, m.Protocol)}
	}
	if v, place := get("TargetFolder"); v != "" {
		return &Error{Place: place, Key: "TargetFolder", Msg: fmt.Sprintf("%s reads a mail store on disk (SourceProtocol %s): TargetFolder places a POP3 account's mail; a store's folders map one to one (use folders.rename)", m.EmailAddress, m.Protocol)}
	}
	m.Host, m.Port, m.Security = "", 0, ""
	m.UserName, _ = get("UserName")
	return m.targetAddress(get)
}

// targetAddress reads the row's TargetAddress column.
func (m *Mailbox) targetAddress(get func(string) (string, Place)) error {
	if v, place := get("TargetAddress"); v != "" {
		if !strings.Contains(v, "@") {
			return &Error{Place: place, Key: "TargetAddress", Msg: fmt.Sprintf("%q is not an email address", v)}
		}
		m.TargetAddress = v
	}
	return nil
}

// pimColumns reads the row's DAVURL, DAVUserName, DAVPassword and
// ExportFiles columns.
func (m *Mailbox) pimColumns(get func(string) (string, Place), def Source, dir string, lookup func(string) (string, bool)) error {
	v, place := get("DAVURL")
	if err := checkDAVURL(v, def.AllowPlaintext); err != nil {
		return &Error{Place: place, Key: "DAVURL", Msg: fmt.Sprintf("%s: %v", m.EmailAddress, err)}
	}
	m.DAVURL = cmp.Or(v, def.DAVURL) // source.dav_url is checked with the project
	m.DAVUserName, _ = get("DAVUserName")
	if pw, place := get("DAVPassword"); pw != "" {
		val, err := resolveSecret(pw, dir, lookup)
		if err != nil {
			return &Error{Place: place, Key: "DAVPassword", Msg: fmt.Sprintf("%s: %v", m.EmailAddress, err), Err: err}
		}
		ref := "literal"
		if strings.HasPrefix(pw, "env:") || strings.HasPrefix(pw, "file:") {
			ref = pw
		}
		m.DAVPassword = Secret{Ref: ref, value: val}
	}
	if (m.DAVUserName != "" || m.DAVPassword.IsSet()) && m.DAVURL == "" {
		return &Error{Place: place, Key: "DAVUserName", Msg: fmt.Sprintf("%s: a DAV login without a DAV server; give DAVURL (or auto)", m.EmailAddress)}
	}
	files, _ := get("ExportFiles")
	for _, f := range strings.Split(files, ";") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !filepath.IsAbs(f) {
			f = filepath.Join(dir, f)
		}
		m.ExportFiles = append(m.ExportFiles, f)
	}
	return nil
}

// checkDAVURL checks a DAVURL value: "", "auto" or an http(s) URL with a
// host; http:// only with allow_plaintext, since the password goes with
// every request.
func checkDAVURL(v string, allowPlaintext bool) error {
	if v == "" || v == "auto" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not a DAV URL; want https://host/path, or auto to discover it", v)
	}
	if u.User != nil {
		return errors.New("the DAV URL carries a login; give it in DAVUserName and DAVPassword instead")
	}
	if u.Scheme == "http" && !allowPlaintext {
		return fmt.Errorf("%s sends the password unencrypted; use https, or set source.allow_plaintext: true (or --allow-plaintext)", u.Redacted())
	}
	return nil
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{Place: Place{File: name, Line: pe.Line, Col: pe.Column}, Msg: pe.Err.Error(), Err: err}
	}
	return &Error{Place: Place{File: name}, Msg: err.Error(), Err: err}
}
