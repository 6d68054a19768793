package migrate

import (
	"fmt"
	"testing"

	"github.com/migrate-tool/migrate/target"
)

// BenchmarkStampReconcile indexes a 100,000-item target folder's stamps,
// as a run does once per folder, and reconciles every source item against
// it: half found by key, the other half (a renumbered folder) by content
// identity (make bench-go). Per op: one folder.
func BenchmarkStampReconcile(b *testing.B) {
	const n = 100_000
	stamps := make([]target.Stamp, n)
	keys := make([]string, n)
	for i := range stamps {
		stamps[i] = target.Stamp{ID: target.ItemID(fmt.Sprintf("AAMkAD%08d", i)), SourceKey: fmt.Sprintf("imap:INBOX:1:%d", i),
			ContentID: fmt.Sprintf("sha256:%064x", i)}
		keys[i] = stamps[i].SourceKey
		if i%2 == 1 {
			keys[i] = fmt.Sprintf("imap:INBOX:2:%d", i) // renumbered
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		x := newStampIndex()
		for _, s := range stamps {
			x.add(s)
		}
		found := 0
		for i, k := range keys {
			if _, ok := x.byKeyClaim(k); ok {
				found++
				continue
			}
			if _, ok := x.byContentClaim(stamps[i].ContentID); ok {
				found++
			}
		}
		if found != n {
			b.Fatalf("reconciled %d of %d items", found, n)
		}
	}
}
