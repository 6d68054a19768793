package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/message"
	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/graphemu"
)

const (
	testTenant = "contoso.test"
	testApp    = "11111111-2222-3333-4444-555555555555"
	testSecret = "graph-test-secret-value"
	testUser   = "alice@contoso.test"
)

// env is an emulator with a client for its main app.
type env struct {
	ep *graphemu.Endpoint
	c  *Client
}

// newEnv starts an emulator (opts may be nil) and a client with the main
// app's secret. The client's time scale is 100 unless set in cfg.
func newEnv(t testing.TB, opts *graphemu.Options, cfg *Config) *env {
	t.Helper()
	o := graphemu.Options{}
	if opts != nil {
		o = *opts
	}
	o.Tenant, o.ClientID, o.ClientSecret = testTenant, testApp, testSecret
	if len(o.Users) == 0 {
		o.Users = []string{testUser}
	}
	ep := graphemu.StartForTest(t, &o)
	return &env{ep: ep, c: newClient(t, ep, cfg)}
}

// newClient is a client of ep; cfg's zero fields get the main app's
// client-secret settings.
func newClient(t testing.TB, ep *graphemu.Endpoint, cfg *Config) *Client {
	t.Helper()
	c := Config{}
	if cfg != nil {
		c = *cfg
	}
	if c.Endpoint == "" {
		c.Endpoint = ep.GraphURL
	}
	if c.Authority == "" {
		c.Authority = ep.AuthorityHost
	}
	if c.Tenant == "" {
		c.Tenant = testTenant
	}
	if c.Auth == "" {
		c.Auth = AuthClientSecret
	}
	if c.ClientID == "" {
		c.ClientID = testApp
	}
	if c.ClientSecret == "" && c.Auth == AuthClientSecret {
		c.ClientSecret = testSecret
	}
	if c.CAFile == "" {
		c.CAFile = ep.CAFile
	}
	if c.TimeScale == 0 {
		c.TimeScale = 100
	}
	if c.Logger == nil {
		// Every log line is checked for secrets at the end of the test.
		logs := &syncBuffer{}
		var w io.Writer = logs
		if testing.Verbose() {
			w = io.MultiWriter(logs, os.Stderr)
		}
		c.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
		secrets := []string{"authtoken=", testSecret}
		if c.Token != "" {
			secrets = append(secrets, c.Token)
		}
		t.Cleanup(func() {
			for _, s := range secrets {
				if strings.Contains(logs.String(), s) {
					t.Errorf("the logs reveal a secret (%.12s...)", s)
				}
			}
		})
	}
	cl, err := New(context.Background(), &c)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return cl
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func (e *env) mailbox(t testing.TB, ctx context.Context) *mailbox {
	t.Helper()
	mb, err := e.c.Mailbox(ctx, testUser)
	if err != nil {
		t.Fatalf("Mailbox(%s) = %v", testUser, err)
	}
	return mb.(*mailbox)
}

// dump is the emulator's view of the test mailbox.
func (e *env) dump(t *testing.T) *graphemu.DumpMailbox {
	t.Helper()
	d := e.ep.Emulator.DumpMailbox(nil, testUser)
	if d == nil {
		t.Fatalf("DumpMailbox(%s) = nil", testUser)
	}
	return d
}

// folderItems is the items of the folder with id f.
func (e *env) folderItems(t *testing.T, f target.FolderID) []graphemu.DumpItem {
	t.Helper()
	for _, df := range e.dump(t).Folders {
		if df.ID == string(f) {
			return df.Items
		}
	}
	t.Fatalf("folder %s not in the dump", f)
	return nil
}

func extValue(it graphemu.DumpItem, id string) (string, bool) {
	want := strings.ToLower(strings.Join(strings.Fields(id), " "))
	for _, p := range it.Ext {
		if strings.EqualFold(p.ID, want) || strings.EqualFold(p.ID, canonicalTag(id)) {
			return p.Value, true
		}
	}
	return "", false
}

// canonicalTag writes "Integer 0x0E07" as the emulator does ("Integer 0xe07").
func canonicalTag(id string) string {
	f := strings.Fields(id)
	if len(f) == 2 && strings.HasPrefix(strings.ToLower(f[1]), "0x") {
		var n uint64
		fmt.Sscanf(strings.ToLower(f[1][2:]), "%x", &n)
		return fmt.Sprintf("%s 0x%x", f[0], n)
	}
	return id
}

// part is one MIME attachment of a test message.
type part struct {
	name, contentType, contentID string
	data                         []byte
}

// mime builds a test message: an HTML body and the given parts (parts
// with a content ID go into a multipart/related with the body).
func mime(subject string, parts ...part) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Alice Example <alice@example.org>\r\nTo: Bob <bob@example.org>, carol@example.org\r\nCc: Dave <dave@example.org>\r\n")
	fmt.Fprintf(&b, "Subject: %s\r\nDate: Tue, 05 Mar 2019 10:11:12 +0100\r\nMessage-ID: <%x@example.org>\r\n", subject, sha256.Sum256([]byte(subject)))
	b.WriteString("In-Reply-To: <prev@example.org>\r\nReferences: <root@example.org> <prev@example.org>\r\n")
	b.WriteString("Disposition-Notification-To: alice@example.org\r\nImportance: high\r\nX-Mailer: test\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"mixed-b\"\r\n\r\n")
	b.WriteString("--mixed-b\r\nContent-Type: multipart/related; boundary=\"rel-b\"\r\n\r\n")
	b.WriteString("--rel-b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Hello \u00e9t\u00e9")
	for _, p := range parts {
		if p.contentID != "" {
			fmt.Fprintf(&b, ` <img src="cid:%s">`, p.contentID)
		}
	}
	b.WriteString("</p></body></html>\r\n")
	for _, p := range parts {
		if p.contentID != "" {
			fmt.Fprintf(&b, "--rel-b\r\nContent-Type: %s; name=\"%s\"\r\nContent-ID: <%s>\r\nContent-Transfer-Encoding: base64\r\n\r\n", p.contentType, p.name, p.contentID)
			writeB64(&b, p.data)
		}
	}
	b.WriteString("--rel-b--\r\n")
	for _, p := range parts {
		if p.contentID == "" {
			fmt.Fprintf(&b, "--mixed-b\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", p.contentType, p.name, p.name)
			writeB64(&b, p.data)
		}
	}
	b.WriteString("--mixed-b--\r\n")
	return b.String()
}

func writeB64(b *strings.Builder, data []byte) {
	s := base64.StdEncoding.EncodeToString(data)
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteString("\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}

// randomBytes is n reproducible pseudo-random bytes.
func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			out[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n - n%8; i < n; i++ {
		out[i] = byte(r.Uint32())
	}
	return out
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// parse parses raw and closes the message at the end of the test.
func parse(t testing.TB, raw string) *message.Message {
	t.Helper()
	m, err := message.Parse(context.Background(), bytes.NewReader([]byte(raw)), &message.Options{SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatalf("message.Parse() = %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// testMessage is a target message for raw with fixed state.
func testMessage(t testing.TB, key, raw string) *target.Message {
	t.Helper()
	return &target.Message{
		SourceKey: key,
		Content:   parse(t, raw),
		Received:  time.Date(2019, 3, 5, 9, 12, 0, 0, time.UTC),
		Sent:      time.Date(2019, 3, 5, 9, 11, 12, 0, time.UTC),
	}
}
