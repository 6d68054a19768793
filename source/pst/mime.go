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

// content is what write needs of a message, read under the file's lock
// before anything is written: small properties and the bodies (held
// once), the attachments' properties, and attached Outlook items' content
// (their data is streamed later).
type content struct {
	header      textproto.Header
	text        string // PidTagBody, UTF-8
	html        []byte // PidTagHtml, converted to UTF-8
	rtf         []byte // PidTagRtfCompressed, decompressed, when there is no other body and it encapsulates none
	attachments []attachment
	seed        string // what the multipart boundaries are derived from
}

// read gathers message nid's content. The caller holds the file's lock.
func (pf *pstFile) read(nid gopst.Identifier) (*content, error) {
	m, err := pf.message(nid)
	if err != nil {
		return nil, err
	}
	return pf.readMessage(m, "", 0)
}

// readMessage gathers message m's content: a message of the folder
// (depth 0, parentSeed "") or an attached Outlook item (depth > 0, whose
// boundaries are derived from where it is in its parent too, so that they
// differ from its parent's even when the headers are the same). The
// caller holds the file's lock.
func (pf *pstFile) readMessage(m *msg, parentSeed string, depth int) (*content, error) {
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
				rtfBody(c, []byte(rtf))
			}
		}
	}
	var seed bytes.Buffer
	seed.WriteString(parentSeed)
	textproto.WriteHeader(&seed, c.header)
	c.seed = seed.String()
	var err error
	if c.attachments, err = pf.attachments(m, c.seed, depth); err != nil {
		return nil, err
	}
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

// writeMessage writes c as MIME to w: the header, the bodies (text and
// HTML as multipart/alternative when both), then the attachments, each
// streamed from the file base64-encoded, and attached Outlook items as
// message/rfc822 parts written the same way. What is not carried is
// logged to log.
func writeMessage(ctx context.Context, w io.Writer, c *content, log *slog.Logger) error {
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
	var top *message.Writer
	var err error
	if len(c.attachments) == 0 && len(c.rtf) == 0 {
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
	if len(c.rtf) > 0 { // the RTF body, attached first
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
	}
	for i, a := range c.attachments {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case a.why != "":
			log.Warn("pst attachment not carried", "attachment", i, "name", a.name, "why", a.why)
		case a.embedded != nil:
			if err := writeEmbedded(ctx, top, a, log.With("attachment", i)); err != nil {
				return fmt.Errorf("attachment %d (an embedded Outlook item): %w", i, err)
			}
		default:
			if err := writeAttachment(top, a, i); err != nil {
				return fmt.Errorf("attachment %d: %w", i, err)
			}
		}
	}
	return top.Close()
}

// writeEmbedded writes an attached Outlook item as a message/rfc822 part
// holding the item rebuilt as MIME, as a message of a folder is. The part
// has no file name: the engine names it after the attached message's
// subject. Its Content-Transfer-Encoding is left out (7bit), as RFC 2046
// section 5.2.1 allows no other encoding than 7bit, 8bit or binary for
// message/rfc822; the rebuilt message is 7-bit but for a transport header
// with raw 8-bit text, which the engine's parser takes as is.
func writeEmbedded(ctx context.Context, top *message.Writer, a attachment, log *slog.Logger) error {
	var ah message.Header
	ah.SetContentType("message/rfc822", nil)
	ah.SetContentDisposition("attachment", nil)
	if a.cid != "" {
		ah.Set("Content-ID", "<"+strings.Trim(a.cid, "<>")+">")
	}
	aw, err := top.CreatePart(ah)
	if err != nil {
		return err
	}
	if err := writeMessage(ctx, aw, a.embedded, log); err != nil {
		return err
	}
	return aw.Close()
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

// writeAttachment writes one attachment by value as a base64 part, its
// data read from the file piece by piece.
func writeAttachment(top *message.Writer, a attachment, i int) error {
	name, typ := a.name, a.typ
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
	if a.inline {
		disp = "inline"
	}
	ah.SetContentDisposition(disp, map[string]string{"filename": name})
	if a.cid != "" {
		ah.Set("Content-ID", "<"+strings.Trim(a.cid, "<>")+">")
	}
	ah.Set("Content-Transfer-Encoding", "base64")
	aw, err := top.CreatePart(ah)
	if err != nil {
		return err
	}
	if a.data != nil && a.size > 0 {
		if _, err := io.Copy(aw, io.NewSectionReader(a.data, 0, a.size)); err != nil {
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
