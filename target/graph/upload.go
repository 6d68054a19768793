package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// errSessionLost is an upload session that no longer exists (expired, or
// removed by the server) before the file was complete.
var errSessionLost = errors.New("the upload session was lost")

// attachHome is the item attachments are added to: a message or an
// event (https://learn.microsoft.com/graph/api/event-post-attachments,
// https://learn.microsoft.com/graph/outlook-large-attachments: "attach
// files ... to an Outlook message or event").
type attachHome struct {
	id    string
	event bool
}

// perm is the permission adding attachments to h needs.
func (h attachHome) perm() string {
	if h.event {
		return permCalendars
	}
	return permMail
}

// createSession creates an upload session for item on h.
func (mb *mailbox) createSession(ctx context.Context, h attachHome, item models.AttachmentItemable) (models.UploadSessionable, error) {
	if h.event {
		body := users.NewItemEventsItemAttachmentsCreateUploadSessionPostRequestBody()
		body.SetAttachmentItem(item)
		return mb.user().Events().ByEventId(h.id).Attachments().CreateUploadSession().Post(ctx, body, nil)
	}
	body := users.NewItemMessagesItemAttachmentsCreateUploadSessionPostRequestBody()
	body.SetAttachmentItem(item)
	return mb.user().Messages().ByMessageId(h.id).Attachments().CreateUploadSession().Post(ctx, body, nil)
}

// uploadAttachment adds an attachment of up to 150 MB (see viaSession)
// through an upload session: PUTs of byte ranges in order, each under
// 4 MB, with Content-Range and without the Authorization header (the upload URL is
// pre-authenticated and on Outlook's host), streamed from the
// attachment's reader one chunk at a time. draft is true for an item
// with no draft fallback (a draft message, an event).
// https://learn.microsoft.com/graph/outlook-large-attachments,
// https://learn.microsoft.com/graph/api/attachment-createuploadsession.
func (mb *mailbox) uploadAttachment(ctx context.Context, h attachHome, a attachment, have int, draft bool, where string) error {
	what := fmt.Sprintf("upload attachment %q", a.name)
	item := models.NewAttachmentItem()
	t := models.FILE_ATTACHMENTTYPE
	item.SetAttachmentType(&t)
	item.SetName(new(a.name))
	item.SetSize(new(a.size))
	item.SetContentType(new(a.contentType))
	item.SetIsInline(new(a.inline))
	if a.contentID != "" {
		item.SetContentId(new(a.contentID))
	}
	for restart := 0; ; restart++ {
		var uploadURL string
		// A session created by a request that seemed to fail is harmless:
		// an unused session expires.
		err := mb.c.retry(ctx, mb.pace, where, "create an upload session", func(ctx context.Context) error {
			s, err := mb.createSession(ctx, h, item)
			if err != nil {
				return err
			}
			uploadURL = val(s.GetUploadUrl())
			if uploadURL == "" {
				return errors.New("the upload session came back without an uploadUrl")
			}
			return nil
		}, nil)
		if refused(err, draft) {
			return fmt.Errorf("graph: %s: %s: %w (%v)", where, what, errAttachRefused, err)
		}
		if err != nil {
			return mb.c.describe(err, where, what+": create an upload session", h.perm())
		}
		err = mb.putRanges(ctx, h, uploadURL, a, have, where, what)
		if errors.Is(err, errSessionLost) && restart < 2 {
			mb.c.log.Warn("upload session lost, starting over", "where", where, "attachment", a.name, "err", err)
			// A session that still exists holds bytes that will never be
			// used: cancel it rather than let it expire.
			mb.c.cancelSession(ctx, uploadURL)
			continue
		}
		return err
	}
}

// putRanges uploads a's content to the session at uploadURL for item h.
func (mb *mailbox) putRanges(ctx context.Context, h attachHome, uploadURL string, a attachment, have int, where, what string) error {
	rc, err := a.open()
	if err != nil {
		return fmt.Errorf("graph: %s: open attachment %q: %w", where, a.name, err)
	}
	defer rc.Close()
	buf := make([]byte, min(int64(chunkSize), a.size))
	for off := int64(0); off < a.size; {
		n := min(int64(len(buf)), a.size-off)
		if _, err := io.ReadFull(rc, buf[:n]); err != nil {
			return fmt.Errorf("graph: %s: read attachment %q at byte %d: %w", where, a.name, off, err)
		}
		end := off + n // exclusive
		for pos := off; pos < end; {
			var next int64
			var complete bool
			err := mb.c.retry(ctx, mb.pace, where, what, func(ctx context.Context) error {
				var err error
				next, complete, err = mb.c.putRange(ctx, uploadURL, buf[pos-off:n], pos, a.size)
				if he, ok := asHTTPError(err); ok {
					switch {
					case he.status == http.StatusRequestedRangeNotSatisfiable:
						// Taken by an attempt that seemed to fail: ask
						// where to go on. Outlook documents no GET on
						// the upload URL (only PUT and DELETE), so a
						// session that cannot say is started over.
						next, complete, err = mb.c.sessionStatus(ctx, uploadURL)
						if she, ok := asHTTPError(err); ok && she.status >= 400 && she.status < 500 && she.status != http.StatusTooManyRequests {
							err = fmt.Errorf("%w: after a range it may already have taken, the session does not say which byte it expects (%v)", errSessionLost, err)
						}
					case he.status == http.StatusNotFound && end == a.size:
						// The last range may have completed the file
						// before the session went away.
						done, cerr := mb.attachedAlready(ctx, h, have, where)
						if cerr != nil {
							return cerr
						}
						if done {
							complete, err = true, nil
						} else {
							err = errSessionLost
						}
					case he.status == http.StatusNotFound:
						err = errSessionLost
					}
				}
				return err
			}, nil)
			if err != nil {
				if errors.Is(err, errSessionLost) {
					return err
				}
				return mb.c.describe(err, where, what, h.perm())
			}
			if complete {
				if end != a.size {
					return fmt.Errorf("graph: %s: %s: the upload session completed at byte %d of %d", where, what, end, a.size)
				}
				return nil
			}
			if next < pos || next > end {
				return fmt.Errorf("graph: %s: %s: the upload session expects byte %d, outside the range %d-%d being sent", where, what, next, pos, end-1)
			}
			pos = next
		}
		off = end
	}
	return fmt.Errorf("graph: %s: %s: the upload session did not complete after the last byte", where, what)
}

// putRange PUTs data as bytes [start, start+len(data)) of a file of total
// bytes. It returns the next byte the session expects, or complete when
// the file is attached (201 Created).
func (c *Client) putRange(ctx context.Context, uploadURL string, data []byte, start, total int64) (next int64, complete bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, uploadURL, bytes.NewReader(data))
	if err != nil {
		return 0, false, errors.New("the upload URL is not a valid URL")
	}
	req.ContentLength = int64(len(data))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, start+int64(len(data))-1, total))
	resp, err := c.uploadHTTP.Do(req)
	if err != nil {
		return 0, false, redactURLError(err, req.URL)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusCreated:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return total, true, nil
	case http.StatusOK, http.StatusAccepted:
		return parseSessionStatus(resp.Body, start+int64(len(data)))
	}
	return 0, false, readHTTPError(resp)
}

// cancelSession deletes an upload session (204), best effort: an unused
// session also expires.
// https://learn.microsoft.com/graph/outlook-large-attachments ("Cancel the
// upload session").
func (c *Client) cancelSession(ctx context.Context, uploadURL string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, uploadURL, nil)
	if err != nil {
		return
	}
	resp, err := c.uploadHTTP.Do(req)
	if err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// sessionStatus asks an upload session which byte it expects next with a
// GET on the upload URL, which OneDrive documents for its sessions
// ("Resuming an in-progress upload",
// https://learn.microsoft.com/graph/api/driveitem-createuploadsession)
// and Outlook does not: callers start over when it is refused.
func (c *Client) sessionStatus(ctx context.Context, uploadURL string) (next int64, complete bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uploadURL, nil)
	if err != nil {
		return 0, false, errors.New("the upload URL is not a valid URL")
	}
	resp, err := c.uploadHTTP.Do(req)
	if err != nil {
		return 0, false, redactURLError(err, req.URL)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false, readHTTPError(resp)
	}
	return parseSessionStatus(resp.Body, -1)
}

// parseSessionStatus reads nextExpectedRanges ("12345-" or "12345") from
// an upload session's answer; without one it returns def.
func parseSessionStatus(r io.Reader, def int64) (int64, bool, error) {
	var st struct {
		NextExpectedRanges []string `json:"nextExpectedRanges"`
	}
	if err := json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&st); err != nil && !errors.Is(err, io.EOF) {
		return 0, false, fmt.Errorf("%w: upload session status: %v", errTruncated, err)
	}
	if len(st.NextExpectedRanges) == 0 {
		if def < 0 {
			return 0, false, errors.New("the upload session did not say which bytes it expects")
		}
		return def, false, nil
	}
	first, _, _ := strings.Cut(st.NextExpectedRanges[0], "-")
	n, err := strconv.ParseInt(strings.TrimSpace(first), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("the upload session expects %q, not a byte range", st.NextExpectedRanges[0])
	}
	return n, false, nil
}

// readHTTPError reads Graph's error object from a failed response.
func readHTTPError(resp *http.Response) error {
	he := &httpError{status: resp.StatusCode}
	he.retryAfter, he.hasRetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body) == nil {
		he.code, he.message = body.Error.Code, body.Error.Message
	}
	return he
}

// redactURLError drops the query (the upload URL's authtoken) from an
// HTTP client error.
func redactURLError(err error, u *url.URL) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		r := *u
		r.RawQuery = ""
		return &url.Error{Op: ue.Op, URL: r.String(), Err: ue.Err}
	}
	return err
}
