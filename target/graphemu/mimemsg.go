package graphemu

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// createMessageMIME creates a message from base64-encoded MIME content
// (Content-Type: text/plain). Graph always makes it a draft and takes the
// received date from the creation time; the sent date comes from the Date
// header. A body that is not base64 gets 400
// ErrorMimeContentInvalidBase64String.
// https://learn.microsoft.com/graph/api/user-post-messages (example 3:
// "Create a new message draft using MIME format").
func (e *Emulator) createMessageMIME(rq *req, folderID string) {
	body, aerr := readBody(rq)
	if aerr != nil {
		rq.fail(aerr)
		return
	}
	clean := strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, string(body))
	raw, err := base64.StdEncoding.DecodeString(clean)
	if err != nil || len(raw) == 0 {
		rq.fail(odata.BadRequest("ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content."))
		return
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		rq.fail(odata.BadRequest("ErrorMimeContentConversionFailed", "The MIME content could not be converted: %v", err))
		return
	}
	now := time.Now().UTC()
	it := &item{ID: newGraphID("AAMkAD"), Mailbox: rq.mb.ID, Kind: kindMail, FolderID: folderID, Props: map[string]json.RawMessage{},
		Created: now, Modified: now, ChangeKey: newChangeKey(), IsDraft: true, IsRead: true, Received: now, Sent: now, ViaMIME: true}
	dec := new(mime.WordDecoder)
	h := msg.Header
	if s := h.Get("Subject"); s != "" {
		if d, err := dec.DecodeHeader(s); err == nil {
			s = d
		}
		it.Props["subject"] = mustRaw(s)
	}
	if t, err := h.Date(); err == nil {
		it.Sent = t.UTC()
	}
	if id := strings.TrimSpace(h.Get("Message-Id")); id != "" {
		it.Props["internetMessageId"] = mustRaw(id)
	}
	addrs := func(name string) []any {
		list, err := h.AddressList(name)
		if err != nil {
			return nil
		}
		out := []any{}
		for _, a := range list {
			out = append(out, map[string]any{"emailAddress": map[string]any{"name": a.Name, "address": a.Address}})
		}
		return out
	}
	for hdr, prop := range map[string]string{"To": "toRecipients", "Cc": "ccRecipients", "Bcc": "bccRecipients", "Reply-To": "replyTo"} {
		if l := addrs(hdr); l != nil {
			it.Props[prop] = mustRaw(l)
		}
	}
	if l := addrs("From"); len(l) > 0 {
		it.Props["from"] = mustRaw(l[0])
		it.Props["sender"] = mustRaw(l[0])
	}
	var parts mimeParts
	parts.walk(textproto.MIMEHeader(h), msg.Body, 0)
	ct, content := "text", parts.text
	if parts.html != "" {
		ct, content = "html", parts.html
	}
	pv, blob, n, preview, aerr := e.storeBodyPreview(mustRaw(map[string]string{"contentType": ct, "content": content}))
	if aerr != nil {
		rq.fail(aerr)
		return
	}
	it.Props["body"], it.BodyBlob, it.BodySize, it.BodyPreview = pv, blob, n, preview
	for _, p := range parts.files {
		a, aerr := e.newAttachment(p.name, p.contentType, p.data, p.inline, p.contentID)
		if aerr != nil {
			e.store.removeItemBlobs(it)
			rq.fail(aerr)
			return
		}
		it.Attachments = append(it.Attachments, a)
	}
	e.insertItem(rq, it)
}

type mimeFile struct {
	name, contentType, contentID string
	inline                       bool
	data                         []byte
}

type mimeParts struct {
	text, html string
	files      []mimeFile
}

func (mp *mimeParts) walk(h textproto.MIMEHeader, body io.Reader, depth int) {
	if depth > 10 {
		return
	}
	ct, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		ct = "text/plain"
	}
	if strings.HasPrefix(ct, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err != nil {
				return
			}
			mp.walk(textproto.MIMEHeader(p.Header), p, depth+1)
		}
	}
	var data []byte
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "base64":
		data, _ = io.ReadAll(base64.NewDecoder(base64.StdEncoding, stripNewlines{body}))
	case "quoted-printable":
		data, _ = io.ReadAll(quotedprintable.NewReader(body))
	default:
		data, _ = io.ReadAll(body)
	}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	switch {
	case disp == "attachment" || name != "":
		mp.files = append(mp.files, mimeFile{name: name, contentType: ct, data: data, inline: disp == "inline",
			contentID: strings.Trim(h.Get("Content-Id"), "<>")})
	case ct == "text/html" && mp.html == "":
		mp.html = string(data)
	case ct == "text/plain" && mp.text == "":
		mp.text = string(data)
	}
}

// stripNewlines drops CR and LF so base64 bodies with line breaks decode.
type stripNewlines struct{ r io.Reader }

func (s stripNewlines) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	j := 0
	for i := 0; i < n; i++ {
		if p[i] != '\r' && p[i] != '\n' {
			p[j] = p[i]
			j++
		}
	}
	if j == 0 && n > 0 && err == nil {
		return s.Read(p)
	}
	return j, err
}

// messageMIME serves GET /messages/{id}/$value: the message as MIME,
// synthesized from its properties (the emulator does not keep the MIME it
// was given).
// https://learn.microsoft.com/graph/api/message-get ("Get MIME content").
func (e *Emulator) messageMIME(rq *req, it *item) {
	if rq.r.Method != http.MethodGet {
		rq.fail(methodNotAllowed())
		return
	}
	v := e.messageView(rq, it)
	resolveLazy(v)
	var b bytes.Buffer
	addr := func(x any) string {
		m, _ := x.(map[string]any)
		ea, _ := m["emailAddress"].(map[string]any)
		a := mail.Address{Name: fmt.Sprint(ea["name"]), Address: fmt.Sprint(ea["address"])}
		if ea["name"] == nil {
			a.Name = ""
		}
		return a.String()
	}
	if f, ok := v["from"]; ok {
		fmt.Fprintf(&b, "From: %s\r\n", addr(f))
	}
	for hdr, prop := range map[string]string{"To": "toRecipients", "Cc": "ccRecipients"} {
		l, _ := v[prop].([]any)
		if len(l) == 0 {
			continue
		}
		var s []string
		for _, x := range l {
			s = append(s, addr(x))
		}
		fmt.Fprintf(&b, "%s: %s\r\n", hdr, strings.Join(s, ", "))
	}
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", fmt.Sprint(v["subject"])))
	if it.Sent.IsZero() {
		fmt.Fprintf(&b, "Date: %s\r\n", it.Received.Format(time.RFC1123Z))
	} else {
		fmt.Fprintf(&b, "Date: %s\r\n", it.Sent.Format(time.RFC1123Z))
	}
	fmt.Fprintf(&b, "Message-ID: %s\r\nMIME-Version: 1.0\r\n", v["internetMessageId"])
	body, _ := v["body"].(map[string]any)
	ct := "text/plain"
	if body["contentType"] == "html" {
		ct = "text/html"
	}
	fmt.Fprintf(&b, "Content-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", ct)
	qw := quotedprintable.NewWriter(&b)
	_, _ = io.WriteString(qw, fmt.Sprint(body["content"]))
	_ = qw.Close()
	rq.w.Header().Set("Content-Type", "text/plain")
	rq.w.WriteHeader(http.StatusOK)
	_, _ = rq.w.Write(b.Bytes())
}
