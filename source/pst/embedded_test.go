package pst

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-message"

	gopst "github.com/migrate-tool/migrate/source/pst/internal/gopst"
	"github.com/migrate-tool/migrate/source/pst/psttest"
)

// TestSamplesHoldNoEmbedded walks every message of go-pst's samples and
// counts attach methods and RTF-only bodies: none holds an attached
// Outlook item or an RTF-only body, so the embedded and RTF paths are
// tested from built content (TestWriteEmbedded, TestEmbeddedSubnode,
// package rtfex). When a sample gains one, this test says so.
func TestSamplesHoldNoEmbedded(t *testing.T) {
	for _, c := range []struct {
		name    string
		byValue int
	}{{psttest.Support, 2}, {psttest.Enron, 168}} {
		pf, err := openFile(filepath.Join(psttest.Dir(t), c.name))
		if err != nil {
			t.Fatal(err)
		}
		defer pf.close()
		fs, err := pf.folders()
		if err != nil {
			t.Fatal(err)
		}
		methods, rtfOnly := map[int32]int{}, 0
		for _, f := range fs {
			nids, err := pf.messageNIDs(f.nid)
			if err != nil {
				t.Fatal(err)
			}
			for _, nid := range nids {
				if err := pf.guard(func() error {
					c, err := pf.read(nid)
					if err != nil {
						return err
					}
					if len(c.rtf) > 0 {
						rtfOnly++
					}
					for _, a := range c.attachments {
						methods[a.method]++
					}
					return nil
				}); err != nil {
					t.Fatalf("%s: message %d: %v", c.name, nid, err)
				}
			}
		}
		if methods[attachByValue] != c.byValue || len(methods) != 1 || rtfOnly != 0 {
			t.Errorf("%s: attach methods %v, %d RTF-only bodies; want %d by value only and none (a sample with an embedded item or RTF body: test it for real)", c.name, methods, rtfOnly, c.byValue)
		}
	}
}

// TestEmbeddedSubnode checks GetEmbeddedMessage's walk from an
// attachment to the object subnode it names, on the support sample: a
// PtypObject property naming the attachment's own subnode (a property
// context, as an embedded message's is) gives that property context and
// its subnodes; a by-value attachment's PtypBinary data is refused.
func TestEmbeddedSubnode(t *testing.T) {
	pf, err := openFile(filepath.Join(psttest.Dir(t), psttest.Support))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.close()
	err = pf.guard(func() error {
		m, err := pf.message(2097540)
		if err != nil {
			return err
		}
		gm := &gopst.Message{File: pf.p, Identifier: m.nid, PropertyContext: m.pc, LocalDescriptors: m.lds}
		tc, err := gm.GetAttachmentTableContext()
		if err != nil {
			return err
		}
		r, err := tc.GetPropertyReader(tc.Properties[0][0])
		if err != nil {
			return err
		}
		id, _ := r.GetInteger32()
		ld, err := gopst.FindLocalDescriptor(gopst.Identifier(uint32(id)), m.lds)
		if err != nil {
			return err
		}
		hn, err := pf.p.GetHeapOnNodeFromLocalDescriptor(ld)
		if err != nil {
			return err
		}
		apc, err := pf.p.GetPropertyContext(hn)
		if err != nil {
			return err
		}
		if _, err := (&gopst.Attachment{PropertyContext: apc, LocalDescriptors: m.lds}).GetEmbeddedMessage(); !errors.Is(err, gopst.ErrPropertyTypeMismatch) {
			t.Errorf("GetEmbeddedMessage() of a by-value attachment = %v; want ErrPropertyTypeMismatch", err)
		}
		// The message's property context with PidTagAttachDataObject
		// pointing at the attachment's subnode.
		fake := *m.pc
		fake.Properties = append([]gopst.Property{{ID: propAttachDataBinary, Type: gopst.PropertyTypeObject, HNID: ld.Identifier}}, m.pc.Properties...)
		em, err := (&gopst.Attachment{PropertyContext: &fake, LocalDescriptors: m.lds}).GetEmbeddedMessage()
		if err != nil {
			t.Fatalf("GetEmbeddedMessage() = %v", err)
		}
		got := props{pc: em.PropertyContext, lds: em.LocalDescriptors}
		if meth, _ := got.int32(propAttachMethod); meth != attachByValue || em.Identifier != ld.Identifier || got.str(propAttachLongFilename) == "" {
			t.Errorf("GetEmbeddedMessage() gave node %d, method %d, name %q; want the attachment's subnode %d (method 1, its file name)", em.Identifier, meth, got.str(propAttachLongFilename), ld.Identifier)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWriteEmbedded checks that attached Outlook items are written as
// message/rfc822 parts holding the item rebuilt as MIME like any message
// (header, bodies, its own attachments streamed, an item attached to it in
// turn), with boundaries of their own even when an item's header is its
// parent's, and that an item not carried is logged, not written.
func TestWriteEmbedded(t *testing.T) {
	h := transportHeader("Subject: outer\r\nMessage-ID: <m@example.test>\r\n")
	innermost := &content{header: transportHeader("Subject: innermost\r\n"), text: "deepest", seed: "outer\x000\x001"}
	inner := &content{
		header: transportHeader("Subject: outer\r\nMessage-ID: <m@example.test>\r\n"), // the same header as its parent's
		text:   "inner text", html: []byte("<p>inner</p>"),
		attachments: []attachment{
			{method: attachByValue, name: "a.txt", data: strings.NewReader("attached data"), size: 13},
			{method: attachEmbeddedMsg, embedded: innermost},
		},
	}
	var seed bytes.Buffer
	seed.WriteString("outer-seed\x000")
	seed.WriteString("Subject: outer\r\n")
	inner.seed = seed.String()
	top := &content{header: h, seed: "outer-seed", html: []byte("<p>outer</p>"), attachments: []attachment{
		{method: attachEmbeddedMsg, embedded: inner, cid: "fwd@x"},
		{method: 6, name: "ole", why: "an OLE object: not yet supported"},
	}}
	var logged bytes.Buffer
	var b bytes.Buffer
	if err := writeMessage(context.Background(), &b, top, slog.New(slog.NewTextHandler(&logged, nil))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logged.String(), "an OLE object") {
		t.Errorf("the OLE object was not logged as not carried: %q", logged.String())
	}
	// Each message/rfc822 part is read as a message of its own, as the
	// engine does (migrate/message attaches it as an .eml file).
	var got []string
	var walk func(r io.Reader, depth int)
	walk = func(r io.Reader, depth int) {
		e, err := message.Read(r)
		if err != nil {
			t.Fatalf("depth %d: %v\n%s", depth, err, b.String())
		}
		got = append(got, strings.Repeat(">", depth)+"subject "+e.Header.Get("Subject"))
		err = e.Walk(func(_ []int, p *message.Entity, err error) error {
			if err != nil {
				return err
			}
			mt, _, _ := p.Header.ContentType()
			switch {
			case strings.HasPrefix(mt, "multipart/"):
			case mt == "message/rfc822":
				if p.Header.Get("Content-Transfer-Encoding") != "" {
					t.Errorf("message/rfc822 part with Content-Transfer-Encoding %q", p.Header.Get("Content-Transfer-Encoding"))
				}
				walk(p.Body, depth+1)
			default:
				body, _ := io.ReadAll(p.Body)
				got = append(got, strings.Repeat(">", depth)+mt+" "+string(body))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("depth %d: %v", depth, err)
		}
	}
	walk(bytes.NewReader(b.Bytes()), 0)
	want := []string{
		"subject outer", "text/html <p>outer</p>",
		">subject outer", ">text/plain inner text", ">text/html <p>inner</p>", ">text/plain attached data",
		">>subject innermost", ">>text/plain deepest",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("parts:\n%s\nwant:\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), b.String())
	}
	if !strings.Contains(b.String(), "Content-Id: <fwd@x>") {
		t.Errorf("the attached item's Content-ID is missing")
	}
}
