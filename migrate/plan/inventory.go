package plan

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"slices"
	"strings"
	"time"
)

// NewSizeBuckets returns the empty size distribution every plan uses:
// under 10 KB, 10-100 KB, 100 KB-1 MB, 1-10 MB, 10-35 MB, 35-150 MB and
// 150 MB or more (Exchange's default and absolute limits are bounds).
func NewSizeBuckets() []SizeBucket {
	const kb, mb = 1 << 10, 1 << 20
	return []SizeBucket{
		{Label: "< 10 KB", Min: 0, Max: 10 * kb},
		{Label: "10-100 KB", Min: 10 * kb, Max: 100 * kb},
		{Label: "100 KB-1 MB", Min: 100 * kb, Max: mb},
		{Label: "1-10 MB", Min: mb, Max: 10 * mb},
		{Label: "10-35 MB", Min: 10 * mb, Max: DefaultMaxMessageSize},
		{Label: "35-150 MB", Min: DefaultMaxMessageSize, Max: AbsoluteMaxMessageSize},
		{Label: ">= 150 MB", Min: AbsoluteMaxMessageSize},
	}
}

// AddSize counts an item of size bytes into its bucket; a negative
// (unknown) size counts into the first.
func AddSize(buckets []SizeBucket, size int64) {
	s := max(size, 0)
	for i := range buckets {
		b := &buckets[i]
		if s >= b.Min && (b.Max == 0 || s < b.Max) {
			b.Items++
			b.Bytes += s
			return
		}
	}
}

// AddYear counts an item received at date (zero: unknown, year 0) into
// years, keeping them sorted by year.
func AddYear(years []YearCount, date time.Time, size int64) []YearCount {
	y := 0
	if !date.IsZero() {
		y = date.UTC().Year()
	}
	i, found := slices.BinarySearchFunc(years, y, func(c YearCount, y int) int { return cmp.Compare(c.Year, y) })
	if !found {
		years = slices.Insert(years, i, YearCount{Year: y})
	}
	years[i].Items++
	years[i].Bytes += max(size, 0)
	return years
}

// MergeYears adds b's counts into a, sorted by year.
func MergeYears(a, b []YearCount) []YearCount {
	out := slices.Clone(a)
	for _, c := range b {
		i, found := slices.BinarySearchFunc(out, c.Year, func(x YearCount, y int) int { return cmp.Compare(x.Year, y) })
		if !found {
			out = slices.Insert(out, i, YearCount{Year: c.Year})
		}
		out[i].Items += c.Items
		out[i].Bytes += c.Bytes
	}
	return out
}

// AddLargest keeps the n largest items of list plus it, largest first
// (ties by folder and key, for stable output).
func AddLargest(list []Item, it Item, n int) []Item {
	if len(list) >= n && it.Size <= list[len(list)-1].Size {
		return list
	}
	i, _ := slices.BinarySearchFunc(list, it, compareLargest)
	list = slices.Insert(list, i, it)
	if len(list) > n {
		list = list[:n]
	}
	return list
}

func compareLargest(a, b Item) int {
	if c := cmp.Compare(b.Size, a.Size); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Folder, b.Folder); c != 0 {
		return c
	}
	return cmp.Compare(a.Key, b.Key)
}

// FolderHasher fingerprints one folder's items, in the order the source
// lists them (IMAP: by UID). Two listings of an unchanged folder give the
// same sum; an item added, removed, resized or newly flagged \Deleted
// changes it.
type FolderHasher struct {
	h hash.Hash
	n int64
}

// NewFolderHasher starts the fingerprint of the folder at path with the
// given validity (IMAP UIDVALIDITY).
func NewFolderHasher(path, validity string) *FolderHasher {
	h := sha256.New()
	h.Write([]byte(path))
	h.Write([]byte{0})
	h.Write([]byte(validity))
	h.Write([]byte{0})
	return &FolderHasher{h: h}
}

// Add adds one item.
func (f *FolderHasher) Add(key string, size int64, deleted bool) {
	var b [9]byte
	binary.BigEndian.PutUint64(b[:8], uint64(size))
	if deleted {
		b[8] = 1
	}
	f.h.Write([]byte(key))
	f.h.Write([]byte{0})
	f.h.Write(b[:])
	f.n++
}

// Sum returns the fingerprint ("sha256:" and hex).
func (f *FolderHasher) Sum() string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(f.n))
	f.h.Write(b[:])
	return "sha256:" + hex.EncodeToString(f.h.Sum(nil))
}

// MailboxFingerprint combines the folder fingerprints of a mailbox,
// independent of the order the source lists its folders in.
func MailboxFingerprint(folders []Folder) string {
	lines := make([]string, len(folders))
	for i, f := range folders {
		lines[i] = f.Path + "\x00" + f.Fingerprint
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// InventoryFingerprint combines the mailbox fingerprints of a plan.
func InventoryFingerprint(mailboxes []Mailbox) string {
	lines := make([]string, len(mailboxes))
	for i, m := range mailboxes {
		lines[i] = strings.ToLower(m.Address) + "\x00" + m.Fingerprint
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }
