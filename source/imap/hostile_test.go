package imap

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/testserver"
)

// hostileServer is a scripted IMAP server on 127.0.0.1 for the hostile
// server tests: it greets, accepts any LOGIN, answers EXAMINE for one
// message (UIDVALIDITY 7, UID 1) and hands every UID FETCH to fetch, which
// writes whatever it likes to the connection (the tagged answer included,
// if ever). It counts the bytes fetch wrote.
type hostileServer struct {
	port    int
	written atomic.Int64
}

func startHostile(t *testing.T, fetch func(w io.Writer, tag string)) *hostileServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	hs := &hostileServer{port: ln.Addr().(*net.TCPAddr).Port}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go hs.serve(c, fetch)
		}
	}()
	return hs
}

// countWriter counts what the script writes.
type countWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func (hs *hostileServer) serve(c net.Conn, fetch func(w io.Writer, tag string)) {
	defer c.Close()
	br := bufio.NewReader(c)
	say := func(s string) { _, _ = io.WriteString(c, s) }
	say("* OK [CAPABILITY IMAP4rev1] hostile ready\r\n")
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		tag, rest, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		verb := strings.ToUpper(rest)
		switch {
		case strings.HasPrefix(verb, "CAPABILITY"):
			say("* CAPABILITY IMAP4rev1\r\n" + tag + " OK done\r\n")
		case strings.HasPrefix(verb, "LOGIN"):
			say(tag + " OK [CAPABILITY IMAP4rev1] logged in\r\n")
		case strings.HasPrefix(verb, "EXAMINE"), strings.HasPrefix(verb, "SELECT"):
			say("* 1 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 2] n\r\n" + tag + " OK [READ-ONLY] done\r\n")
		case strings.HasPrefix(verb, "UID FETCH"):
			fetch(countWriter{c, &hs.written}, tag)
			return // the script owns the connection to its end
		case strings.HasPrefix(verb, "LOGOUT"):
			say("* BYE bye\r\n" + tag + " OK done\r\n")
			return
		default:
			say(tag + " OK done\r\n")
		}
	}
}

// stream writes n bytes of b repeated, or until the connection fails.
func stream(w io.Writer, b []byte, n int64) {
	for n > 0 {
		k, err := w.Write(b[:min(int64(len(b)), n)])
		if err != nil {
			return
		}
		n -= int64(k)
	}
}

// TestHostileServers checks that a server that lies or never stops ends
// the call with an error naming the mailbox, folder and UID, and a reason,
// in bounded time and with a bounded heap.
func TestHostileServers(t *testing.T) {
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	tests := []struct {
		name    string
		timeout time.Duration
		size    int64 // RFC822.SIZE as listed (ItemRef.Size)
		fetch   func(w io.Writer, tag string)
		reason  string // in the error
		within  time.Duration
	}{
		{
			name: "10 GB literal then a dribble", size: 10 << 30, timeout: 2 * time.Second,
			fetch: func(w io.Writer, tag string) {
				_, _ = io.WriteString(w, "* 1 FETCH (UID 1 BODY[] {10737418240}\r\n")
				for {
					if _, err := w.Write(chunk[:100]); err != nil {
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			},
			reason: "limit", within: 10 * time.Second,
		},
		{
			name: "response line that never ends", size: 1000, timeout: 2 * time.Second,
			fetch: func(w io.Writer, tag string) {
				_, _ = io.WriteString(w, "* 1 FETCH (UID 1 FLAGS (")
				stream(w, chunk, 200<<20)
			},
			reason: "line", within: 20 * time.Second,
		},
		{
			name: "one byte per second", size: 100, timeout: 2 * time.Second,
			fetch: func(w io.Writer, tag string) {
				for _, b := range []byte("* 1 FETCH (UID 1 BODY[] {100}\r\n" + strings.Repeat("y", 100) + ")\r\n" + tag + " OK done\r\n") {
					if _, err := w.Write([]byte{b}); err != nil {
						return
					}
					time.Sleep(time.Second)
				}
			},
			reason: "too slow", within: 10 * time.Second,
		},
		{
			name: "literal larger than its RFC822.SIZE", size: 1000, timeout: 2 * time.Second,
			fetch: func(w io.Writer, tag string) {
				_, _ = io.WriteString(w, "* 1 FETCH (UID 1 BODY[] {150000000}\r\n")
				stream(w, chunk, 150000000)
				_, _ = io.WriteString(w, ")\r\n"+tag+" OK done\r\n")
			},
			reason: "RFC822.SIZE", within: 20 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := startHostile(t, tt.fetch)
			a, err := Dial(context.Background(), &Options{
				Host: "127.0.0.1", Port: hs.port, Security: SecurityPlain, AllowPlaintext: true, Auth: AuthLogin,
				Username: testUser, Password: testPassword, Timeout: tt.timeout, MaxRetries: -1,
			})
			if err != nil {
				t.Fatalf("Dial() = %v", err)
			}
			defer a.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			peak := testserver.HeapPeak(20 * time.Millisecond)
			start := time.Now()
			f := source.Folder{Name: "INBOX", Validity: "7"}
			var read int64
			r, err := a.Open(ctx, f, source.ItemRef{Key: Key(7, 1), Size: tt.size})
			if err == nil {
				read, err = io.Copy(io.Discard, r)
				r.Close()
			}
			took := time.Since(start)
			grew := peak()
			t.Logf("after %v, %d bytes read of %d sent, heap +%d MB: %v", took.Round(time.Millisecond), read, hs.written.Load(), grew>>20, err)
			if err == nil {
				t.Fatalf("Open and read = nil error, want one")
			}
			for _, want := range []string{`mailbox "alice"`, `folder "INBOX"`, "uid 1", tt.reason} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
			if took > tt.within {
				t.Errorf("took %v, want under %v", took, tt.within)
			}
			if grew > 64<<20 {
				t.Errorf("heap grew by %d MB, want under 64 MB", grew>>20)
			}
		})
	}
}

// TestSizeALittleOff checks that a body a little larger than its listed
// RFC822.SIZE (some servers compute it before a line-end conversion) is
// read whole: only a body over source.MaxBodySize is a lie.
func TestSizeALittleOff(t *testing.T) {
	body := strings.Repeat("z", 1100)
	hs := startHostile(t, func(w io.Writer, tag string) {
		_, _ = io.WriteString(w, "* 1 FETCH (UID 1 BODY[] {1100}\r\n"+body+")\r\n"+tag+" OK done\r\n")
	})
	a, err := Dial(context.Background(), &Options{
		Host: "127.0.0.1", Port: hs.port, Security: SecurityPlain, AllowPlaintext: true, Auth: AuthLogin,
		Username: testUser, Password: testPassword, Timeout: 2 * time.Second, MaxRetries: -1,
	})
	if err != nil {
		t.Fatalf("Dial() = %v", err)
	}
	defer a.Close()
	r, err := a.Open(context.Background(), source.Folder{Name: "INBOX", Validity: "7"}, source.ItemRef{Key: Key(7, 1), Size: 1000})
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(got) != body {
		t.Errorf("read %d bytes, err %v; want the 1,100 bytes", len(got), err)
	}
}
