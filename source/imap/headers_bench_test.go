package imap_test

import (
	"bufio"
	"context"
	"fmt"
	"net/textproto"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/imap"
	"github.com/migrate-tool/migrate/source/testserver"
)

// BenchmarkHeadersDovecot reads the Message-IDs of a 10,000-message folder
// of a real Dovecot the two ways the plan can (make bench): "bulk" with
// source.HeaderReader (one UID FETCH per window of 1,000), and "per-item"
// by opening each message and reading its header block, as the plan does
// for a source without HeaderReader.
func BenchmarkHeadersDovecot(b *testing.B) {
	const n = 10000
	var extra []testserver.ExtraMessage
	for i := range n {
		extra = append(extra, testserver.ExtraMessage{User: "bob@example.test", Folder: "Bulk",
			Message: testserver.ManifestMessage{Generate: &testserver.Generator{Subject: fmt.Sprintf("bulk %d", i), Seed: fmt.Sprint(i)}, Date: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}})
	}
	d := testserver.DovecotForTest(b, &testserver.DovecotOptions{ExtraMessages: extra})
	u, ok := d.User("bob@example.test")
	if !ok {
		b.Fatal("no user bob@example.test in the seed corpus")
	}
	a, err := imap.Dial(context.Background(), &imap.Options{Host: d.Host, Port: d.IMAPSPort, Security: imap.SecurityTLS, CAFile: d.CAFile, Username: u.Name, Password: u.Password})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	folders, err := a.Folders(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var f source.Folder
	for _, g := range folders {
		if g.Name == "Bulk" {
			f = g
		}
	}
	var refs []source.ItemRef
	for ref, err := range a.Items(ctx, f) {
		if err != nil {
			b.Fatal(err)
		}
		refs = append(refs, ref)
	}
	if len(refs) != n {
		b.Fatalf("listed %d items, want %d", len(refs), n)
	}
	b.Run("bulk", func(b *testing.B) {
		for b.Loop() {
			got := 0
			for ih, err := range a.Headers(ctx, f, refs, []string{"Message-Id"}) {
				if err != nil || ih.Header.Get("Message-Id") == "" {
					b.Fatalf("Headers() = %+v, %v", ih, err)
				}
				got++
			}
			if got != n {
				b.Fatalf("Headers() gave %d, want %d", got, n)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
	})
	b.Run("per-item", func(b *testing.B) {
		for b.Loop() {
			for _, ref := range refs {
				rc, err := a.Open(ctx, f, ref)
				if err != nil {
					b.Fatal(err)
				}
				h, err := textproto.NewReader(bufio.NewReader(rc)).ReadMIMEHeader()
				rc.Close()
				if err != nil || h.Get("Message-Id") == "" {
					b.Fatalf("reading %s: %v", ref.Key, err)
				}
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
	})
}
