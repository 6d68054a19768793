package pst

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/mail"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	gopst "github.com/migrate-tool/migrate/source/pst/internal/gopst"
)

// droppedFields are the transport header's fields that describe the MIME
// structure the message had on the wire; the rebuilt message has its own.
var droppedFields = map[string]bool{"content-type": true, "content-transfer-encoding": true, "mime-version": true}

// content is what build reads of a message under the file's lock, before
// anything is written: small properties and the bodies (held once), and
// the attachments' property contexts (their data is streamed later).
type content struct {
	header      textproto.Header
	text        string // PidTagBody, UTF-8
	html        []byte // PidTagHtml, converted to UTF-8
	rtf         []byte // PidTagRtfCompressed, decompressed, when there is no other body
	attachments []attachment
	seed        string // what the multipart boundaries are derived from
}

// read gathers message nid's content. The caller holds the file's lock.
func (pf *pstFile) read(nid gopst.Identifier) (*content, error) {
	m, err := pf.message(nid)
	if err != nil {
		return nil, err
	}
	c := &content{}
	if raw := m.str(propTransportHeaders); strings.TrimSpace(raw) != "" {
		c.header = transportHeader(raw)
	} else {
		c.header = pf.propertyHeader(m)
	}
	c.text = m.str(propBody)
	if b, ok := m.bytes(propHTML); ok && len(trimNUL(b)) > 0 {
		// PidTagHtml is bytes in PidTagInternetCodepage ([MS-OXCMSG]
		// 2.2.1.56.9); the part is written in UTF-8.
		cp, _ := m.int32(propInternetCodepage)
		c.html = []byte(decode8(trimNUL(b), cmp.Or(int(cp), 65001)))
	}
	if c.text == "" && len(c.html) == 0 {
		if b, ok := m.bytes(propRTFCompressed); ok && len(b) >= 16 {
			if rtf, err := gopst.NewRTFDecoder().Decode(b); err == nil {
				c.rtf = []byte(rtf)
			}
		}
	}
	if c.attachments, err = pf.attachments(m); err != nil {
		return nil, err
	}
	var seed bytes.Buffer
	textproto.WriteHeader(&seed, c.header)
	c.seed = seed.String()
	return c, nil
}

// transportHeader is the message's internet header as received
// (PidTagTransportMessageHeaders), field order and folding kept, without
// the fields of its old MIME structure.
func transportHeader(raw string) textproto.Header {
	raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\r", "\n")
	var fields []string
	for _, line := range strings.Split(raw, "\n") {
		switch {
		case line == "":
			continue
		case (line[0] == ' ' || line[0] == '\t') && len(fields) > 0:
			fields[len(fields)-1] += "\r\n" + line
		case strings.IndexByte(line, ':') > 0:
			fields = append(fields, line)
		}
	}
	var h textproto.Header
	// WriteHeader writes fields last added first.
	for i := len(fields) - 1; i >= 0; i-- {
		name, _, _ := strings.Cut(fields[i], ":")
		if droppedFields[strings.ToLower(strings.TrimSpace(name))] {
			continue
		}
		h.AddRaw([]byte(fields[i] + "\r\n"))
	}
	return h
}

// propertyHeader builds the header of a message without transport
// headers (mail composed or sent in Outlook) from its properties.
func (pf *pstFile) propertyHeader(m *msg) textproto.Header {
	var fields [][2]string
	add := func(name, v string) {
		if v != "" {
			fields = append(fields, [2]string{name, v})
		}
	}
	date := m.time(propClientSubmitTime)
	if date.IsZero() {
		date = m.time(propDeliveryTime)
	}
	if !date.IsZero() {
		add("Date", date.Format(time.RFC1123Z))
	}
	from := senderAddress(m, propSentReprName, propSentReprEmail, propSentReprAddrType, propSentReprSMTP)
	if from == "" {
		from = senderAddress(m, propSenderName, propSenderEmail, propSenderAddrType, propSenderSMTP)
	}
	add("From", from)
	rs, ok := pf.recipients(m)
	for _, f := range []struct {
		name    string
		kind    int32
		display uint16
	}{{"To", 1, propDisplayTo}, {"Cc", 2, propDisplayCc}, {"Bcc", 3, propDisplayBcc}} {
		if !ok {
			add(f.name, displayList(m.str(f.display)))
			continue
		}
		var list []string
		for _, r := range rs {
			if r.kind == f.kind {
				list = append(list, formatAddress(r.name, r.email))
			}
		}
		add(f.name, strings.Join(list, ", "))
	}
	if v := m.str(propSubject); v != "" {
		add("Subject", mime.QEncoding.Encode("utf-8", v))
	}
	add("Message-ID", m.str(propInternetMessageID))
	add("In-Reply-To", m.str(propInReplyTo))
	add("References", m.str(propInternetReferences))
	var h textproto.Header
	// WriteHeader writes the field added last first.
	for i := len(fields) - 1; i >= 0; i-- {
		h.Add(fields[i][0], fields[i][1])
	}
	return h
}

// senderAddress formats a sender from its name, address, address type
// and SMTP address properties; an Exchange (EX) address is an X.500 DN,
// not an e-mail address, and is used only when there is no SMTP one.
func senderAddress(m *msg, name, email, typ, smtp uint16) string {
	n, e := m.str(name), m.str(smtp)
	if e == "" && !strings.EqualFold(m.str(typ), "EX") {
		e = m.str(email)
	}
	if n == "" && e == "" {
		return ""
	}
	return formatAddress(n, e)
}

// formatAddress formats one address for a header; a recipient known by
// name only is written `"Name" <>`.
func formatAddress(name, email string) string {
	if email == "" {
		return phrase(name) + " <>"
	}
	if name == "" || name == email {
		return "<" + email + ">"
	}
	return (&mail.Address{Name: name, Address: email}).String()
}

// displayList turns a display string ("Ann Smith; bob@example.com"), all
// the message keeps of its recipients when its recipient table cannot be
// read, into an address list.
func displayList(v string) string {
	var out []string
	for _, n := range strings.Split(v, ";") {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
		case strings.Contains(n, "@") && !strings.ContainsAny(n, " <>\""):
			out = append(out, "<"+n+">")
		default:
			out = append(out, formatAddress(n, ""))
		}
	}
	return strings.Join(out, ", ")
}

// boundary is a multipart boundary derived from the message's header, so
// that the same message rebuilt twice (or from a new export of the same
// mail) gives the same bytes, which the engine's content identity needs.
func boundary(seed string, level int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d", seed, level)))
	return "=_pst_" + hex.EncodeToString(sum[:12])
}

// write writes c as MIME to w: the header, the bodies (text and HTML as
// multipart/alternative when both), then the attachments, each streamed
// from the file base64-encoded. Embedded Outlook items are not carried:
// they are logged.
func (pf *pstFile) write(ctx context.Context, w io.Writer, c *content, key string, log *slog.Logger) error {
	var h message.Header
	h.Header = c.header.Copy()
	h.Set("MIME-Version", "1.0")
	bodyHeader := func() (message.Header, []byte) {
		var bh message.Header
		switch {
		case len(c.html) > 0 && c.text != "":
			bh.SetContentType("multipart/alternative", map[string]string{"boundary": boundary(c.seed, 1)})
		case len(c.html) > 0:
			bh.SetContentType("text/html", map[string]string{"charset": "utf-8"})
			bh.Set("Content-Transfer-Encoding", "quoted-printable")
			return bh, c.html
		default:
			bh.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
			bh.Set("Content-Transfer-Encoding", "quoted-printable")
			return bh, []byte(c.text)
		}
		return bh, nil
	}
	atts := c.attachments
	if len(c.rtf) > 0 {
		atts = append([]attachment{{}}, atts...) // the RTF body, attached first
	}
	var top *message.Writer
	var err error
	if len(atts) == 0 {
		bh, body := bodyHeader()
		for _, f := range []string{"Content-Type", "Content-Transfer-Encoding"} {
			if v := bh.Get(f); v != "" {
				h.Set(f, v)
			}
		}
		if top, err = message.CreateWriter(w, h); err != nil {
			return err
		}
		if err := writeBody(top, c, body); err != nil {
			return err
		}
		return top.Close()
	}
	h.SetContentType("multipart/mixed", map[string]string{"boundary": boundary(c.seed, 0)})
	if top, err = message.CreateWriter(w, h); err != nil {
		return err
	}
	bh, body := bodyHeader()
	bw, err := top.CreatePart(bh)
	if err != nil {
		return err
	}
	if err := writeBody(bw, c, body); err != nil {
		return err
	}
	if err := bw.Close(); err != nil {
		return err
	}
	for i, a := range atts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if a.pc == nil { // the RTF body
			var ah message.Header
			ah.SetContentType("text/rtf", nil)
			ah.SetContentDisposition("attachment", map[string]string{"filename": "body.rtf"})
			ah.Set("Content-Transfer-Encoding", "base64")
			aw, err := top.CreatePart(ah)
			if err != nil {
				return err
			}
			if _, err := aw.Write(c.rtf); err != nil {
				return err
			}
			if err := aw.Close(); err != nil {
				return err
			}
			continue
		}
		if err := pf.writeAttachment(top, a, i, key, log); err != nil {
			return fmt.Errorf("attachment %d: %w", i, err)
		}
	}
	return top.Close()
}

// writeBody writes the body part(s) of c into bw: body when it is a
// single part, else text and HTML as two alternatives.
func writeBody(bw *message.Writer, c *content, body []byte) error {
	if body != nil || len(c.html) == 0 || c.text == "" {
		_, err := bw.Write(body)
		return err
	}
	for _, alt := range []struct {
		typ  string
		body []byte
	}{{"text/plain", []byte(c.text)}, {"text/html", c.html}} {
		var ph message.Header
		ph.SetContentType(alt.typ, map[string]string{"charset": "utf-8"})
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := bw.CreatePart(ph)
		if err != nil {
			return err
		}
		if _, err := pw.Write(alt.body); err != nil {
			return err
		}
		if err := pw.Close(); err != nil {
			return err
		}
	}
	return nil
}

// writeAttachment writes one attachment as a base64 part, its data read
// from the file piece by piece.
func (pf *pstFile) writeAttachment(top *message.Writer, a attachment, i int, key string, log *slog.Logger) error {
	var method int32
	var name, typ, cid string
	var flags int32
	var hidden bool
	var data io.ReaderAt
	var size int64
	var ok bool
	if err := pf.guard(func() error {
		method, _ = a.int32(propAttachMethod)
		name = cmp.Or(a.str(propAttachLongFilename), a.str(propAttachFilename), a.str(propDisplayName))
		typ, cid = a.str(propAttachMimeTag), a.str(propAttachContentID)
		flags, _ = a.int32(propAttachFlags)
		hidden = a.bool(propAttachmentHidden)
		if method == attachByValue {
			data, size, ok = a.section(propAttachDataBinary)
		}
		return nil
	}); err != nil {
		return err
	}
	if method != attachByValue {
		what := map[int32]string{attachEmbeddedMsg: "an embedded Outlook item", 2: "a link to a file", 3: "a link to a file", 4: "a link to a file", 6: "an OLE object", 7: "a web link"}[method]
		if what == "" {
			what = fmt.Sprintf("attach method %d", method)
		}
		log.Warn("pst attachment not carried", "file", pf.path, "key", key, "attachment", i, "name", name, "why", what+": not yet supported")
		return nil
	}
	if name == "" {
		name = fmt.Sprintf("attachment-%d", i+1)
	}
	if typ == "" {
		typ = mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))
	}
	if mt, _, err := mime.ParseMediaType(typ); err == nil {
		typ = mt
	} else {
		typ = "application/octet-stream"
	}
	var ah message.Header
	ah.SetContentType(typ, map[string]string{"name": name})
	disp := "attachment"
	if cid != "" && (hidden || flags&attachMHTMLRef != 0) {
		disp = "inline"
	}
	ah.SetContentDisposition(disp, map[string]string{"filename": name})
	if cid != "" {
		ah.Set("Content-ID", "<"+strings.Trim(cid, "<>")+">")
	}
	ah.Set("Content-Transfer-Encoding", "base64")
	aw, err := top.CreatePart(ah)
	if err != nil {
		return err
	}
	if ok && size > 0 {
		if _, err := io.Copy(aw, io.NewSectionReader(lockedReaderAt{pf, data}, 0, size)); err != nil {
			return err
		}
	}
	return aw.Close()
}

// phrase is a display name as a header phrase: an encoded word when it
// is not ASCII, else a quoted string (RFC 5322 section 3.2.5).
func phrase(name string) string {
	for _, r := range name {
		if r >= 0x80 || r < 0x20 {
			return mime.QEncoding.Encode("utf-8", name)
		}
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
}
