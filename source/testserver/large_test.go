package testserver

import (
	"runtime"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// TestDovecotLargeExtraMessage seeds a 40 MB generated message (above
// Exchange Online's default 35 MB limit), as memory tests of other packages
// do with larger ones, and checks that seeding streams it. It does not run
// in parallel, so that the allocation figure is its own.
func TestDovecotLargeExtraMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the 40 MB message in -short mode")
	}
	const size = 40 << 20
	msg := ManifestMessage{
		Generate: &Generator{Subject: "40 MB", Seed: "large-40mb", AttachmentSize: size},
		Date:     time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := DovecotForTest(t, &DovecotOptions{NoSeed: true, ExtraMessages: []ExtraMessage{{User: "bob@example.test", Folder: "Large", Message: msg}}})
	runtime.ReadMemStats(&after)
	// A buffered message would allocate at least its size (54 MB base64);
	// streaming takes about 1 MB, or 8 MB under the race detector.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size*3/8 {
		t.Errorf("starting and seeding allocated %d MB for a %d MB message; it should stream", alloc>>20, size>>20)
	} else {
		t.Logf("starting and seeding allocated %.1f MB", float64(alloc)/(1<<20))
	}
	c, err := DialIMAPS(t.Context(), d.IMAPSAddr(), d.TLSConfig())
	if err != nil {
		t.Fatalf("DialIMAPS() = %v", err)
	}
	defer c.Close()
	u, _ := d.User("bob@example.test")
	login(t, c, u.Name, u.Password)
	st, err := c.Status("Large", &imap.StatusOptions{NumMessages: true, Size: true}).Wait()
	if err != nil {
		t.Fatalf("Status(Large).Wait() = %v", err)
	}
	want, _ := msg.Size()
	if st.NumMessages == nil || *st.NumMessages != 1 || st.Size == nil || *st.Size != want {
		t.Errorf("Status(Large) = %d messages, %v bytes; want 1 message of %d bytes", deref(st.NumMessages), st.Size, want)
	}
}

func deref(p *uint32) uint32 {
	if p == nil {
		return 0
	}
	return *p
}
