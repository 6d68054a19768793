package imap

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/testserver"
)

// readAll opens ref and returns its content.
func readAll(t *testing.T, a *Account, f source.Folder, ref source.ItemRef) []byte {
	t.Helper()
	rc, err := a.Open(context.Background(), f, ref)
	if err != nil {
		t.Fatalf("Open(%s) = %v", ref.Key, err)
	}
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("ReadAll(%s) = %v", ref.Key, err)
	}
	if err := rc.Close(); err != nil {
		t.Fatalf("Close(%s) = %v", ref.Key, err)
	}
	return b
}

func TestOpen(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	bodies := [][]byte{
		[]byte("From: a@example.test\r\nSubject: one\r\n\r\nfirst\r\n"),
		[]byte("From: b@example.test\r\nSubject: =?UTF-8?Q?gr=C3=BC=C3=9Fe?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGrüße\r\n"),
		append([]byte("Subject: binary-ish\r\n\r\n"), bytes.Repeat([]byte{0x00, 0xff, 'x', '\r', '\n'}, 1000)...),
		[]byte("Subject: headers only\r\n\r\n"),
	}
	for _, b := range bodies {
		fx.appendMsg("INBOX", b, baseDate)
	}
	unseen := *fx.status("INBOX").NumUnseen
	opts := fx.options(SecurityTLS)
	trace := &syncBuffer{}
	opts.Trace = trace
	a := fx.dial(opts)
	folders, err := a.Folders(context.Background())
	if err != nil {
		t.Fatalf("Folders() = %v", err)
	}
	inbox := findFolder(t, folders, "INBOX")
	refs, err := collect(t, a, inbox)
	if err != nil || len(refs) != len(bodies) {
		t.Fatalf("Items() = %d, %v", len(refs), err)
	}
	for i, ref := range refs {
		if got := readAll(t, a, inbox, ref); !bytes.Equal(got, bodies[i]) {
			t.Errorf("Open(%s) = %q, want %q", ref.Key, got, bodies[i])
		}
		if ref.Size != int64(len(bodies[i])) {
			t.Errorf("item %s: Size = %d, want %d", ref.Key, ref.Size, len(bodies[i]))
		}
	}

	// Nothing was marked read, and only read-only commands were sent.
	if got := *fx.status("INBOX").NumUnseen; got != unseen {
		t.Errorf("unseen messages = %d after Open, want %d", got, unseen)
	}
	again, err := collect(t, a, inbox)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again {
		for _, f := range r.Flags {
			if f == `\Seen` {
				t.Errorf("item %s is \\Seen after Open", r.Key)
			}
		}
	}
	assertReadOnly(t, fx, trace.String())
	if !strings.Contains(trace.String(), "BODY.PEEK[]") {
		t.Errorf("trace shows no BODY.PEEK[]:\n%s", trace)
	}
}

// assertReadOnly checks that the client sent nothing that can change the
// mailbox.
func assertReadOnly(t *testing.T, fx *fixture, trace string) {
	t.Helper()
	forbidden := []string{"STORE", "EXPUNGE", "SELECT", "APPEND", "CREATE", "DELETE", "RENAME", "COPY", "MOVE", "SUBSCRIBE", "BODY[", "CLOSE"}
	for _, line := range strings.Split(trace, "\n") {
		if !strings.HasPrefix(line, "C: ") {
			continue
		}
		for _, f := range forbidden {
			if strings.Contains(strings.ToUpper(line), " "+f) || strings.Contains(strings.ToUpper(line), "("+f) {
				t.Errorf("client sent a command that may modify the source: %q", line)
			}
		}
	}
	for _, c := range fx.serverCommands() {
		if strings.HasPrefix(c, "SELECT ") {
			t.Errorf("server saw %q, want EXAMINE only", c)
		}
	}
}

func TestOpenInsideItemsLoop(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	fx.mustCreate("Other")
	seed(t, fx, "INBOX", 25)
	other := seed(t, fx, "Other", 1)
	opts := fx.options(SecurityTLS)
	opts.WindowSize = 10
	trace := &syncBuffer{}
	opts.Trace = trace
	a := fx.dial(opts)
	inbox := source.Folder{Name: "INBOX", Validity: fmt.Sprint(fx.status("INBOX").UIDValidity)}
	otherF := source.Folder{Name: "Other", Validity: fmt.Sprint(fx.status("Other").UIDValidity)}
	n := 0
	for ref, err := range a.Items(context.Background(), inbox) {
		if err != nil {
			t.Fatalf("Items() = %v after %d", err, n)
		}
		body := readAll(t, a, inbox, ref)
		if want := fmt.Sprintf("Subject: message %d\r\n", n); !bytes.HasPrefix(body, []byte(want)) {
			t.Errorf("item %s: body %q, want it to start %q", ref.Key, body, want)
		}
		if n%7 == 0 {
			// Switch folders in the middle of the listing.
			readAll(t, a, otherF, other[0])
		}
		n++
	}
	if n != 25 {
		t.Errorf("Items() listed %d, want 25", n)
	}
	assertReadOnly(t, fx, trace.String())
}

func TestOpenBusy(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	refs := seed(t, fx, "INBOX", 2)
	a := fx.dial(fx.options(SecurityTLS))
	inbox := source.Folder{Name: "INBOX"}
	rc, err := a.Open(context.Background(), inbox, refs[0])
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	if _, err := a.Folders(context.Background()); !errors.Is(err, ErrBusy) {
		t.Errorf("Folders() with a reader open = %v, want ErrBusy", err)
	}
	if _, err := a.Open(context.Background(), inbox, refs[1]); !errors.Is(err, ErrBusy) {
		t.Errorf("Open() with a reader open = %v, want ErrBusy", err)
	}
	if _, err := collect(t, a, inbox); !errors.Is(err, ErrBusy) {
		t.Errorf("Items() with a reader open = %v, want ErrBusy", err)
	}
	if err := rc.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := rc.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}
	if _, err := rc.Read(make([]byte, 1)); err == nil {
		t.Errorf("Read() after Close() = nil error")
	}
	if _, err := a.Folders(context.Background()); err != nil {
		t.Errorf("Folders() after Close() = %v", err)
	}
}

func TestOpenCloseEarly(t *testing.T) {
	tests := []struct {
		name           string
		size           int64
		wantReconnects int
	}{
		{"little left: drained", 512 << 10, 0},
		{"much left: connection dropped", 8 << 20, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, fixtureOptions{security: SecurityTLS})
			fx.addBig("Big", tt.size)
			a := fx.dial(fx.options(SecurityTLS))
			big := source.Folder{Name: "Big"}
			ref := source.ItemRef{Key: Key(fx.status("Big").UIDValidity, 1)}
			rc, err := a.Open(context.Background(), big, ref)
			if err != nil {
				t.Fatalf("Open() = %v", err)
			}
			if _, err := io.ReadFull(rc, make([]byte, 1000)); err != nil {
				t.Fatalf("Read() = %v", err)
			}
			if err := rc.Close(); err != nil {
				t.Fatalf("Close() = %v", err)
			}
			// The account works; the whole body is still there.
			got := readAll(t, a, big, ref)
			if int64(len(got)) != tt.size {
				t.Errorf("second Open() read %d bytes, want %d", len(got), tt.size)
			}
			if n := a.Info().Reconnects; n != tt.wantReconnects {
				t.Errorf("Reconnects = %d, want %d", n, tt.wantReconnects)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	fx.mustCreate("Work")
	refs := seed(t, fx, "Work", 3)
	a := fx.dial(fx.options(SecurityTLS))
	validity := fx.status("Work").UIDValidity
	work := source.Folder{Name: "Work", Validity: fmt.Sprint(validity)}

	fx.expunge("Work", 2)
	if _, err := a.Open(context.Background(), work, refs[1]); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open(expunged) = %v, want ErrNotFound", err)
	}
	if _, err := a.Open(context.Background(), work, source.ItemRef{Key: "nonsense"}); err == nil {
		t.Errorf("Open(bad key) = nil error")
	}
	if _, err := a.Open(context.Background(), work, source.ItemRef{Key: Key(validity+1, 1)}); !errors.Is(err, ErrValidityChanged) {
		t.Errorf("Open(key of another generation) = %v, want ErrValidityChanged", err)
	}
	if _, err := a.Open(context.Background(), source.Folder{Name: "Nope"}, refs[0]); !errors.Is(err, ErrNotFound) || !errors.Is(err, source.ErrNotFound) {
		t.Errorf("Open(missing folder) = %v, want an EXAMINE error matching ErrNotFound", err)
	}

	fx.recreate("Work")
	seed(t, fx, "Work", 3)
	_, err := a.Open(context.Background(), work, refs[0])
	var verr *ValidityChangedError
	if !errors.As(err, &verr) || verr.Want != validity {
		t.Errorf("Open(after renumbering) = %v, want a ValidityChangedError", err)
	}
	// None of this needed a new connection.
	if n := a.Info().Reconnects; n != 0 {
		t.Errorf("Reconnects = %d, want 0", n)
	}
}

func TestOpenResumesAfterDrop(t *testing.T) {
	// Larger than what socket buffers can hold, so the drop cuts the body.
	const size = 48 << 20
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	fx.addBig("Big", size)
	opts := fx.options(SecurityTLS)
	trace := &syncBuffer{}
	opts.Trace = trace
	a := fx.dial(opts)
	big := source.Folder{Name: "Big"}
	ref := source.ItemRef{Key: Key(fx.status("Big").UIDValidity, 1)}
	rc, err := a.Open(context.Background(), big, ref)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.CopyN(h, rc, 1<<20); err != nil {
		t.Fatalf("Read() = %v", err)
	}
	fx.kill()
	n, err := io.Copy(h, rc)
	if err != nil {
		t.Fatalf("Read() after the drop = %v", err)
	}
	if n+1<<20 != size {
		t.Errorf("read %d bytes in all, want %d", n+1<<20, size)
	}
	want := sha256.New()
	io.Copy(want, io.NewSectionReader(testserver.LargeMessage(size), 0, size))
	if !bytes.Equal(h.Sum(nil), want.Sum(nil)) {
		t.Errorf("resumed body differs from the original")
	}
	if got := a.Info().Reconnects; got != 1 {
		t.Errorf("Reconnects = %d, want 1", got)
	}
	// The resuming fetch asks for exactly the rest, from where the
	// stream broke (past what the kernel had buffered when it did).
	m := regexp.MustCompile(`C: T\d+ UID FETCH 1 \(UID BODY\.PEEK\[\]<(\d+)\.(\d+)>\)`).FindStringSubmatch(trace.String())
	if m == nil {
		t.Fatalf("trace shows no resuming fetch")
	}
	off, _ := strconv.ParseInt(m[1], 10, 64)
	n, _ = strconv.ParseInt(m[2], 10, 64)
	if off < 1<<20 || off+n != size {
		t.Errorf("resumed with BODY.PEEK[]<%d.%d>, want an offset past 1 MiB and the rest of %d bytes", off, n, size)
	}
}

func TestOpenResumeGivesUp(t *testing.T) {
	const size = 16 << 20
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	fx.addBig("Big", size)
	opts := fx.options(SecurityTLS)
	opts.MaxRetries = 2
	a := fx.dial(opts)
	big := source.Folder{Name: "Big"}
	ref := source.ItemRef{Key: Key(fx.status("Big").UIDValidity, 1)}
	rc, err := a.Open(context.Background(), big, ref)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer rc.Close()
	if _, err := io.CopyN(io.Discard, rc, 1<<20); err != nil {
		t.Fatalf("Read() = %v", err)
	}
	// From now on every FETCH dies.
	fx.onFetch(func() error {
		fx.kill()
		return errors.New("killed")
	})
	fx.kill()
	_, err = io.Copy(io.Discard, rc)
	if err == nil || errors.Is(err, io.ErrUnexpectedEOF) && false {
		t.Fatalf("Read() with the server failing = %v, want an error", err)
	}
	if !strings.Contains(err.Error(), `uid 1`) || !strings.Contains(err.Error(), `"Big"`) {
		t.Errorf("error %q does not name the folder and UID", err)
	}
}

func TestOpenCancelled(t *testing.T) {
	const size = 32 << 20
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	fx.addBig("Big", size)
	a := fx.dial(fx.options(SecurityTLS))
	big := source.Folder{Name: "Big"}
	ref := source.ItemRef{Key: Key(fx.status("Big").UIDValidity, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc, err := a.Open(ctx, big, ref)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	if _, err := io.CopyN(io.Discard, rc, 1<<20); err != nil {
		t.Fatalf("Read() = %v", err)
	}
	cancel()
	if _, err := io.Copy(io.Discard, rc); !errors.Is(err, context.Canceled) {
		t.Errorf("Read() after cancel = %v, want context.Canceled", err)
	}
	if err := rc.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if got := readAll(t, a, big, ref); len(got) != size {
		t.Errorf("Open() after cancel read %d bytes, want %d", len(got), size)
	}
}

func TestOpenServerStalls(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	refs := seed(t, fx, "INBOX", 1)
	opts := fx.options(SecurityTLS)
	opts.Timeout = 500 * time.Millisecond
	opts.MaxRetries = 1
	a := fx.dial(opts)
	stall := make(chan struct{})
	defer close(stall)
	fx.onFetch(func() error {
		<-stall
		return errors.New("stalled")
	})
	start := time.Now()
	_, err := a.Open(context.Background(), source.Folder{Name: "INBOX"}, refs[0])
	if err == nil {
		t.Fatalf("Open() from a stalled server = nil error")
	}
	// Two timeouts of 500ms; each wait must count once (imapclient reads
	// again after an error, which must not restart the clock).
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Open() took %v to give up, want about 2 x 500ms", d)
	}
	if n := fx.fetchCount(); n != 2 {
		t.Errorf("server saw %d FETCH, want 2 (1 + MaxRetries)", n)
	}
}

func TestOpenMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 100 MB")
	}
	const size = 100 << 20
	fx := newFixture(t, fixtureOptions{security: SecurityPlain})
	fx.addBig("Big", size)
	a := fx.dial(fx.options(SecurityPlain))
	big := source.Folder{Name: "Big"}
	ref := source.ItemRef{Key: Key(fx.status("Big").UIDValidity, 1)}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rc, err := a.Open(context.Background(), big, ref)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	n, err := io.Copy(io.Discard, rc)
	if err != nil || n != size {
		t.Fatalf("Read() = %d, %v; want %d bytes", n, err, size)
	}
	rc.Close()
	runtime.ReadMemStats(&after)
	// Client and server share the process: everything allocated while
	// streaming counts, and must stay far below the message's size.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("streaming a %d MiB message allocated %d MiB", size>>20, alloc>>20)
	} else {
		t.Logf("streaming %d MiB allocated %.1f MiB", size>>20, float64(alloc)/(1<<20))
	}
}

// TestDropWhileBodyPending drops the connection while a body's literal is
// delivered but not read, as happens when the run's context ends just as
// a FETCH answers: imapclient's reader goroutine waits for the literal to
// be consumed, so the drop must consume it, or it waits forever.
func TestDropWhileBodyPending(t *testing.T) {
	const size = 8 << 20
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	fx.addBig("Big", size)
	a := fx.dial(fx.options(SecurityTLS))
	big := source.Folder{Name: "Big"}
	ref := source.ItemRef{Key: Key(fx.status("Big").UIDValidity, 1)}
	rc, err := a.Open(context.Background(), big, ref)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	dropped := make(chan struct{})
	go func() {
		a.mu.Lock()
		a.drop()
		a.mu.Unlock()
		close(dropped)
	}()
	select {
	case <-dropped:
	case <-time.After(10 * time.Second):
		t.Fatal("drop() with a body pending did not return within 10s")
	}
	if _, err := io.Copy(io.Discard, rc); err == nil {
		t.Error("Read() after the connection was dropped = nil error, want one (the body was discarded)")
	}
	if err := rc.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if got := readAll(t, a, big, ref); len(got) != size {
		t.Errorf("Open() after the drop read %d bytes, want %d", len(got), size)
	}
}
