package imap

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/migrate-tool/migrate/source"
)

// Benchmarks against the in-memory server in the same process (make bench).
// The server's work is included, so the figures are lower bounds of the
// adapter's speed, comparable between runs on one machine.

// BenchmarkOpen streams one message of each size through Open.
func BenchmarkOpen(b *testing.B) {
	for _, sec := range []Security{SecurityPlain, SecurityTLS} {
		for _, size := range []int64{4 << 10, 1 << 20, 16 << 20} {
			b.Run(fmt.Sprintf("%s/%dKiB", sec, size>>10), func(b *testing.B) {
				fx := newFixture(b, fixtureOptions{security: sec})
				fx.addBig("Big", size)
				opts := fx.options(sec)
				opts.Logger = nil
				a := fx.dial(opts)
				f := source.Folder{Name: "Big"}
				ref := source.ItemRef{Key: Key(fx.status("Big").UIDValidity, 1)}
				buf := make([]byte, 32<<10)
				b.SetBytes(size)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					rc, err := a.Open(context.Background(), f, ref)
					if err != nil {
						b.Fatalf("Open() = %v", err)
					}
					n, err := io.CopyBuffer(io.Discard, rc, buf)
					if err != nil || n != size {
						b.Fatalf("Read() = %d, %v", n, err)
					}
					if err := rc.Close(); err != nil {
						b.Fatalf("Close() = %v", err)
					}
				}
			})
		}
	}
}

// BenchmarkItems lists the metadata of a 10,000-message folder.
func BenchmarkItems(b *testing.B) {
	const n = 10000
	fx := newFixture(b, fixtureOptions{security: SecurityPlain})
	for i := 0; i < n; i++ {
		fx.appendMsg("INBOX", fmt.Appendf(nil, "Subject: %d\r\n\r\nbody\r\n", i), baseDate)
	}
	opts := fx.options(SecurityPlain)
	opts.Logger = nil
	a := fx.dial(opts)
	f := source.Folder{Name: "INBOX"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		got := 0
		for _, err := range a.Items(context.Background(), f) {
			if err != nil {
				b.Fatalf("Items() = %v", err)
			}
			got++
		}
		if got != n {
			b.Fatalf("Items() = %d items, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
}
