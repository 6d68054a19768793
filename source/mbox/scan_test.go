package mbox

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/source"
)

// got is one listed message and its content.
type got struct {
	content string
	flags   []string
	date    time.Time
}

// load writes content to a file, opens it and reads every message.
func load(t *testing.T, content string, esc Escaping) ([]got, source.Folder) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "Inbox")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := Open(context.Background(), &Options{Paths: []string{path}, Escaping: esc, Location: time.UTC})
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer a.Close()
	folders, err := a.Folders(context.Background())
	if err != nil || len(folders) != 1 {
		t.Fatalf("Folders() = %v, %v", folders, err)
	}
	var out []got
	var n int64
	for ref, err := range a.Items(context.Background(), folders[0]) {
		if err != nil {
			t.Fatalf("Items() = %v", err)
		}
		rc, err := a.Open(context.Background(), folders[0], ref)
		if err != nil {
			t.Fatalf("Open(%s) = %v", ref.Key, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(b)) != ref.Size {
			t.Errorf("item %s: %d bytes read, Size %d", ref.Key, len(b), ref.Size)
		}
		n += ref.Size
		out = append(out, got{content: string(b), flags: ref.Flags, date: ref.Date})
	}
	if f := folders[0]; f.Count != int64(len(out)) || f.Bytes != n {
		t.Errorf("folder Count %d Bytes %d, listed %d items of %d bytes", f.Count, f.Bytes, len(out), n)
	}
	return out, folders[0]
}

func contents(g []got) []string {
	var s []string
	for _, x := range g {
		s = append(s, x.content)
	}
	return s
}

const (
	from1 = "From alice@example.test Mon Jan  1 10:00:00 2024\n"
	from2 = "From MAILER-DAEMON Tue Jan  2 11:00:00 2024\n"
)

func TestScanner(t *testing.T) {
	body := "line\n\nFrom bob@example.test Mon Jan  1 00:00:00 2024\nmore\n"
	clMsg := func(n int) string {
		return from1 + fmt.Sprintf("Subject: cl\nContent-Length: %d\n\n", n) + body + "\n" + from2 + "Subject: next\n\nx\n"
	}
	for _, c := range []struct {
		name    string
		in      string
		esc     Escaping
		want    []string
		deleted int64
	}{
		{name: "empty file", in: "", want: nil},
		{name: "From the desk of in a body",
			in:   from1 + "Subject: one\n\nHello\nFrom the desk of Bob\nbye\n\n" + from2 + "Subject: two\n\nbody2\n",
			want: []string{"Subject: one\n\nHello\nFrom the desk of Bob\nbye\n", "Subject: two\n\nbody2\n"}},
		{name: "a valid From_ line inside a body, no blank line before, no header after",
			in:   from1 + "Subject: one\n\ntext\nFrom bob@example.test Mon Jan  1 00:00:00 2024\nmore text\n",
			want: []string{"Subject: one\n\ntext\nFrom bob@example.test Mon Jan  1 00:00:00 2024\nmore text\n"}},
		{name: "mboxrd escapes (auto)",
			in:   from1 + "Subject: x\n\n>From here\n>>From there\n> From quoted\n\n" + from2 + "Subject: y\n\n>>>From deep\n",
			want: []string{"Subject: x\n\nFrom here\n>From there\n> From quoted\n", "Subject: y\n\n>>From deep\n"}},
		{name: "mboxo escapes", esc: EscapingMboxo,
			in:   from1 + "Subject: x\n\n>From here\n>>From there\n",
			want: []string{"Subject: x\n\nFrom here\n>>From there\n"}},
		{name: "no unescaping when the file has a bare From line (auto)",
			in:   from1 + "Subject: x\n\n>From as written\n\n" + from2 + "Subject: y\n\nFrom the desk of Bob\n",
			want: []string{"Subject: x\n\n>From as written\n", "Subject: y\n\nFrom the desk of Bob\n"}},
		// Content-Length is mbox metadata (Dovecot writes it and hides it
		// over IMAP): used, and not yielded.
		{name: "Content-Length right", in: clMsg(len(body)),
			want: []string{"Subject: cl\n\n" + body, "Subject: next\n\nx\n"}},
		{name: "Content-Length right, last message", in: from1 + fmt.Sprintf("Subject: cl\nContent-Length: %d\n\n", len(body)) + body,
			want: []string{"Subject: cl\n\n" + body}},
		{name: "Content-Length too short", in: clMsg(len(body) - 3),
			want: []string{"Subject: cl\n\nline\n", "more\n\n", "Subject: next\n\nx\n"}},
		{name: "Content-Length too long", in: clMsg(len(body) + 40),
			want: []string{"Subject: cl\n\nline\n", "more\n\n", "Subject: next\n\nx\n"}},
		{name: "CRLF",
			in:   strings.ReplaceAll(from1+"Subject: a\n\nbody\n>From x\n\n"+from2+"Subject: b\n\nbody2\n", "\n", "\r\n"),
			want: []string{"Subject: a\r\n\r\nbody\r\nFrom x\r\n", "Subject: b\r\n\r\nbody2\r\n"}},
		{name: "missing final newline",
			in:   from1 + "Subject: a\n\nbody\n\n" + from2 + "Subject: b\n\nbody2",
			want: []string{"Subject: a\n\nbody\n", "Subject: b\n\nbody2"}},
		{name: "message ending in blank lines keeps all but the separator",
			in:   from1 + "Subject: a\n\nbody\n\n\n" + from2 + "Subject: b\n\nx\n\n",
			want: []string{"Subject: a\n\nbody\n\n", "Subject: b\n\nx\n"}},
		{name: "garbage before the first From_ line",
			in:   "garbage\nmore garbage\n" + from1 + "Subject: g\n\nx\n",
			want: []string{"Subject: g\n\nx\n"}},
		{name: "Thunderbird: no blank line between messages, status fields stripped, expunged left out",
			in: "From - Tue Jul 05 18:44:15 2022\nX-Mozilla-Status: 0001\nX-Mozilla-Status2: 00000000\nX-Mozilla-Keys: $label1 work                  \n   \nSubject: tb\n\nbody\n" +
				"From - Tue Jul 05 18:45:15 2022\nX-Mozilla-Status: 0009\nSubject: gone\n\nexpunged\n" +
				"From - Tue Jul 05 18:46:15 2022\nX-Mozilla-Status: 0000\nSubject: third\n\nbody3\n",
			want: []string{"Subject: tb\n\nbody\n", "Subject: third\n\nbody3\n"}, deleted: 1},
		// As Dovecot 2.3 wrote it (doveadm save, flags add, expunge):
		// its fields after the sender's, padded; "From " body lines not
		// escaped but a Content-Length; \Deleted as X-Status D; and the
		// folder data message c-client and Dovecot leave in an emptied
		// folder, which is no message.
		{name: "Dovecot: metadata fields stripped, Content-Length, X-Status D, folder data message",
			in: "From MAILER_DAEMON  Fri Dec 04 19:16:26 2026\nDate: Fri, 04 Dec 2026 19:16:26 +0000\nFrom: Mail System Internal Data <MAILER-DAEMON@vm>\n" +
				"Subject: DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA\nMessage-ID: <1796411786@vm>\nX-IMAP: 1796411787 0000000001\nStatus: RO\n\nThis text is part of the internal format of your mail folder, and is not\na real message.\n\n" +
				"From alice@example.test  Fri Dec 04 19:16:26 2026\nFrom: a@example.test\nSubject: one\nX-IMAPbase: 1796411786 0000000002 $label1 Work\nX-UID: 1\nStatus: R\n" +
				"X-Keywords: $label1 Work                                \nContent-Length: 90\nX-Status: F\n\n" +
				"body\nFrom the desk of me\n\nFrom a@example.test Mon Jan  1 10:00:00 2024\nSubject: fake\n\nend\n\n" +
				"From alice@example.test  Fri Dec 04 19:16:27 2026\nFrom: a@example.test\nSubject: two\nX-UID: 2\nStatus: \nX-Keywords:      \nContent-Length: 5\nX-Status: D\n\ngone\n\n",
			want: []string{"From: a@example.test\nSubject: one\n\nbody\nFrom the desk of me\n\nFrom a@example.test Mon Jan  1 10:00:00 2024\nSubject: fake\n\nend\n"}, deleted: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, f := load(t, c.in, c.esc)
			if got := contents(g); !reflect.DeepEqual(got, c.want) {
				t.Errorf("messages =\n%q\nwant\n%q", got, c.want)
			}
			if f.Deleted != c.deleted {
				t.Errorf("Deleted = %d, want %d", f.Deleted, c.deleted)
			}
		})
	}
}

func TestFlagsAndDates(t *testing.T) {
	msg := func(status, keys string) string {
		s := "From - Tue Jul 05 18:44:15 2022\n"
		if status != "" {
			s += "X-Mozilla-Status: " + status + "\n"
		}
		if keys != "" {
			s += "X-Mozilla-Keys: " + keys + "\n"
		}
		return s + "Subject: s\n\nb\n"
	}
	for _, c := range []struct {
		status, keys string
		want         []string
		deleted      bool
	}{
		{"", "", nil, false},
		{"0000", "", nil, false},
		{"0001", "", []string{`\Seen`}, false},
		{"0003", "", []string{`\Seen`, `\Answered`}, false},
		{"0005", "", []string{`\Seen`, `\Flagged`}, false},
		{"1001", "", []string{`\Seen`, "$Forwarded"}, false},
		{"8001", "$label1 $label4 projekt   ", []string{`\Seen`, "$label1", "$label4", "projekt"}, false},
		{"0009", "", nil, true},
		{"000b", "", nil, true},
	} {
		t.Run(c.status+"/"+c.keys, func(t *testing.T) {
			g, f := load(t, msg(c.status, c.keys), "")
			if c.deleted {
				if len(g) != 0 || f.Deleted != 1 {
					t.Errorf("listed %d, Deleted %d; want an expunged message left out and counted", len(g), f.Deleted)
				}
				return
			}
			if len(g) != 1 || !reflect.DeepEqual(g[0].flags, c.want) {
				t.Fatalf("got %+v, want flags %q", g, c.want)
			}
			if g[0].content != "Subject: s\n\nb\n" {
				t.Errorf("content %q: want the Mozilla fields stripped", g[0].content)
			}
			if want := time.Date(2022, 7, 5, 18, 44, 15, 0, time.UTC); !g[0].date.Equal(want) {
				t.Errorf("date %v, want the From_ line's %v", g[0].date, want)
			}
		})
	}
}

// TestStatusFields: Status, X-Status and X-Keywords (Dovecot, UW-IMAP,
// mutt, Python's mailbox.mboxMessage) give the flags, as Dovecot maps them
// (mbox-sync-parse.c: Status R \Seen, O not \Recent; X-Status A
// \Answered, F \Flagged, T \Draft, D \Deleted), unless X-Mozilla-Status
// is there: Thunderbird keeps its flags only there.
func TestStatusFields(t *testing.T) {
	for _, c := range []struct {
		name, header string
		want         []string
		deleted      bool
	}{
		{"none", "", nil, false},
		{"old, unread", "Status: O\n", nil, false},
		{"read", "Status: RO\n", []string{`\Seen`}, false},
		{"Dovecot's order and padding", "X-UID: 7\nStatus: R\nX-Keywords: $label1 Work        \nContent-Length: 2\nX-Status: AFT\n", []string{`\Seen`, `\Answered`, `\Flagged`, `\Draft`, "$label1", "Work"}, false},
		{"Python's mboxMessage", "Status: RO\nX-Status: FA\n", []string{`\Seen`, `\Answered`, `\Flagged`}, false},
		{"lower-case names", "status: R\nx-status: F\n", []string{`\Seen`, `\Flagged`}, false},
		{"deleted", "Status: RO\nX-Status: D\n", nil, true},
		{"Thunderbird's status wins", "X-Mozilla-Status: 0000\nStatus: RO\nX-Status: DF\n", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, f := load(t, "From a@example.test Tue Jul  5 18:44:15 2022\nSubject: s\n"+c.header+"\nb\n", "")
			if c.deleted {
				if len(g) != 0 || f.Deleted != 1 {
					t.Errorf("listed %d, Deleted %d; want a deleted message left out and counted", len(g), f.Deleted)
				}
				return
			}
			if len(g) != 1 || !reflect.DeepEqual(g[0].flags, c.want) {
				t.Fatalf("got %+v, want flags %q", g, c.want)
			}
			if g[0].content != "Subject: s\n\nb\n" {
				t.Errorf("content %q: want the status fields stripped", g[0].content)
			}
		})
	}
}

func TestParseFromLine(t *testing.T) {
	utc := func(y int, m time.Month, d, h, mi, s int) time.Time { return time.Date(y, m, d, h, mi, s, 0, time.UTC) }
	for _, c := range []struct {
		line string
		ok   bool
		want time.Time
	}{
		{"From alice@example.test Mon Jan  1 10:00:00 2024", true, utc(2024, 1, 1, 10, 0, 0)},
		{"From MAILER-DAEMON Fri Jul 8 12:08:34 2011", true, utc(2011, 7, 8, 12, 8, 34)},
		{"From - Tue Jul 05 18:44:15 2022", true, utc(2022, 7, 5, 18, 44, 15)},
		{"From - alice@example.test Sun Aug 27 10:54:07 2023", true, utc(2023, 8, 27, 10, 54, 7)},
		{"From - Sat Apr 12 2025 15:59:28", true, utc(2025, 4, 12, 15, 59, 28)},
		{"From 1234@xxx Sat Jan 01 00:00:00 +0100 2022", true, utc(2021, 12, 31, 23, 0, 0)},
		{"From alice@example.test Mon Jan  1 10:00 2024", true, utc(2024, 1, 1, 10, 0, 0)},
		{"From alice@example.test Mon Jan  1 10:00:00 2024 +0000", true, utc(2024, 1, 1, 10, 0, 0)},
		{"From uucp!alice Mon Jan  1 10:00:00 2024 remote from gw", true, utc(2024, 1, 1, 10, 0, 0)},
		{"From the desk of Bob", false, time.Time{}},
		{"From alice@example.test yesterday", false, time.Time{}},
		{"From: alice@example.test", false, time.Time{}},
		{"From alice@example.test Mon Jan  1 10:00:00 2024 and more words", false, time.Time{}},
		{"from alice@example.test Mon Jan  1 10:00:00 2024", false, time.Time{}},
	} {
		got, ok := parseFromLine([]byte(c.line), time.UTC)
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("parseFromLine(%q) = %v, %v; want %v, %v", c.line, got, ok, c.want, c.ok)
		}
	}
}
