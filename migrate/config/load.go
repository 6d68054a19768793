package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Place says where a setting came from, for error messages.
type Place struct {
	File      string // project or CSV file
	Line, Col int    // 1-based; 0 when unknown
	Env       string // environment variable
	Flag      string // command-line flag
}

// String formats the place as file:line:col, "env NAME" or "flag --set ...".
func (p Place) String() string {
	switch {
	case p.Flag != "":
		return "flag " + p.Flag
	case p.Env != "":
		return "environment variable " + p.Env
	case p.Line > 0 && p.Col > 0:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	case p.File != "":
		return p.File
	}
	return "default"
}

// Error is a configuration problem at a known place.
type Error struct {
	Place Place
	Key   string // dotted key or CSV column; may be empty
	Msg   string
	Err   error // underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Place.String())
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrNoProjectFile reports that the project file does not exist.
var ErrNoProjectFile = errors.New("project file not found")

// Options say what to load.
type Options struct {
	// Path is the project file. It must exist unless AllowMissing is set.
	Path string
	// AllowMissing loads defaults and overrides when Path does not exist.
	AllowMissing bool
	// Sets are key=value overrides from --set flags, applied last.
	Sets []string
	// LookupEnv reads the environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// SkipMailboxes does not read the mailbox CSV.
	SkipMailboxes bool
}

// Project is a loaded, validated migration project.
type Project struct {
	// Path is the project file, Dir its directory; relative paths in the
	// file are relative to Dir.
	Path, Dir string
	// Settings are the merged settings.
	Settings File
	// Mailboxes are the mailboxes of the CSV, in file order.
	Mailboxes []Mailbox
	// places records where each key's value came from.
	places map[string]Place
}

// Place returns where key's value came from.
func (p *Project) Place(key string) Place { return p.places[key] }

// Resolve returns path made absolute relative to the project directory.
func (p *Project) Resolve(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(p.Dir, path)
}

// Secrets returns every resolved secret value of the project, for log and
// error redaction.
func (p *Project) Secrets() []string {
	var out []string
	add := func(s Secret) {
		if v := s.Value(); v != "" {
			out = append(out, v)
		}
	}
	add(p.Settings.Source.AdminPassword)
	add(p.Settings.Target.ClientSecret)
	add(p.Settings.Target.CertificatePass)
	add(p.Settings.Target.Token)
	for _, m := range p.Mailboxes {
		add(m.Password)
		add(m.DAVPassword)
	}
	return out
}

// Load reads the project file, applies environment and flag overrides,
// resolves secrets, reads the mailbox CSV and validates everything. The
// first problem found is returned as an *Error naming its place.
func Load(opts Options) (*Project, error) {
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	abs, err := filepath.Abs(opts.Path)
	if err != nil {
		return nil, fmt.Errorf("project file %s: %w", opts.Path, err)
	}
	p := &Project{Path: opts.Path, Dir: filepath.Dir(abs), Settings: Defaults(), places: map[string]Place{}}
	data, err := os.ReadFile(opts.Path)
	switch {
	case err == nil:
		if err := p.decodeFile(opts.Path, data); err != nil {
			return nil, err
		}
	case errors.Is(err, os.ErrNotExist) && opts.AllowMissing:
	case errors.Is(err, os.ErrNotExist):
		return nil, &Error{Place: Place{File: opts.Path}, Msg: "no such file; run `migrate init` to write an example project, or pass --config", Err: ErrNoProjectFile}
	default:
		return nil, &Error{Place: Place{File: opts.Path}, Msg: fmt.Sprintf("cannot read: %v", err), Err: err}
	}
	for _, k := range Keys() {
		if v, ok := lookup(EnvName(k.Name)); ok {
			if err := p.set(k.Name, v, Place{Env: EnvName(k.Name)}); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range opts.Sets {
		key, val, ok := strings.Cut(s, "=")
		place := Place{Flag: "--set " + key}
		if !ok {
			return nil, &Error{Place: Place{Flag: "--set " + s}, Msg: "want key=value, e.g. --set source.host=mail.example.com"}
		}
		key = strings.TrimSpace(key)
		if _, ok := fieldByKey(reflect.ValueOf(&p.Settings), key); !ok {
			return nil, &Error{Place: place, Msg: fmt.Sprintf("unknown key %q; see `migrate init` or README.md for the keys", key)}
		}
		if err := p.set(key, val, place); err != nil {
			return nil, err
		}
	}
	if err := p.resolveSecrets(lookup); err != nil {
		return nil, err
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	if !opts.SkipMailboxes {
		csvPath := p.Resolve(p.Settings.Mailboxes)
		ms, err := LoadMailboxes(csvPath, p.Settings.Source, lookup)
		if err != nil {
			return nil, err
		}
		for i := range ms {
			if ms[i].Protocol == "pop3" && ms[i].TargetFolder == "" {
				ms[i].TargetFolder = p.Settings.POP3.Folder
			}
		}
		p.Mailboxes = ms
	}
	return p, nil
}

// decodeFile decodes the YAML project file into p.Settings, recording the
// place of every key and refusing unknown keys.
func (p *Project) decodeFile(name string, data []byte) error {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			return nil // empty file: defaults
		}
		return &Error{Place: Place{File: name}, Msg: fmt.Sprintf("not valid YAML: %v", err), Err: err}
	}
	if len(doc.Content) == 0 {
		return nil
	}
	return p.decodeNode(name, doc.Content[0], reflect.ValueOf(&p.Settings).Elem(), "")
}

func (p *Project) decodeNode(file string, n *yaml.Node, v reflect.Value, key string) error {
	place := Place{File: file, Line: n.Line, Col: n.Column}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	t := v.Type()
	switch {
	case t.Kind() == reflect.Struct && !isLeaf(t):
		if n.Kind != yaml.MappingNode {
			return &Error{Place: place, Key: key, Msg: "want a mapping of keys to values"}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			field, ok := fieldByTag(v, kn.Value)
			sub := kn.Value
			if key != "" {
				sub = key + "." + kn.Value
			}
			if !ok {
				return &Error{Place: Place{File: file, Line: kn.Line, Col: kn.Column}, Msg: fmt.Sprintf("unknown key %q%s; known keys: %s", sub, inSection(key), strings.Join(tagsOf(t), ", "))}
			}
			if err := p.decodeNode(file, vn, field, sub); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		if n.Kind != yaml.SequenceNode {
			return &Error{Place: place, Key: key, Msg: "want a list"}
		}
		out := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := p.decodeNode(file, item, out.Index(i), fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
		}
		v.Set(out)
		p.places[key] = place
		return nil
	case t.Kind() == reflect.Slice:
		var items []string
		switch n.Kind {
		case yaml.SequenceNode:
			for _, item := range n.Content {
				if item.Kind != yaml.ScalarNode {
					return &Error{Place: Place{File: file, Line: item.Line, Col: item.Column}, Key: key, Msg: "want a list of strings"}
				}
				items = append(items, item.Value)
			}
		case yaml.ScalarNode:
			items = splitList(n.Value)
		default:
			return &Error{Place: place, Key: key, Msg: "want a list of strings"}
		}
		v.Set(reflect.ValueOf(items))
		p.places[key] = place
		return nil
	default:
		if n.Kind != yaml.ScalarNode {
			return &Error{Place: place, Key: key, Msg: fmt.Sprintf("want a single %s value", kindOf(t))}
		}
		if err := setLeaf(v, n.Value); err != nil {
			return &Error{Place: place, Key: key, Msg: err.Error(), Err: err}
		}
		p.places[key] = place
		return nil
	}
}

func inSection(key string) string {
	if key == "" {
		return ""
	}
	return " in section " + key
}

func fieldByTag(v reflect.Value, tag string) (reflect.Value, bool) {
	for i := 0; i < v.NumField(); i++ {
		if v.Type().Field(i).Tag.Get("yaml") == tag {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func tagsOf(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if tag := t.Field(i).Tag.Get("yaml"); tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// set parses val into key from an override.
func (p *Project) set(key, val string, place Place) error {
	field, ok := fieldByKey(reflect.ValueOf(&p.Settings), key)
	if !ok {
		return &Error{Place: place, Msg: fmt.Sprintf("unknown key %q", key)}
	}
	if field.Kind() == reflect.Slice && field.Type().Elem().Kind() == reflect.Struct {
		return &Error{Place: place, Key: key, Msg: "cannot be set from the environment or a flag; edit the project file"}
	}
	if field.Kind() == reflect.Slice {
		field.Set(reflect.ValueOf(splitList(val)))
	} else if err := setLeaf(field, val); err != nil {
		return &Error{Place: place, Key: key, Msg: err.Error(), Err: err}
	}
	p.places[key] = place
	return nil
}

// setLeaf parses s into a leaf field.
func setLeaf(v reflect.Value, s string) error {
	switch v.Type() {
	case secretType:
		v.Set(reflect.ValueOf(Secret{Ref: s}))
		return nil
	case durationType:
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil || d < 0 {
			return fmt.Errorf("%q is not a duration (want e.g. 90s or 5m)", s)
		}
		v.Set(reflect.ValueOf(Duration(d)))
		return nil
	case sizeType:
		n, err := ParseSize(s)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(n))
		return nil
	case dateType:
		if strings.TrimSpace(s) == "" {
			v.Set(reflect.ValueOf(Date{}))
			return nil
		}
		t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
		}
		v.Set(reflect.ValueOf(Date{t}))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		v.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	default:
		return fmt.Errorf("unsupported setting type %s", v.Type())
	}
	return nil
}

// resolveSecret resolves a secret reference: env:NAME, file:PATH,
// literal:VALUE or a bare literal.
func resolveSecret(ref, dir string, lookup func(string) (string, bool)) (string, error) {
	switch {
	case strings.HasPrefix(ref, "env:"):
		name := strings.TrimPrefix(ref, "env:")
		v, ok := lookup(name)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s (from %s) is not set", name, ref)
		}
		return v, nil
	case strings.HasPrefix(ref, "file:"):
		path := strings.TrimPrefix(ref, "file:")
		if !filepath.IsAbs(path) && dir != "" {
			path = filepath.Join(dir, path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			// The error from os names only the path, never the content.
			return "", fmt.Errorf("cannot read secret file: %w", err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("secret file %s is empty", path)
		}
		return v, nil
	case strings.HasPrefix(ref, "literal:"):
		return strings.TrimPrefix(ref, "literal:"), nil
	}
	return ref, nil
}

func (p *Project) resolveSecrets(lookup func(string) (string, bool)) error {
	for _, k := range Keys() {
		if !k.Secret {
			continue
		}
		field, _ := fieldByKey(reflect.ValueOf(&p.Settings), k.Name)
		s := field.Interface().(Secret)
		if s.Ref == "" {
			continue
		}
		v, err := resolveSecret(s.Ref, p.Dir, lookup)
		if err != nil {
			return &Error{Place: p.places[k.Name], Key: k.Name, Msg: err.Error(), Err: err}
		}
		ref := s.Ref
		if !strings.HasPrefix(ref, "env:") && !strings.HasPrefix(ref, "file:") {
			ref = "literal"
		}
		field.Set(reflect.ValueOf(Secret{Ref: ref, value: v}))
	}
	return nil
}

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// validate checks the merged settings.
func (p *Project) validate() error {
	s := &p.Settings
	bad := func(key, msg string) error { return &Error{Place: p.places[key], Key: key, Msg: msg} }
	if !oneOf(s.Source.Protocol, "imap", "pop3") {
		return bad("source.protocol", fmt.Sprintf("%q is not a protocol; want imap or pop3", s.Source.Protocol))
	}
	if !oneOf(s.Source.Security, "tls", "starttls", "plain") {
		return bad("source.security", fmt.Sprintf("%q is not a security mode; want tls, starttls or plain", s.Source.Security))
	}
	if s.Source.Port != 0 && (s.Source.Port < 1 || s.Source.Port > 65535) {
		return bad("source.port", fmt.Sprintf("%d is not a port; want 1-65535", s.Source.Port))
	}
	if !oneOf(s.Source.Auth, "auto", "plain", "login", "xoauth2", "apop") {
		return bad("source.auth", fmt.Sprintf("%q is not an authentication method; want auto, plain, login, xoauth2 (IMAP) or apop (POP3)", s.Source.Auth))
	}
	if s.Source.Security == "plain" && !s.Source.AllowPlaintext {
		return bad("source.security", "plain sends passwords unencrypted; set source.allow_plaintext: true (or --allow-plaintext) to allow it, or use tls or starttls")
	}
	if !oneOf(s.Source.MboxEscaping, "", "auto", "mboxrd", "mboxo", "none") {
		return bad("source.mbox_escaping", fmt.Sprintf("%q is not an mbox escaping; want auto, mboxrd, mboxo or none", s.Source.MboxEscaping))
	}
	if err := checkDAVURL(s.Source.DAVURL, s.Source.AllowPlaintext); err != nil {
		return bad("source.dav_url", err.Error())
	}
	if !oneOf(s.Target.Auth, "client_secret", "certificate", "device_code", "token") {
		return bad("target.auth", fmt.Sprintf("%q is not an authentication method; want client_secret, certificate, device_code or token", s.Target.Auth))
	}
	for _, key := range []string{"target.graph_endpoint", "target.authority"} {
		u := s.Target.GraphEndpoint
		if key == "target.authority" {
			u = s.Target.Authority
		}
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return bad(key, fmt.Sprintf("%q is not a URL; want https://...", u))
		}
	}
	if s.Target.MaxMessageSize < 0 || s.Target.MaxMessageSize > 150<<20 {
		return bad("target.max_message_size", fmt.Sprintf("%s is out of range; Exchange Online accepts at most 150MB", s.Target.MaxMessageSize))
	}
	if f := strings.Trim(s.POP3.Folder, "/"); s.POP3.Folder != "" && (f == "" || strings.Contains(f, "//")) {
		return bad("pop3.folder", fmt.Sprintf("%q is not a folder path; want e.g. \"Old provider\" or \"Inbox/Old provider\" (empty: the Inbox)", s.POP3.Folder))
	}
	if !oneOf(s.Dedupe.AcrossRows, DedupeBody, DedupeExact, DedupeOff) {
		return bad("dedupe.across_rows", fmt.Sprintf("%q: want body, exact or off", s.Dedupe.AcrossRows))
	}
	if !oneOf(s.Filters.DeletedItems, "skip", "migrate") {
		return bad("filters.deleted_items", fmt.Sprintf("%q: want skip or migrate", s.Filters.DeletedItems))
	}
	if s.Concurrency.Mailboxes < 1 {
		return bad("concurrency.mailboxes", fmt.Sprintf("%d: want at least 1", s.Concurrency.Mailboxes))
	}
	if s.Concurrency.PerMailbox < 1 || s.Concurrency.PerMailbox > 4 {
		return bad("concurrency.per_mailbox", fmt.Sprintf("%d: want 1 to 4 (Graph allows 4 concurrent requests per mailbox)", s.Concurrency.PerMailbox))
	}
	for i, r := range s.Folders.Rename {
		if r.From == "" || r.To == "" {
			return bad("folders.rename", fmt.Sprintf("entry %d needs both from and to", i+1))
		}
	}
	return nil
}

// RequireTarget checks that the settings needed to reach the target are
// present for the chosen authentication method.
func (p *Project) RequireTarget() error {
	t := p.Settings.Target
	need := func(key string, ok bool) error {
		if ok {
			return nil
		}
		return &Error{Place: Place{File: p.Path}, Key: key, Msg: fmt.Sprintf("required for target.auth %s; set it in the project file or %s", t.Auth, EnvName(key))}
	}
	switch t.Auth {
	case "token":
		return need("target.token", t.Token.Value() != "")
	case "device_code":
		return need("target.client_id", t.ClientID != "")
	case "certificate":
		for _, e := range []error{need("target.tenant", t.Tenant != ""), need("target.client_id", t.ClientID != ""), need("target.certificate_file", t.CertificateFile != "")} {
			if e != nil {
				return e
			}
		}
	default:
		for _, e := range []error{need("target.tenant", t.Tenant != ""), need("target.client_id", t.ClientID != ""), need("target.client_secret", t.ClientSecret.Value() != "")} {
			if e != nil {
				return e
			}
		}
	}
	return nil
}
