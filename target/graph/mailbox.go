package graph

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/migrate-tool/migrate/target"
)

// StampGUID is the property set of the source-key stamp: a GUID of this
// project's own, so that no other application's named property can
// collide with it.
const StampGUID = "{6f1d3c52-8a4e-4b7d-9c2e-5b0a7e9d4f31}"

// StampPropertyID is the id of the named extended property stamped on
// every created item; its value is the item's source key. Microsoft's id
// format for a named property: "{type} {guid} Name {name}"
// (https://learn.microsoft.com/graph/api/resources/extended-properties-overview).
// The name is case-sensitive; a value comparison in $filter is not.
const StampPropertyID = "String " + StampGUID + " Name SourceKey"

// pendingPrefix marks the stamp of an item whose attachments are still
// being added: Lookup and Stamps ignore it, and PutMessage deletes it
// before creating the item again.
const pendingPrefix = "pending:"

// mailbox is one destination mailbox; it implements target.Mailbox.
type mailbox struct {
	c       *Client
	address string
	id      string
	upn     string // the user principal name Graph gave
	pace    *pacer
	state   *mailboxState

	mu          sync.Mutex
	folders     map[string]target.FolderID // cache: parent + "\x00" + lower-case path
	folderNames map[target.FolderID]string // for errors
}

var _ target.Mailbox = (*mailbox)(nil)

func (mb *mailbox) where(f target.FolderID, key string) string {
	s := "mailbox " + mb.address
	if f != "" {
		mb.mu.Lock()
		name, ok := mb.folderNames[f]
		mb.mu.Unlock()
		if !ok {
			name = string(f)
		}
		s += ", folder " + name
	}
	if key != "" {
		s += fmt.Sprintf(", item %q", key)
	}
	return s
}

// odataString quotes s as an OData string literal.
func odataString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// expandStamp returns the stamp property with an item: extended
// properties are only returned through $expand with a filter on the id.
// https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-get
var expandStamp = "singleValueExtendedProperties($filter=id eq " + odataString(StampPropertyID) + ")"

// EnsureFolder implements target.Mailbox: it walks the childFolders of
// parent (a well-known folder name such as target.Inbox, "" for the
// root), matching display names case-insensitively as Exchange does, and
// creates what is missing. A 409 ErrorFolderExists (another worker
// created it first, or a hidden folder has the name) lists again.
// https://learn.microsoft.com/graph/api/mailfolder-list-childfolders,
// https://learn.microsoft.com/graph/api/mailfolder-post-childfolders.
func (mb *mailbox) EnsureFolder(ctx context.Context, parent string, path []string) (target.FolderID, error) {
	if parent == "" {
		parent = target.Root
	}
	for _, name := range path {
		if strings.TrimSpace(name) == "" {
			return "", fmt.Errorf("graph: mailbox %s: folder path %q has an empty name", mb.address, strings.Join(path, "/"))
		}
	}
	display := strings.Join(append([]string{parent}, path...), "/")
	where := fmt.Sprintf("mailbox %s, folder %s", mb.address, display)
	key := strings.ToLower(parent)
	cur, ok := mb.cached(key)
	if !ok {
		// The well-known folder's id, so callers always get ids.
		var id string
		err := mb.c.retry(ctx, mb.pace, where, "get the folder", func(ctx context.Context) error {
			f, err := mb.user().MailFolders().ByMailFolderId(parent).Get(ctx,
				&users.ItemMailFoldersMailFolderItemRequestBuilderGetRequestConfiguration{
					QueryParameters: &users.ItemMailFoldersMailFolderItemRequestBuilderGetQueryParameters{Select: []string{"id", "displayName"}},
				})
			if err != nil {
				return err
			}
			id = val(f.GetId())
			return nil
		}, nil)
		if err != nil {
			return "", mb.c.describe(err, where, "get the folder", permMail)
		}
		cur = target.FolderID(id)
		mb.remember(key, cur, parent)
	}
	for i, name := range path {
		key += "\x00" + strings.ToLower(strings.TrimSpace(name))
		if id, ok := mb.cached(key); ok {
			cur = id
			continue
		}
		id, err := mb.ensureChild(ctx, cur, name, where)
		if err != nil {
			return "", err
		}
		cur = id
		mb.remember(key, cur, strings.Join(path[:i+1], "/"))
	}
	return cur, nil
}

func (mb *mailbox) cached(key string) (target.FolderID, bool) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	id, ok := mb.folders[key]
	return id, ok
}

func (mb *mailbox) remember(key string, id target.FolderID, name string) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.folders[key] = id
	mb.folderNames[id] = name
}

// ensureChild returns the child of parent named name, creating it.
func (mb *mailbox) ensureChild(ctx context.Context, parent target.FolderID, name, where string) (target.FolderID, error) {
	find := func(ctx context.Context, hidden bool) (target.FolderID, bool, error) {
		id, err := mb.findChild(ctx, parent, name, hidden, where)
		return id, id != "", err
	}
	if id, ok, err := find(ctx, false); err != nil || ok {
		return id, err
	}
	var id target.FolderID
	body := models.NewMailFolder()
	body.SetDisplayName(&name)
	err := mb.c.retry(ctx, mb.pace, where, "create the folder", func(ctx context.Context) error {
		f, err := mb.user().MailFolders().ByMailFolderId(string(parent)).ChildFolders().Post(ctx, body, nil)
		if err != nil {
			return err
		}
		id = target.FolderID(val(f.GetId()))
		return nil
	}, func(ctx context.Context) (bool, error) {
		// The folder may have been created by the failed request.
		found, ok, err := find(ctx, false)
		id = found
		return ok, err
	})
	if err != nil {
		if he, ok := asHTTPError(err); ok && he.status == http.StatusConflict {
			// Created meanwhile by someone else, or a hidden folder.
			for _, hidden := range []bool{false, true} {
				if id, ok, err := find(ctx, hidden); err != nil || ok {
					return id, err
				}
			}
		}
		return "", mb.c.describe(err, where, fmt.Sprintf("create the folder %q", name), permMail)
	}
	return id, nil
}

// findChild lists parent's children (all pages) and returns the one named
// name, ignoring case and surrounding white space, or "".
func (mb *mailbox) findChild(ctx context.Context, parent target.FolderID, name string, hidden bool, where string) (target.FolderID, error) {
	want := strings.TrimSpace(name)
	builder := mb.user().MailFolders().ByMailFolderId(string(parent)).ChildFolders()
	top := int32(250)
	q := &users.ItemMailFoldersItemChildFoldersRequestBuilderGetQueryParameters{Select: []string{"id", "displayName"}, Top: &top}
	if hidden {
		t := "true"
		q.IncludeHiddenFolders = &t
	}
	cfg := &users.ItemMailFoldersItemChildFoldersRequestBuilderGetRequestConfiguration{QueryParameters: q}
	for f, err := range pages(ctx, mb, where, "list folders",
		func(ctx context.Context) (models.MailFolderCollectionResponseable, error) {
			return builder.Get(ctx, cfg)
		},
		func(ctx context.Context, link string) (models.MailFolderCollectionResponseable, error) {
			return builder.WithUrl(link).Get(ctx, nil)
		}) {
		if err != nil {
			return "", err
		}
		if strings.EqualFold(strings.TrimSpace(val(f.GetDisplayName())), want) && val(f.GetId()) != "" {
			return target.FolderID(*f.GetId()), nil
		}
	}
	return "", nil
}

// stampOf returns the stamp value of a message listed with expandStamp.
func stampOf(m models.Messageable) (string, bool) {
	for _, p := range m.GetSingleValueExtendedProperties() {
		if strings.EqualFold(val(p.GetId()), StampPropertyID) && p.GetValue() != nil {
			return *p.GetValue(), true
		}
	}
	return "", false
}

// stampValue is the value of the stamp property of an item created from
// key with content identity contentID: the key, then a space and the
// content identity when there is one. One property holds both so that
// Stamps lists both with the one $expand Microsoft documents
// (singleValueExtendedProperties($filter=id eq '...')).
func stampValue(key, contentID string) string {
	if contentID == "" {
		return key
	}
	return key + " " + contentID
}

// messageStamp is a message's stamp value: its key and content identity
// (stampValue) and, after one more space, its body identity
// (target.Message.BodyID) when it has both.
func messageStamp(m *target.Message) string {
	v := stampValue(m.SourceKey, m.ContentID)
	if m.ContentID != "" && m.BodyID != "" {
		v += " " + m.BodyID
	}
	return v
}

// ParseStamp splits a stamp value into the source key and the content
// identity ("" for a stamp made without one): the identity is the last
// space-separated word when it has the shape scheme:hex, or the one
// before a body identity (ParseMessageStamp).
func ParseStamp(v string) (key, contentID string) {
	key, contentID, _ = ParseMessageStamp(v)
	return key, contentID
}

// ParseMessageStamp splits a stamp value into the source key, the content
// identity and the body identity ("" for those a stamp was made without):
// "KEY", "KEY sha256:HEX" (stamps of versions before body identities,
// contacts and events) or "KEY sha256:HEX body:HEX" (messages): when the
// last word is a body identity (scheme "body", source.BodyScheme) and the
// one before it has the shape scheme:hex, they are the content and the
// body identity; else the last word, when it has that shape, is the
// content identity. So a key that itself ends in a word like "ab:12" (an
// iCalendar UID with spaces, say) still parses back whole from
// "KEY sha256:HEX".
func ParseMessageStamp(v string) (key, contentID, bodyID string) {
	rest, last, ok := lastIdentity(v)
	if !ok {
		return v, "", ""
	}
	if strings.HasPrefix(last, bodyScheme+":") {
		if k, c, ok := lastIdentity(rest); ok {
			return k, c, last
		}
	}
	return rest, last, ""
}

// bodyScheme is the scheme of a body identity (source.BodyScheme; the
// target packages do not import the source ones).
const bodyScheme = "body"

// lastIdentity cuts the last space-separated word of v when it has the
// shape scheme:hex.
func lastIdentity(v string) (rest, ident string, ok bool) {
	i := strings.LastIndexByte(v, ' ')
	if i <= 0 {
		return v, "", false
	}
	scheme, sum, ok := strings.Cut(v[i+1:], ":")
	if !ok || scheme == "" || sum == "" || strings.Trim(scheme, "abcdefghijklmnopqrstuvwxyz0123456789") != "" || strings.Trim(sum, "0123456789abcdef") != "" {
		return v, "", false
	}
	return v[:i], v[i+1:], true
}

// findStamped returns the ids of the messages in f whose stamp matches
// test, among those the OData condition on the stamp's value (ep/value)
// selects. Graph compares values without regard to case, so the
// candidates are tested again here.
// https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-get
// ("Get resource instances using a filter on an extended property": eq
// and startswith on string values).
func (mb *mailbox) findStamped(ctx context.Context, f target.FolderID, cond string, test func(string) bool, where string) ([]string, error) {
	filter := fmt.Sprintf("singleValueExtendedProperties/Any(ep: ep/id eq %s and %s)", odataString(StampPropertyID), cond)
	builder := mb.user().MailFolders().ByMailFolderId(string(f)).Messages()
	top := int32(50)
	cfg := &users.ItemMailFoldersItemMessagesRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemMailFoldersItemMessagesRequestBuilderGetQueryParameters{
			Filter: &filter, Select: []string{"id"}, Expand: []string{expandStamp}, Top: &top,
		},
	}
	var ids []string
	for m, err := range messagePages(ctx, mb, builder, cfg, where, "find the item by its stamp") {
		if err != nil {
			return nil, err
		}
		if v, ok := stampOf(m); ok && test(v) && val(m.GetId()) != "" {
			ids = append(ids, *m.GetId())
		}
	}
	return ids, nil
}

// findStampValue returns the ids of the messages in f stamped with
// exactly value.
func (mb *mailbox) findStampValue(ctx context.Context, f target.FolderID, value, where string) ([]string, error) {
	return mb.findStamped(ctx, f, "ep/value eq "+odataString(value), func(v string) bool { return v == value }, where)
}

// findKey returns the ids of the messages in f whose stamp is prefix and
// key, with any content identity or none.
func (mb *mailbox) findKey(ctx context.Context, f target.FolderID, prefix, key, where string) ([]string, error) {
	return mb.findStamped(ctx, f, "startswith(ep/value, "+odataString(prefix+key)+")", func(v string) bool {
		rest, ok := strings.CutPrefix(v, prefix)
		k, _ := ParseStamp(rest)
		return ok && k == key
	}, where)
}

// Lookup implements target.Mailbox: the complete item in f stamped with
// sourceKey (with any content identity), found by a $filter on the
// stamp's start.
func (mb *mailbox) Lookup(ctx context.Context, f target.FolderID, sourceKey string) (target.ItemID, bool, error) {
	if sourceKey == "" {
		return "", false, errors.New("graph: Lookup: empty source key")
	}
	ids, err := mb.findKey(ctx, f, "", sourceKey, mb.where(f, sourceKey))
	if err != nil || len(ids) == 0 {
		return "", false, err
	}
	return target.ItemID(ids[0]), true, nil
}

// Stamps implements target.Mailbox: every complete stamped message in f,
// oldest created first, paging with @odata.nextLink
// (https://learn.microsoft.com/graph/paging).
func (mb *mailbox) Stamps(ctx context.Context, f target.FolderID) iter.Seq2[target.Stamp, error] {
	return func(yield func(target.Stamp, error) bool) {
		where := mb.where(f, "")
		builder := mb.user().MailFolders().ByMailFolderId(string(f)).Messages()
		top := mb.c.pageSize
		cfg := &users.ItemMailFoldersItemMessagesRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.ItemMailFoldersItemMessagesRequestBuilderGetQueryParameters{
				Select: []string{"id"}, Expand: []string{expandStamp}, Top: &top, Orderby: []string{"createdDateTime"},
			},
		}
		for m, err := range messagePages(ctx, mb, builder, cfg, where, "list stamped items") {
			if err != nil {
				yield(target.Stamp{}, err)
				return
			}
			v, ok := stampOf(m)
			if !ok || v == "" || strings.HasPrefix(v, pendingPrefix) || val(m.GetId()) == "" {
				continue
			}
			key, content, body := ParseMessageStamp(v)
			if !yield(target.Stamp{SourceKey: key, ContentID: content, BodyID: body, ID: target.ItemID(*m.GetId())}, nil) {
				return
			}
		}
	}
}

// messagePages streams the messages of a folder's message list request.
func messagePages(ctx context.Context, mb *mailbox, builder *users.ItemMailFoldersItemMessagesRequestBuilder,
	cfg *users.ItemMailFoldersItemMessagesRequestBuilderGetRequestConfiguration, where, what string) iter.Seq2[models.Messageable, error] {
	return pages(ctx, mb, where, what,
		func(ctx context.Context) (models.MessageCollectionResponseable, error) { return builder.Get(ctx, cfg) },
		func(ctx context.Context, link string) (models.MessageCollectionResponseable, error) {
			return builder.WithUrl(link).Get(ctx, nil)
		})
}

// deleteMessage deletes a message; one that is gone already is fine.
// Graph's DELETE moves the item to the mailbox's Recoverable Items, out
// of the user's sight. https://learn.microsoft.com/graph/api/message-delete
func (mb *mailbox) deleteMessage(ctx context.Context, id, where string) error {
	return mb.deleteGone(ctx, where, "delete the item", func(ctx context.Context) error {
		return mb.user().Messages().ByMessageId(id).Delete(ctx, nil)
	})
}

// deleteGone runs del, the DELETE of one item (what says which, for
// errors), with retries; an item that is gone already (404) is fine.
func (mb *mailbox) deleteGone(ctx context.Context, where, what string, del func(context.Context) error) error {
	err := mb.c.retry(ctx, mb.pace, where, what, del, nil)
	if he, ok := asHTTPError(err); ok && he.status == http.StatusNotFound {
		return nil
	}
	return err
}

// discard deletes a partial item after a failure, even when ctx is done.
// A failure is only logged: the item keeps its pending stamp, which
// Lookup and Stamps ignore and the next PutMessage of its key deletes.
func (mb *mailbox) discard(ctx context.Context, id, where string) {
	mb.discardPartial(ctx, where, "item", permMail, func(ctx context.Context) error { return mb.deleteMessage(ctx, id, where) })
}

// discardPartial runs del, which deletes a partial item of the kind named
// (item, contact, event) after a failure, within a minute even when ctx is
// done. A failure is only logged, naming perm: the item keeps its pending
// stamp, which listings ignore and the next attempt at its key deletes.
func (mb *mailbox) discardPartial(ctx context.Context, where, kind, perm string, del func(context.Context) error) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := del(dctx); err != nil {
		mb.c.log.Warn("could not delete a partial "+kind+"; the next attempt will", "where", where, "err", mb.c.describe(err, where, "delete the partial "+kind, perm))
	}
}

func val[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// user returns the request builder of the mailbox's user, made from the
// client's request adapter (see Client.users).
func (mb *mailbox) user() *users.UserItemRequestBuilder { return mb.c.users().ByUserId(mb.id) }
