package graph

import (
	"context"
	"fmt"
	"testing"

	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/migrate-tool/migrate/target"
)

// benchRaw is a business message: about 48 KB of text and a 20 KB inline
// image, under the 3 MB inline-attachment limit.
func benchRaw() string {
	text := make([]byte, 0, 48<<10)
	for len(text) < 48<<10 {
		text = append(text, "Bitte finden Sie anbei die Zahlen für das dritte Quartal; regards.\n"...)
	}
	return mime("Quartalszahlen Q3", part{name: "logo.png", contentType: "image/png", contentID: "logo@x", data: randomBytes(1, 20_000)},
		part{name: "notes.txt", contentType: "text/plain", data: text})
}

// BenchmarkBuildMessage maps a parsed message to Graph's message resource
// and serializes the creation request (JSON with the extended properties
// and the inline attachments), without sending it: the CPU of the mapping
// per message (make bench-go).
func BenchmarkBuildMessage(b *testing.B) {
	e := newEnv(b, nil, nil)
	ctx := testContext(b)
	mb := e.mailbox(b, ctx)
	m := testMessage(b, "imap:INBOX:1:1", benchRaw())
	body := m.Content.Body
	atts := attachmentsOf(m.Content)
	b.ReportAllocs()
	var n int64
	for b.Loop() {
		msg, _ := buildMessage(m, body, "imap:INBOX:1:1", false)
		var files []models.Attachmentable
		for _, a := range atts {
			content, err := readAttachment(a)
			if err != nil {
				b.Fatal(err)
			}
			files = append(files, fileAttachment(a, content))
		}
		msg.SetAttachments(files)
		ri, err := mb.createRequest(ctx, "inbox", msg)
		if err != nil {
			b.Fatal(err)
		}
		n = int64(len(ri.Content))
	}
	b.SetBytes(n)
}

// BenchmarkPutMessage creates the same message through the whole target
// (mapping, request, the emulator in process, stamp): the cost per item a
// run pays on the Graph side, the emulator's included.
func BenchmarkPutMessage(b *testing.B) {
	e := newEnv(b, nil, nil)
	ctx := testContext(b)
	mb := e.mailbox(b, ctx)
	f, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Bench"})
	if err != nil {
		b.Fatal(err)
	}
	raw := benchRaw()
	m := testMessage(b, "k", raw)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		m.SourceKey = fmt.Sprintf("imap:INBOX:1:%d", i)
		if _, err := mb.PutMessage(context.WithoutCancel(ctx), f, m); err != nil {
			b.Fatalf("PutMessage() = %v", err)
		}
	}
}
