package mbox

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzScan writes the input as an mbox file and reads it under each
// escaping with load, which checks that no input makes the scanner or the
// reader panic or fail, that each message yields exactly the Size it is
// listed with, and that the folder's Count and Bytes are the sum of the
// listing. The seed corpus is the Thunderbird store in testdata/stores
// and testdata/fuzz/FuzzScan.
func FuzzScan(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/stores/thunderbird/*")
	more, _ := filepath.Glob("../../testdata/stores/thunderbird/*.sbd/*")
	for _, name := range append(files, more...) {
		if st, err := os.Stat(name); err == nil && st.Mode().IsRegular() && st.Size() < 1<<20 {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(from1 + "Subject: a\nContent-Length: 3\n\nFrom x\n\n" + from2 + "X-Mozilla-Status: 0009\n\n>From y\n>>From z\n"))
	f.Add([]byte("garbage\n" + from1 + "\r\n\r\n" + from2))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, esc := range []Escaping{EscapingAuto, EscapingMboxrd, EscapingMboxo, EscapingNone} {
			load(t, string(data), esc)
		}
	})
}

// FuzzParseFromLine checks that parseFromLine never panics and accepts
// only lines that begin "From " and are at most 1000 bytes long, and
// that a line it accepts is accepted again with a trailing " remote from
// host" (UUCP's form) with the same date.
func FuzzParseFromLine(f *testing.F) {
	for _, s := range []string{from1, from2, "From - Mon Jan  1 10:00:00 2024", "From a b Mon, 2 Jan 2006 15:04:05 -0700",
		"From the desk of the president", "From x Mon Jan 2 15:04:05 2006 remote from uucp", "From  Mon Jan 2 2006 15:04:05"} {
		f.Add([]byte(bytes.TrimRight([]byte(s), "\n")))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		d, ok := parseFromLine(line, time.UTC)
		if !ok {
			return
		}
		if !bytes.HasPrefix(line, []byte("From ")) || len(line) > 1000 {
			t.Fatalf("parseFromLine(%q) accepted a line that is not a From_ line", line)
		}
		if bytes.Contains(line, []byte(" remote ")) || len(line) > 980 {
			return
		}
		uucp := append(append([]byte(nil), line...), " remote from host"...)
		if d2, ok := parseFromLine(uucp, time.UTC); !ok || !d2.Equal(d) {
			t.Fatalf("parseFromLine(%q) = %v, %v; without the remote part %v", uucp, d2, ok, d)
		}
	})
}
