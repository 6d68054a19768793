package message

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// writeBigMessage writes a multipart/mixed message with a short text part
// and one base64 attachment of size random bytes to w, and returns the
// attachment's SHA-256. Nothing is built in memory: the attachment is made
// and encoded chunk by chunk.
func writeBigMessage(w io.Writer, size int64, seed uint64) (string, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(bw, "From: Big Sender <big@example.test>\r\nTo: alice@example.test\r\n"+
		"Subject: big attachment\r\nDate: Mon, 02 Jan 2006 15:04:05 +0000\r\n"+
		"Message-ID: <big@example.test>\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"+
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attachment.\r\n"+
		"--b1\r\nContent-Type: application/octet-stream; name=\"big.bin\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\n")
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	h := sha256.New()
	raw := make([]byte, 57*1024) // 57 bytes make one 76-character line
	enc := make([]byte, base64.StdEncoding.EncodedLen(57))
	for left := size; left > 0; {
		n := min(int64(len(raw)), left)
		chunk := raw[:n]
		for i := range chunk {
			chunk[i] = byte(rng.Uint32())
		}
		h.Write(chunk)
		for len(chunk) > 0 {
			line := chunk[:min(57, len(chunk))]
			m := base64.StdEncoding.EncodedLen(len(line))
			base64.StdEncoding.Encode(enc[:m], line)
			bw.Write(enc[:m])
			bw.WriteString("\r\n")
			chunk = chunk[len(line):]
		}
		left -= n
	}
	bw.WriteString("--b1--\r\n")
	return hex.EncodeToString(h.Sum(nil)), bw.Flush()
}

// heapSampler records the high-water mark of heap memory in use (live and
// not yet collected objects) while it runs, without stopping the world.
type heapSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapSampler() *heapSampler {
	hs := &heapSampler{stop: make(chan struct{})}
	hs.done.Add(1)
	go func() {
		defer hs.done.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			hs.peak = max(hs.peak, heapObjects())
			select {
			case <-hs.stop:
				return
			case <-t.C:
			}
		}
	}()
	return hs
}

func (hs *heapSampler) Stop() uint64 {
	close(hs.stop)
	hs.done.Wait()
	return hs.peak
}

// TestParseBigMessageBoundedMemory streams a ~50 MB message through an
// io.Pipe and checks that the heap never holds the attachment, that the
// attachment went to a 0600 spool file with the right digest, and that Close
// removes it.
func TestParseBigMessageBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 50 MB")
	}
	const size = 37 << 20 // 37 MiB of content, ~50 MB base64-encoded
	dir := t.TempDir()
	pr, pw := io.Pipe()
	sumc := make(chan string, 1)
	go func() {
		sum, err := writeBigMessage(pw, size, 1)
		pw.CloseWithError(err)
		sumc <- sum
	}()

	runtime.GC()
	base := heapObjects()
	hs := startHeapSampler()
	m, err := Parse(context.Background(), pr, &Options{SpoolDir: dir})
	peak := hs.Stop()
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	defer m.Close()
	runtime.GC()
	after := heapObjects()
	want := <-sumc

	t.Logf("message %d bytes; heap: before %d KiB, peak %d KiB (+%d KiB), after parse and GC %d KiB",
		m.Size, base>>10, peak>>10, (int64(peak)-int64(base))>>10, after>>10)
	if m.Size < 50_000_000 {
		t.Errorf("Size = %d, want about 50 MB", m.Size)
	}
	// The attachment is 37 MiB; holding it (or the encoded message) in
	// memory would show here.
	const limit = 24 << 20
	if growth := int64(peak) - int64(base); growth > limit {
		t.Errorf("heap grew by %d KiB while parsing, want < %d KiB", growth>>10, limit>>10)
	}
	if len(m.Attachments) != 1 {
		t.Fatalf("got %d attachments, want 1; problems %q", len(m.Attachments), m.Problems)
	}
	a := m.Attachments[0]
	if a.Name != "big.bin" || a.Size != size || a.SHA256 != want {
		t.Errorf("attachment = %q, %d bytes, sha256 %s; want big.bin, %d bytes, %s", a.Name, a.Size, a.SHA256, size, want)
	}
	if m.Body.Content != "See attachment." { // the last line break belongs to the delimiter
		t.Errorf("Body.Content = %q", m.Body.Content)
	}
	if len(m.Problems) > 0 {
		t.Errorf("Problems = %q, want none", m.Problems)
	}
	// Open twice (a retry) and check the content both times.
	for range 2 {
		rc, err := a.Open()
		if err != nil {
			t.Fatalf("Open() = %v", err)
		}
		h := sha256.New()
		n, err := io.Copy(h, rc)
		rc.Close()
		if err != nil || n != size || hex.EncodeToString(h.Sum(nil)) != want {
			t.Fatalf("Open() content: %d bytes, err %v, digest mismatch %v", n, err, hex.EncodeToString(h.Sum(nil)) != want)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 {
		t.Fatalf("spool dir has %d files, want 1: %q", len(files), files)
	}
	if fi, err := os.Stat(files[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("spool file mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
		t.Errorf("spool files left after Close: %q", files)
	}
	if _, err := a.Open(); err == nil {
		t.Errorf("Open() after Close succeeded, want ErrClosed")
	}
}
