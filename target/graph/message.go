package graph

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/migrate-tool/migrate/migrate/humanize"
	"github.com/migrate-tool/migrate/migrate/message"
	"github.com/migrate-tool/migrate/target"
)

// Graph's request and attachment limits.
const (
	// maxRequestBytes is Graph's 4 MB limit on a request body, read in
	// binary units as Exchange states its sizes.
	// https://learn.microsoft.com/graph/api/user-post-messages ("limited to
	// 4 MB"), https://learn.microsoft.com/graph/api/message-post-attachments.
	maxRequestBytes = 4 << 20
	// createBudget is what the creation request may use: attachments that
	// would take it above go afterwards.
	createBudget = maxRequestBytes - 64<<10
	// uploadSessionMin and uploadSessionMax bound the attachments added
	// through an upload session ("between 3 MB and 150 MB"); below
	// uploadSessionMin an attachment goes by POST .../attachments when
	// that request fits in maxRequestBytes.
	// https://learn.microsoft.com/graph/api/attachment-createuploadsession,
	// https://learn.microsoft.com/graph/outlook-large-attachments.
	uploadSessionMin = 3 << 20
	uploadSessionMax = 150 << 20
	// uploadSessionFloor is the smallest attachment sent through an upload
	// session when its POST would not fit: "3 MB" read as 3,000,000 bytes.
	// Microsoft refuses sessions for files "smaller than 3 MB"
	// (ErrorAttachmentSizeShouldNotBeLessThanMinimumSize) without saying
	// which unit; a file of 3 MiB less a few bytes is over 4 MiB in base64,
	// so it cannot go by POST, and Exchange was measured to take sessions
	// from 2 MiB (https://github.com/microsoftgraph/msgraph-sdk-java/pull/52,
	// comment of 2020-08-20).
	uploadSessionFloor = 3_000_000
	// chunkSize is the byte range of one upload PUT: under the 4 MB a
	// request may carry (https://learn.microsoft.com/graph/outlook-large-attachments)
	// and a multiple of 320 KiB, the granularity Microsoft asks for in
	// OneDrive upload sessions (https://learn.microsoft.com/graph/api/driveitem-createuploadsession);
	// Outlook's documentation does not ask for it, following it costs
	// nothing.
	chunkSize = 10 * 320 << 10
)

// MAPI properties set through singleValueExtendedProperties, with the
// "{type} {proptag}" ids of
// https://learn.microsoft.com/graph/api/resources/extended-properties-overview.
const (
	// PidTagMessageFlags: MSGFLAG_READ (0x1); without MSGFLAG_UNSENT (0x8)
	// the item is received mail, not a draft. Read-only after the first
	// save except the read flag, so it must be in the creation request.
	// https://learn.microsoft.com/openspecs/exchange_server_protocols/ms-oxcmsg/a0c52fe2-3014-43a7-942d-f43f6f91c366
	propMessageFlags = "Integer 0x0E07"
	msgFlagRead      = 0x1
	msgFlagUnsent    = 0x8
	// PidTagMessageDeliveryTime: receivedDateTime.
	// https://learn.microsoft.com/office/client-developer/outlook/mapi/pidtagmessagedeliverytime-canonical-property
	propDeliveryTime = "SystemTime 0x0E06"
	// PidTagClientSubmitTime: sentDateTime.
	// https://learn.microsoft.com/office/client-developer/outlook/mapi/pidtagclientsubmittime-canonical-property
	propSubmitTime = "SystemTime 0x0039"
	// PidTagTransportMessageHeaders: the original header block, which
	// Outlook shows as the message's Internet headers (internetMessageHeaders
	// accepts only a few x- headers on creation).
	// https://learn.microsoft.com/office/client-developer/outlook/mapi/pidtagtransportmessageheaders-canonical-property
	propTransportHeaders = "String 0x007D"
	// PidTagInReplyToId and PidTagInternetReferences keep the threading
	// headers. https://learn.microsoft.com/office/client-developer/outlook/mapi/pidtaginreplytoid-canonical-property,
	// https://learn.microsoft.com/office/client-developer/outlook/mapi/pidtaginternetreferences-canonical-property
	propInReplyTo  = "String 0x1042"
	propReferences = "String 0x1039"
	// PidTagLastVerbExecuted with NOTEIVERB_REPLYTOSENDER (102, 0x66) or
	// NOTEIVERB_FORWARD (104, 0x68) ([MS-OXOMSG] 2.2.1.41,
	// https://learn.microsoft.com/openspecs/exchange_server_protocols/ms-oxomsg),
	// and PidTagIconIndex "Replied mail" 0x105 or "Forwarded mail" 0x106
	// (https://learn.microsoft.com/office/client-developer/outlook/mapi/pidtagiconindex-canonical-property):
	// Outlook's replied and forwarded icons. Replied wins when both apply,
	// as package mapping decided.
	propLastVerb  = "Integer 0x1081"
	propIconIndex = "Integer 0x1080"
	verbReply     = 102
	verbForward   = 104
	iconReplied   = 0x105
	iconForwarded = 0x106
)

// errAttachRefused is a mailbox refusing attachments on a non-draft.
var errAttachRefused = errors.New("the mailbox refused attachments added to a received (non-draft) message")

// attachment is one attachment to send; open gives its content.
type attachment struct {
	name, contentType, contentID string
	inline                       bool
	size                         int64
	open                         func() (io.ReadCloser, error)
}

func attachmentsOf(c *message.Message) []attachment {
	var out []attachment
	for _, a := range c.Attachments {
		if a == nil {
			continue
		}
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		out = append(out, attachment{name: a.Name, contentType: ct, contentID: a.ContentID, inline: a.Inline && a.ContentID != "",
			size: a.Size, open: a.Open})
	}
	return out
}

// b64Len is the length of the base64 of n bytes.
func b64Len(n int64) int64 { return (n + 2) / 3 * 4 }

// attachmentJSONLen bounds the JSON of a fileAttachment: its base64 and
// its strings as if every character were escaped (6 bytes).
func attachmentJSONLen(a attachment) int64 {
	return b64Len(a.size) + 6*int64(len(a.name)+len(a.contentType)+len(a.contentID)) + 200
}

// plan is how one message is created: its body and the attachments that
// go into the creation request or afterwards.
type plan struct {
	body   message.Body
	inline []attachment // in the creation request
	later  []attachment // added after creation, in this order
	notes  []string
}

// PutMessage implements target.Mailbox. The message is created as
// received mail (not a draft, unless m.Draft) in one POST to the folder's
// messages with its MAPI properties and as many attachments as fit in
// 4 MB; the rest are added afterwards (POST attachments under 3 MB when
// the request fits in 4 MB, upload sessions from 3 to 150 MB and for the
// files whose POST would not fit; see viaSession) while the item's stamp says
// "pending:" + key, which becomes the key only once the last attachment
// is in. A failure deletes the partial item, and a pending item left by an
// earlier failure is deleted first, so only complete items carry the key.
// If the mailbox refuses attachments on a received message, the message
// is created as a draft carrying all of them instead, with a note.
//
// When PutMessage returns an error other than *target.ItemError, the item
// may still have been created if Graph's answer was lost and could not be
// checked: the engine should Lookup the key before putting it again from
// another process (this Client does so itself).
func (mb *mailbox) PutMessage(ctx context.Context, f target.FolderID, m *target.Message) (target.Created, error) {
	if m == nil || m.Content == nil {
		return target.Created{}, errors.New("graph: PutMessage: no message content")
	}
	if m.SourceKey == "" {
		return target.Created{}, errors.New("graph: PutMessage: empty source key")
	}
	where := mb.where(f, m.SourceKey)
	if _, ok := mb.state.uncertain.Load(m.SourceKey); ok {
		// An earlier attempt failed after a request that may have created
		// the item.
		id, found, err := mb.Lookup(ctx, f, m.SourceKey)
		if err != nil {
			return target.Created{}, err
		}
		if found {
			mb.state.uncertain.Delete(m.SourceKey)
			return target.Created{ID: id, Notes: []string{"created by an earlier attempt whose answer was lost"}}, nil
		}
	}
	created, err := mb.putMessage(ctx, f, m, where)
	var ie *target.ItemError
	switch {
	case err == nil, errors.As(err, &ie), errors.Is(err, target.ErrAuth), errors.Is(err, target.ErrNotFound):
		mb.state.uncertain.Delete(m.SourceKey)
	default:
		mb.state.uncertain.Store(m.SourceKey, struct{}{})
	}
	return created, err
}

func (mb *mailbox) putMessage(ctx context.Context, f target.FolderID, m *target.Message, where string) (target.Created, error) {
	p, err := mb.plan(ctx, f, m, where)
	if err != nil {
		return target.Created{}, err
	}
	catNotes, err := mb.ensureCategories(ctx, m.Categories, where)
	if err != nil {
		return target.Created{}, err
	}
	p.notes = append(p.notes, catNotes...)
	draft := m.Draft || (len(p.later) > 0 && mb.state.attachRefused.Load())
	id, err := mb.create(ctx, f, m, p, draft, where)
	if errors.Is(err, errAttachRefused) && !draft {
		if mb.c.cfg.Answers.AttachToReceived == target.AnswerYes {
			mb.c.log.Warn("the mailbox refused an attachment on received mail although the tenant probe saw it accepted; creating the message as a draft", "where", where)
		} else {
			mb.c.log.Info("the mailbox refused an attachment on received mail; creating the message as a draft", "where", where)
		}
		draft = true
		id, err = mb.create(ctx, f, m, p, draft, where)
		if err == nil {
			// The draft took what the received message did not: the
			// mailbox refuses attachments on received mail, not this
			// attachment.
			mb.state.attachRefused.Store(true)
		}
	}
	if err != nil {
		return target.Created{}, err
	}
	notes := p.notes
	if draft && !m.Draft {
		var n int64
		for _, a := range p.later {
			n += a.size
		}
		notes = append(notes, fmt.Sprintf("created as a draft: the mailbox refused attachments added to received mail, and %d attachment(s) (%s) did not fit in Graph's 4 MB creation request; nothing was lost", len(p.later), humanize.Bytes(n)))
	}
	return target.Created{ID: target.ItemID(id), Notes: notes}, nil
}

// plan decides the body and where each attachment goes, and refuses what
// Graph cannot take before anything is created.
func (mb *mailbox) plan(ctx context.Context, f target.FolderID, m *target.Message, where string) (*plan, error) {
	p := &plan{body: m.Content.Body}
	atts := attachmentsOf(m.Content)
	total := int64(len(p.body.Content))
	for _, a := range atts {
		total += a.size
		if a.size > uploadSessionMax {
			return nil, &target.ItemError{Reason: fmt.Sprintf("attachment %q is %s; Graph accepts attachments up to 150 MB", a.name, humanize.Bytes(a.size))}
		}
	}
	if limit := mb.c.cfg.MaxMessageSize; limit > 0 && total > limit {
		return nil, &target.ItemError{Reason: fmt.Sprintf("the message is %s, more than the tenant's maximum message size of %s (target.max_message_size)", humanize.Bytes(total), humanize.Bytes(limit))}
	}

	// The creation request without attachments; the longest stamp.
	base, err := mb.createSize(ctx, f, m, p.body, pendingPrefix+messageStamp(m), false, nil)
	if err != nil {
		return nil, err
	}
	for tries := 0; base > createBudget; tries++ {
		// The body and headers alone do not fit: keep the whole body as
		// an attachment and cut the one shown.
		if tries == 0 {
			atts = append(atts, bodyAttachment(p.body))
			p.notes = append(p.notes, fmt.Sprintf("the body was cut to fit Graph's 4 MB request; the whole text is attached as %s", atts[len(atts)-1].name))
		}
		if tries == 4 || len(p.body.Content) == 0 {
			return nil, &target.ItemError{Reason: "the message's headers and body do not fit in Graph's 4 MB request"}
		}
		keep := max(len(p.body.Content)-int(base-(createBudget-256<<10)), 0)
		if tries > 0 {
			keep = min(keep, len(p.body.Content)/2)
		}
		p.body.Content = cutUTF8(p.body.Content, keep)
		if base, err = mb.createSize(ctx, f, m, p.body, pendingPrefix+messageStamp(m), false, nil); err != nil {
			return nil, err
		}
	}
	if _, notes := buildMessage(m, p.body, messageStamp(m), false); len(notes) > 0 {
		p.notes = append(p.notes, notes...)
	}

	// Smallest attachments first into the creation request.
	order := make([]int, len(atts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(atts[a].size, atts[b].size) })
	budget := createBudget - base
	inline := make([]bool, len(atts))
	for _, i := range order {
		if n := attachmentJSONLen(atts[i]); n <= budget {
			inline[i] = true
			budget -= n
		}
	}
	for i, a := range atts {
		if inline[i] {
			p.inline = append(p.inline, a)
			continue
		}
		if _, err := mb.viaSession(ctx, a); err != nil {
			return nil, err
		}
		p.later = append(p.later, a)
	}
	return p, nil
}

// bodyAttachment is the whole body as a file.
func bodyAttachment(b message.Body) attachment {
	content := b.Content
	a := attachment{name: "body.txt", contentType: "text/plain", size: int64(len(content))}
	if b.ContentType == "html" {
		a.name, a.contentType = "body.html", "text/html"
	}
	a.open = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(content)), nil }
	return a
}

// cutUTF8 cuts s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// buildMessage is the Graph message for m, without attachments.
// https://learn.microsoft.com/graph/api/resources/message
func buildMessage(m *target.Message, body message.Body, stamp string, draft bool) (models.Messageable, []string) {
	c := m.Content
	var notes []string
	msg := models.NewMessage()
	msg.SetSubject(new(c.Subject))
	b := models.NewItemBody()
	bt := models.TEXT_BODYTYPE
	if body.ContentType == "html" {
		bt = models.HTML_BODYTYPE
	}
	b.SetContentType(&bt)
	b.SetContent(new(body.Content))
	msg.SetBody(b)

	var dropped []string
	recipient := func(a *message.Address) models.Recipientable {
		if a == nil {
			return nil
		}
		if !strings.Contains(a.Address, "@") {
			dropped = append(dropped, strings.TrimSpace(a.Name+" "+a.Address))
			return nil
		}
		r := models.NewRecipient()
		e := models.NewEmailAddress()
		e.SetAddress(new(a.Address))
		if a.Name != "" {
			e.SetName(new(a.Name))
		}
		r.SetEmailAddress(e)
		return r
	}
	list := func(as []message.Address) []models.Recipientable {
		var out []models.Recipientable
		for i := range as {
			if r := recipient(&as[i]); r != nil {
				out = append(out, r)
			}
		}
		return out
	}
	if r := recipient(c.From); r != nil {
		msg.SetFrom(r)
		if c.Sender == nil {
			msg.SetSender(r)
		}
	}
	if r := recipient(c.Sender); r != nil {
		msg.SetSender(r)
	}
	if l := list(c.To); l != nil {
		msg.SetToRecipients(l)
	}
	if l := list(c.Cc); l != nil {
		msg.SetCcRecipients(l)
	}
	if l := list(c.Bcc); l != nil {
		msg.SetBccRecipients(l)
	}
	if l := list(c.ReplyTo); l != nil {
		msg.SetReplyTo(l)
	}
	if len(dropped) > 0 {
		notes = append(notes, fmt.Sprintf("address(es) without a domain left out of the recipients (kept in the headers): %s", strings.Join(dropped, ", ")))
	}
	if c.MessageID != "" {
		msg.SetInternetMessageId(new(c.MessageID))
	}
	imp := models.NORMAL_IMPORTANCE
	switch c.Importance {
	case "low":
		imp = models.LOW_IMPORTANCE
	case "high":
		imp = models.HIGH_IMPORTANCE
	}
	msg.SetImportance(&imp)
	msg.SetIsRead(new(m.Read))
	// An old receipt request must never send a receipt now.
	msg.SetIsReadReceiptRequested(new(false))
	msg.SetIsDeliveryReceiptRequested(new(false))
	if m.Flagged {
		fl := models.NewFollowupFlag()
		st := models.FLAGGED_FOLLOWUPFLAGSTATUS
		fl.SetFlagStatus(&st)
		msg.SetFlag(fl)
	}
	if len(m.Categories) > 0 {
		msg.SetCategories(slices.Clone(m.Categories))
	}

	var props []models.SingleValueLegacyExtendedPropertyable
	add := func(id, v string) {
		p := models.NewSingleValueLegacyExtendedProperty()
		p.SetId(new(id))
		p.SetValue(new(v))
		props = append(props, p)
	}
	flags := 0
	if m.Read {
		flags |= msgFlagRead
	}
	if draft {
		flags |= msgFlagUnsent
	}
	add(propMessageFlags, strconv.Itoa(flags))
	received, sent := m.Received, m.Sent
	if sent.IsZero() {
		sent = c.Date
	}
	if received.IsZero() {
		received = sent
	}
	if sent.IsZero() {
		sent = received
	}
	if !received.IsZero() {
		add(propDeliveryTime, received.UTC().Format(time.RFC3339))
		add(propSubmitTime, sent.UTC().Format(time.RFC3339))
	} else {
		notes = append(notes, "no date known: the received and sent dates are the time of migration")
	}
	if c.RawHeader != "" {
		add(propTransportHeaders, c.RawHeader)
	}
	if c.InReplyTo != "" {
		add(propInReplyTo, c.InReplyTo)
	}
	if len(c.References) > 0 {
		add(propReferences, strings.Join(c.References, " "))
	}
	switch {
	case m.Answered:
		add(propLastVerb, strconv.Itoa(verbReply))
		add(propIconIndex, strconv.Itoa(iconReplied))
	case m.Forwarded:
		add(propLastVerb, strconv.Itoa(verbForward))
		add(propIconIndex, strconv.Itoa(iconForwarded))
	}
	add(StampPropertyID, stamp)
	msg.SetSingleValueExtendedProperties(props)
	return msg, notes
}

// fileAttachment is the Graph fileAttachment for a with its content.
// https://learn.microsoft.com/graph/api/resources/fileattachment
func fileAttachment(a attachment, content []byte) models.Attachmentable {
	fa := models.NewFileAttachment()
	fa.SetName(new(a.name))
	fa.SetContentType(new(a.contentType))
	fa.SetIsInline(new(a.inline))
	if a.contentID != "" {
		fa.SetContentId(new(a.contentID))
	}
	if content == nil {
		content = []byte{}
	}
	fa.SetContentBytes(content)
	return fa
}

// createRequest serializes the creation request, as the SDK sends it.
func (mb *mailbox) createRequest(ctx context.Context, f target.FolderID, msg models.Messageable) (*abs.RequestInformation, error) {
	ri, err := mb.user().MailFolders().ByMailFolderId(string(f)).Messages().ToPostRequestInformation(ctx, msg, nil)
	if err != nil {
		return nil, fmt.Errorf("graph: serialize the message: %w", err)
	}
	return ri, nil
}

// createSize is the size of the creation request for body and the
// attachments given with their content.
func (mb *mailbox) createSize(ctx context.Context, f target.FolderID, m *target.Message, body message.Body, stamp string, draft bool, atts []models.Attachmentable) (int64, error) {
	msg, _ := buildMessage(m, body, stamp, draft)
	if atts != nil {
		msg.SetAttachments(atts)
	}
	ri, err := mb.createRequest(ctx, f, msg)
	if err != nil {
		return 0, err
	}
	return int64(len(ri.Content)), nil
}

// attachmentPostSize is the size of the POST .../attachments request for
// a, computed without its content.
func (mb *mailbox) attachmentPostSize(ctx context.Context, a attachment) (int64, error) {
	ri, err := mb.user().Messages().ByMessageId("x").Attachments().ToPostRequestInformation(ctx, fileAttachment(a, nil), nil)
	if err != nil {
		return 0, fmt.Errorf("graph: serialize an attachment: %w", err)
	}
	return int64(len(ri.Content)) + b64Len(a.size), nil
}

// viaSession tells whether attachment a, added after the message is
// created, goes through an upload session rather than POST
// .../attachments: from uploadSessionMin, as Microsoft advises, and below
// it when the POST, with the base64 of the content, would exceed Graph's
// 4 MB request limit (a file just under 3 MB is just over 4 MB in base64).
// An attachment that fits neither way is an *target.ItemError.
func (mb *mailbox) viaSession(ctx context.Context, a attachment) (bool, error) {
	if a.size >= uploadSessionMin {
		return true, nil
	}
	n, err := mb.attachmentPostSize(ctx, a)
	switch {
	case err != nil:
		return false, err
	case n <= maxRequestBytes:
		return false, nil
	case a.size < uploadSessionFloor:
		return false, &target.ItemError{Reason: fmt.Sprintf("attachment %q (%d bytes) makes a Graph request of %d bytes, over the 4 MB limit, and is too small for an upload session (3 MB)", a.name, a.size, n)}
	}
	return true, nil
}

// readAttachment reads a's content (only attachments that go into one
// request, so at most 4 MB).
func readAttachment(a attachment) ([]byte, error) {
	rc, err := a.open()
	if err != nil {
		return nil, fmt.Errorf("open attachment %q: %w", a.name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, a.size+1))
	if err != nil {
		return nil, fmt.Errorf("read attachment %q: %w", a.name, err)
	}
	if int64(len(b)) != a.size {
		return nil, fmt.Errorf("attachment %q has %d bytes, not the %d announced", a.name, len(b), a.size)
	}
	return b, nil
}

// create creates the message with its attachments and returns its id. On
// failure nothing stamped with the key is left (a partial item is
// deleted, or keeps its pending stamp if even that fails).
func (mb *mailbox) create(ctx context.Context, f target.FolderID, m *target.Message, p *plan, draft bool, where string) (string, error) {
	inline := slices.Clone(p.inline)
	later := slices.Clone(p.later)
	var ri *abs.RequestInformation
	for {
		stamp := messageStamp(m)
		if len(later) > 0 {
			stamp = pendingPrefix + messageStamp(m)
		}
		msg, _ := buildMessage(m, p.body, stamp, draft)
		atts := make([]models.Attachmentable, 0, len(inline))
		for _, a := range inline {
			b, err := readAttachment(a)
			if err != nil {
				return "", fmt.Errorf("graph: %s: %w", where, err)
			}
			atts = append(atts, fileAttachment(a, b))
		}
		if len(atts) > 0 {
			msg.SetAttachments(atts)
		}
		var err error
		if ri, err = mb.createRequest(ctx, f, msg); err != nil {
			return "", err
		}
		if len(ri.Content) <= maxRequestBytes || len(inline) == 0 {
			break
		}
		// The estimate was wrong: the largest goes afterwards.
		i := 0
		for j := range inline {
			if inline[j].size > inline[i].size {
				i = j
			}
		}
		later = append(later, inline[i])
		inline = slices.Delete(inline, i, i+1)
	}
	stamp := messageStamp(m)
	if len(later) > 0 {
		stamp = pendingPrefix + messageStamp(m)
		// A partial item left by an earlier attempt of this key.
		stale, err := mb.findKey(ctx, f, pendingPrefix, m.SourceKey, where)
		if err != nil {
			return "", err
		}
		for _, id := range stale {
			if err := mb.deleteMessage(ctx, id, where); err != nil {
				return "", mb.c.describe(err, where, "delete a partial item of an earlier attempt", permMail)
			}
		}
	}

	var id string
	err := mb.c.retry(ctx, mb.pace, where, "create the message", func(ctx context.Context) error {
		ri.Headers.Remove("Authorization") // a fresh token for each attempt
		res, err := mb.c.adapter.Send(ctx, ri, models.CreateMessageFromDiscriminatorValue, errorMapping)
		if err != nil {
			return err
		}
		created, ok := res.(models.Messageable)
		if !ok || val(created.GetId()) == "" {
			return errors.New("the created message came back without an id")
		}
		id = *created.GetId()
		return nil
	}, func(ctx context.Context) (bool, error) {
		// Did the failed request create the item?
		ids, err := mb.findStampValue(ctx, f, stamp, where)
		if err != nil || len(ids) == 0 {
			return false, err
		}
		id = ids[0]
		for _, extra := range ids[1:] {
			mb.discard(ctx, extra, where)
		}
		return true, nil
	})
	if err != nil {
		return "", mb.c.describe(err, where, "create the message", permMail)
	}
	if len(later) == 0 {
		return id, nil
	}

	have := len(inline)
	for _, a := range later {
		session, err := mb.viaSession(ctx, a)
		switch {
		case err != nil:
		case session:
			err = mb.uploadAttachment(ctx, attachHome{id: id}, a, have, draft, where)
		default:
			err = mb.postAttachment(ctx, attachHome{id: id}, a, have, draft, where)
		}
		if err != nil {
			mb.discard(ctx, id, where)
			return "", err
		}
		have++
	}
	// Complete: the stamp becomes the key.
	patch := models.NewMessage()
	sp := models.NewSingleValueLegacyExtendedProperty()
	sp.SetId(new(StampPropertyID))
	sp.SetValue(new(messageStamp(m)))
	patch.SetSingleValueExtendedProperties([]models.SingleValueLegacyExtendedPropertyable{sp})
	err = mb.c.retry(ctx, mb.pace, where, "stamp the complete message", func(ctx context.Context) error {
		_, err := mb.user().Messages().ByMessageId(id).Patch(ctx, patch, nil)
		return err
	}, nil)
	if err != nil {
		mb.discard(ctx, id, where)
		return "", mb.c.describe(err, where, "stamp the complete message", permMail)
	}
	return id, nil
}

// refused reports a 400 to adding an attachment to a received message:
// Microsoft does not document whether Exchange accepts that, so any
// refusal leads to the draft fallback.
func refused(err error, draft bool) bool {
	he, ok := asHTTPError(err)
	return ok && !draft && he.status == 400
}

// postAttachment adds an attachment whose POST fits in 4 MB (see
// viaSession) with one POST.
// https://learn.microsoft.com/graph/api/message-post-attachments,
// https://learn.microsoft.com/graph/api/event-post-attachments
func (mb *mailbox) postAttachment(ctx context.Context, h attachHome, a attachment, have int, draft bool, where string) error {
	what := fmt.Sprintf("add attachment %q", a.name)
	b, err := readAttachment(a)
	if err != nil {
		return fmt.Errorf("graph: %s: %w", where, err)
	}
	var ri *abs.RequestInformation
	if h.event {
		ri, err = mb.user().Events().ByEventId(h.id).Attachments().ToPostRequestInformation(ctx, fileAttachment(a, b), nil)
	} else {
		ri, err = mb.user().Messages().ByMessageId(h.id).Attachments().ToPostRequestInformation(ctx, fileAttachment(a, b), nil)
	}
	b = nil
	if err != nil {
		return fmt.Errorf("graph: %s: serialize attachment %q: %w", where, a.name, err)
	}
	err = mb.c.retry(ctx, mb.pace, where, what, func(ctx context.Context) error {
		ri.Headers.Remove("Authorization")
		_, err := mb.c.adapter.Send(ctx, ri, models.CreateAttachmentFromDiscriminatorValue, errorMapping)
		return err
	}, func(ctx context.Context) (bool, error) {
		return mb.attachedAlready(ctx, h, have, where)
	})
	if refused(err, draft) {
		return fmt.Errorf("graph: %s: %s: %w (%v)", where, what, errAttachRefused, err)
	}
	return mb.c.describe(err, where, what, h.perm())
}

// attachedAlready tells, after an ambiguous failure, whether the
// attachment that was being added is on the item: it has have attachments
// before and have+1 after.
func (mb *mailbox) attachedAlready(ctx context.Context, h attachHome, have int, where string) (bool, error) {
	n, err := mb.countAttachments(ctx, h, where)
	switch {
	case err != nil:
		return false, err
	case n == have+1:
		return true, nil
	case n == have:
		return false, nil
	}
	return false, fmt.Errorf("graph: %s: the item has %d attachments, expected %d or %d", where, n, have, have+1)
}

// countAttachments counts the attachments of a message or event.
// https://learn.microsoft.com/graph/api/message-list-attachments,
// https://learn.microsoft.com/graph/api/event-list-attachments
func (mb *mailbox) countAttachments(ctx context.Context, h attachHome, where string) (int, error) {
	top := int32(200)
	n := 0
	if h.event {
		builder := mb.user().Events().ByEventId(h.id).Attachments()
		cfg := &users.ItemEventsItemAttachmentsRequestBuilderGetRequestConfiguration{QueryParameters: &users.ItemEventsItemAttachmentsRequestBuilderGetQueryParameters{Select: []string{"id"}, Top: &top}}
		for _, err := range permPages(ctx, mb, permCalendars, where, "list attachments",
			func(ctx context.Context) (models.AttachmentCollectionResponseable, error) {
				return builder.Get(ctx, cfg)
			},
			func(ctx context.Context, link string) (models.AttachmentCollectionResponseable, error) {
				return builder.WithUrl(link).Get(ctx, nil)
			}) {
			if err != nil {
				return 0, err
			}
			n++
		}
		return n, nil
	}
	builder := mb.user().Messages().ByMessageId(h.id).Attachments()
	cfg := &users.ItemMessagesItemAttachmentsRequestBuilderGetRequestConfiguration{QueryParameters: &users.ItemMessagesItemAttachmentsRequestBuilderGetQueryParameters{Select: []string{"id"}, Top: &top}}
	for _, err := range pages(ctx, mb, where, "list attachments",
		func(ctx context.Context) (models.AttachmentCollectionResponseable, error) {
			return builder.Get(ctx, cfg)
		},
		func(ctx context.Context, link string) (models.AttachmentCollectionResponseable, error) {
			return builder.WithUrl(link).Get(ctx, nil)
		}) {
		if err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}
