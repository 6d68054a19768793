package pop3

import (
	"context"
	"slices"
	"testing"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/testserver"
)

// listKeys lists INBOX's keys in a new session.
func (fx *memFixture) listKeys(t *testing.T) []string {
	t.Helper()
	a := fx.dial(nil)
	defer a.Close()
	var keys []string
	for ref, err := range a.Items(context.Background(), inbox()) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, ref.Key)
	}
	return keys
}

func count(verbs []string, verb string) int {
	n := 0
	for _, v := range verbs {
		if v == verb {
			n++
		}
	}
	return n
}

// TestDelete deletes some keys of an in-process maildrop (with UIDL and
// with fallback keys): DELE is sent for exactly those keys, then QUIT;
// a key the server does not list is reported, not an error; a session
// dropped before QUIT was answered deletes nothing (RFC 1939 section 6),
// and Delete says so after listing the maildrop again.
func TestDelete(t *testing.T) {
	for _, tc := range []struct {
		name   string
		noUIDL bool
		del    []int // positions in seed's keys
		// dropAt closes the connection before the n-th command of the
		// Delete (1: its LIST); 0 never.
		dropAt      int
		wantDeleted []int
		wantErr     bool
	}{
		{name: "UIDL", del: []int{0, 2}, wantDeleted: []int{0, 2}},
		{name: "fallback keys", noUIDL: true, del: []int{1, 5}, wantDeleted: []int{1, 5}},
		{name: "dropped at the second DELE", del: []int{0, 2}, dropAt: 4, wantErr: true},
		{name: "dropped at QUIT", del: []int{0, 2}, dropAt: 5, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := startMem(t, testserver.MemPOP3Options{AllowDelete: true, NoUIDL: tc.noUIDL})
			keys := fx.seed(tc.noUIDL)
			a := fx.dial(nil)
			var del []string
			for _, i := range tc.del {
				del = append(del, keys[i])
			}
			before := len(fx.srv.Commands())
			if tc.dropAt > 0 {
				fx.srv.DropBeforeCommand(tc.dropAt)
			}
			res, err := a.Delete(context.Background(), inbox(), append(del, "no-such-key"))
			if (err != nil) != tc.wantErr {
				t.Fatalf("Delete() error = %v, want error %v", err, tc.wantErr)
			}
			var want []string
			for _, i := range tc.wantDeleted {
				want = append(want, keys[i])
			}
			if !slices.Equal(res.Deleted, want) {
				t.Errorf("Deleted = %q, want %q", res.Deleted, want)
			}
			if !tc.wantErr && !slices.Equal(res.NotFound, []string{"no-such-key"}) {
				t.Errorf("NotFound = %q, want the unknown key", res.NotFound)
			}
			var size int64
			for _, k := range want {
				size += int64(len(fx.msgs[fx.uidl[k]]))
			}
			if res.Bytes != size {
				t.Errorf("Bytes = %d, want %d", res.Bytes, size)
			}
			cmds := fx.srv.Commands()[before:]
			if n := count(cmds, "DELE"); tc.dropAt == 0 && n != len(del) || n > len(del) {
				t.Errorf("%d DELE sent (%q), want %d", n, cmds, len(del))
			}
			if count(cmds, "RSET") != 0 {
				t.Errorf("RSET sent: %q", cmds)
			}
			var kept []string
			for i, k := range keys {
				if !slices.Contains(tc.wantDeleted, i) {
					kept = append(kept, k)
				}
			}
			if got := fx.listKeys(t); !slices.Equal(got, kept) {
				t.Errorf("the maildrop lists %q, want %q", got, kept)
			}
		})
	}
}

// TestDeleteNothing sends no DELE for no keys, and refuses another folder.
func TestDeleteNothing(t *testing.T) {
	fx := startMem(t, testserver.MemPOP3Options{AllowDelete: true})
	fx.seed(false)
	a := fx.dial(nil)
	before := len(fx.srv.Commands())
	if res, err := a.Delete(context.Background(), inbox(), nil); err != nil || len(res.Deleted) != 0 {
		t.Errorf("Delete(nil) = %+v, %v", res, err)
	}
	if _, err := a.Delete(context.Background(), source.Folder{Name: "Sent", Path: []string{"Sent"}}, []string{"x"}); err == nil {
		t.Error("Delete in a folder other than INBOX: no error")
	}
	if cmds := fx.srv.Commands()[before:]; count(cmds, "DELE") != 0 {
		t.Errorf("commands %q, want no DELE", cmds)
	}
}
