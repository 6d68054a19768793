package pop3

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

// startHostile runs a scripted POP3 server on 127.0.0.1: it greets, takes
// any USER/PASS, lists one message with UIDL "m1" and hands LIST and RETR
// to the scripts (nil: an honest answer), which write what they like. It
// returns the port and a counter of the bytes the scripts wrote.
func startHostile(t *testing.T, list, retr func(w io.Writer)) (int, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var written atomic.Int64
	serve := func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		say := func(s string) { _, _ = io.WriteString(c, s) }
		w := counting{c, &written}
		say("+OK hostile ready\r\n")
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			verb, _, _ := strings.Cut(strings.ToUpper(strings.TrimSpace(line)), " ")
			switch verb {
			case "CAPA":
				say("+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n")
			case "UIDL":
				say("+OK\r\n1 m1\r\n.\r\n")
			case "STAT":
				say("+OK 1 100\r\n")
			case "LIST":
				if list == nil {
					say("+OK\r\n1 100\r\n.\r\n")
					continue
				}
				list(w)
				return
			case "RETR":
				retr(w)
				return
			case "QUIT":
				say("+OK bye\r\n")
				return
			default:
				say("+OK\r\n")
			}
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, &written
}

type counting struct {
	w io.Writer
	n *atomic.Int64
}

func (c counting) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func repeatLines(w io.Writer, line []byte, n int64) {
	chunk := bytes.Repeat(line, (64<<10)/len(line))
	for n > 0 {
		k, err := w.Write(chunk[:min(int64(len(chunk)), n)])
		if err != nil {
			return
		}
		n -= int64(k)
	}
}

// TestHostileServers checks that a POP3 server that lies about sizes or
// never stops ends the call with an error naming the mailbox (and the
// message) and a reason, in bounded time and with a bounded heap.
func TestHostileServers(t *testing.T) {
	tests := []struct {
		name   string
		list   func(w io.Writer)
		retr   func(w io.Writer)
		reason []string
	}{
		{
			name: "RETR that never ends",
			retr: func(w io.Writer) {
				_, _ = io.WriteString(w, "+OK\r\n")
				repeatLines(w, []byte("an endless line of the message body\r\n"), 200<<20)
			},
			reason: []string{`key "m1"`, "LIST"},
		},
		{
			name: "LIST size that lies",
			retr: func(w io.Writer) {
				_, _ = io.WriteString(w, "+OK\r\n")
				repeatLines(w, []byte("far more than listed\r\n"), 22*240000)
				_, _ = io.WriteString(w, ".\r\n")
			},
			reason: []string{`key "m1"`, "LIST"},
		},
		{
			name: "endless line",
			list: func(w io.Writer) {
				_, _ = io.WriteString(w, "+OK\r\n1 ")
				repeatLines(w, []byte("1234567890"), 200<<20)
			},
			reason: []string{"longer than"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, written := startHostile(t, tt.list, tt.retr)
			a, err := Dial(context.Background(), &Options{
				Host: "127.0.0.1", Port: port, Security: SecurityPlain, AllowPlaintext: true,
				Username: memUser.Name, Password: memUser.Password, Timeout: 2 * time.Second, MaxRetries: -1,
			})
			if err != nil {
				t.Fatalf("Dial() = %v", err)
			}
			defer a.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			peak := testserver.HeapPeak(20 * time.Millisecond)
			start := time.Now()
			var read int64
			r, err := a.Open(ctx, inbox(), source.ItemRef{Key: "m1"})
			if err == nil {
				read, err = io.Copy(io.Discard, r)
				r.Close()
			}
			took, grew := time.Since(start), peak()
			t.Logf("after %v, %d bytes read of %d sent, heap +%d MB: %v", took.Round(time.Millisecond), read, written.Load(), grew>>20, err)
			if err == nil {
				t.Fatal("Open and read = nil error, want one")
			}
			for _, want := range append([]string{`mailbox "alice"`}, tt.reason...) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
			if took > 10*time.Second {
				t.Errorf("took %v, want under 10s", took)
			}
			if grew > 64<<20 {
				t.Errorf("heap grew by %d MB, want under 64 MB", grew>>20)
			}
		})
	}
}
