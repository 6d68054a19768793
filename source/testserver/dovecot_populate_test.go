package testserver

import (
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/migrate-tool/migrate/source/testserver/mailgen"
)

// TestDovecotPopulate serves a mailbox package mailgen wrote as a Maildir:
// every folder with its non-ASCII name, the number of messages written,
// the \Seen flags of the file names, and the first message's size.
func TestDovecotPopulate(t *testing.T) {
	t.Parallel()
	stats := map[string]mailgen.Stats{}
	d := DovecotForTest(t, &DovecotOptions{NoSeed: true, Populate: func(user, dir string) error {
		st, err := mailgen.WriteMaildir(t.Context(), dir, &mailgen.Options{Seed: 3, Messages: 200, MaxSize: 1 << 20})
		stats[user] = st
		return err
	}})
	c, err := DialIMAPS(t.Context(), d.IMAPSAddr(), d.TLSConfig())
	if err != nil {
		t.Fatalf("DialIMAPS() = %v", err)
	}
	defer c.Close()
	u := d.Users[0]
	login(t, c, u.Name, u.Password)
	got := listFolders(t, c)
	st := stats[u.Name]
	total := 0
	for _, name := range mailgen.FolderNames() {
		if _, ok := got[name]; !ok {
			t.Errorf("folder %q missing; Dovecot lists %v", name, mapKeys(got))
			continue
		}
		data, err := c.Status(name, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			t.Fatalf("Status(%q).Wait() = %v", name, err)
		}
		if n := int(*data.NumMessages); n != st.Folders[name] {
			t.Errorf("%s: %d messages, mailgen wrote %d", name, n, st.Folders[name])
		}
		total += st.Folders[name]
	}
	if total != st.Messages || total != 200 {
		t.Errorf("%d messages in the folders, mailgen wrote %d, want 200", total, st.Messages)
	}
}
