package testserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// ProxyFault is what a [FaultProxy] does to one connection. The zero value
// forwards the connection unchanged. The proxy forwards bytes, so TLS
// passes through it: faults apply to the encrypted stream.
type ProxyFault struct {
	// CutAfter, when positive, closes both sides of the connection once
	// that many bytes from the server have been forwarded to the client;
	// the rest of the chunk that crosses the limit is dropped. A cut
	// inside a large FETCH or RETR response ends the connection
	// mid-literal.
	CutAfter int64
	// Stall accepts the connection and never connects to the server: what
	// the client sends is read and dropped, nothing is ever sent back and
	// the connection stays open until the client closes it or the proxy
	// is closed (a half-open peer that never answers).
	Stall bool
	// Latency is slept before each chunk is forwarded, in both directions.
	Latency time.Duration
	// BytesPerSecond, when positive, caps the rate of the server-to-client
	// direction.
	BytesPerSecond int64
}

// FaultProxyOptions configures [StartFaultProxy].
type FaultProxyOptions struct {
	// Target is the host:port every accepted connection is forwarded to.
	Target string
	// Faults returns the fault of the conn-th accepted connection,
	// counted from 0 in accept order. Nil forwards every connection
	// unchanged. It is called from the accepting goroutine only.
	Faults func(conn int) ProxyFault
}

// ProxyStats counts what a [FaultProxy] did.
type ProxyStats struct {
	// Conns is the number of connections accepted.
	Conns int
	// Cuts is the number of connections closed by a CutAfter fault.
	Cuts int
	// Stalls is the number of connections held by a Stall fault.
	Stalls int
	// ToClient and ToServer are the bytes forwarded in each direction.
	ToClient, ToServer int64
}

// FaultProxy is a TCP proxy on 127.0.0.1 that forwards every connection
// to a target address, applying a [ProxyFault] per connection: cut after
// N bytes from the server, stall, latency, a bandwidth cap. Start it with
// [StartFaultProxy] or [FaultProxyForTest]; it is safe for concurrent use.
type FaultProxy struct {
	// Addr is the listening address, "127.0.0.1:port".
	Addr string
	// Host is "127.0.0.1".
	Host string
	// Port is the listening port.
	Port int

	opts   FaultProxyOptions
	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	stats ProxyStats
}

// StartFaultProxy listens on 127.0.0.1 at a free port and forwards
// connections to opts.Target until Close. It does not dial the target
// before a client connects.
func StartFaultProxy(opts FaultProxyOptions) (*FaultProxy, error) {
	if opts.Target == "" {
		return nil, errors.New("testserver: fault proxy: no target address")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("testserver: fault proxy for %s: %w", opts.Target, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := ln.Addr().(*net.TCPAddr)
	p := &FaultProxy{
		Addr: ln.Addr().String(), Host: "127.0.0.1", Port: addr.Port,
		opts: opts, ln: ln, ctx: ctx, cancel: cancel,
		conns: map[net.Conn]struct{}{},
	}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Stats returns what the proxy did so far.
func (p *FaultProxy) Stats() ProxyStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close stops listening, closes every open connection (stalled ones too)
// and waits for the forwarding goroutines to end.
func (p *FaultProxy) Close() error {
	p.cancel()
	err := p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

// track records c as open, or closes it and reports false when the proxy
// is closing.
func (p *FaultProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx.Err() != nil {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *FaultProxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *FaultProxy) count(f func(*ProxyStats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}

func (p *FaultProxy) accept() {
	defer p.wg.Done()
	for n := 0; ; n++ {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		var f ProxyFault
		if p.opts.Faults != nil {
			f = p.opts.Faults(n)
		}
		p.count(func(s *ProxyStats) { s.Conns++ })
		if !p.track(c) {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(c, f)
		}()
	}
}

// serve forwards client c to the target under fault f.
func (p *FaultProxy) serve(c net.Conn, f ProxyFault) {
	defer p.untrack(c)
	if f.Stall {
		p.count(func(s *ProxyStats) { s.Stalls++ })
		_, _ = io.Copy(io.Discard, c) // until the client or Close ends it
		return
	}
	var d net.Dialer
	s, err := d.DialContext(p.ctx, "tcp", p.opts.Target)
	if err != nil {
		return // the client sees the connection closed
	}
	if !p.track(s) {
		return
	}
	defer p.untrack(s)
	done := make(chan struct{}, 2)
	go func() {
		p.pipe(s, c, f.Latency, 0, 0, func(n int64) { p.count(func(st *ProxyStats) { st.ToServer += n }) })
		done <- struct{}{}
	}()
	go func() {
		if p.pipe(c, s, f.Latency, f.BytesPerSecond, f.CutAfter, func(n int64) { p.count(func(st *ProxyStats) { st.ToClient += n }) }) {
			p.count(func(st *ProxyStats) { st.Cuts++ })
		}
		done <- struct{}{}
	}()
	<-done // either direction ending ends both: a proxy, not a half-closer
	c.Close()
	s.Close()
	<-done
}

// pipe copies src to dst, sleeping latency before each chunk, keeping the
// rate at or under bps (when positive) and stopping after limit bytes
// (when positive). It reports whether it stopped at the limit.
func (p *FaultProxy) pipe(dst, src net.Conn, latency time.Duration, bps, limit int64, sent func(int64)) (cut bool) {
	size := 32 << 10
	if bps > 0 {
		size = int(max(1, min(int64(size), bps/20))) // about 20 writes a second
	}
	buf := make([]byte, size)
	start := time.Now()
	var total int64
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if latency > 0 && !p.sleep(latency) {
				return false
			}
			chunk := buf[:n]
			if limit > 0 && total+int64(n) >= limit {
				chunk = chunk[:limit-total]
				cut = true
			}
			w, werr := dst.Write(chunk)
			total += int64(w)
			sent(int64(w))
			if cut || werr != nil {
				return cut
			}
			if bps > 0 {
				due := start.Add(time.Duration(float64(total) / float64(bps) * float64(time.Second)))
				if !p.sleep(time.Until(due)) {
					return false
				}
			}
		}
		if err != nil {
			return false
		}
	}
}

// sleep waits d or until the proxy closes, and reports whether it is
// still open.
func (p *FaultProxy) sleep(d time.Duration) bool {
	if d <= 0 {
		return p.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.ctx.Done():
		return false
	}
}

// String names the proxy and its target.
func (p *FaultProxy) String() string {
	return "fault proxy " + p.Host + ":" + strconv.Itoa(p.Port) + " -> " + p.opts.Target
}
