package main

import (
	"context"
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
