package graph

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/migrate-tool/migrate/migrate/message"
	"github.com/migrate-tool/migrate/target"
)

// What the probe creates. The dates are fixed and in the past, so that a
// tenant that stamps its own time instead shows at once.
const (
	probeFolderPrefix = "migrate tenant probe"
	probeSubject      = "migrate tenant probe (safe to delete)"
	probeAttachName   = "migrate-probe-5MB.bin"
	probeAttachSize   = 5 << 20
	probeImageCID     = "probe-image@migrate.invalid"
)

var (
	probeSent     = time.Date(2019, 3, 4, 5, 6, 7, 0, time.UTC)
	probeReceived = time.Date(2019, 3, 4, 5, 7, 8, 0, time.UTC)
)

// probeImage is a 1x1 PNG, the probe's inline image.
var probeImage = []byte{
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
	0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
	0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
	0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
}

// probeAttachment is the probe's large attachment: probeAttachSize bytes
// of a fixed pattern.
func probeAttachment() []byte {
	b := make([]byte, probeAttachSize)
	for i := range b {
		b[i] = byte(i*7 + i>>11)
	}
	return b
}

// probeMIME is the probe's message: HTML body with an inline image, the
// large attachment (none when attach is nil), and header fields the run
// keeps.
func probeMIME(to, msgID string, attach []byte) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	w("From: migrate probe <probe@migrate.invalid>")
	w("To: <%s>", to)
	w("Cc: probe-cc@migrate.invalid")
	w("Subject: %s", probeSubject)
	w("Date: %s", probeSent.Format(time.RFC1123Z))
	w("Message-ID: %s", msgID)
	w("X-Migrate-Probe: %s", msgID)
	w("MIME-Version: 1.0")
	w(`Content-Type: multipart/mixed; boundary="mixed"`)
	w("")
	w("--mixed")
	w(`Content-Type: multipart/related; boundary="related"`)
	w("")
	w("--related")
	w("Content-Type: text/html; charset=utf-8")
	w("")
	w(`<html><body><p>This message was made by migrate's tenant probe and is deleted with its folder.</p><img src="cid:%s"></body></html>`, probeImageCID)
	w("--related")
	w("Content-Type: image/png")
	w("Content-Transfer-Encoding: base64")
	w("Content-ID: <%s>", probeImageCID)
	w(`Content-Disposition: inline; filename="probe.png"`)
	w("")
	w("%s", base64.StdEncoding.EncodeToString(probeImage))
	w("--related--")
	if attach == nil {
		w("--mixed--")
		return b.Bytes()
	}
	w("--mixed")
	w("Content-Type: application/octet-stream")
	w("Content-Transfer-Encoding: base64")
	w(`Content-Disposition: attachment; filename="%s"`, probeAttachName)
	w("")
	enc := base64.StdEncoding.EncodeToString(attach)
	for len(enc) > 76 {
		w("%s", enc[:76])
		enc = enc[76:]
	}
	w("%s", enc)
	w("--mixed--")
	return b.Bytes()
}

// Probe implements target.Prober. It creates a hidden folder named
// "migrate tenant probe <time>" at the root of the mailbox, creates one
// message in it exactly as PutMessage does (received mail with its message
// flags, delivery and submit times, the original header block, an inline
// image and a 5 MB attachment added afterwards through an upload session),
// reads it back property by property, and deletes the folder with
// everything in it (permanentDelete; where the cloud lacks it, DELETE,
// which leaves the folder in Deleted Items).
//
// When the mailbox refuses the attachment on the received message, the
// probe records AttachToReceived "no", creates the message as a draft
// (what a run then does) to check the upload session, and a second
// message without the large attachment to check received mail.
//
// https://learn.microsoft.com/graph/api/user-post-mailfolders (isHidden
// only at creation), https://learn.microsoft.com/graph/api/mailfolder-permanentdelete.
func (mb *mailbox) Probe(ctx context.Context) (target.ProbeResult, error) {
	res := target.ProbeResult{Mailbox: mb.address}
	var nonce [6]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return res, fmt.Errorf("graph: probe: %w", err)
	}
	tag := hex.EncodeToString(nonce[:])
	res.Folder = fmt.Sprintf("%s %s %s", probeFolderPrefix, time.Now().UTC().Format("2006-01-02 15.04.05"), tag)
	where := fmt.Sprintf("mailbox %s, probe folder %q", mb.address, res.Folder)

	folder, err := mb.createHiddenFolder(ctx, res.Folder, where)
	if err != nil {
		return res, err
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		res.Left = mb.removeProbeFolder(dctx, folder, res.Folder, where)
	}()

	attach := probeAttachment()
	msgID := "<probe-" + tag + "@migrate.invalid>"
	raw := probeMIME(mb.address, msgID, attach)
	sum := sha256.Sum256(raw)
	key := "probe:" + tag
	put := func(draft bool, withAttachment bool) (string, error) {
		data := raw
		if !withAttachment {
			data = probeMIME(mb.address, msgID, nil)
		}
		msg, err := message.Parse(ctx, bytes.NewReader(data), &message.Options{})
		if err != nil {
			return "", fmt.Errorf("graph: %s: parse the probe message: %w", where, err)
		}
		defer msg.Close()
		m := &target.Message{
			SourceKey: key, ContentID: "sha256:" + hex.EncodeToString(sum[:]), Content: msg,
			Received: probeReceived, Sent: probeSent, Read: true,
		}
		p, err := mb.plan(ctx, folder, m, where)
		if err != nil {
			return "", err
		}
		return mb.create(ctx, folder, m, p, draft, where)
	}

	id, err := put(false, true)
	switch {
	case errors.Is(err, errAttachRefused):
		res.Answers.AttachToReceived = target.AnswerNo
		res.Checks = append(res.Checks, target.ProbeCheck{Property: checkAttach, Want: "accepted", Got: "refused", Answer: target.AnswerAttachToReceived})
		draftID, err := put(true, true)
		if err != nil {
			return res, fmt.Errorf("graph: %s: the probe message as a draft: %w", where, err)
		}
		got, err := mb.readProbe(ctx, draftID, where)
		if err != nil {
			return res, err
		}
		res.Checks = append(res.Checks, got.attachmentChecks(attach)...)
		if id, err = put(false, false); err != nil {
			return res, fmt.Errorf("graph: %s: the probe message without its large attachment: %w", where, err)
		}
		if got, err = mb.readProbe(ctx, id, where); err != nil {
			return res, err
		}
		res.Checks = append(got.messageChecks(key, sum[:], msgID), res.Checks...)
	case err != nil:
		return res, fmt.Errorf("graph: %s: create the probe message: %w", where, err)
	default:
		res.Answers.AttachToReceived = target.AnswerYes
		got, err := mb.readProbe(ctx, id, where)
		if err != nil {
			return res, err
		}
		res.Checks = append(res.Checks, got.messageChecks(key, sum[:], msgID)...)
		res.Checks = append(res.Checks, target.ProbeCheck{Property: checkAttach, Want: "accepted", Got: "accepted", Kept: true, Answer: target.AnswerAttachToReceived})
		res.Checks = append(res.Checks, got.attachmentChecks(attach)...)
	}
	res.Answers.ReceivedMail = target.AnswerYes
	for _, c := range res.Checks {
		if c.Answer == target.AnswerReceivedMail && !c.Kept {
			res.Answers.ReceivedMail = target.AnswerNo
		}
	}
	return res, nil
}

// Names of the probe's checks; the first three decide
// TenantAnswers.ReceivedMail.
const (
	checkAttach   = "attachment added to received mail"
	checkReceived = "received mail, not a draft (PidTagMessageFlags without the unsent bit)"
	checkDelivery = "received time (PidTagMessageDeliveryTime)"
	checkSubmit   = "sent time (PidTagClientSubmitTime)"
)

// probeRead is what the probe read back of one message.
type probeRead struct {
	msg   models.Messageable
	props map[string]string
	atts  []probeAttachmentRead
}

// probeAttachmentRead is one attachment read back, with the SHA-256 of
// its content.
type probeAttachmentRead struct {
	name     string
	inline   bool
	sum      [32]byte
	contentB int
}

// messageChecks compares the message's properties with what was set.
func (r *probeRead) messageChecks(key string, sum []byte, msgID string) []target.ProbeCheck {
	flags, _ := strconv.Atoi(r.props[propMessageFlags])
	isDraft := val(r.msg.GetIsDraft())
	check := func(prop, want, got string) target.ProbeCheck {
		c := target.ProbeCheck{Property: prop, Want: want, Got: got, Kept: want == got}
		if prop == checkReceived || prop == checkDelivery || prop == checkSubmit {
			c.Answer = target.AnswerReceivedMail
		}
		return c
	}
	timeOf := func(t *time.Time) string {
		if t == nil {
			return "none"
		}
		return t.UTC().Format(time.RFC3339)
	}
	header := "missing"
	if h := r.props[propTransportHeaders]; strings.Contains(h, "X-Migrate-Probe: "+msgID) {
		header = "kept"
	} else if h != "" {
		header = "changed"
	}
	return []target.ProbeCheck{
		check(checkReceived, "isDraft false", "isDraft "+strconv.FormatBool(isDraft)),
		check("read (PidTagMessageFlags read bit)", "isRead true, flags "+strconv.Itoa(msgFlagRead), fmt.Sprintf("isRead %t, flags %d", val(r.msg.GetIsRead()), flags)),
		check(checkDelivery, probeReceived.Format(time.RFC3339), timeOf(r.msg.GetReceivedDateTime())),
		check(checkSubmit, probeSent.Format(time.RFC3339), timeOf(r.msg.GetSentDateTime())),
		check("original header block (PidTagTransportMessageHeaders)", "kept", header),
		check("Message-ID", msgID, val(r.msg.GetInternetMessageId())),
		check("source-key stamp", stampValue(key, "sha256:"+hex.EncodeToString(sum)), r.props[StampPropertyID]),
	}
}

// attachmentChecks compares the attachments with what was set.
func (r *probeRead) attachmentChecks(attach []byte) []target.ProbeCheck {
	inline := target.ProbeCheck{Property: "inline image (cid:)", Want: "inline, byte-identical", Got: "missing"}
	large := target.ProbeCheck{Property: "5 MB attachment through an upload session", Want: fmt.Sprintf("%d bytes, byte-identical", len(attach)), Got: "missing"}
	wantImage, wantLarge := sha256.Sum256(probeImage), sha256.Sum256(attach)
	for _, a := range r.atts {
		switch {
		case a.name == probeAttachName:
			large.Got = fmt.Sprintf("%d bytes", a.contentB)
			large.Kept = a.sum == wantLarge
			if large.Kept {
				large.Got += ", byte-identical"
			} else {
				large.Got += ", content differs"
			}
		case a.sum == wantImage:
			inline.Got = "not inline, byte-identical"
			if a.inline {
				inline.Got, inline.Kept = "inline, byte-identical", true
			}
		}
	}
	return []target.ProbeCheck{inline, large}
}

// createHiddenFolder creates a hidden folder at the root of the mailbox
// (isHidden can be set only at creation).
func (mb *mailbox) createHiddenFolder(ctx context.Context, name, where string) (target.FolderID, error) {
	body := models.NewMailFolder()
	body.SetDisplayName(&name)
	body.SetIsHidden(new(true))
	var id target.FolderID
	err := mb.c.retry(ctx, mb.pace, where, "create the probe folder", func(ctx context.Context) error {
		f, err := mb.user().MailFolders().Post(ctx, body, nil)
		if err != nil {
			return err
		}
		id = target.FolderID(val(f.GetId()))
		if id == "" {
			return errors.New("the created folder came back without an id")
		}
		return nil
	}, func(ctx context.Context) (bool, error) {
		found, err := mb.findChild(ctx, target.Root, name, true, where)
		id = found
		return found != "", err
	})
	if err != nil {
		return "", mb.c.describe(err, where, "create the probe folder", permMail)
	}
	return id, nil
}

// removeProbeFolder deletes the probe folder and what is in it, and says
// what is left ("" for nothing).
func (mb *mailbox) removeProbeFolder(ctx context.Context, id target.FolderID, name, where string) string {
	err := mb.c.retry(ctx, mb.pace, where, "delete the probe folder", func(ctx context.Context) error {
		return mb.user().MailFolders().ByMailFolderId(string(id)).PermanentDelete().Post(ctx, nil)
	}, nil)
	if err == nil {
		return ""
	}
	he, ok := asHTTPError(err)
	switch {
	case ok && he.status == http.StatusNotFound:
		return "" // gone already
	case ok && (he.status == http.StatusBadRequest || he.status == http.StatusMethodNotAllowed || he.status == http.StatusNotImplemented):
		// A cloud without permanentDelete ("Resource not found for the
		// segment"): DELETE moves the folder to Deleted Items.
		err = mb.c.retry(ctx, mb.pace, where, "delete the probe folder", func(ctx context.Context) error {
			return mb.user().MailFolders().ByMailFolderId(string(id)).Delete(ctx, nil)
		}, nil)
		if err == nil {
			return fmt.Sprintf("the hidden folder %q is in Deleted Items (this cloud has no permanentDelete); empty Deleted Items to remove it", name)
		}
	}
	err = mb.c.describe(err, where, "delete the probe folder", permMail)
	mb.c.log.Warn("could not delete the probe folder", "where", where, "err", err)
	return fmt.Sprintf("the hidden folder %q could not be deleted (%v); delete it in Outlook or through Graph", name, err)
}

// readProbe reads back a message the probe made: its properties, the
// extended properties it set, and each attachment's content.
func (mb *mailbox) readProbe(ctx context.Context, id, where string) (*probeRead, error) {
	r := &probeRead{props: map[string]string{}}
	// One extended property per request: the form Graph documents
	// ($filter=id eq '...' inside the $expand).
	// https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-get
	for i, prop := range []string{propMessageFlags, propTransportHeaders, StampPropertyID} {
		q := &users.ItemMessagesMessageItemRequestBuilderGetQueryParameters{
			Select: []string{"id"},
			Expand: []string{"singleValueExtendedProperties($filter=id eq " + odataString(prop) + ")"},
		}
		if i == 0 {
			q.Select = []string{"id", "isDraft", "isRead", "receivedDateTime", "sentDateTime", "internetMessageId", "hasAttachments"}
		}
		cfg := &users.ItemMessagesMessageItemRequestBuilderGetRequestConfiguration{QueryParameters: q}
		var m models.Messageable
		err := mb.c.retry(ctx, mb.pace, where, "read the probe message", func(ctx context.Context) error {
			var err error
			m, err = mb.user().Messages().ByMessageId(id).Get(ctx, cfg)
			return err
		}, nil)
		if err != nil {
			return nil, mb.c.describe(err, where, "read the probe message", permMail)
		}
		if i == 0 {
			r.msg = m
		}
		for _, p := range m.GetSingleValueExtendedProperties() {
			r.props[prop] = val(p.GetValue())
		}
	}

	builder := mb.user().Messages().ByMessageId(id).Attachments()
	lcfg := &users.ItemMessagesItemAttachmentsRequestBuilderGetRequestConfiguration{QueryParameters: &users.ItemMessagesItemAttachmentsRequestBuilderGetQueryParameters{Select: []string{"id", "name", "isInline"}}}
	for a, err := range pages(ctx, mb, where, "list the probe's attachments",
		func(ctx context.Context) (models.AttachmentCollectionResponseable, error) {
			return builder.Get(ctx, lcfg)
		},
		func(ctx context.Context, link string) (models.AttachmentCollectionResponseable, error) {
			return builder.WithUrl(link).Get(ctx, nil)
		}) {
		if err != nil {
			return nil, err
		}
		content, err := mb.attachmentContent(ctx, id, val(a.GetId()), where)
		if err != nil {
			return nil, err
		}
		r.atts = append(r.atts, probeAttachmentRead{
			name: val(a.GetName()), inline: val(a.GetIsInline()),
			sum: sha256.Sum256(content), contentB: len(content),
		})
	}
	return r, nil
}

// attachmentContent reads a file attachment's raw content with $value.
// https://learn.microsoft.com/graph/api/attachment-get ("Get the raw
// contents of a file attachment").
func (mb *mailbox) attachmentContent(ctx context.Context, msgID, attID, where string) ([]byte, error) {
	ri := abs.NewRequestInformation()
	ri.Method = abs.GET
	ri.UrlTemplate = "{+baseurl}/users/{user}/messages/{message}/attachments/{attachment}/$value"
	ri.PathParameters = map[string]string{
		"baseurl": mb.c.adapter.GetBaseUrl(), "user": mb.id, "message": msgID, "attachment": attID,
	}
	var content []byte
	err := mb.c.retry(ctx, mb.pace, where, "read a probe attachment", func(ctx context.Context) error {
		ri.Headers.Remove("Authorization")
		v, err := mb.c.adapter.SendPrimitive(ctx, ri, "[]byte", errorMapping)
		if err != nil {
			return err
		}
		content, _ = v.([]byte)
		return nil
	}, nil)
	if err != nil {
		return nil, mb.c.describe(err, where, "read a probe attachment", permMail)
	}
	return content, nil
}
