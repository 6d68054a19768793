package state

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// benchStore opens a fresh state with one mailbox and folder.
func benchStore(b *testing.B) Store {
	b.Helper()
	st := openTest(b, filepath.Join(b.TempDir(), "state.db"), nil)
	seed(b, st)
	return st
}

// BenchmarkPutItem measures one committed checkpoint (one fsync of the WAL
// with synchronous=FULL).
func BenchmarkPutItem(b *testing.B) {
	ctx := context.Background()
	st := benchStore(b)
	it := Item{Mailbox: "alice@example.org", Folder: "INBOX", Kind: KindMessage, Fingerprint: "sha256:0123456789abcdef",
		TargetID: "AAMkAGI2TG93AAA=", Status: StatusMigrated, Bytes: 48213}
	i := 0
	for b.Loop() {
		it.SourceKey = fmt.Sprintf("%09d", i)
		i++
		if err := st.PutItem(ctx, it); err != nil {
			b.Fatalf("PutItem() = %v", err)
		}
	}
}

// BenchmarkPutItems measures a batch of 10,000 new items in one transaction.
func BenchmarkPutItems(b *testing.B) {
	ctx := context.Background()
	st := benchStore(b)
	const n = 10000
	items := make([]Item, n)
	round := 0
	for b.Loop() {
		b.StopTimer()
		for j := range items {
			items[j] = Item{Mailbox: "alice@example.org", Folder: "INBOX", SourceKey: fmt.Sprintf("%04d-%06d", round, j),
				Kind: KindMessage, Fingerprint: "sha256:0123456789abcdef", Status: StatusPending, Bytes: 48213}
		}
		round++
		b.StartTimer()
		if err := st.PutItems(ctx, items); err != nil {
			b.Fatalf("PutItems() = %v", err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(round*n), "ns/item")
}
