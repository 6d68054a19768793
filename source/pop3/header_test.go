package pop3

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestNormHeader(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<a@example.com>", "<a@example.com>"},
		{"Grüße", "Gr?e"}, // a 2-byte UTF-8 character: one '?'
		{"Gr?e", "Gr?e"},  // as Zimbra or Yahoo send it
		{"Gr??e", "Gr?e"}, // a run of '?'
		{"a\tb", "a?b"},   // tab is a control character
		{"a\x00\x7fb", "a?b"},
		{"", ""},
	} {
		if got := normHeader(tc.in); got != tc.want {
			t.Errorf("normHeader(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFallbackKey(t *testing.T) {
	k := FallbackKey(123, "Fri, 1 Mar 2024 09:00:00 +0000", "<m@example.com>")
	if !strings.HasPrefix(k, "nouidl:123:") || len(k) != len("nouidl:123:")+fallbackHexLen {
		t.Errorf("FallbackKey() = %q, want nouidl:123: and %d hex digits", k, fallbackHexLen)
	}
	for _, tc := range []struct {
		name     string
		size     int64
		date, id string
		same     bool
	}{
		{"8-bit replaced by '?'", 123, "Fri, 1 Mar 2024 09:00:00 +0000", "<m@example.com>", true},
		{"other size", 124, "Fri, 1 Mar 2024 09:00:00 +0000", "<m@example.com>", false},
		{"other date", 123, "Fri, 1 Mar 2024 09:00:01 +0000", "<m@example.com>", false},
		{"other id", 123, "Fri, 1 Mar 2024 09:00:00 +0000", "<n@example.com>", false},
		{"fields swapped", 123, "<m@example.com>", "Fri, 1 Mar 2024 09:00:00 +0000", false},
	} {
		if got := FallbackKey(tc.size, tc.date, tc.id); (got == k) != tc.same {
			t.Errorf("%s: FallbackKey() = %q, first %q: same = %v, want %v", tc.name, got, k, got == k, tc.same)
		}
	}
	if FallbackKey(1, "Mo ü", "<x>") != FallbackKey(1, "Mo ?", "<x>") {
		t.Error("FallbackKey() differs for a header whose 8-bit character a server turned into '?'")
	}
}

func TestScanHeader(t *testing.T) {
	huge := strings.Repeat("h", 1<<20)
	for _, tc := range []struct {
		name, in string
		want     map[string][]string
	}{
		{"plain", "Subject: hi\r\nMessage-ID: <a@b>\r\n\r\nbody\r\nSubject: not a header\r\n",
			map[string][]string{"Subject": {"hi"}, "Message-Id": {"<a@b>"}}},
		{"folded", "Subject: one\r\n\ttwo\r\n  three \r\nDate: d\r\n\r\n",
			map[string][]string{"Subject": {"one two three"}, "Date": {"d"}}},
		{"bare LF, repeated", "subject: a\nSUBJECT: b\n\nbody", map[string][]string{"Subject": {"a", "b"}}},
		{"no body", "Subject: end", map[string][]string{"Subject": {"end"}}},
		{"huge field dropped past 16 KB", "X-Big: " + huge + "\r\nSubject: " + huge + "\r\nDate: d\r\n\r\n",
			map[string][]string{"Subject": {huge[:maxHeaderFields-len("Subject: ")]}}}, // the line is cut at 16 KB
		{"huge other field skipped", "X-Big: " + huge + "\r\nDate: d\r\n\r\n", map[string][]string{"Date": {"d"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := scanHeader(iotest.HalfReader(strings.NewReader(tc.in)), canonical([]string{"subject", "message-id", "date"}))
			if err != nil {
				t.Fatalf("scanHeader() = %v", err)
			}
			kept := 0
			for _, vs := range h {
				for _, v := range vs {
					kept += len(v)
				}
			}
			if kept > maxHeaderFields {
				t.Errorf("kept %d bytes, more than %d", kept, maxHeaderFields)
			}
			for name, want := range tc.want {
				got := h[name]
				if len(got) != len(want) {
					t.Fatalf("%s = %d values, want %d", name, len(got), len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Errorf("%s[%d] = %q (%d bytes), want %q (%d bytes)", name, i, trunc(got[i]), len(got[i]), trunc(want[i]), len(want[i]))
					}
				}
			}
			if tc.name != "huge field dropped past 16 KB" && len(h) != len(tc.want) {
				t.Errorf("fields %v, want %v", h, tc.want)
			}
		})
	}
}

func TestAddedEOLReader(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		size     int64
		want     string
	}{
		{"CRLF added", "last\r\n", 4, "last"},
		{"LF added", "last\n", 4, "last"},
		{"exact", "last\r\n", 6, "last\r\n"},
		{"size unknown", "last\r\n", -1, "last\r\n"},
		{"more than size, not a line ending", "lastXY", 4, "lastXY"},
		{"far more than size", "last line\r\n", 2, "last line\r\n"},
		{"less than size", "la", 4, "la"},
		{"empty", "", 0, ""},
	} {
		for _, slow := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tc.in)
			if slow {
				r = iotest.OneByteReader(r)
			}
			got, err := io.ReadAll(&addedEOLReader{r: r, size: tc.size})
			if err != nil || string(got) != tc.want {
				t.Errorf("%s (one byte at a time %v): read %q, %v; want %q", tc.name, slow, got, err, tc.want)
			}
		}
	}
}

func TestAPOPStamp(t *testing.T) {
	for _, tc := range []struct{ greeting, want string }{
		{"POP3 server ready <1896.697170952@dbc.mtview.ca.us>", "<1896.697170952@dbc.mtview.ca.us>"},
		{"Dovecot ready.", ""},
		{"ready <no-at-sign>", ""},
		{"ready <unterminated@x", ""},
		{"ready <a b@c>", ""},
	} {
		if got := apopStamp(tc.greeting); got != tc.want {
			t.Errorf("apopStamp(%q) = %q, want %q", tc.greeting, got, tc.want)
		}
	}
}
