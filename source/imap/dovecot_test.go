package imap_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/imap"
	"github.com/migrate-tool/migrate/source/testserver"
)

// Integration tests against a real Dovecot 2.3 seeded from testdata/mail
// (skipped when Dovecot is not installed, failed under CI=true).

// dialDovecot logs in to d as user over IMAPS with the harness's CA.
func dialDovecot(t *testing.T, d *testserver.Dovecot, mutate func(o *imap.Options)) *imap.Account {
	t.Helper()
	opts := &imap.Options{
		Host:     d.Host,
		Port:     d.IMAPSPort,
		Security: imap.SecurityTLS,
		CAFile:   d.CAFile,
		Username: d.Users[0].Name,
		Password: d.Users[0].Password,
	}
	if mutate != nil {
		mutate(opts)
	}
	a, err := imap.Dial(context.Background(), opts)
	if err != nil {
		t.Fatalf("Dial() = %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

func asUser(u testserver.User) func(o *imap.Options) {
	return func(o *imap.Options) { o.Username, o.Password = u.Name, u.Password }
}

func TestDovecotConnect(t *testing.T) {
	d := testserver.DovecotForTest(t, nil)
	alice := d.Users[0]
	tests := []struct {
		name    string
		mutate  func(o *imap.Options)
		wantErr error
		wantTLS bool
	}{
		{name: "IMAPS with CA file", wantTLS: true},
		{name: "STARTTLS with CA file", wantTLS: true, mutate: func(o *imap.Options) { o.Port, o.Security = d.IMAPPort, imap.SecuritySTARTTLS }},
		{name: "plaintext refused", wantErr: imap.ErrPlaintextNotAllowed, mutate: func(o *imap.Options) { o.Port, o.Security = d.IMAPPort, imap.SecurityPlain }},
		{name: "IMAPS without the CA", wantErr: imap.ErrConnect, mutate: func(o *imap.Options) { o.CAFile = "" }},
		{name: "wrong password", wantErr: imap.ErrAuth, mutate: func(o *imap.Options) { o.Password = "not-" + alice.Password }},
		{
			name:    "master user with authorization identity",
			wantTLS: true,
			mutate: func(o *imap.Options) {
				o.Username, o.Password, o.AuthzID = d.Master.Name, d.Master.Password, alice.Name
			},
		},
		{
			name:    "master user with a wrong password",
			wantErr: imap.ErrAuth,
			mutate: func(o *imap.Options) {
				o.Username, o.Password, o.AuthzID = d.Master.Name, "not-"+d.Master.Password, alice.Name
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := &imap.Options{
				Host: d.Host, Port: d.IMAPSPort, Security: imap.SecurityTLS, CAFile: d.CAFile,
				Username: alice.Name, Password: alice.Password,
			}
			if tt.mutate != nil {
				tt.mutate(opts)
			}
			var trace strings.Builder
			opts.Trace = &trace
			a, err := imap.Dial(context.Background(), opts)
			for _, secret := range []string{alice.Password, d.Master.Password} {
				if strings.Contains(trace.String(), secret) || (err != nil && strings.Contains(err.Error(), secret)) {
					t.Errorf("trace or error reveals a password")
				}
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Dial() = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial() = %v", err)
			}
			defer a.Close()
			if got := a.Info().TLSVersion != ""; got != tt.wantTLS {
				t.Errorf("Info().TLSVersion = %q", a.Info().TLSVersion)
			}
			folders, err := a.Folders(context.Background())
			if err != nil {
				t.Fatalf("Folders() = %v", err)
			}
			// The master user sees alice's mailbox.
			m, _ := d.Manifest.User(alice.Name)
			if len(folders) != len(m.Folders) {
				t.Errorf("Folders() = %d folders, want alice's %d", len(folders), len(m.Folders))
			}
		})
	}
}

// wantFolders is what Folders must report for a manifest user.
func wantFolders(t *testing.T, u *testserver.ManifestUser, guessed bool) map[string]folderSummary {
	t.Helper()
	want := map[string]folderSummary{}
	for _, f := range u.Folders {
		role := source.SpecialUse(f.SpecialUse)
		g := guessed && role != ""
		if f.Name == "INBOX" {
			role, g = source.Inbox, false
		}
		want[f.Name] = folderSummary{Path: strings.Split(f.Name, "/"), Role: role, Guessed: g, Count: int64(len(f.Messages))}
	}
	return want
}

type folderSummary struct {
	Path    []string
	Role    source.SpecialUse
	Guessed bool
	Count   int64
}

func summarise(fs []source.Folder) map[string]folderSummary {
	m := map[string]folderSummary{}
	for _, f := range fs {
		m[f.Name] = folderSummary{f.Path, f.SpecialUse, f.SpecialUseGuessed, f.Count}
	}
	return m
}

func TestDovecotFolders(t *testing.T) {
	d := testserver.DovecotForTest(t, nil)
	for i, u := range d.Users {
		mu := &d.Manifest.Users[i]
		for _, noSpecialUse := range []bool{false, true} {
			t.Run(u.Name+"/NoSpecialUse="+strconv.FormatBool(noSpecialUse), func(t *testing.T) {
				a := dialDovecot(t, d, func(o *imap.Options) {
					asUser(u)(o)
					o.NoSpecialUse = noSpecialUse
				})
				folders, err := a.Folders(context.Background())
				if err != nil {
					t.Fatalf("Folders() = %v", err)
				}
				if diff := cmp.Diff(wantFolders(t, mu, noSpecialUse), summarise(folders)); diff != "" {
					t.Errorf("Folders() mismatch (-want +got):\n%s", diff)
				}
				for _, f := range folders {
					if f.Validity == "" || f.Delimiter != "/" || f.NoSelect {
						t.Errorf("folder %q: Validity %q, Delimiter %q, NoSelect %v", f.Name, f.Validity, f.Delimiter, f.NoSelect)
					}
				}
			})
		}
	}
}

func TestDovecotHeuristicsWithoutSpecialUse(t *testing.T) {
	d := testserver.DovecotForTest(t, &testserver.DovecotOptions{NoSpecialUse: true})
	for i, u := range d.Users {
		t.Run(u.Name, func(t *testing.T) {
			a := dialDovecot(t, d, asUser(u))
			folders, err := a.Folders(context.Background())
			if err != nil {
				t.Fatalf("Folders() = %v", err)
			}
			if diff := cmp.Diff(wantFolders(t, &d.Manifest.Users[i], true), summarise(folders)); diff != "" {
				t.Errorf("Folders() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// partialRolesManifest is a corpus whose server announces \Sent and \Trash
// (special_use in dovecot.conf) but no \Archive, beside an "Archive"
// folder, a "Sent Messages" folder and an "Archive" inside an ordinary
// folder.
const partialRolesManifest = `users:
  - name: dana@example.test
    password: dana-test-only-pw
    folders:
      - name: INBOX
        messages:
          - generate: {subject: inbox, seed: dana-inbox, attachment_size: 0}
            date: 2024-01-02T03:04:05Z
      - name: Sent
        special_use: '\Sent'
      - name: Trash
        special_use: '\Trash'
      - name: Sent Messages
        messages:
          - generate: {subject: old sent, seed: dana-sent-messages, attachment_size: 0}
            date: 2019-01-02T03:04:05Z
      - name: Archive
        messages:
          - generate: {subject: archived, seed: dana-archive, attachment_size: 0}
            date: 2020-01-02T03:04:05Z
      - name: Archive/2019
      - name: Projects
      - name: Projects/Archive
`

// TestDovecotGuessesUnannouncedRoles: a server that announces some roles
// but not \Archive has its "Archive" folder guessed, and the folder goes
// into Exchange's Archive folder; a role the server announces is not
// guessed for another folder.
func TestDovecotGuessesUnannouncedRoles(t *testing.T) {
	seed := t.TempDir()
	if err := os.WriteFile(filepath.Join(seed, testserver.ManifestFile), []byte(partialRolesManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	d := testserver.DovecotForTest(t, &testserver.DovecotOptions{SeedDir: seed})
	a := dialDovecot(t, d, nil)
	folders, err := a.Folders(context.Background())
	if err != nil {
		t.Fatalf("Folders() = %v", err)
	}
	want := map[string]folderSummary{
		"INBOX":            {Path: []string{"INBOX"}, Role: source.Inbox, Count: 1},
		"Sent":             {Path: []string{"Sent"}, Role: source.Sent},
		"Trash":            {Path: []string{"Trash"}, Role: source.Trash},
		"Sent Messages":    {Path: []string{"Sent Messages"}, Count: 1},
		"Archive":          {Path: []string{"Archive"}, Role: source.Archive, Guessed: true, Count: 1},
		"Archive/2019":     {Path: []string{"Archive", "2019"}},
		"Projects":         {Path: []string{"Projects"}},
		"Projects/Archive": {Path: []string{"Projects", "Archive"}, Role: source.Archive, Guessed: true},
	}
	if diff := cmp.Diff(want, summarise(folders)); diff != "" {
		t.Errorf("Folders() mismatch (-want +got):\n%s", diff)
	}

	ms, err := mapping.Folders(folders, nil)
	if err != nil {
		t.Fatalf("mapping.Folders() = %v", err)
	}
	got := map[string]string{}
	for _, m := range ms {
		got[m.Source.Name] = m.String()
	}
	wantMap := map[string]string{
		"INBOX":            mapping.WellKnownInbox,
		"Sent":             mapping.WellKnownSentItems,
		"Trash":            mapping.WellKnownDeletedItems,
		"Sent Messages":    mapping.WellKnownRoot + "/Sent Messages",
		"Archive":          mapping.WellKnownArchive,
		"Archive/2019":     mapping.WellKnownArchive + "/2019",
		"Projects":         mapping.WellKnownRoot + "/Projects",
		"Projects/Archive": mapping.WellKnownRoot + "/Projects/Archive",
	}
	if diff := cmp.Diff(wantMap, got); diff != "" {
		t.Errorf("mapping.Folders() targets mismatch (-want +got):\n%s", diff)
	}
}

func TestDovecotItemsAndBodies(t *testing.T) {
	d := testserver.DovecotForTest(t, nil)
	for i, u := range d.Users {
		mu := &d.Manifest.Users[i]
		t.Run(u.Name, func(t *testing.T) {
			var trace strings.Builder
			a := dialDovecot(t, d, func(o *imap.Options) {
				asUser(u)(o)
				o.WindowSize = 3 // several windows per folder
				o.Trace = &trace
			})
			folders, err := a.Folders(context.Background())
			if err != nil {
				t.Fatalf("Folders() = %v", err)
			}
			for _, mf := range mu.Folders {
				f := findFolder(t, folders, mf.Name)
				var refs []source.ItemRef
				for ref, err := range a.Items(context.Background(), f) {
					if err != nil {
						t.Fatalf("Items(%s) = %v", mf.Name, err)
					}
					refs = append(refs, ref)
				}
				if len(refs) != len(mf.Messages) {
					t.Fatalf("Items(%s) = %d items, want %d", mf.Name, len(refs), len(mf.Messages))
				}
				for j := range mf.Messages {
					msg, ref := &mf.Messages[j], refs[j]
					checkItem(t, a, f, ref, msg)
				}
			}
			// Only read-only commands went to the server.
			for _, line := range strings.Split(trace.String(), "\n") {
				up := strings.ToUpper(line)
				if strings.HasPrefix(line, "C: ") && (strings.Contains(up, " STORE") || strings.Contains(up, " SELECT ") ||
					strings.Contains(up, "EXPUNGE") || strings.Contains(up, "BODY[")) {
					t.Errorf("client sent %q", line)
				}
			}
			// Nothing became \Seen: list again and compare with the manifest.
			folders, err = a.Folders(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, mf := range mu.Folders {
				j := 0
				for ref, err := range a.Items(context.Background(), findFolder(t, folders, mf.Name)) {
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(sortedFlags(mf.Messages[j].Flags), sortedFlags(ref.Flags)); diff != "" {
						t.Errorf("%s %s: flags changed after Open (-before +after):\n%s", mf.Name, mf.Messages[j].Name(), diff)
					}
					j++
				}
			}
		})
	}
}

// checkItem compares an item with its manifest entry, and its body with
// the seeded bytes.
func checkItem(t *testing.T, a *imap.Account, f source.Folder, ref source.ItemRef, msg *testserver.ManifestMessage) {
	t.Helper()
	name := f.Name + " " + msg.Name()
	if v, _, err := imap.ParseKey(ref.Key); err != nil || strconv.FormatUint(uint64(v), 10) != f.Validity {
		t.Errorf("%s: key %q does not carry UIDVALIDITY %s", name, ref.Key, f.Validity)
	}
	if !ref.Date.Equal(msg.Date) {
		t.Errorf("%s: Date = %v, want %v", name, ref.Date, msg.Date)
	}
	size, err := msg.Size()
	if err != nil {
		t.Fatal(err)
	}
	if ref.Size != size {
		t.Errorf("%s: Size = %d, want %d", name, ref.Size, size)
	}
	if diff := cmp.Diff(sortedFlags(msg.Flags), sortedFlags(ref.Flags)); diff != "" {
		t.Errorf("%s: flags mismatch (-want +got):\n%s", name, diff)
	}
	rc, err := a.Open(context.Background(), f, ref)
	if err != nil {
		t.Fatalf("%s: Open() = %v", name, err)
	}
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("%s: reading body = %v", name, err)
	}
	want, err := msg.SHA256()
	if err != nil {
		t.Fatal(err)
	}
	if [32]byte(h.Sum(nil)) != want {
		t.Errorf("%s: body (%d bytes) differs from the seeded message (%d bytes)", name, n, size)
	}
}

func sortedFlags(flags []string) []string {
	out := slices.Clone(flags)
	if out == nil {
		out = []string{}
	}
	slices.Sort(out)
	return out
}

func findFolder(t *testing.T, folders []source.Folder, name string) source.Folder {
	t.Helper()
	for _, f := range folders {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no folder %q", name)
	return source.Folder{}
}

// TestDovecotLargeMessage streams a generated message of about 100 MB
// (75 MB attachment, base64) from Dovecot and checks that the client's
// allocations stay far below its size. Dovecot is another process, so the
// figure is the adapter's own.
func TestDovecotLargeMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the 100 MB message in -short mode")
	}
	msg := testserver.ManifestMessage{
		Generate: &testserver.Generator{Subject: "100 MB", Seed: "imap-large-100mb", AttachmentSize: 75 << 20},
		Date:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	d := testserver.DovecotForTest(t, &testserver.DovecotOptions{
		NoSeed:        true,
		ExtraMessages: []testserver.ExtraMessage{{User: "bob@example.test", Folder: "Large", Message: msg}},
	})
	u, _ := d.User("bob@example.test")
	a := dialDovecot(t, d, asUser(u))
	folders, err := a.Folders(context.Background())
	if err != nil {
		t.Fatalf("Folders() = %v", err)
	}
	large := findFolder(t, folders, "Large")
	var ref source.ItemRef
	for r, err := range a.Items(context.Background(), large) {
		if err != nil {
			t.Fatalf("Items() = %v", err)
		}
		ref = r
	}
	size, _ := msg.Size()
	if ref.Size != size {
		t.Fatalf("Items() size = %d, want %d", ref.Size, size)
	}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rc, err := a.Open(context.Background(), large, ref)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil || n != size {
		t.Fatalf("Read() = %d, %v; want %d bytes", n, err, size)
	}
	rc.Close()
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("streaming a %d MB message allocated %d MB", size>>20, alloc>>20)
	} else {
		t.Logf("streaming a %d MB message allocated %.1f MB", size>>20, float64(alloc)/(1<<20))
	}
	want, _ := msg.SHA256()
	if [32]byte(h.Sum(nil)) != want {
		t.Errorf("body differs from the generated message")
	}
}
