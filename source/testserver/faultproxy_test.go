package testserver

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// blobServer listens on 127.0.0.1; each connection reads "hello" and then
// is sent blob and closed. It returns the address and a counter of
// accepted connections.
func blobServer(t *testing.T, blob []byte) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				defer c.Close()
				hello := make([]byte, 5)
				if _, err := io.ReadFull(c, hello); err != nil || string(hello) != "hello" {
					return
				}
				_, _ = c.Write(blob)
			}()
		}
	}()
	return ln.Addr().String(), &accepted
}

func TestFaultProxy(t *testing.T) {
	blob := bytes.Repeat([]byte("0123456789abcdef"), 4<<10) // 64 KiB
	tests := []struct {
		name      string
		fault     ProxyFault
		want      int           // bytes the client reads before EOF or the deadline
		timeout   bool          // the read ends at the deadline, not EOF
		minTime   time.Duration // the read takes at least this long
		stats     ProxyStats
		dialsWant int32 // connections the server accepted
	}{
		{name: "none", want: len(blob), stats: ProxyStats{Conns: 1, ToClient: int64(len(blob)), ToServer: 5}, dialsWant: 1},
		{name: "cut", fault: ProxyFault{CutAfter: 10000}, want: 10000, stats: ProxyStats{Conns: 1, Cuts: 1, ToClient: 10000, ToServer: 5}, dialsWant: 1},
		{name: "stall", fault: ProxyFault{Stall: true}, want: 0, timeout: true, stats: ProxyStats{Conns: 1, Stalls: 1}, dialsWant: 0},
		{name: "latency", fault: ProxyFault{Latency: 100 * time.Millisecond}, want: len(blob), minTime: 200 * time.Millisecond, stats: ProxyStats{Conns: 1, ToClient: int64(len(blob)), ToServer: 5}, dialsWant: 1},
		{name: "bandwidth", fault: ProxyFault{BytesPerSecond: 256 << 10}, want: len(blob), minTime: 240 * time.Millisecond, stats: ProxyStats{Conns: 1, ToClient: int64(len(blob)), ToServer: 5}, dialsWant: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, accepted := blobServer(t, blob)
			p := FaultProxyForTest(t, FaultProxyOptions{Target: addr, Faults: func(int) ProxyFault { return tt.fault }})
			c, err := net.Dial("tcp", p.Addr)
			if err != nil {
				t.Fatalf("Dial(%s) = %v", p.Addr, err)
			}
			defer c.Close()
			start := time.Now()
			if _, err := c.Write([]byte("hello")); err != nil {
				t.Fatalf("Write() = %v", err)
			}
			deadline := 2 * time.Second
			if tt.timeout {
				deadline = 300 * time.Millisecond
			}
			if err := c.SetReadDeadline(time.Now().Add(deadline)); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(c)
			took := time.Since(start)
			if timedOut := errors.Is(err, os.ErrDeadlineExceeded); timedOut != tt.timeout {
				t.Fatalf("ReadAll() = %d bytes, %v; want timeout %v", len(got), err, tt.timeout)
			}
			if err != nil && !tt.timeout {
				t.Fatalf("ReadAll() = %v", err)
			}
			if len(got) != tt.want || !bytes.Equal(got, blob[:len(got)]) {
				t.Errorf("read %d bytes (prefix of what was sent: %v), want %d", len(got), bytes.Equal(got, blob[:len(got)]), tt.want)
			}
			if took < tt.minTime {
				t.Errorf("the read took %v, want at least %v", took, tt.minTime)
			}
			c.Close()
			if err := p.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				t.Errorf("Close() = %v", err)
			}
			if got := p.Stats(); got != tt.stats {
				t.Errorf("Stats() = %+v, want %+v", got, tt.stats)
			}
			if n := accepted.Load(); n != tt.dialsWant {
				t.Errorf("the server accepted %d connections, want %d", n, tt.dialsWant)
			}
		})
	}
}

// TestFaultProxyPerConnection checks that Faults is asked once per
// connection, in accept order, and that Close ends a stalled connection.
func TestFaultProxyPerConnection(t *testing.T) {
	addr, _ := blobServer(t, []byte("payload"))
	p := FaultProxyForTest(t, FaultProxyOptions{Target: addr, Faults: func(n int) ProxyFault {
		return ProxyFault{Stall: n == 0}
	}})
	stalled, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	for i := range 2 {
		// Accept order is dial order only once the first is accepted.
		for p.Stats().Conns < 1 {
			time.Sleep(time.Millisecond)
		}
		c, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(c)
		c.Close()
		if err != nil || string(got) != "payload" {
			t.Fatalf("connection %d: ReadAll() = %q, %v; want payload", i+1, got, err)
		}
	}
	closed := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(stalled)
		closed <- err
	}()
	p.Close()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal("the stalled connection is still open 2 s after Close")
	}
	if s := p.Stats(); s.Conns != 3 || s.Stalls != 1 {
		t.Errorf("Stats() = %+v, want 3 connections, 1 stall", s)
	}
}
