package testserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// freePorts returns n distinct TCP ports on 127.0.0.1 that were free a
// moment ago. They are held open together so that they differ, then
// released for the server to bind; a server that loses the race fails to
// start and the caller retries with new ports.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// dialContext connects to addr, giving up when ctx ends.
func dialContext(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// readGreeting connects to addr and reads one line, which must start with
// prefix (for example "* OK" for IMAP, "+OK" for POP3).
func readGreeting(ctx context.Context, addr, prefix string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := dialContext(ctx, addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("read greeting from %s: %w", addr, err)
	}
	if !strings.HasPrefix(line, prefix) {
		return fmt.Errorf("greeting from %s is %q, want prefix %q", addr, strings.TrimSpace(line), prefix)
	}
	return nil
}

// tailFile returns the last max bytes of the named file, trimmed to whole
// lines, or a note saying why it could not be read.
func tailFile(name string, max int64) string {
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "(no " + name + ")"
		}
		return "(" + err.Error() + ")"
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "(" + err.Error() + ")"
	}
	off := max64(st.Size()-max, 0)
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return "(" + err.Error() + ")"
	}
	s := string(buf)
	if off > 0 {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	return strings.TrimSpace(s)
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
