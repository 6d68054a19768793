package pop3

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// dotStuff is what a POP3 server sends for a multi-line response of body
// (RFC 1939 section 3): a dot before each line beginning with one, and
// the terminating ".\r\n" on a line of its own (a CRLF added when body
// does not end a line).
func dotStuff(body []byte) []byte {
	var b bytes.Buffer
	for line := range bytes.Lines(body) {
		if line[0] == '.' {
			b.WriteByte('.')
		}
		b.Write(line)
	}
	if len(body) > 0 && body[len(body)-1] != '\n' {
		b.WriteString("\r\n")
	}
	b.WriteString(".\r\n")
	return b.Bytes()
}

// FuzzDotReader checks the multi-line reader against dotStuff: whatever
// the body, the reader gives it back (with the added CRLF, if any), ends
// at the terminator and leaves what follows on the connection, reading
// through a small buffer whole or one byte at a time; and on arbitrary
// wire bytes it never panics or reads past the first terminator. The
// addedEOLReader on top gives the body as stored, in its listed size.
func FuzzDotReader(f *testing.F) {
	for _, s := range []string{"", "a\r\nb\r\n", ".a\r\n.\r\n..\r\n", "a.b", "a\nb\r\n", ".\rx\r\n", "last line", ".", "\r\n.\r\n",
		strings.Repeat("x", 100) + "\r\n." + strings.Repeat("y", 40)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		wire := dotStuff(body)
		want := body
		if len(body) > 0 && body[len(body)-1] != '\n' {
			want = append(append([]byte(nil), body...), "\r\n"...)
		}
		for _, slow := range []bool{false, true} {
			var r io.Reader = io.MultiReader(bytes.NewReader(wire), strings.NewReader("+OK rest"))
			if slow {
				r = iotest.OneByteReader(r)
			}
			br := bufio.NewReaderSize(r, 16)
			got, err := io.ReadAll(newDotReader(br))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("body %q sent as %q: read %q, %v; want %q", body, wire, got, err, want)
			}
			if rest, _ := io.ReadAll(br); string(rest) != "+OK rest" {
				t.Fatalf("body %q: %q left on the connection, want %q", body, rest, "+OK rest")
			}
			stored, err := io.ReadAll(&addedEOLReader{r: newDotReader(bufio.NewReaderSize(bytes.NewReader(wire), 16)), size: int64(len(body))})
			if err != nil || !bytes.Equal(stored, body) {
				t.Fatalf("body %q through addedEOLReader: %q, %v", body, stored, err)
			}
		}
		// The body's bytes taken as wire bytes: whatever they are, the
		// reader ends (EOF after a terminator, or ErrUnexpectedEOF).
		if _, err := io.ReadAll(newDotReader(bufio.NewReaderSize(bytes.NewReader(body), 16))); err != nil && err != io.ErrUnexpectedEOF {
			t.Fatalf("wire %q: ReadAll() = %v", body, err)
		}
	})
}

// FuzzScanHeader checks that scanHeader never panics on a header of any
// shape and keeps only asked-for fields, each value without a line feed
// (a bare CR is data: FallbackKey's normalisation masks it), within
// maxHeaderFields bytes in all.
func FuzzScanHeader(f *testing.F) {
	for _, s := range []string{"Message-ID: <a@b>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nbody",
		"Message-Id:\r\n <folded@x>\r\n\tmore\r\nSubject: x\r\n\r\n", "no colon\r\n:\r\n \r\n", strings.Repeat("X", 20000) + ": v\r\n"} {
		f.Add([]byte(s))
	}
	want := canonical([]string{"Message-ID", "Date"})
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := scanHeader(bytes.NewReader(data), want)
		if err != nil {
			t.Fatalf("scanHeader() = %v (the reader never fails)", err)
		}
		n := 0
		for k, vs := range h {
			if !want[k] {
				t.Fatalf("field %q kept, not asked for", k)
			}
			for _, v := range vs {
				n += len(v)
				if strings.Contains(v, "\n") {
					t.Fatalf("field %s value %q holds a line feed", k, v)
				}
			}
		}
		if n > maxHeaderFields {
			t.Fatalf("%d bytes of fields kept, over %d", n, maxHeaderFields)
		}
	})
}
