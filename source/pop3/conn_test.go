package pop3

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestDotReader(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	for _, tc := range []struct {
		name, wire, want, rest string
		err                    error
	}{
		{"empty", ".\r\n", "", "", nil},
		{"plain", "a\r\nb\r\n.\r\n+OK next", "a\r\nb\r\n", "+OK next", nil},
		{"stuffed", "..a\r\n..\r\n...\r\n.\r\n", ".a\r\n.\r\n..\r\n", "", nil},
		{"dot inside line", "a.b\r\n.\r\n", "a.b\r\n", "", nil},
		{"bare LF kept", "a\nb\r\n.\r\n", "a\nb\r\n", "", nil},
		{"bare LF terminator", "a\n.\n", "a\n", "", nil},
		{"dot CR not terminator", ".\rx\r\n.\r\n", "\rx\r\n", "", nil},
		{"long line", long + "\r\n." + long + "\r\n.\r\n", long + "\r\n" + long + "\r\n", "", nil},
		{"cut", "a\r\nb", "a\r\nb", "", io.ErrUnexpectedEOF},
		{"cut at dot", "a\r\n.", "a\r\n", "", io.ErrUnexpectedEOF},
	} {
		for _, half := range []bool{false, true} {
			name := tc.name
			var r io.Reader = strings.NewReader(tc.wire)
			if half {
				name += "/one byte at a time"
				r = iotest.OneByteReader(r)
			}
			t.Run(name, func(t *testing.T) {
				br := bufio.NewReaderSize(r, 16)
				got, err := io.ReadAll(newDotReader(br))
				if !errors.Is(err, tc.err) && !(tc.err == nil && err == nil) {
					t.Fatalf("ReadAll() error = %v, want %v", err, tc.err)
				}
				if string(got) != tc.want {
					t.Errorf("ReadAll() = %q, want %q", trunc(string(got)), trunc(tc.want))
				}
				if tc.err == nil {
					rest, _ := io.ReadAll(br)
					if string(rest) != tc.rest {
						t.Errorf("left on the connection %q, want %q", rest, tc.rest)
					}
				}
			})
		}
	}
}

func trunc(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func TestRespErrorCode(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"[IN-USE] locked", "IN-USE"},
		{"[SYS/TEMP] try later", "SYS/TEMP"},
		{"bad password", ""},
		{"[unterminated", ""},
		{"", ""},
	} {
		if got := (&respError{text: tc.text}).code(); got != tc.want {
			t.Errorf("code(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestOptionsCheck(t *testing.T) {
	base := Options{Host: "pop.example.test", Username: "u", Password: "p"}
	for _, tc := range []struct {
		name     string
		mutate   func(o *Options)
		wantPort int
		wantErr  error
		errText  bool
	}{
		{"default tls", func(o *Options) {}, 995, nil, false},
		{"starttls", func(o *Options) { o.Security = SecuritySTARTTLS }, 110, nil, false},
		{"plain refused", func(o *Options) { o.Security = SecurityPlain }, 0, ErrPlaintextNotAllowed, false},
		{"plain allowed", func(o *Options) { o.Security = SecurityPlain; o.AllowPlaintext = true }, 110, nil, false},
		{"port kept", func(o *Options) { o.Port = 1995 }, 1995, nil, false},
		{"no password", func(o *Options) { o.Password = "" }, 0, nil, true},
		{"unknown security", func(o *Options) { o.Security = "ssl" }, 0, nil, true},
		{"apop", func(o *Options) { o.Auth = AuthAPOP }, 995, nil, false},
		{"unknown auth", func(o *Options) { o.Auth = "cram-md5" }, 0, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.mutate(&o)
			c, err := o.check()
			switch {
			case tc.wantErr != nil || tc.errText:
				if err == nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Fatalf("check() = %v, want error %v", err, tc.wantErr)
				}
			case err != nil:
				t.Fatalf("check() = %v", err)
			case c.Port != tc.wantPort:
				t.Errorf("Port = %d, want %d", c.Port, tc.wantPort)
			}
		})
	}
	if s := (Options{Password: "secret"}).String(); strings.Contains(s, "secret") {
		t.Errorf("String() = %s, shows the password", s)
	}
}
