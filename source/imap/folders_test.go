package imap

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/migrate-tool/migrate/source"
)

// folderView is the part of source.Folder these tests compare.
type folderView struct {
	Path        []string
	Delim       string
	Role        source.SpecialUse
	Guessed     bool
	NoSelect    bool
	Count       int64
	Bytes       int64
	HasValidity bool
}

func view(fs []source.Folder) map[string]folderView {
	m := map[string]folderView{}
	for _, f := range fs {
		m[f.Name] = folderView{f.Path, f.Delimiter, f.SpecialUse, f.SpecialUseGuessed, f.NoSelect, f.Count, f.Bytes, f.Validity != ""}
	}
	return m
}

func TestFolders(t *testing.T) {
	msg := []byte("Subject: hi\r\n\r\nhello\r\n") // 22 bytes
	type setup func(fx *fixture)
	standard := func(fx *fixture) {
		fx.mustCreate("Sent", imap.MailboxAttrSent)
		fx.mustCreate("Entwürfe", imap.MailboxAttrDrafts)
		fx.mustCreate("Éléments supprimés", imap.MailboxAttrTrash)
		fx.mustCreate("日本語")
		fx.mustCreate("R&D")
		fx.mustCreate("Archive/2019")
		fx.mustCreate("Projects/Sent")
		fx.addNoSelect("Archive")
		fx.appendMsg("INBOX", msg, time.Now())
		fx.appendMsg("INBOX", msg, time.Now())
		fx.appendMsg("Sent", msg, time.Now())
	}
	tests := []struct {
		name   string
		caps   []imap.Cap     // nil: modern
		layout fixtureOptions // delimiter, namespaces, roles sent unasked
		setup  setup
		mutate func(o *Options)
		want   map[string]folderView
	}{
		{
			name:  "SPECIAL-USE, LIST-STATUS, STATUS=SIZE",
			setup: standard,
			want: map[string]folderView{
				"INBOX":              {[]string{"INBOX"}, "/", source.Inbox, false, false, 2, 44, true},
				"Sent":               {[]string{"Sent"}, "/", source.Sent, false, false, 1, 22, true},
				"Entwürfe":           {[]string{"Entwürfe"}, "/", source.Drafts, false, false, 0, 0, true},
				"Éléments supprimés": {[]string{"Éléments supprimés"}, "/", source.Trash, false, false, 0, 0, true},
				"日本語":                {[]string{"日本語"}, "/", "", false, false, 0, 0, true},
				"R&D":                {[]string{"R&D"}, "/", "", false, false, 0, 0, true},
				// No folder announces \Archive: guessed from the name.
				"Archive":      {[]string{"Archive"}, "/", source.Archive, true, true, -1, -1, false},
				"Archive/2019": {[]string{"Archive", "2019"}, "/", "", false, false, 0, 0, true},
				// The server announces \Sent: the name is not guessed.
				"Projects/Sent": {[]string{"Projects", "Sent"}, "/", "", false, false, 0, 0, true},
			},
		},
		{
			name:  "IMAP4rev1 only: plain LIST, STATUS per folder, guessed roles",
			caps:  []imap.Cap{},
			setup: standard,
			want: map[string]folderView{
				"INBOX":              {[]string{"INBOX"}, "/", source.Inbox, false, false, 2, -1, true},
				"Sent":               {[]string{"Sent"}, "/", source.Sent, true, false, 1, -1, true},
				"Entwürfe":           {[]string{"Entwürfe"}, "/", source.Drafts, true, false, 0, -1, true},
				"Éléments supprimés": {[]string{"Éléments supprimés"}, "/", source.Trash, true, false, 0, -1, true},
				"日本語":                {[]string{"日本語"}, "/", "", false, false, 0, -1, true},
				"R&D":                {[]string{"R&D"}, "/", "", false, false, 0, -1, true},
				"Archive":            {[]string{"Archive"}, "/", source.Archive, true, true, -1, -1, false},
				"Archive/2019":       {[]string{"Archive", "2019"}, "/", "", false, false, 0, -1, true},
				"Projects/Sent":      {[]string{"Projects", "Sent"}, "/", source.Sent, true, false, 0, -1, true},
			},
		},
		{
			name:   "NoSpecialUse ignores the server's roles",
			setup:  standard,
			mutate: func(o *Options) { o.NoSpecialUse = true },
			want: map[string]folderView{
				"INBOX":              {[]string{"INBOX"}, "/", source.Inbox, false, false, 2, 44, true},
				"Sent":               {[]string{"Sent"}, "/", source.Sent, true, false, 1, 22, true},
				"Entwürfe":           {[]string{"Entwürfe"}, "/", source.Drafts, true, false, 0, 0, true},
				"Éléments supprimés": {[]string{"Éléments supprimés"}, "/", source.Trash, true, false, 0, 0, true},
				"日本語":                {[]string{"日本語"}, "/", "", false, false, 0, 0, true},
				"R&D":                {[]string{"R&D"}, "/", "", false, false, 0, 0, true},
				"Archive":            {[]string{"Archive"}, "/", source.Archive, true, true, -1, -1, false},
				"Archive/2019":       {[]string{"Archive", "2019"}, "/", "", false, false, 0, 0, true},
				"Projects/Sent":      {[]string{"Projects", "Sent"}, "/", source.Sent, true, false, 0, 0, true},
			},
		},
		{
			name: "some roles announced: the others are guessed, the announced ones are not",
			setup: func(fx *fixture) {
				fx.mustCreate("Sent", imap.MailboxAttrSent)
				fx.mustCreate("Trash", imap.MailboxAttrTrash)
				fx.mustCreate("Sent Messages")
				fx.mustCreate("Archive")
				fx.mustCreate("Spam")
			},
			want: map[string]folderView{
				"INBOX":         {[]string{"INBOX"}, "/", source.Inbox, false, false, 0, 0, true},
				"Sent":          {[]string{"Sent"}, "/", source.Sent, false, false, 0, 0, true},
				"Trash":         {[]string{"Trash"}, "/", source.Trash, false, false, 0, 0, true},
				"Sent Messages": {[]string{"Sent Messages"}, "/", "", false, false, 0, 0, true},
				"Archive":       {[]string{"Archive"}, "/", source.Archive, true, false, 0, 0, true},
				"Spam":          {[]string{"Spam"}, "/", source.Junk, true, false, 0, 0, true},
			},
		},
		{
			name:   "SPECIAL-USE without LIST-EXTENDED: roles sent unasked",
			caps:   []imap.Cap{imap.CapSpecialUse},
			layout: fixtureOptions{rolesUnasked: true},
			setup: func(fx *fixture) {
				fx.mustCreate("Gesendet", imap.MailboxAttrSent)
				fx.mustCreate("Junk", imap.MailboxAttrJunk)
				fx.mustCreate("All Mail", imap.MailboxAttrAll)
			},
			want: map[string]folderView{
				"INBOX":    {[]string{"INBOX"}, "/", source.Inbox, false, false, 0, -1, true},
				"Gesendet": {[]string{"Gesendet"}, "/", source.Sent, false, false, 0, -1, true},
				"Junk":     {[]string{"Junk"}, "/", source.Junk, false, false, 0, -1, true},
				"All Mail": {[]string{"All Mail"}, "/", source.All, false, false, 0, -1, true},
			},
		},
		{
			name:   "dot delimiter, Courier namespace INBOX.",
			layout: fixtureOptions{delim: '.', personal: "INBOX."},
			setup: func(fx *fixture) {
				fx.mustCreate("INBOX.Sent Items")
				fx.mustCreate("INBOX.Trash")
				fx.mustCreate("INBOX.Clients.ACME")
				fx.addNoSelect("INBOX.Clients")
			},
			want: map[string]folderView{
				"INBOX":              {[]string{"INBOX"}, ".", source.Inbox, false, false, 0, 0, true},
				"INBOX.Sent Items":   {[]string{"Sent Items"}, ".", source.Sent, true, false, 0, 0, true},
				"INBOX.Trash":        {[]string{"Trash"}, ".", source.Trash, true, false, 0, 0, true},
				"INBOX.Clients":      {[]string{"Clients"}, ".", "", false, true, -1, -1, false},
				"INBOX.Clients.ACME": {[]string{"Clients", "ACME"}, ".", "", false, false, 0, 0, true},
			},
		},
		{
			name:   "dot delimiter without a namespace prefix",
			caps:   []imap.Cap{},
			layout: fixtureOptions{delim: '.'},
			setup: func(fx *fixture) {
				fx.mustCreate("INBOX.Sent")
				fx.mustCreate("INBOX.Junk E-mail")
			},
			want: map[string]folderView{
				"INBOX":             {[]string{"INBOX"}, ".", source.Inbox, false, false, 0, -1, true},
				"INBOX.Sent":        {[]string{"INBOX", "Sent"}, ".", source.Sent, true, false, 0, -1, true},
				"INBOX.Junk E-mail": {[]string{"INBOX", "Junk E-mail"}, ".", source.Junk, true, false, 0, -1, true},
			},
		},
		{
			name:   "shared namespace left out",
			layout: fixtureOptions{shared: true},
			setup: func(fx *fixture) {
				fx.mustCreate("Shared/bob/INBOX")
				fx.addNoSelect("Shared")
				fx.mustCreate("Sharedness") // not under "Shared/"
			},
			want: map[string]folderView{
				"INBOX":      {[]string{"INBOX"}, "/", source.Inbox, false, false, 0, 0, true},
				"Sharedness": {[]string{"Sharedness"}, "/", "", false, false, 0, 0, true},
			},
		},
		{
			name: "a folder that vanished before STATUS is kept, unknown",
			caps: []imap.Cap{},
			setup: func(fx *fixture) {
				fx.addPhantom("Gone")
			},
			want: map[string]folderView{
				"INBOX": {[]string{"INBOX"}, "/", source.Inbox, false, false, 0, -1, true},
				"Gone":  {[]string{"Gone"}, "/", "", false, false, -1, -1, false},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := tt.layout
			server.security, server.caps = SecurityTLS, tt.caps
			fx := newFixture(t, server)
			tt.setup(fx)
			opts := fx.options(SecurityTLS)
			if tt.mutate != nil {
				tt.mutate(opts)
			}
			trace := &syncBuffer{}
			opts.Trace = trace
			a := fx.dial(opts)
			folders, err := a.Folders(context.Background())
			if err != nil {
				t.Fatalf("Folders() = %v", err)
			}
			if diff := cmp.Diff(tt.want, view(folders)); diff != "" {
				t.Errorf("Folders() mismatch (-want +got):\n%s", diff)
			}
			if folders[0].Name != "INBOX" {
				t.Errorf("Folders()[0] = %q, want INBOX first", folders[0].Name)
			}
			for _, f := range folders {
				if f.Kind != source.KindMessage {
					t.Errorf("folder %q: Kind = %q", f.Name, f.Kind)
				}
			}
			// Non-ASCII names travel in modified UTF-7.
			if _, ok := tt.want["Entwürfe"]; ok && !strings.Contains(trace.String(), "Entw&APw-rfe") {
				t.Errorf("trace shows no modified UTF-7 name:\n%s", trace)
			}
		})
	}
}

func TestFoldersValidityMatchesServer(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	fx.mustCreate("Entwürfe")
	a := fx.dial(fx.options(SecurityTLS))
	folders, err := a.Folders(context.Background())
	if err != nil {
		t.Fatalf("Folders() = %v", err)
	}
	for _, name := range []string{"INBOX", "Entwürfe"} {
		f := findFolder(t, folders, name)
		want := fx.status(name).UIDValidity
		if f.Validity != strconv.FormatUint(uint64(want), 10) {
			t.Errorf("folder %q: Validity = %q, want %d", name, f.Validity, want)
		}
	}
}

func TestItemsInEncodedFolders(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	names := []string{"Entwürfe", "R&D", "日本語/Ärger & Köln"}
	for _, n := range names {
		fx.mustCreate(n)
		fx.appendMsg(n, []byte("Subject: "+n+"\r\n\r\nx\r\n"), baseDate)
	}
	trace := &syncBuffer{}
	opts := fx.options(SecurityTLS)
	opts.Trace = trace
	a := fx.dial(opts)
	folders, err := a.Folders(context.Background())
	if err != nil {
		t.Fatalf("Folders() = %v", err)
	}
	for _, n := range names {
		f := findFolder(t, folders, n)
		refs, err := collect(t, a, f)
		if err != nil || len(refs) != 1 {
			t.Fatalf("Items(%q) = %d, %v", n, len(refs), err)
		}
		if body := readAll(t, a, f, refs[0]); !strings.Contains(string(body), n) {
			t.Errorf("Open() in %q = %q", n, body)
		}
	}
	for _, wire := range []string{`EXAMINE "R&-D"`, `EXAMINE "Entw&APw-rfe"`} {
		if !strings.Contains(trace.String(), wire) {
			t.Errorf("trace lacks %s", wire)
		}
	}
}

func TestFoldersReconnect(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	a := fx.dial(fx.options(SecurityTLS))
	fx.kill()
	if _, err := a.Folders(context.Background()); err != nil {
		t.Fatalf("Folders() after a drop = %v", err)
	}
	if n := a.Info().Reconnects; n != 1 {
		t.Errorf("Reconnects = %d, want 1", n)
	}
}

func TestReconnectAuthFailureIsNotRetried(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	a := fx.dial(fx.options(SecurityTLS))
	fx.srv.RejectLogins(true)
	before := fx.srv.Logins()
	fx.kill()
	_, err := a.Folders(context.Background())
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("Folders() with the password changed = %v, want ErrAuth", err)
	}
	if n := fx.srv.Logins() - before; n != 1 {
		t.Errorf("%d login attempts, want 1 (an auth failure is not retried)", n)
	}
}
