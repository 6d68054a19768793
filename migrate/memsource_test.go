package migrate

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/source/testserver"
)

// memSources are the seed mailboxes (source/testserver/seed) in in-memory
// sources: the engine's tests need no server.
type memSources struct {
	Manifest *testserver.Manifest
	byUser   map[string]*sourcetest.Memory
	password map[string]string
}

// seedMemory loads the seed corpus into one sourcetest.Memory per user.
func seedMemory(t testing.TB) *memSources {
	t.Helper()
	man, err := testserver.LoadManifest("") // the embedded seed corpus
	if err != nil {
		t.Fatal(err)
	}
	s := &memSources{Manifest: man, byUser: map[string]*sourcetest.Memory{}, password: map[string]string{}}
	for _, u := range man.Users {
		mem := sourcetest.NewMemory()
		for _, f := range u.Folders {
			mem.AddFolder(f.Name, source.SpecialUse(f.SpecialUse), "")
			for _, msg := range f.Messages {
				b, err := msg.Bytes()
				if err != nil {
					t.Fatal(err)
				}
				mem.Add(f.Name, b, msg.Date, msg.Flags...)
			}
		}
		s.byUser[strings.ToLower(u.Name)] = mem
		s.password[strings.ToLower(u.Name)] = u.Password
	}
	return s
}

// user returns the in-memory source of a user.
func (s *memSources) user(name string) *sourcetest.Memory { return s.byUser[strings.ToLower(name)] }

// open is a SourceOpener: it checks the row's password like a server, and
// logs as an adapter does, with a component of its own on the logger it is
// given (which, under migrate/logcheck, fails a test when the engine's
// logger already names a component).
func (s *memSources) open(ctx context.Context, m config.Mailbox, log *slog.Logger) (source.Account, error) {
	log = log.With("component", "memory", "user", m.UserName)
	name := strings.ToLower(m.UserName)
	mem, ok := s.byUser[name]
	if !ok || s.password[name] != m.Password.Value() {
		err := fmt.Errorf("memory source: login as %s: %w", m.UserName, source.ErrAuth)
		log.Warn("login refused", "err", err)
		return nil, err
	}
	log.Debug("connected")
	return mem.Open(ctx)
}

// mailboxes returns a CSV row per seeded user.
func (s *memSources) mailboxes() []config.Mailbox {
	var out []config.Mailbox
	for _, u := range s.Manifest.Users {
		out = append(out, config.Mailbox{EmailAddress: u.Name, UserName: u.Name, Password: config.NewSecret(u.Password), Protocol: "imap", Host: "memory", Port: 993, Security: "tls"})
	}
	return out
}
