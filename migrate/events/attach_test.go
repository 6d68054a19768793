package events

import (
	"encoding/base64"
	"io"
	"strings"
	"testing"
)

func TestAttachments(t *testing.T) {
	pdf := []byte("%PDF-1.4 the agenda")
	b64 := base64.StdEncoding.EncodeToString(pdf)
	type att struct{ name, ct, content string }
	tests := []struct {
		name     string
		props    string
		want     []att
		body     []string // lines the body must hold
		noteWant string   // a report note that must appear ("" none)
	}{
		{name: "binary with X-FILENAME and FMTTYPE",
			props: "ATTACH;FMTTYPE=application/pdf;ENCODING=BASE64;VALUE=BINARY;X-FILENAME=agenda.pdf:" + b64 + "\r\n",
			want:  []att{{"agenda.pdf", "application/pdf", string(pdf)}}},
		{name: "binary with FILENAME, folded, unpadded",
			props: "ATTACH;ENCODING=BASE64;VALUE=BINARY;FILENAME=notes.txt:" + strings.TrimRight(base64.StdEncoding.EncodeToString([]byte("hello!!")), "=")[:4] + "\r\n " +
				strings.TrimRight(base64.StdEncoding.EncodeToString([]byte("hello!!")), "=")[4:] + "\r\n",
			want: []att{{"notes.txt", "", "hello!!"}}},
		{name: "binary without a name",
			props: "ATTACH;FMTTYPE=IMAGE/PNG;ENCODING=BASE64;VALUE=BINARY:" + b64 + "\r\nATTACH;ENCODING=BASE64;VALUE=BINARY:" + b64 + "\r\n",
			want:  []att{{"attachment-1", "image/png", string(pdf)}, {"attachment-2", "", string(pdf)}}},
		{name: "by URI",
			props:    "ATTACH:https://files.example.org/agenda.pdf\r\nATTACH;FMTTYPE=application/msword:ftp://example.com/pub/reports/r-960812.doc\r\n",
			body:     []string{"Attachment: https://files.example.org/agenda.pdf", "Attachment: ftp://example.com/pub/reports/r-960812.doc", "Bring slides"},
			noteWant: "2 attachment(s) by URI kept as links in the body"},
		{name: "bad base64",
			props:    "ATTACH;ENCODING=BASE64;VALUE=BINARY;X-FILENAME=x.bin:!!!not base64!!!\r\n",
			noteWant: "attachment 1 dropped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a@example.org\r\nDTSTART:20250101T100000Z\r\nDTEND:20250101T110000Z\r\n" +
				"DESCRIPTION:Bring slides\r\n" + tt.props + "END:VEVENT\r\nEND:VCALENDAR\r\n"
			cal, err := Parse(strings.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			evs, rep := mapUID(t, cal, "a@example.org")
			if len(evs) != 1 {
				t.Fatalf("Map = %d events", len(evs))
			}
			ev := evs[0]
			if len(ev.Attachments) != len(tt.want) {
				t.Fatalf("attachments = %+v, want %d", ev.Attachments, len(tt.want))
			}
			for i, w := range tt.want {
				a := ev.Attachments[i]
				rc, err := a.Open()
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(rc)
				rc.Close()
				if a.Name != w.name || a.ContentType != w.ct || string(got) != w.content || a.Size != int64(len(w.content)) {
					t.Errorf("attachment %d = %q %q %d %q; want %q %q %q", i, a.Name, a.ContentType, a.Size, got, w.name, w.ct, w.content)
				}
			}
			for _, l := range tt.body {
				if !strings.Contains(ev.Body, l) {
					t.Errorf("body %q lacks %q", ev.Body, l)
				}
			}
			if len(tt.body) == 0 && strings.Contains(ev.Body, "Attachment:") {
				t.Errorf("body %q has attachment links", ev.Body)
			}
			found := tt.noteWant == ""
			for _, n := range rep.Notes {
				found = found || strings.Contains(n, tt.noteWant)
			}
			if !found {
				t.Errorf("report %q lacks %q", rep.Notes, tt.noteWant)
			}
		})
	}
}
