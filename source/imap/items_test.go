package imap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/migrate-tool/migrate/source"
)

var baseDate = time.Date(2024, 3, 1, 9, 30, 0, 0, time.FixedZone("", 2*3600))

// seed appends n messages to mailbox, message i dated baseDate+i minutes,
// with flags depending on i, and returns the ItemRefs Items should list.
func seed(t *testing.T, fx *fixture, mailbox string, n int) []source.ItemRef {
	t.Helper()
	validity := fx.status(mailbox).UIDValidity
	var want []source.ItemRef
	for i := 0; i < n; i++ {
		body := fmt.Appendf(nil, "Subject: message %d\r\nMessage-ID: <%d@example.test>\r\n\r\nbody %d\r\n", i, i, i)
		var flags []imap.Flag
		switch i % 4 {
		case 1:
			flags = []imap.Flag{imap.FlagSeen}
		case 2:
			flags = []imap.Flag{imap.FlagSeen, imap.FlagAnswered, "$Forwarded"}
		case 3:
			flags = []imap.Flag{imap.FlagFlagged, "project-x"}
		}
		date := baseDate.Add(time.Duration(i) * time.Minute)
		uid := fx.appendMsg(mailbox, body, date, flags...)
		ref := source.ItemRef{Key: Key(validity, uint32(uid)), Size: int64(len(body)), Date: date, Flags: []string{}}
		for _, f := range flags {
			ref.Flags = append(ref.Flags, string(f))
		}
		want = append(want, ref)
	}
	return want
}

// sortFlags makes flag order irrelevant for comparisons.
func sortFlags(refs []source.ItemRef) []source.ItemRef {
	out := slices.Clone(refs)
	for i := range out {
		out[i].Flags = slices.Sorted(slices.Values(out[i].Flags))
	}
	return out
}

var cmpDates = cmp.Comparer(func(x, y time.Time) bool { return x.Equal(y) })

func TestItemsWindows(t *testing.T) {
	tests := []struct {
		name       string
		caps       []imap.Cap // nil: modern (ESEARCH)
		n          int
		window     int
		expunge    []imap.UID
		wantWindow []string
	}{
		{name: "three windows", n: 2500, window: 1000, wantWindow: []string{"1:1000", "1001:2000", "2001:2500"}},
		{name: "exact multiple", n: 20, window: 10, wantWindow: []string{"1:10", "11:20"}},
		{name: "no ESEARCH", caps: []imap.Cap{}, n: 25, window: 10, wantWindow: []string{"1:10", "11:20", "21:25"}},
		{
			name: "gaps skipped, windows count messages", n: 30, window: 10,
			expunge:    []imap.UID{2, 3, 4, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 29},
			wantWindow: []string{"1,5:10,21:23", "24:28,30"},
		},
		{name: "empty folder", n: 0, window: 10, wantWindow: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, fixtureOptions{security: SecurityTLS, caps: tt.caps})
			want := seed(t, fx, "INBOX", tt.n)
			if len(tt.expunge) > 0 {
				fx.expunge("INBOX", tt.expunge...)
				want = slices.DeleteFunc(want, func(r source.ItemRef) bool {
					_, uid, _ := ParseKey(r.Key)
					return slices.Contains(tt.expunge, imap.UID(uid))
				})
			}
			opts := fx.options(SecurityTLS)
			opts.WindowSize = tt.window
			a := fx.dial(opts)
			folders, err := a.Folders(context.Background())
			if err != nil {
				t.Fatalf("Folders() = %v", err)
			}
			before := len(fx.fetchCommands())
			got, err := collect(t, a, findFolder(t, folders, "INBOX"))
			if err != nil {
				t.Fatalf("Items() = %v", err)
			}
			if diff := cmp.Diff(sortFlags(want), sortFlags(got), cmpDates); diff != "" {
				t.Errorf("Items() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWindow, fx.fetchCommands()[before:]); diff != "" {
				t.Errorf("FETCH windows mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestItemsNoSelect(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	a := fx.dial(fx.options(SecurityTLS))
	got, err := collect(t, a, source.Folder{Name: "Archive", NoSelect: true})
	if err != nil || len(got) != 0 {
		t.Fatalf("Items(\\Noselect) = %v, %v; want nothing", got, err)
	}
}

func TestItemsValidityChanged(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	fx.mustCreate("Work")
	seed(t, fx, "Work", 3)
	a := fx.dial(fx.options(SecurityTLS))
	folders, err := a.Folders(context.Background())
	if err != nil {
		t.Fatalf("Folders() = %v", err)
	}
	work := findFolder(t, folders, "Work")
	old := fx.status("Work").UIDValidity
	fx.recreate("Work")
	seed(t, fx, "Work", 3)

	got, err := collect(t, a, work)
	if !errors.Is(err, ErrValidityChanged) {
		t.Fatalf("Items() = %v, %v; want ErrValidityChanged", got, err)
	}
	if len(got) != 0 {
		t.Errorf("Items() listed %d items before failing", len(got))
	}
	var verr *ValidityChangedError
	if !errors.As(err, &verr) || verr.Want != old || verr.Got != fx.status("Work").UIDValidity || verr.Folder != "Work" || verr.Mailbox != testUser {
		t.Errorf("Items() error = %#v", err)
	}
	// The connection is still usable.
	if _, err := a.Folders(context.Background()); err != nil {
		t.Errorf("Folders() after the error = %v", err)
	}
	if n := a.Info().Reconnects; n != 0 {
		t.Errorf("Reconnects = %d, want 0", n)
	}
}

func TestItemsInvalidValidity(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	a := fx.dial(fx.options(SecurityTLS))
	_, err := collect(t, a, source.Folder{Name: "INBOX", Validity: "x"})
	if err == nil {
		t.Fatalf("Items(Validity: x) = nil error")
	}
}

func TestItemsReconnect(t *testing.T) {
	tests := []struct {
		name string
		// kill runs in the loop body after item i (between windows), or in
		// the server while it handles the FETCH numbered fetch.
		killAfterItem int
		killOnFetch   int
	}{
		{name: "dropped between windows", killAfterItem: 25},
		{name: "dropped at a window boundary", killAfterItem: 20},
		{name: "dropped while the server answers a FETCH", killOnFetch: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, fixtureOptions{security: SecurityTLS})
			want := seed(t, fx, "INBOX", 45)
			opts := fx.options(SecurityTLS)
			opts.WindowSize = 10
			a := fx.dial(opts)
			inbox := source.Folder{Name: "INBOX", Validity: fmt.Sprint(fx.status("INBOX").UIDValidity)}
			if tt.killOnFetch > 0 {
				n := 0
				fx.onFetch(func() error {
					if n++; n == tt.killOnFetch {
						fx.kill()
						return errors.New("killed")
					}
					return nil
				})
			}
			var got []source.ItemRef
			for ref, err := range a.Items(context.Background(), inbox) {
				if err != nil {
					t.Fatalf("Items() = %v after %d items", err, len(got))
				}
				got = append(got, ref)
				if len(got) == tt.killAfterItem {
					fx.kill()
				}
			}
			if diff := cmp.Diff(sortFlags(want), sortFlags(got), cmpDates); diff != "" {
				t.Errorf("Items() mismatch, items lost or duplicated (-want +got):\n%s", diff)
			}
			if n := a.Info().Reconnects; n != 1 {
				t.Errorf("Reconnects = %d, want 1", n)
			}
		})
	}
}

func TestItemsValidityChangedAcrossReconnect(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	fx.mustCreate("Work")
	seed(t, fx, "Work", 25)
	opts := fx.options(SecurityTLS)
	opts.WindowSize = 10
	a := fx.dial(opts)
	old := fx.status("Work").UIDValidity
	work := source.Folder{Name: "Work", Validity: fmt.Sprint(old)}
	var got []source.ItemRef
	var gotErr error
	for ref, err := range a.Items(context.Background(), work) {
		if err != nil {
			gotErr = err
			break
		}
		got = append(got, ref)
		if len(got) == 10 {
			// Renumbered while we were away.
			fx.recreate("Work")
			seed(t, fx, "Work", 25)
			fx.kill()
		}
	}
	if !errors.Is(gotErr, ErrValidityChanged) {
		t.Fatalf("Items() = %v after %d items, want ErrValidityChanged", gotErr, len(got))
	}
	if len(got) != 10 {
		t.Errorf("Items() listed %d items, want the 10 of the first window only", len(got))
	}
	for _, r := range got {
		if v, _, _ := ParseKey(r.Key); v != old {
			t.Errorf("item %q mixes in the new UIDVALIDITY", r.Key)
		}
	}
}

func TestItemsRetriesAreBounded(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	seed(t, fx, "INBOX", 5)
	opts := fx.options(SecurityTLS)
	opts.MaxRetries = 2
	a := fx.dial(opts)
	fx.onFetch(func() error {
		fx.kill()
		return errors.New("killed")
	})
	_, err := collect(t, a, source.Folder{Name: "INBOX"})
	if err == nil {
		t.Fatalf("Items() = nil error with every FETCH killed")
	}
	if errors.Is(err, ErrAuth) || errors.Is(err, ErrValidityChanged) {
		t.Errorf("Items() = %v: wrong kind of error", err)
	}
	if n := fx.fetchCount(); n != 3 {
		t.Errorf("server saw %d FETCH commands, want 3 (1 + MaxRetries)", n)
	}
}

func TestItemsStopEarly(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	want := seed(t, fx, "INBOX", 30)
	opts := fx.options(SecurityTLS)
	opts.WindowSize = 10
	a := fx.dial(opts)
	inbox := source.Folder{Name: "INBOX"}
	for range a.Items(context.Background(), inbox) {
		break
	}
	got, err := collect(t, a, inbox)
	if err != nil || len(got) != len(want) {
		t.Fatalf("Items() after an early break = %d items, %v; want %d", len(got), err, len(want))
	}
	if n := a.Info().Reconnects; n != 0 {
		t.Errorf("Reconnects = %d, want 0", n)
	}
}

func TestItemsCancelled(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	seed(t, fx, "INBOX", 30)
	opts := fx.options(SecurityTLS)
	opts.WindowSize = 10
	a := fx.dial(opts)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	var gotErr error
	for _, err := range a.Items(ctx, source.Folder{Name: "INBOX"}) {
		if err != nil {
			gotErr = err
			break
		}
		if n++; n == 5 {
			cancel()
		}
	}
	if !errors.Is(gotErr, context.Canceled) {
		t.Fatalf("Items(cancelled) = %v, want context.Canceled", gotErr)
	}
	// A new context works again.
	if got, err := collect(t, a, source.Folder{Name: "INBOX"}); err != nil || len(got) != 30 {
		t.Fatalf("Items() after cancel = %d, %v", len(got), err)
	}
}

func TestNextWindow(t *testing.T) {
	set := imap.UIDSet{{Start: 1, Stop: 3}, {Start: 7, Stop: 7}, {Start: 10, Stop: 20}}
	tests := []struct {
		after imap.UID
		n     int
		want  string
	}{
		{0, 2, "1:2"},
		{0, 4, "1:3,7"},
		{0, 100, "1:3,7,10:20"},
		{2, 3, "3,7,10"},
		{7, 5, "10:14"},
		{20, 5, ""},
		{5, 1, "7"},
	}
	for _, tt := range tests {
		if got := nextWindow(set, tt.after, tt.n).String(); got != tt.want {
			t.Errorf("nextWindow(%v, %d, %d) = %q, want %q", set, tt.after, tt.n, got, tt.want)
		}
	}
}

func TestNormalise(t *testing.T) {
	in := imap.UIDSet{{Start: 10, Stop: 12}, {Start: 1, Stop: 1}, {Start: 5, Stop: 3}, {Start: 2, Stop: 2}, {Start: 13, Stop: 13}, {Start: 4, Stop: 0}}
	if got, want := normalise(in).String(), "1:5,10:13"; got != want {
		t.Errorf("normalise(%v) = %q, want %q", in, got, want)
	}
}

func TestKeys(t *testing.T) {
	if got := Key(1700000000, 42); got != "1700000000.42" {
		t.Errorf("Key() = %q", got)
	}
	for _, bad := range []string{"", "1", "1.", ".1", "0.1", "1.0", "x.1", "1.2.3", "4294967296.1"} {
		if _, _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) = nil error", bad)
		}
	}
	v, u, err := ParseKey("4294967295.7")
	if err != nil || v != 4294967295 || u != 7 {
		t.Errorf("ParseKey() = %d, %d, %v", v, u, err)
	}
}
