package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/source/pop3"
)

// TestPOP3Options maps a POP3 row and the source settings to the POP3
// adapter's options, and refuses what POP3 cannot do yet before dialling.
func TestPOP3Options(t *testing.T) {
	row := config.Mailbox{EmailAddress: "terry@contoso.com", UserName: "terry", Password: config.NewSecret("pw-terry-123"),
		Protocol: "pop3", Host: "pop.example", Port: 110, Security: "starttls"}
	noPassword := row
	noPassword.Password = config.Secret{}
	tests := []struct {
		name    string
		s       sourceSettings
		m       config.Mailbox
		want    pop3.Options
		wantErr string
	}{
		{"settings and row", sourceSettings{CAFile: "/ca.pem", AllowPlaintext: true, Auth: "auto", Timeout: 5 * time.Second}, row,
			pop3.Options{Host: "pop.example", Port: 110, Security: pop3.SecuritySTARTTLS, AllowPlaintext: true, CAFile: "/ca.pem",
				Username: "terry", Password: "pw-terry-123", Auth: pop3.AuthAuto, Timeout: 5 * time.Second}, ""},
		{"login is USER/PASS", sourceSettings{Auth: "login"}, row,
			pop3.Options{Host: "pop.example", Port: 110, Security: pop3.SecuritySTARTTLS, Username: "terry", Password: "pw-terry-123", Auth: pop3.AuthUser}, ""},
		{"plain is SASL PLAIN", sourceSettings{Auth: "plain"}, row,
			pop3.Options{Host: "pop.example", Port: 110, Security: pop3.SecuritySTARTTLS, Username: "terry", Password: "pw-terry-123", Auth: pop3.AuthPlain}, ""},
		{"apop", sourceSettings{Auth: "apop"}, row,
			pop3.Options{Host: "pop.example", Port: 110, Security: pop3.SecuritySTARTTLS, Username: "terry", Password: "pw-terry-123", Auth: pop3.AuthAPOP}, ""},
		{"xoauth2", sourceSettings{Auth: "xoauth2"}, row, pop3.Options{}, "xoauth2 is not supported for POP3 yet"},
		{"admin login", sourceSettings{Auth: "auto", AdminUser: "admin", AdminPassword: "admin-pw"}, noPassword, pop3.Options{}, "admin (master user) login is not supported for POP3 yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.pop3Options(tt.m, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("pop3Options() = %v, want an error containing %q", err, tt.wantErr)
				}
				// The opener refuses the row the same way, without dialling.
				if _, err := tt.s.opener()(context.Background(), tt.m, nil); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("opener() = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("pop3Options() = %v", err)
			}
			if got.String() != tt.want.String() || got.Password != tt.want.Password {
				t.Errorf("pop3Options() = %v\nwant %v", got, tt.want)
			}
		})
	}
	// apop is for POP3 rows.
	imapRow := row
	imapRow.Protocol = "imap"
	if _, err := (sourceSettings{Auth: "apop"}).opener()(context.Background(), imapRow, nil); err == nil || !strings.Contains(err.Error(), "apop is for POP3 rows") {
		t.Errorf("opener(imap, apop) = %v", err)
	}
	// An unknown protocol is still refused.
	m := row
	m.Protocol = "smtp"
	if _, err := (sourceSettings{}).opener()(context.Background(), m, nil); err == nil || !strings.Contains(err.Error(), `"smtp" is not supported`) {
		t.Errorf("opener(smtp) = %v", err)
	}
}

// TestOpenLocal opens rows of mail stores on disk: SourceProtocol local
// tells a Maildir from an .eml tree, one row may hold both, and a path of
// neither kind is refused with the setting that fixes it.
func TestOpenLocal(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"Maildir/cur/1700000001.M1P1.host:2,S", "Maildir/new/1700000002.M2P1.host", "export/Inbox/1.eml", "other/notes.txt"} {
		p = filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("Subject: x\r\n\r\nx\r\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	maildirPath, emlPath, other := filepath.Join(dir, "Maildir"), filepath.Join(dir, "export"), filepath.Join(dir, "other")
	tests := []struct {
		protocol string
		paths    []string
		want     []string // folder paths
		wantErr  string
	}{
		{"maildir", []string{maildirPath}, []string{"INBOX"}, ""},
		{"eml", []string{emlPath}, []string{"Inbox"}, ""},
		{"local", []string{maildirPath, emlPath}, []string{"INBOX", "Inbox"}, ""},
		{"local", []string{other}, nil, "set SourceProtocol to mbox, maildir or eml"},
		{"maildir", []string{emlPath}, nil, "holds no maildir"},
	}
	for _, tt := range tests {
		m := config.Mailbox{EmailAddress: "a@contoso.com", Protocol: tt.protocol, SourcePaths: tt.paths}
		acct, err := sourceSettings{}.opener()(context.Background(), m, nil)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s %q: opener() = %v, want an error containing %q", tt.protocol, tt.paths, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s %q: opener() = %v", tt.protocol, tt.paths, err)
		}
		folders, err := acct.Folders(context.Background())
		acct.Close()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range folders {
			got = append(got, strings.Join(f.Path, "/"))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %q: folders %q, want %q", tt.protocol, tt.paths, got, tt.want)
		}
	}
}
