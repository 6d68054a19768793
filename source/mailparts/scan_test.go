package mailparts

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// sum is a part's content sum: SHA-256 without CRs and final line ends.
func sum(s string) string {
	h := sha256.Sum256([]byte(strings.TrimRight(strings.ReplaceAll(s, "\r", ""), "\n")))
	return hex.EncodeToString(h[:])
}

func TestPartKind(t *testing.T) {
	tests := []struct{ mediaType, filename, want string }{
		{"text/vcard", "", kindVCard},
		{"text/x-vcard", "", kindVCard},
		{"text/directory", "", kindVCard},
		{"application/octet-stream", "Dana.VCF", kindVCard},
		{"application/octet-stream", "card.vcard", kindVCard},
		{"text/calendar", "", kindICal},
		{"application/ics", "", kindICal},
		{"application/octet-stream", "invite.ics", kindICal},
		{"text/plain", "", ""},
		{"application/pdf", "invoice.pdf", ""},
		{"application/octet-stream", "winmail.dat", ""},
	}
	for _, tt := range tests {
		if got := partKind(tt.mediaType, tt.filename); got != tt.want {
			t.Errorf("partKind(%q, %q) = %q, want %q", tt.mediaType, tt.filename, got, tt.want)
		}
	}
}

// card is the vCard the scanner tests find in various wrappings.
var card = crlf("BEGIN:VCARD\nVERSION:3.0\nFN:Dana From-Mail\nN:From-Mail;Dana;;;\nEMAIL:dana@example.test\nEND:VCARD\n")

// invite is an invitation with a VALARM whose UID is not the event's.
var invite = crlf(`BEGIN:VCALENDAR
VERSION:2.0
METHOD:REQUEST
BEGIN:VEVENT
UID:abc@example.test
SEQUENCE:3
DTSTAMP:20250107T080000Z
DTSTART:20250210T110000Z
SUMMARY:Kickoff
BEGIN:VALARM
UID:alarm
ACTION:DISPLAY
TRIGGER:-PT15M
END:VALARM
END:VEVENT
END:VCALENDAR
`)

// TestScanParts finds the parts of messages as mail clients send them:
// nested multiparts, base64 and quoted-printable, a .vcf attachment typed
// application/octet-stream, a message that is itself an invitation, and
// none in a message without parts; the sizes and sums are those of the
// decoded parts.
func TestScanParts(t *testing.T) {
	b64card := "QkVHSU46VkNBUkQNClZFUlNJT046My4wDQpGTjpEYW5hIEZyb20tTWFpbA0KTjpGcm9tLU1haWw7\r\nRGFuYTs7Ow0KRU1BSUw6ZGFuYUBleGFtcGxlLnRlc3QNCkVORDpWQ0FSRA0K\r\n"
	// The invitation, quoted-printable with a soft break and =3D.
	qpInvite := strings.Replace(strings.Replace(invite, "SUMMARY:Kickoff", "SUMMARY:Kick=\r\noff", 1), "TRIGGER:-PT15M", "TRIGGER=3A-PT15M", 1)
	tests := []struct {
		name    string
		msg     string
		want    []found
		wantErr bool
	}{{
		name: "vcf attachment as octet-stream, base64",
		msg: crlf("Subject: card\nContent-Type: multipart/mixed; boundary=b1\n\n--b1\nContent-Type: text/plain\n\nhi\n--b1\n"+
			"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"dana.vcf\"\nContent-Transfer-Encoding: base64\n\n") +
			b64card + crlf("--b1--\n"),
		want: []found{{kind: kindVCard, loc: location{n: 1}, size: int64(len(card)), sum: sum(card)}},
	}, {
		// The CRLF before a delimiter belongs to the delimiter (RFC 2046
		// section 5.1.1), so both copies end without it.
		name: "nested multipart, quoted-printable calendar and an attached copy",
		msg: crlf("Subject: invite\nContent-Type: multipart/mixed; boundary=outer\n\n--outer\nContent-Type: multipart/alternative; boundary=inner\n\n"+
			"--inner\nContent-Type: text/plain\n\ntext\n--inner\nContent-Type: text/html\n\n<p>html</p>\n--inner\n"+
			"Content-Type: text/calendar; method=REQUEST\nContent-Transfer-Encoding: quoted-printable\n\n") + qpInvite + crlf("--inner--\n--outer\n"+
			"Content-Type: application/pdf; name=agenda.pdf\n\n%PDF\n--outer\nContent-Type: application/ics; name=\"invite.ics\"\n\n") + invite + crlf("--outer--\n"),
		want: []found{
			{kind: kindICal, loc: location{n: 2}, size: int64(len(invite)) - 2, sum: sum(strings.TrimSuffix(invite, "\r\n")), ical: icalMeta{Method: "REQUEST", UID: "abc@example.test", Sequence: 3, DTStamp: "20250107T080000Z", Events: 1, Master: true}},
			{kind: kindICal, loc: location{n: 4}, size: int64(len(invite)) - 2, sum: sum(strings.TrimSuffix(invite, "\r\n")), ical: icalMeta{Method: "REQUEST", UID: "abc@example.test", Sequence: 3, DTStamp: "20250107T080000Z", Events: 1, Master: true}},
		},
	}, {
		name: "the message is the invitation",
		msg:  crlf("Subject: reply\nContent-Type: text/calendar; method=REPLY\n\n") + strings.Replace(invite, "METHOD:REQUEST", "METHOD:REPLY", 1),
		want: []found{{kind: kindICal, loc: location{n: 0}, size: int64(len(invite)) - 2, sum: sum(strings.Replace(invite, "METHOD:REQUEST", "METHOD:REPLY", 1)), ical: icalMeta{Method: "REPLY", UID: "abc@example.test", Sequence: 3, DTStamp: "20250107T080000Z", Events: 1, Master: true}}},
	}, {
		name: "no parts",
		msg:  crlf("Subject: plain\nContent-Type: multipart/alternative; boundary=x\n\n--x\nContent-Type: text/plain\n\nBEGIN:VCARD in text is not a part\n--x--\n"),
	}, {
		name:    "malformed header: nothing, and an error",
		msg:     "Subject: x\r\nthis line is not a field\r\n\r\nbody\r\n",
		wantErr: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanParts(strings.NewReader(tt.msg), DefaultMaxPartBytes)
			if (err != nil) != tt.wantErr {
				t.Fatalf("scanParts() error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(found{}, location{})); diff != "" {
				t.Errorf("scanParts() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestScanPartsTooLarge: a part over the cap is measured (streamed, not
// held) and marked.
func TestScanPartsTooLarge(t *testing.T) {
	big := "BEGIN:VCARD\r\nNOTE:" + strings.Repeat("x", 5000) + "\r\nEND:VCARD\r\n"
	msg := crlf("Subject: big\nContent-Type: text/vcard\n\n") + big
	got, err := scanParts(strings.NewReader(msg), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].big || got[0].size != int64(len(big)) {
		t.Errorf("scanParts() = %+v, want one big part of %d bytes", got, len(big))
	}
}

// TestScanICal reads METHOD, the event's UID (not the alarm's), the
// highest SEQUENCE, the latest DTSTAMP, folded lines and RECURRENCE-ID.
func TestScanICal(t *testing.T) {
	tests := []struct {
		name, ics string
		want      icalMeta
	}{{
		name: "invitation with an alarm",
		ics:  invite,
		want: icalMeta{Method: "REQUEST", UID: "abc@example.test", Sequence: 3, DTStamp: "20250107T080000Z", Events: 1, Master: true},
	}, {
		name: "folded UID, LF line ends, lower-case names, no METHOD",
		ics:  "BEGIN:VCALENDAR\nbegin:vevent\nuid:long-\n uid@x\nsequence:2\nEND:VEVENT\nEND:VCALENDAR",
		want: icalMeta{UID: "long-uid@x", Sequence: 2, Events: 1, Master: true},
	}, {
		name: "only an occurrence of a series",
		ics:  crlf("BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nUID:s@x\nRECURRENCE-ID;TZID=\"Europe/Zurich\":20250303T090000\nEND:VEVENT\nEND:VCALENDAR\n"),
		want: icalMeta{Method: "REQUEST", UID: "s@x", Events: 1, RecurrenceID: "20250303T090000"},
	}, {
		name: "a series and an occurrence: the highest SEQUENCE",
		ics:  crlf("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:s@x\nSEQUENCE:1\nEND:VEVENT\nBEGIN:VEVENT\nUID:s@x\nSEQUENCE:4\nRECURRENCE-ID:20250303T090000Z\nEND:VEVENT\nEND:VCALENDAR\n"),
		want: icalMeta{UID: "s@x", Sequence: 4, Events: 2, Master: true},
	}, {
		name: "a task",
		ics:  crlf("BEGIN:VCALENDAR\nMETHOD:PUBLISH\nBEGIN:VTODO\nUID:t@x\nEND:VTODO\nEND:VCALENDAR\n"),
		want: icalMeta{Method: "PUBLISH"},
	}, {
		name: "a quoted colon in a parameter",
		ics:  crlf("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID;X-P=\"a:b\":q@x\nEND:VEVENT\nEND:VCALENDAR\n"),
		want: icalMeta{UID: "q@x", Events: 1, Master: true},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanICal(strings.NewReader(tt.ics))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("scanICal() (-want +got):\n%s", diff)
			}
		})
	}
}
