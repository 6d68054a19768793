package mailgen

import (
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// tree returns every file under dir with its SHA-256 and mtime.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		got[rel] = fmt.Sprintf("%x %d", sha256.Sum256(b), info.ModTime().Unix())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestDeterministic writes the same options twice and compares names,
// bytes and mtimes; another seed gives other bytes.
func TestDeterministic(t *testing.T) {
	tests := []struct {
		name string
		a, b Options
		same bool
	}{
		{"same seed", Options{Seed: 7, Messages: 60, Huge: 0}, Options{Seed: 7, Messages: 60}, true},
		{"same seed, capped", Options{Seed: 7, Messages: 60, MaxSize: 20 << 10}, Options{Seed: 7, Messages: 60, MaxSize: 20 << 10}, true},
		{"other seed", Options{Seed: 7, Messages: 60}, Options{Seed: 8, Messages: 60}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			da, db := t.TempDir(), t.TempDir()
			sa, err := WriteMaildir(t.Context(), da, &tt.a)
			if err != nil {
				t.Fatalf("WriteMaildir() = %v", err)
			}
			sb, err := WriteMaildir(t.Context(), db, &tt.b)
			if err != nil {
				t.Fatalf("WriteMaildir() = %v", err)
			}
			diff := cmp.Diff(tree(t, da), tree(t, db))
			if tt.same && (diff != "" || !cmp.Equal(sa, sb)) {
				t.Errorf("two mailboxes from %+v differ (-first +second):\n%s", tt.a, diff)
			}
			if !tt.same && diff == "" {
				t.Errorf("seeds %d and %d gave the same mailbox", tt.a.Seed, tt.b.Seed)
			}
		})
	}
}

// TestDistribution checks the size classes on 3,000 messages and
// that every message parses: encoded words, multipart structure,
// attachment sizes, flags in the file name and the mtime as received time.
func TestDistribution(t *testing.T) {
	if testing.Short() {
		t.Skip("writes about 300 MB")
	}
	dir := t.TempDir()
	const n = 3000
	st, err := WriteMaildir(t.Context(), dir, &Options{Seed: 1, Messages: n, Huge: 1, HugeSize: 26 << 20, MaxSize: 12 << 20})
	if err != nil {
		t.Fatalf("WriteMaildir() = %v", err)
	}
	var small, medium, large, huge, parsed, seen int
	var nonASCII bool
	dec := &mime.WordDecoder{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(filepath.Dir(p)) != "cur" {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		size := info.Size()
		if !strings.Contains(d.Name(), fmt.Sprintf(",S=%d:2,", size)) {
			t.Errorf("%s: name does not carry its size %d", d.Name(), size)
		}
		if strings.HasSuffix(d.Name(), "S") || strings.Contains(d.Name()[strings.Index(d.Name(), ":2,"):], "S") {
			seen++
		}
		switch {
		case size < 120<<10:
			small++
		case size <= 600<<10:
			medium++
		case size <= 11<<20:
			large++
		default:
			huge++
		}
		if size > 1<<20 {
			return nil // parsing every large one adds nothing but time
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		msg, err := mail.ReadMessage(f)
		if err != nil {
			t.Errorf("%s: %v", d.Name(), err)
			return nil
		}
		from, err := dec.DecodeHeader(msg.Header.Get("From"))
		if err != nil {
			t.Errorf("%s: From: %v", d.Name(), err)
		}
		if strings.ContainsFunc(from, func(r rune) bool { return r > 126 }) {
			nonASCII = true
		}
		date, err := msg.Header.Date()
		if err != nil || date.After(info.ModTime()) || info.ModTime().Sub(date) > 10*time.Minute {
			t.Errorf("%s: Date %v (%v), received (mtime) %v", d.Name(), date, err, info.ModTime())
		}
		mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		if err != nil {
			t.Errorf("%s: Content-Type: %v", d.Name(), err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(msg.Body, params["boundary"])
			for {
				part, err := mr.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Errorf("%s: part: %v", d.Name(), err)
					break
				}
				if _, err := io.Copy(io.Discard, part); err != nil {
					t.Errorf("%s: part: %v", d.Name(), err)
				}
			}
		}
		parsed++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v; small %d, 120-600 KB %d, large %d, huge %d", st, small, medium, large, huge)
	if st.Messages != n || small+medium+large+huge != n {
		t.Errorf("%d messages, %d files, want %d", st.Messages, small+medium+large+huge, n)
	}
	// 89 % are 5-100 KB, and 38 % of the 50-500 KB class (log-uniform)
	// is under 120 KB: about 93 %.
	if f := float64(small) / n; f < 0.89 || f > 0.96 {
		t.Errorf("%.1f%% under 120 KB, want about 93%%", 100*f)
	}
	if f := float64(large) / n; f < 0.004 || f > 0.02 {
		t.Errorf("%.2f%% 2-10 MB messages, want about 1%%", 100*f)
	}
	if huge != 1 || st.Largest < 26<<20*99/100 || st.Largest > 26<<20 {
		t.Errorf("%d huge messages, largest %d bytes, want one of about 26 MiB", huge, st.Largest)
	}
	if f := float64(st.Attachments) / n; f < 0.08 || f > 0.16 {
		t.Errorf("%.1f%% with attachments, want about 11%%", 100*f)
	}
	if f := float64(seen) / n; f < 0.7 || f > 0.95 {
		t.Errorf("%.1f%% seen, want about 80%%", 100*f)
	}
	if len(st.Folders) != len(folders) {
		t.Errorf("messages in %d folders, want %d: %v", len(st.Folders), len(folders), st.Folders)
	}
	if !nonASCII {
		t.Errorf("no sender with a non-ASCII name")
	}
	if _, err := os.Stat(filepath.Join(dir, "Kunden", "M&APw-ller &- S&APY-hne", "cur")); err != nil {
		t.Errorf("the non-ASCII folder is not in modified UTF-7: %v", err)
	}
}
