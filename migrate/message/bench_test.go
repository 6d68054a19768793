package message

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkParse parses a 10 MB message (a text part and a 7.3 MiB base64
// attachment) held in memory, spooling the attachment to a file; it reports
// throughput (MB/s of message) and allocations. Run it with `make bench`.
func BenchmarkParse(b *testing.B) {
	var msg bytes.Buffer
	if _, err := writeBigMessage(&msg, 7_400_000, 2); err != nil {
		b.Fatal(err)
	}
	opts := &Options{SpoolDir: b.TempDir()}
	ctx := context.Background()
	b.SetBytes(int64(msg.Len()))
	b.ReportAllocs()
	for b.Loop() {
		m, err := Parse(ctx, bytes.NewReader(msg.Bytes()), opts)
		if err != nil {
			b.Fatalf("Parse() = %v", err)
		}
		if len(m.Attachments) != 1 {
			b.Fatalf("got %d attachments", len(m.Attachments))
		}
		m.Close()
	}
}
