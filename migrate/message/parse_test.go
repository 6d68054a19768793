package message

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const hdr = "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: test\r\n" +
	"Date: Tue, 10 Jan 2023 10:00:00 +0100\r\nMessage-ID: <id@example.test>\r\nMIME-Version: 1.0\r\n"

// png1 is a 1x1 PNG, base64.
const png1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

func TestParseEnvelope(t *testing.T) {
	in := crlf(
		`From: "=?ISO-8859-1?Q?J=FCrgen_M=FCller?=" <juergen@example.test>`,
		"Sender: Secretary <sec@example.test>",
		"To: Bob <bob@example.test>, carol@example.test (Carol C.)",
		"To: dave@example.test",
		"Cc: undisclosed-recipients:;",
		"Bcc: Eve <eve@example.test>",
		"Reply-To: list@example.test",
		"Subject: =?UTF-8?B?4pyTIENoZWNr?= =?UTF-8?Q?_und_=C3=BCbrig?=",
		"Date: Thu, 20 Nov 1997 09:55:06 MDT",
		"Message-ID: <abc@example.test>",
		"In-Reply-To: <parent@example.test> (comment)",
		"References: <root@example.test>",
		"  <parent@example.test>",
		"X-Priority: 1 (Highest)",
		"Disposition-Notification-To: juergen@example.test",
		"",
		"Hello.",
		"")
	m := parse(t, in, nil)
	want := &Message{
		Subject:              "✓ Check und übrig",
		From:                 &Address{Name: "Jürgen Müller", Address: "juergen@example.test"},
		Sender:               &Address{Name: "Secretary", Address: "sec@example.test"},
		To:                   []Address{{"Bob", "bob@example.test"}, {"Carol C.", "carol@example.test"}, {"", "dave@example.test"}},
		Bcc:                  []Address{{"Eve", "eve@example.test"}},
		ReplyTo:              []Address{{"", "list@example.test"}},
		Date:                 time.Date(1997, 11, 20, 9, 55, 6, 0, time.FixedZone("", -6*3600)),
		MessageID:            "<abc@example.test>",
		InReplyTo:            "<parent@example.test>",
		References:           []string{"<root@example.test>", "<parent@example.test>"},
		Importance:           "high",
		ReadReceiptRequested: true,
		Body:                 Body{ContentType: "text", Content: "Hello.\r\n"},
		Size:                 int64(len(in)),
	}
	opts := []cmp.Option{
		cmpopts.IgnoreUnexported(Message{}),
		cmpopts.IgnoreFields(Message{}, "RawHeader"),
		cmpopts.EquateEmpty(),
		cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	}
	if diff := cmp.Diff(want, m, opts...); diff != "" {
		t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(m.RawHeader, "From: \"=?ISO-8859-1?Q?J=FCrgen_M=FCller?=\" <juergen@example.test>\r\n") ||
		!strings.HasSuffix(m.RawHeader, "Disposition-Notification-To: juergen@example.test\r\n") {
		t.Errorf("RawHeader = %q", m.RawHeader)
	}
}

func TestParseStructure(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		opts  *Options
		check func(t *testing.T, m *Message)
	}{{
		name: "alternative prefers HTML",
		in: hdr + crlf("Content-Type: multipart/alternative; boundary=alt", "",
			"--alt", "Content-Type: text/plain", "", "plain", "--alt",
			"Content-Type: text/html; charset=utf-8", "", "<p>html</p>", "--alt--", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body != (Body{"html", "<p>html</p>"}) || len(m.Attachments) != 0 || len(m.Problems) != 0 {
				t.Errorf("Body = %+v, %d attachments, problems %q", m.Body, len(m.Attachments), m.Problems)
			}
		},
	}, {
		name: "alternative with HTML first still prefers HTML",
		in: hdr + crlf("Content-Type: multipart/alternative; boundary=alt", "",
			"--alt", "Content-Type: text/html", "", "<b>html</b>", "--alt",
			"Content-Type: text/plain", "", "plain", "--alt--", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body != (Body{"html", "<b>html</b>"}) {
				t.Errorf("Body = %+v", m.Body)
			}
		},
	}, {
		name: "alternative of plain text only",
		in: hdr + crlf("Content-Type: multipart/alternative; boundary=alt", "",
			"--alt", "Content-Type: text/enriched", "", "<bold>x</bold>", "--alt",
			"Content-Type: text/plain", "", "plain", "--alt--", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body != (Body{"text", "plain"}) || len(m.Attachments) != 1 {
				t.Errorf("Body = %+v, attachments %d", m.Body, len(m.Attachments))
			}
		},
	}, {
		name: "related: inline image by Content-ID",
		in: hdr + crlf("Content-Type: multipart/related; boundary=rel", "",
			"--rel", "Content-Type: text/html", "", `<img src="cid:logo@x">`, "--rel",
			"Content-Type: image/png", "Content-ID: <logo@x>", "Content-Transfer-Encoding: base64", "", png1,
			"--rel", "Content-Type: image/png; name=unused.png", "Content-ID: <unused@x>", "Content-Transfer-Encoding: base64", "", png1,
			"--rel--", ""),
		check: func(t *testing.T, m *Message) {
			if len(m.Attachments) != 2 {
				t.Fatalf("got %d attachments", len(m.Attachments))
			}
			a, b := m.Attachments[0], m.Attachments[1]
			if a.Name != "attachment-1.png" || a.ContentType != "image/png" || a.ContentID != "logo@x" || !a.Inline || a.Size != 70 {
				t.Errorf("inline image = %+v", a)
			}
			// Not referenced by the body: shown as an ordinary attachment
			// rather than hidden (MS-OXCMAIL 2.2.3.4.1.4.1).
			if b.Name != "unused.png" || b.ContentID != "unused@x" || b.Inline {
				t.Errorf("unreferenced image = %+v", b)
			}
		},
	}, {
		name: "related: the root need not come first",
		in: hdr + crlf("Content-Type: multipart/related; boundary=rel", "",
			"--rel", "Content-Type: image/gif", "Content-ID: <i@x>", "", "GIF89a", "--rel",
			"Content-Type: text/html", "", `<img src="cid:i@x">`, "--rel--", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != `<img src="cid:i@x">` || len(m.Attachments) != 1 || !m.Attachments[0].Inline {
				t.Errorf("Body %+v, attachments %+v", m.Body, m.Attachments)
			}
		},
	}, {
		name: "related: a text/html resource after the root",
		in: hdr + crlf(`Content-Type: multipart/related; boundary=rel; start="<root@x>"`, "",
			"--rel", "Content-Type: text/html", "Content-ID: <root@x>", "", `<iframe src="cid:frame@x">`, "--rel",
			"Content-Type: text/html", "Content-ID: <frame@x>", "", "<p>frame</p>", "--rel--", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != `<iframe src="cid:frame@x">` || len(m.Attachments) != 1 || m.Attachments[0].ContentID != "frame@x" {
				t.Errorf("Body %+v, attachments %+v", m.Body, m.Attachments)
			}
		},
	}, {
		name: "related: percent-encoded cid URL",
		in: hdr + crlf("Content-Type: multipart/related; boundary=rel", "",
			"--rel", "Content-Type: text/html", "", `<img src="CID:part1.a%20b@x">`, "--rel",
			"Content-Type: image/gif", "Content-ID: <part1.a b@x>", "", "GIF89a", "--rel--", ""),
		check: func(t *testing.T, m *Message) {
			if len(m.Attachments) != 1 || !m.Attachments[0].Inline || m.Attachments[0].Name != "attachment-1.gif" {
				t.Errorf("attachments = %+v", m.Attachments)
			}
		},
	}, {
		name: "related: a text resource is an attachment, not body",
		in: hdr + crlf("Content-Type: multipart/related; boundary=rel", "",
			"--rel", "Content-Type: text/html", "", `<link href="cid:css@x">`, "--rel",
			"Content-Type: text/plain", "Content-ID: <css@x>", "", "p{}", "--rel--", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != `<link href="cid:css@x">` || len(m.Attachments) != 1 || m.Attachments[0].Name != "attachment-1.txt" {
				t.Errorf("Body = %+v, attachments %+v", m.Body, m.Attachments)
			}
		},
	}, {
		name: "mixed: names from RFC 2231 and RFC 2047",
		in: hdr + crlf("Content-Type: multipart/mixed; boundary=mix", "",
			"--mix", "Content-Type: text/plain", "", "see attached", "--mix",
			"Content-Type: application/pdf", "Content-Disposition: attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf", "", "%PDF", "--mix",
			"Content-Type: application/octet-stream", "Content-Disposition: attachment;", " filename*0*=iso-8859-1''Gr%FC%DFe;", " filename*1=\" aus \";", " filename*2*=K%F6ln.txt", "", "x", "--mix",
			`Content-Type: application/octet-stream; name="=?UTF-8?B?0J/RgNC40LLQtdGCLnR4dA==?="`, "", "y", "--mix",
			`Content-Type: application/octet-stream`, `Content-Disposition: attachment; filename="C:\Users\me\Desktop\report.doc"`, "", "z", "--mix",
			`Content-Type: application/octet-stream`, `Content-Disposition: attachment; filename=my file.zip`, "", "w", "--mix--", ""),
		check: func(t *testing.T, m *Message) {
			var names []string
			for _, a := range m.Attachments {
				names = append(names, a.Name)
			}
			want := []string{"€ rates.pdf", "Grüße aus Köln.txt", "Привет.txt", "report.doc", "my file.zip"}
			if diff := cmp.Diff(want, names); diff != "" || m.Body.Content != "see attached" {
				t.Errorf("names (-want +got):\n%s\nbody %q", diff, m.Body.Content)
			}
			if m.Attachments[0].ContentType != "application/pdf" {
				t.Errorf("ContentType = %q", m.Attachments[0].ContentType)
			}
		},
	}, {
		name: "message/rfc822 becomes a .eml named after its subject",
		in: hdr + crlf("Content-Type: multipart/mixed; boundary=mix", "",
			"--mix", "Content-Type: text/plain", "", "forwarded", "--mix",
			"Content-Type: message/rfc822", "", "Subject: =?utf-8?q?Inner_/_n=C3=B6te?=", "From: x@example.test", "", "inner body", "--mix",
			"Content-Type: message/rfc822", "", "From: y@example.test", "", "no subject", "--mix--", ""),
		check: func(t *testing.T, m *Message) {
			if len(m.Attachments) != 2 {
				t.Fatalf("attachments = %+v", m.Attachments)
			}
			a := m.Attachments[0]
			if a.Name != "Inner _ nöte.eml" || a.ContentType != "message/rfc822" {
				t.Errorf("attachment = %+v", a)
			}
			if got, want := content(t, a), crlf("Subject: =?utf-8?q?Inner_/_n=C3=B6te?=", "From: x@example.test", "", "inner body"); got != want {
				t.Errorf("content = %q, want %q", got, want)
			}
			if m.Attachments[1].Name != "message.eml" {
				t.Errorf("second name = %q", m.Attachments[1].Name)
			}
		},
	}, {
		name: "calendar and vCard parts get default names",
		in: hdr + crlf("Content-Type: multipart/mixed; boundary=mix", "",
			"--mix", "Content-Type: multipart/alternative; boundary=alt", "",
			"--alt", "Content-Type: text/plain", "", "invited", "--alt",
			"Content-Type: text/calendar; method=REQUEST; charset=utf-8", "", "BEGIN:VCALENDAR", "END:VCALENDAR", "--alt--", "",
			"--mix", "Content-Type: text/vcard", "", "BEGIN:VCARD", "END:VCARD", "--mix",
			"Content-Type: text/x-vcard; name=bob.vcf", "", "BEGIN:VCARD", "END:VCARD", "--mix--", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != "invited" || len(m.Attachments) != 3 {
				t.Fatalf("body %q, attachments %+v", m.Body.Content, m.Attachments)
			}
			for i, want := range [][2]string{{"invite.ics", "text/calendar"}, {"contact.vcf", "text/vcard"}, {"bob.vcf", "text/x-vcard"}} {
				if a := m.Attachments[i]; a.Name != want[0] || a.ContentType != want[1] {
					t.Errorf("attachment %d = %q %q, want %q", i, a.Name, a.ContentType, want)
				}
			}
			if got := content(t, m.Attachments[0]); got != "BEGIN:VCALENDAR\r\nEND:VCALENDAR" {
				t.Errorf("calendar = %q", got)
			}
		},
	}, {
		name: "mixed: a plain footer after plain text is appended",
		in: hdr + crlf("Content-Type: multipart/mixed; boundary=mix", "",
			"--mix", "Content-Type: text/plain", "", "text", "--mix",
			"Content-Type: text/plain", "", "-- ", "footer", "--mix--", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body != (Body{"text", "text\r\n-- \r\nfooter"}) || len(m.Attachments) != 0 {
				t.Errorf("Body = %+v", m.Body)
			}
		},
	}, {
		name: "mixed: a plain footer after HTML goes inside the HTML body",
		in: hdr + crlf("Content-Type: multipart/mixed; boundary=mix", "",
			"--mix", "Content-Type: multipart/alternative; boundary=alt", "",
			"--alt", "Content-Type: text/plain", "", "text", "--alt",
			"Content-Type: text/html", "", "<html><body><p>text</p></body></html>", "--alt--",
			"--mix", "Content-Type: text/plain", "", "List <footer>", "unsubscribe", "--mix--", ""),
		check: func(t *testing.T, m *Message) {
			want := "<html><body><p>text</p><div>List &lt;footer&gt;<br>\r\nunsubscribe</div></body></html>"
			if m.Body != (Body{"html", want}) {
				t.Errorf("Body = %+v, want %q", m.Body, want)
			}
		},
	}, {
		name: "mixed: plain text then HTML makes an HTML body",
		in: hdr + crlf("Content-Type: multipart/mixed; boundary=mix", "",
			"--mix", "Content-Type: text/plain", "", "a < b", "--mix",
			"Content-Type: image/jpeg", "Content-ID: <img@x>", "", "JFIF", "--mix",
			"Content-Type: text/html", "", "<html><head><style>p{}</style></head><body><p>end</p></body></html>", "--mix--", ""),
		check: func(t *testing.T, m *Message) {
			want := "<html><head><style>p{}</style></head><body><div>a &lt; b</div><p>end</p></body></html>"
			if m.Body != (Body{"html", want}) || len(m.Attachments) != 1 || m.Attachments[0].Inline {
				t.Errorf("Body = %+v, want %q; attachments %+v", m.Body, want, m.Attachments)
			}
		},
	}, {
		name: "mixed: text with a filename is an attachment",
		in: hdr + crlf("Content-Type: multipart/mixed; boundary=mix", "",
			"--mix", "Content-Type: text/plain", "", "body", "--mix",
			"Content-Type: text/plain", "Content-Disposition: inline; filename=notes.txt", "", "notes", "--mix",
			"Content-Type: text/html", "Content-Disposition: attachment", "", "<p>page</p>", "--mix--", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != "body" || len(m.Attachments) != 2 || m.Attachments[0].Name != "notes.txt" || m.Attachments[1].Name != "attachment-2.html" {
				t.Errorf("Body = %+v, attachments %+v", m.Body, m.Attachments)
			}
		},
	}, {
		name: "declared boundary never appears: text body and original.eml",
		in: hdr + crlf("Content-Type: multipart/mixed; boundary=declared", "",
			"--other", "Content-Type: text/plain", "", "text in the wrong boundary", "--other--", ""),
		check: func(t *testing.T, m *Message) {
			if !strings.Contains(m.Body.Content, "text in the wrong boundary") || m.Body.ContentType != "text" {
				t.Errorf("Body = %+v", m.Body)
			}
			a := attachment(m, "original.eml")
			if a == nil || a.ContentType != "message/rfc822" {
				t.Fatalf("no original.eml: %+v", m.Attachments)
			}
			if !hasProblem(m, "never appears", "original.eml") {
				t.Errorf("Problems = %q", m.Problems)
			}
		},
	}, {
		name: "multipart without a boundary parameter",
		in:   hdr + crlf("Content-Type: multipart/mixed", "", "just text", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != "just text\r\n" || attachment(m, "original.eml") == nil || !hasProblem(m, "without a boundary") {
				t.Errorf("Body = %+v, attachments %+v, problems %q", m.Body, m.Attachments, m.Problems)
			}
		},
	}, {
		name: "missing closing boundary",
		in: hdr + crlf("Content-Type: multipart/mixed; boundary=mix", "",
			"--mix", "Content-Type: text/plain", "", "text", "--mix",
			"Content-Type: application/octet-stream; name=a.bin", "", "tail of the data", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != "text" || len(m.Attachments) != 1 || content(t, m.Attachments[0]) != "tail of the data\r\n" {
				t.Errorf("Body = %+v, attachments %+v", m.Body, m.Attachments)
			}
			if !hasProblem(m, "no closing boundary") {
				t.Errorf("Problems = %q", m.Problems)
			}
		},
	}, {
		name: "nested multipart missing its close ends at the parent boundary",
		in: hdr + crlf("Content-Type: multipart/mixed; boundary=outer", "",
			"--outer", "Content-Type: multipart/alternative; boundary=inner", "",
			"--inner", "Content-Type: text/plain", "", "plain", "--inner",
			"Content-Type: text/html", "", "<p>html</p>",
			"--outer", "Content-Type: application/pdf; name=x.pdf", "", "%PDF", "--outer--", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != "<p>html</p>" || len(m.Attachments) != 1 || m.Attachments[0].Name != "x.pdf" {
				t.Errorf("Body = %+v, attachments %+v", m.Body, m.Attachments)
			}
			if !hasProblem(m, "part 1", "no closing boundary") {
				t.Errorf("Problems = %q", m.Problems)
			}
		},
	}, {
		name: "LF line ends and white space after boundaries",
		in:   strings.ReplaceAll(hdr, "\r\n", "\n") + "Content-Type: multipart/mixed; boundary=\"b\"\n\nintro\n--b  \nContent-Type: text/plain\n\nline1\nline2\n--b--\t\n",
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != "line1\nline2" || len(m.Problems) != 0 {
				t.Errorf("Body = %q, problems %q", m.Body.Content, m.Problems)
			}
		},
	}, {
		name: "a preamble with content is attached, a notice dropped",
		in: hdr + crlf("Content-Type: multipart/mixed; boundary=mix", "",
			"This is a multi-part message in MIME format.", "", "--mix", "", "body", "--mix--", "", "Mailing list footer after the end", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != "body" || len(m.Attachments) != 1 || m.Attachments[0].Name != "epilogue.txt" {
				t.Fatalf("Body = %q, attachments %+v", m.Body.Content, m.Attachments)
			}
			if got := content(t, m.Attachments[0]); got != "\r\nMailing list footer after the end\r\n" {
				t.Errorf("epilogue = %q", got)
			}
		},
	}, {
		name: "unknown charset falls back to windows-1252",
		in: hdr + crlf("Content-Type: multipart/mixed; boundary=mix", "",
			"--mix", "Content-Type: text/plain; charset=x-foo", "", "caf\xe9 \x80 5", "--mix--", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != "café € 5" {
				t.Errorf("Body = %q", m.Body.Content)
			}
			if !hasProblem(m, `part 1: unknown charset "x-foo", decoded as windows-1252`) {
				t.Errorf("Problems = %q", m.Problems)
			}
		},
	}, {
		name: "UTF-8 labelled iso-8859-1 is read as UTF-8",
		in:   hdr + crlf("Content-Type: text/plain; charset=iso-8859-1", "", "Gr\xc3\xbc\xc3\x9fe", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != "Grüße\r\n" || !hasProblem(m, "declared iso-8859-1 is UTF-8") {
				t.Errorf("Body = %q, problems %q", m.Body.Content, m.Problems)
			}
		},
	}, {
		name: "declared UTF-8 with Latin-1 bytes",
		in:   hdr + crlf("Content-Type: text/plain; charset=utf-8", "", "K\xf6ln", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != "Köln\r\n" || !hasProblem(m, "declared utf-8 is not UTF-8, decoded as windows-1252") {
				t.Errorf("Body = %q, problems %q", m.Body.Content, m.Problems)
			}
		},
	}, {
		name: "UTF-8 with a stray bad byte keeps UTF-8",
		in:   hdr + crlf("Content-Type: text/plain; charset=utf-8", "", "K\xc3\xb6ln \xff!", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != "Köln \uFFFD!\r\n" || !hasProblem(m, "1 invalid UTF-8 sequences replaced") {
				t.Errorf("Body = %q, problems %q", m.Body.Content, m.Problems)
			}
		},
	}, {
		name: "multi-byte charsets",
		in: hdr + crlf("Content-Type: multipart/mixed; boundary=mix", "",
			"--mix", "Content-Type: text/plain; charset=ISO-2022-JP", "", "\x1b$B$3$s$K$A$O\x1b(B", "--mix",
			"Content-Type: text/plain; charset=gb2312", "", "\xc4\xe3\xba\xc3", "--mix",
			"Content-Type: text/plain; charset=ks_c_5601-1987", "", "\xbe\xc8\xb3\xe7", "--mix--", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != "こんにちは\r\n你好\r\n안녕" || len(m.Problems) != 0 {
				t.Errorf("Body = %q, problems %q", m.Body.Content, m.Problems)
			}
		},
	}, {
		name: "HTML without a charset parameter uses its meta tag",
		in:   hdr + crlf("Content-Type: text/html", "", "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-2\"></head><body>\xb1</body></html>", ""),
		check: func(t *testing.T, m *Message) {
			want := `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>ą</body></html>` + "\r\n"
			if m.Body.Content != want {
				t.Errorf("Body = %q, want %q", m.Body.Content, want)
			}
		},
	}, {
		name: "missing headers",
		in:   "X-Nothing: here\r\n\r\nbody\r\n",
		check: func(t *testing.T, m *Message) {
			if !m.Date.IsZero() || m.From != nil || m.MessageID != "" || m.Subject != "" || m.Body.Content != "body\r\n" {
				t.Errorf("got %+v", m)
			}
			for _, p := range []string{"no From", "no Date", "no Message-ID"} {
				if !hasProblem(m, p) {
					t.Errorf("no problem %q in %q", p, m.Problems)
				}
			}
		},
	}, {
		name: "8-bit junk in headers",
		in:   "From: J\xfcrgen <j@example.test>\r\nSubject: caf\xc3\xa9 and na\xefve \x01bell\r\nDate: 17 Jun 2012 12:00 GMT\r\n\r\nx",
		check: func(t *testing.T, m *Message) {
			if m.Subject != "café and naïve bell" || m.From == nil || m.From.Name != "Jürgen" {
				t.Errorf("Subject %q, From %+v", m.Subject, m.From)
			}
			if !hasProblem(m, "From, Subject", "windows-1252") || !strings.Contains(m.RawHeader, "From: Jürgen") {
				t.Errorf("problems %q, RawHeader %q", m.Problems, m.RawHeader)
			}
		},
	}, {
		name: "bad base64 keeps what decodes",
		in: hdr + crlf("Content-Type: application/octet-stream; name=a.bin", "Content-Transfer-Encoding: base64", "",
			"aGVsbG8g", "d29y!!bGQh", "ISEh", ""),
		check: func(t *testing.T, m *Message) {
			if len(m.Attachments) != 1 || content(t, m.Attachments[0]) != "hello world!!!!" {
				t.Fatalf("attachments %+v", m.Attachments)
			}
			if !hasProblem(m, "bad base64", "2 characters") {
				t.Errorf("Problems = %q", m.Problems)
			}
		},
	}, {
		name: "bad quoted-printable keeps the text",
		in:   hdr + crlf("Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "", "100% =3D =ZZ sure=", "K=C3=B6ln=c3=a4   ", "end="),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != "100% = =ZZ sureKölnä\r\nend" {
				t.Errorf("Body = %q", m.Body.Content)
			}
			if !hasProblem(m, "bad quoted-printable", "1 malformed") {
				t.Errorf("Problems = %q", m.Problems)
			}
		},
	}, {
		name: "unknown transfer encoding is kept as it is",
		in:   hdr + crlf("Content-Type: application/octet-stream", "Content-Transfer-Encoding: x-uuencode", "", "begin 644 a", "end", ""),
		check: func(t *testing.T, m *Message) {
			if len(m.Attachments) != 1 || content(t, m.Attachments[0]) != "begin 644 a\r\nend\r\n" || !hasProblem(m, "x-uuencode") {
				t.Errorf("attachments %+v, problems %q", m.Attachments, m.Problems)
			}
		},
	}, {
		name: "absurdly long lines in body and header",
		in:   "Subject: " + strings.Repeat("s", 200<<10) + "\r\nFrom: a@example.test\r\n\r\n" + strings.Repeat("x", 3<<20) + "\r\n",
		opts: &Options{MaxBodyBytes: 1 << 20, MaxHeaderBytes: 8 << 10},
		check: func(t *testing.T, m *Message) {
			if len(m.Subject) > 8<<10 || len(m.Subject) < 7<<10 {
				t.Errorf("Subject is %d bytes", len(m.Subject))
			}
			if m.From == nil || m.From.Address != "a@example.test" {
				t.Errorf("From = %+v", m.From)
			}
			if len(m.RawHeader) > 8<<10 || int64(len(m.Body.Content)) > 1<<20 {
				t.Errorf("RawHeader %d bytes, body %d bytes", len(m.RawHeader), len(m.Body.Content))
			}
			if a := attachment(m, "body.txt"); a == nil || a.Size != 3<<20+2+3 {
				t.Errorf("body.txt = %+v", a)
			}
			if a := attachment(m, "original-headers.txt"); a == nil || a.Size < 200<<10 {
				t.Errorf("original-headers.txt = %+v", a)
			}
			if !hasProblem(m, "Subject") || !hasProblem(m, "body text is") || !hasProblem(m, "header block") {
				t.Errorf("Problems = %q", m.Problems)
			}
		},
	}, {
		name: "huge header block",
		in:   strings.Repeat("Received: from somewhere by elsewhere with ESMTP id 0123456789abcdef\r\n", 2000) + hdr + "\r\nbody",
		check: func(t *testing.T, m *Message) {
			if m.Subject != "test" || m.From == nil || len(m.RawHeader) > DefaultMaxHeaderBytes || !strings.HasSuffix(m.RawHeader, "\r\n") {
				t.Errorf("Subject %q, From %+v, RawHeader %d bytes", m.Subject, m.From, len(m.RawHeader))
			}
			a := attachment(m, "original-headers.txt")
			if a == nil || a.Size != int64(2000*len("Received: from somewhere by elsewhere with ESMTP id 0123456789abcdef\r\n")+len(hdr)+2) || a.ContentType != "text/rfc822-headers" {
				t.Errorf("original-headers.txt = %+v", a)
			}
		},
	}, {
		name: "deep nesting is cut at MaxDepth",
		in: func() string {
			var b strings.Builder
			b.WriteString(hdr + "Content-Type: multipart/mixed; boundary=b0\r\n\r\n")
			for i := range 30 {
				fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i, i+1)
			}
			b.WriteString("--b30\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n--b30--\r\n")
			for i := 29; i >= 0; i-- {
				fmt.Fprintf(&b, "--b%d--\r\n", i)
			}
			return b.String()
		}(),
		check: func(t *testing.T, m *Message) {
			if len(m.Attachments) != 1 || !strings.HasSuffix(m.Attachments[0].Name, ".eml") || !strings.Contains(content(t, m.Attachments[0]), "deep text") {
				t.Fatalf("attachments %+v", m.Attachments)
			}
			if !hasProblem(m, "nested deeper than 20") {
				t.Errorf("Problems = %q", m.Problems)
			}
		},
	}, {
		name: "no header at all",
		in:   "just some text\r\nwithout a header\r\n",
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != "just some text\r\nwithout a header\r\n" || m.RawHeader != "" {
				t.Errorf("Body = %q, RawHeader %q", m.Body.Content, m.RawHeader)
			}
			if a := attachment(m, "original.eml"); a == nil || content(t, a) != "just some text\r\nwithout a header\r\n" {
				t.Errorf("original.eml = %+v", a)
			}
		},
	}, {
		name: "header ended by a line that is not a field",
		in:   "From: a@example.test\r\nSubject: s\r\nthis is the body\r\nand more\r\n",
		check: func(t *testing.T, m *Message) {
			if m.Subject != "s" || m.Body.Content != "this is the body\r\nand more\r\n" || !hasProblem(m, "not ended by an empty line") {
				t.Errorf("Subject %q, Body %q, problems %q", m.Subject, m.Body.Content, m.Problems)
			}
		},
	}, {
		name: "one junk line inside the header is skipped",
		in:   "From: a@example.test\r\njunk line\r\nSubject: s\r\n\r\nbody",
		check: func(t *testing.T, m *Message) {
			if m.Subject != "s" || m.Body.Content != "body" || !hasProblem(m, "1 lines in the header") {
				t.Errorf("Subject %q, Body %q, problems %q", m.Subject, m.Body.Content, m.Problems)
			}
		},
	}, {
		name: "mbox From_ line",
		in:   "From alice@example.test Mon Jan  2 15:04:05 2006\r\n" + hdr + "\r\nbody",
		check: func(t *testing.T, m *Message) {
			if m.Subject != "test" || !hasProblem(m, "mbox") || strings.Contains(m.RawHeader, "From alice") {
				t.Errorf("Subject %q, problems %q", m.Subject, m.Problems)
			}
		},
	}, {
		name: "base64-encoded multipart is decoded",
		in:   hdr + crlf("Content-Type: multipart/mixed; boundary=b", "Content-Transfer-Encoding: base64", "", "LS1iDQoNCmlubmVyDQotLWItLQ0K", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != "inner" || !hasProblem(m, "multipart with Content-Transfer-Encoding base64") {
				t.Errorf("Body %q, problems %q", m.Body.Content, m.Problems)
			}
		},
	}, {
		name: "base64-encoded multipart whose boundary never appears is decoded once",
		in:   hdr + crlf("Content-Type: multipart/mixed; boundary=zz", "Content-Transfer-Encoding: base64", "", "aGVsbG8gd29ybGQ=", ""),
		check: func(t *testing.T, m *Message) {
			if m.Body.Content != "hello world" || attachment(m, "original.eml") == nil {
				t.Errorf("Body %q, attachments %+v, problems %q", m.Body.Content, m.Attachments, m.Problems)
			}
		},
	}, {
		name: "digest parts default to message/rfc822",
		in:   hdr + crlf("Content-Type: multipart/digest; boundary=d", "", "--d", "", "Subject: one", "", "1", "--d", "", "Subject: two", "", "2", "--d--", ""),
		check: func(t *testing.T, m *Message) {
			if len(m.Attachments) != 2 || m.Attachments[0].Name != "one.eml" || m.Attachments[1].Name != "two.eml" {
				t.Errorf("attachments %+v", m.Attachments)
			}
		},
	}, {
		name: "too many parts",
		in: func() string {
			var b strings.Builder
			b.WriteString(hdr + "Content-Type: multipart/mixed; boundary=b\r\n\r\n")
			for i := range MaxParts + 10 {
				fmt.Fprintf(&b, "--b\r\nContent-Type: application/octet-stream\r\n\r\n%d\r\n", i)
			}
			b.WriteString("--b--\r\n")
			return b.String()
		}(),
		check: func(t *testing.T, m *Message) {
			a := attachment(m, "unparsed-parts.txt")
			if len(m.Attachments) != MaxParts || a == nil || !strings.Contains(content(t, a), "\r\n2009\r\n") {
				t.Errorf("%d attachments, unparsed-parts.txt %+v", len(m.Attachments), a)
			}
		},
	}, {
		name: "importance",
		in:   "Importance: Low\r\nX-Priority: 1\r\n\r\n",
		check: func(t *testing.T, m *Message) {
			if m.Importance != "low" {
				t.Errorf("Importance = %q", m.Importance)
			}
		},
	}, {
		name: "body beyond MaxBodyBytes in HTML",
		in:   hdr + crlf("Content-Type: text/html; charset=windows-1252", "", "<html><head><meta charset=windows-1252></head><body>"+strings.Repeat("\x80", 2000)+"</body></html>"),
		opts: &Options{MaxBodyBytes: 1024},
		check: func(t *testing.T, m *Message) {
			if m.Body.ContentType != "html" || len(m.Body.Content) > 1024 || !strings.Contains(m.Body.Content, "<meta charset=utf-8>") || !strings.HasSuffix(m.Body.Content, "body.html.]</p>") {
				t.Errorf("Body = %+v", m.Body)
			}
			a := attachment(m, "body.html")
			if a == nil || !strings.HasPrefix(content(t, a), "\uFEFF<html><head><meta charset=windows-1252>") || !strings.Contains(content(t, a), strings.Repeat("€", 2000)) {
				t.Errorf("body.html = %+v", a)
			}
		},
	}, {
		name: "everything spooled to files",
		in: hdr + crlf("Content-Type: multipart/mixed; boundary=mix", "",
			"--mix", "", "text", "--mix", "Content-Type: image/png", "Content-Transfer-Encoding: base64", "", png1, "--mix--", ""),
		opts: &Options{MemoryLimit: -1},
		check: func(t *testing.T, m *Message) {
			if len(m.Attachments) != 1 || m.Attachments[0].content.path == "" {
				t.Errorf("attachments %+v not in a file", m.Attachments)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(t, tt.in, tt.opts)
			tt.check(t, m)
		})
	}
}

// TestParseCorpus parses the shared seed corpus (source/testserver/seed/mail) and checks
// what each message was written to show.
func TestParseCorpus(t *testing.T) {
	files, _ := filepath.Glob("../../source/testserver/seed/mail/*/*.eml")
	if len(files) == 0 {
		t.Skip("seed corpus not present")
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			m := parse(t, readFile(t, f), nil)
			malformed := strings.Contains(m.Subject, "Malformed") || strings.HasSuffix(f, "missing-headers.eml")
			if !malformed && len(m.Problems) > 0 {
				t.Errorf("Problems = %q, want none", m.Problems)
			}
			if malformed && len(m.Problems) == 0 {
				t.Errorf("no problem found in a malformed message")
			}
			if m.Body.Content == "" {
				t.Errorf("empty body")
			}
		})
	}
	checks := map[string]func(t *testing.T, m *Message){
		"alice/inline-image.eml": func(t *testing.T, m *Message) {
			if m.Body.ContentType != "html" || len(m.Attachments) != 1 || !m.Attachments[0].Inline || m.Attachments[0].ContentID != "logo-16@example.test" {
				t.Errorf("Body %+v, attachments %+v", m.Body, m.Attachments)
			}
		},
		"alice/invitation.eml": func(t *testing.T, m *Message) {
			if len(m.Attachments) != 2 || m.Attachments[0].Name != "invite.ics" || m.Attachments[0].ContentType != "text/calendar" {
				t.Errorf("attachments %+v", m.Attachments)
			}
		},
		"alice/read-receipt.eml": func(t *testing.T, m *Message) {
			if !m.ReadReceiptRequested {
				t.Errorf("ReadReceiptRequested = false")
			}
		},
		"alice/malformed-boundary.eml": func(t *testing.T, m *Message) {
			if !strings.Contains(m.Body.Content, "closing delimiter is missing") || attachment(m, "preamble.txt") == nil {
				t.Errorf("Body %q, attachments %+v", m.Body.Content, m.Attachments)
			}
		},
		"bob/8bit-headers.eml": func(t *testing.T, m *Message) {
			if m.Subject != "Malformed: raw 8-bit äöü and € in headers" || m.From.Name != "Jürgen Ärger" || m.Date.IsZero() {
				t.Errorf("Subject %q, From %+v, Date %v", m.Subject, m.From, m.Date)
			}
		},
		"carol/japanese.eml": func(t *testing.T, m *Message) {
			if m.Subject != "こんにちは" || !strings.HasPrefix(m.Body.Content, "こんにちは") {
				t.Errorf("Subject %q, Body %q", m.Subject, m.Body.Content)
			}
		},
	}
	for name, check := range checks {
		t.Run("check/"+name, func(t *testing.T) {
			check(t, parse(t, readFile(t, filepath.Join("../../source/testserver/seed/mail", name)), nil))
		})
	}
}

// TestParseOneByteReads checks that the result does not depend on how the
// input is cut into reads.
func TestParseOneByteReads(t *testing.T) {
	files, _ := filepath.Glob("../../source/testserver/seed/mail/*/*.eml")
	inputs := []string{
		hdr + crlf("Content-Type: multipart/mixed; boundary=mix", "", "--mix", "Content-Type: text/plain; charset=utf-8",
			"Content-Transfer-Encoding: quoted-printable", "", "K=C3=B6ln =E6=9D=B1=E4=BA=AC", "--mix",
			"Content-Type: image/png", "Content-Transfer-Encoding: base64", "", png1, "--mix--", ""),
	}
	for _, f := range files {
		inputs = append(inputs, readFile(t, f))
	}
	opts := []cmp.Option{cmpopts.IgnoreUnexported(Message{}, Attachment{})}
	for i, in := range inputs {
		dir := t.TempDir()
		whole, err := Parse(context.Background(), strings.NewReader(in), &Options{SpoolDir: dir})
		if err != nil {
			t.Fatalf("Parse() = %v", err)
		}
		bytewise, err := Parse(context.Background(), iotest.OneByteReader(strings.NewReader(in)), &Options{SpoolDir: dir})
		if err != nil {
			t.Fatalf("Parse(OneByteReader) = %v", err)
		}
		if diff := cmp.Diff(whole, bytewise, opts...); diff != "" {
			t.Errorf("input %d: one-byte reads differ (-whole +bytewise):\n%s", i, diff)
		}
		whole.Close()
		bytewise.Close()
	}
}

// errReader fails after n bytes.
type errReader struct {
	r   io.Reader
	n   int
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, e.err
	}
	p = p[:min(len(p), e.n)]
	n, err := e.r.Read(p)
	e.n -= n
	return n, err
}

func TestParseErrors(t *testing.T) {
	big := hdr + crlf("Content-Type: multipart/mixed; boundary=mix", "", "--mix", "Content-Type: application/octet-stream",
		"", strings.Repeat("data ", 200000), "--mix--", "")
	errBoom := errors.New("boom")
	t.Run("read error", func(t *testing.T) {
		dir := t.TempDir()
		m, err := Parse(context.Background(), &errReader{r: strings.NewReader(big), n: 600000, err: errBoom}, &Options{SpoolDir: dir})
		if m != nil || !errors.Is(err, errBoom) {
			t.Fatalf("Parse() = %v, %v; want an error wrapping %v", m, err, errBoom)
		}
		if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
			t.Errorf("spool files left: %q", files)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		r := &cancelReader{r: strings.NewReader(big), cancel: cancel, after: 500000}
		m, err := Parse(ctx, r, &Options{SpoolDir: dir})
		if m != nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("Parse() = %v, %v; want context.Canceled", m, err)
		}
		if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
			t.Errorf("spool files left: %q", files)
		}
	})
	t.Run("reader that never returns data", func(t *testing.T) {
		m, err := Parse(context.Background(), stallReader{}, &Options{SpoolDir: t.TempDir()})
		if m != nil || !errors.Is(err, io.ErrNoProgress) {
			t.Fatalf("Parse() = %v, %v; want io.ErrNoProgress", m, err)
		}
	})
	t.Run("spool directory missing", func(t *testing.T) {
		_, err := Parse(context.Background(), strings.NewReader(big), &Options{SpoolDir: filepath.Join(t.TempDir(), "nope")})
		if err == nil || !strings.Contains(err.Error(), "spool") {
			t.Fatalf("Parse() = %v, want a spool error", err)
		}
	})
}

// cancelReader cancels its context once after bytes have been read.
type cancelReader struct {
	r      io.Reader
	cancel func()
	after  int
	n      int
}

func (c *cancelReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n += n; c.n >= c.after {
		c.cancel()
	}
	return n, err
}

// stallReader returns no data and no error, forever.
type stallReader struct{}

func (stallReader) Read([]byte) (int, error) { return 0, nil }
