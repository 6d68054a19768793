package graph

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/migrate-tool/migrate/target"
)

// Permissions the contact and event writers need.
const (
	permContacts  = "Contacts.ReadWrite"
	permCalendars = "Calendars.ReadWrite"
)

// defaultContacts is the FolderID of the mailbox's default contact
// folder: Graph addresses it as /users/{id}/contacts, with no id of its
// own in the API ("List contacts: ... from the default contacts folder",
// https://learn.microsoft.com/graph/api/user-list-contacts), and its
// top-level subfolders as /users/{id}/contactFolders
// (https://learn.microsoft.com/graph/api/user-list-contactfolders).
const defaultContacts target.FolderID = "contacts"

// Graph's limits on a contact's lists, answered with a 400 when exceeded
// ("EmailAddresses has 4 entries, that exceeds the max allowed value of
// 3", "BusinessPhones has 3 entries, ... max allowed value of 2"; MAPI
// has Email1-3, [MS-OXOCNTC] 2.2.1.2): what does not fit goes to the
// notes.
const (
	maxContactEmails = 3
	maxContactPhones = 2
)

// propWeddingAnniversary is PidTagWeddingAnniversary (PR_WEDDING_ANNIVERSARY,
// 0x3A41, PT_SYSTIME: "the date of a user's wedding anniversary"), the
// MAPI property Outlook shows as a contact's anniversary; Graph v1.0's
// contact has no property for it, so it goes as a single-value extended
// property ("{type} {proptag}" id,
// https://learn.microsoft.com/graph/api/resources/extended-properties-overview).
// https://learn.microsoft.com/office/client-developer/outlook/mapi/pidtagweddinganniversary-canonical-property
const propWeddingAnniversary = "SystemTime 0x3A41"

// maxPhoto is the largest photo sent: the PUT of .../photo/$value is a
// single request, and Graph's request limit is 4 MB
// (https://learn.microsoft.com/graph/api/profilephoto-update: "the
// request should be less than 4 MB"). A larger photo is left out, with
// a note.
const maxPhoto = 4 << 20

var (
	_ target.ContactWriter = (*mailbox)(nil)
	_ target.EventWriter   = (*mailbox)(nil)
	_ target.PIMFinder     = (*mailbox)(nil)
)

// contactKey is the folder cache key of a contact folder path.
func contactKey(path []string) string {
	key := "\x01contacts"
	for _, n := range path {
		key += "\x00" + strings.ToLower(strings.TrimSpace(n))
	}
	return key
}

// EnsureContactFolder implements target.ContactWriter: it walks the
// contact folders below the default one (/contactFolders, then each
// folder's childFolders), matching display names case-insensitively,
// and creates what is missing.
// https://learn.microsoft.com/graph/api/user-post-contactfolders,
// https://learn.microsoft.com/graph/api/contactfolder-post-childfolders.
func (mb *mailbox) EnsureContactFolder(ctx context.Context, path []string) (target.FolderID, error) {
	for _, name := range path {
		if strings.TrimSpace(name) == "" {
			return "", fmt.Errorf("graph: mailbox %s: contact folder path %q has an empty name", mb.address, strings.Join(path, "/"))
		}
	}
	where := fmt.Sprintf("mailbox %s, contact folder %s", mb.address, strings.Join(append([]string{"Contacts"}, path...), "/"))
	cur := defaultContacts
	mb.remember(contactKey(nil), cur, "Contacts")
	for i, name := range path {
		key := contactKey(path[:i+1])
		if id, ok := mb.cached(key); ok {
			cur = id
			continue
		}
		parent := cur
		find := func(ctx context.Context) (target.FolderID, error) {
			return mb.findContactFolder(ctx, parent, name, where)
		}
		create := func(ctx context.Context) (string, error) {
			body := models.NewContactFolder()
			body.SetDisplayName(&name)
			var f models.ContactFolderable
			var err error
			if parent == defaultContacts {
				f, err = mb.user().ContactFolders().Post(ctx, body, nil)
			} else {
				f, err = mb.user().ContactFolders().ByContactFolderId(string(parent)).ChildFolders().Post(ctx, body, nil)
			}
			if err != nil {
				return "", err
			}
			return val(f.GetId()), nil
		}
		id, err := mb.ensureNamed(ctx, name, where, permContacts, find, create)
		if err != nil {
			return "", err
		}
		cur = id
		mb.remember(key, cur, strings.Join(path[:i+1], "/"))
	}
	return cur, nil
}

// FindContactFolder implements target.PIMFinder: the walk
// EnsureContactFolder makes (/contactFolders, then childFolders,
// https://learn.microsoft.com/graph/api/user-list-contactfolders,
// https://learn.microsoft.com/graph/api/contactfolder-list-childfolders),
// creating nothing.
func (mb *mailbox) FindContactFolder(ctx context.Context, path []string) (target.FolderID, bool, error) {
	where := fmt.Sprintf("mailbox %s, contact folder %s", mb.address, strings.Join(append([]string{"Contacts"}, path...), "/"))
	cur := defaultContacts
	for i, name := range path {
		key := contactKey(path[:i+1])
		if id, ok := mb.cached(key); ok {
			cur = id
			continue
		}
		id, err := mb.findContactFolder(ctx, cur, name, where)
		if err != nil || id == "" {
			return "", false, err
		}
		cur = id
		mb.remember(key, cur, strings.Join(path[:i+1], "/"))
	}
	return cur, true, nil
}

// ensureNamed returns the folder find finds, or creates it; a 409
// (created meanwhile) finds again.
func (mb *mailbox) ensureNamed(ctx context.Context, name, where, perm string,
	find func(context.Context) (target.FolderID, error), create func(context.Context) (string, error)) (target.FolderID, error) {
	if id, err := find(ctx); err != nil || id != "" {
		return id, err
	}
	var id target.FolderID
	err := mb.c.retry(ctx, mb.pace, where, "create the folder", func(ctx context.Context) error {
		s, err := create(ctx)
		if err != nil {
			return err
		}
		if s == "" {
			return errors.New("the created folder came back without an id")
		}
		id = target.FolderID(s)
		return nil
	}, func(ctx context.Context) (bool, error) {
		found, err := find(ctx)
		id = found
		return found != "", err
	})
	if err != nil {
		if he, ok := asHTTPError(err); ok && he.status == http.StatusConflict {
			if id, ferr := find(ctx); ferr != nil || id != "" {
				return id, ferr
			}
		}
		return "", mb.c.describe(err, where, fmt.Sprintf("create the folder %q", name), perm)
	}
	return id, nil
}

// findContactFolder returns the child of contact folder parent named
// name (ignoring case and surrounding white space), or "".
func (mb *mailbox) findContactFolder(ctx context.Context, parent target.FolderID, name, where string) (target.FolderID, error) {
	want := strings.TrimSpace(name)
	var seq iter.Seq2[models.ContactFolderable, error]
	if parent == defaultContacts {
		b := mb.user().ContactFolders()
		cfg := &users.ItemContactFoldersRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.ItemContactFoldersRequestBuilderGetQueryParameters{Select: []string{"id", "displayName"}},
		}
		seq = permPages(ctx, mb, permContacts, where, "list contact folders",
			func(ctx context.Context) (models.ContactFolderCollectionResponseable, error) { return b.Get(ctx, cfg) },
			func(ctx context.Context, link string) (models.ContactFolderCollectionResponseable, error) {
				return b.WithUrl(link).Get(ctx, nil)
			})
	} else {
		b := mb.user().ContactFolders().ByContactFolderId(string(parent)).ChildFolders()
		cfg := &users.ItemContactFoldersItemChildFoldersRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.ItemContactFoldersItemChildFoldersRequestBuilderGetQueryParameters{Select: []string{"id", "displayName"}},
		}
		seq = permPages(ctx, mb, permContacts, where, "list contact folders",
			func(ctx context.Context) (models.ContactFolderCollectionResponseable, error) { return b.Get(ctx, cfg) },
			func(ctx context.Context, link string) (models.ContactFolderCollectionResponseable, error) {
				return b.WithUrl(link).Get(ctx, nil)
			})
	}
	for f, err := range seq {
		if err != nil {
			return "", err
		}
		if strings.EqualFold(strings.TrimSpace(val(f.GetDisplayName())), want) && val(f.GetId()) != "" {
			return target.FolderID(*f.GetId()), nil
		}
	}
	return "", nil
}

// postContact creates a contact in contact folder f.
func (mb *mailbox) postContact(ctx context.Context, f target.FolderID, c models.Contactable) (models.Contactable, error) {
	if f == defaultContacts {
		return mb.user().Contacts().Post(ctx, c, nil)
	}
	return mb.user().ContactFolders().ByContactFolderId(string(f)).Contacts().Post(ctx, c, nil)
}

// contactQuery is what a contact listing asks for.
type contactQuery struct {
	filter *string
	top    int32
}

// listContacts streams the contacts of contact folder f with their ids
// and stamps.
func (mb *mailbox) listContacts(ctx context.Context, f target.FolderID, q contactQuery, where, what string) iter.Seq2[models.Contactable, error] {
	sel, exp, top := []string{"id"}, []string{expandStamp}, q.top
	if f == defaultContacts {
		b := mb.user().Contacts()
		cfg := &users.ItemContactsRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.ItemContactsRequestBuilderGetQueryParameters{Filter: q.filter, Select: sel, Expand: exp, Top: &top},
		}
		return permPages(ctx, mb, permContacts, where, what,
			func(ctx context.Context) (models.ContactCollectionResponseable, error) { return b.Get(ctx, cfg) },
			func(ctx context.Context, link string) (models.ContactCollectionResponseable, error) {
				return b.WithUrl(link).Get(ctx, nil)
			})
	}
	b := mb.user().ContactFolders().ByContactFolderId(string(f)).Contacts()
	cfg := &users.ItemContactFoldersItemContactsRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemContactFoldersItemContactsRequestBuilderGetQueryParameters{Filter: q.filter, Select: sel, Expand: exp, Top: &top},
	}
	return permPages(ctx, mb, permContacts, where, what,
		func(ctx context.Context) (models.ContactCollectionResponseable, error) { return b.Get(ctx, cfg) },
		func(ctx context.Context, link string) (models.ContactCollectionResponseable, error) {
			return b.WithUrl(link).Get(ctx, nil)
		})
}

// PutContact implements target.ContactWriter: one POST creates the
// contact with its stamp; a photo is PUT afterwards while the stamp says
// pending, then the stamp is completed, so only complete contacts carry
// the key (see PutMessage). Lists beyond Graph's limits (3 e-mail
// addresses, 2 business and 2 home phones) go to the notes, with a note.
// https://learn.microsoft.com/graph/api/contactfolder-post-contacts,
// https://learn.microsoft.com/graph/api/profilephoto-update.
func (mb *mailbox) PutContact(ctx context.Context, f target.FolderID, c *target.Contact) (target.Created, error) {
	if c == nil || c.SourceKey == "" {
		return target.Created{}, errors.New("graph: PutContact: no contact or empty source key")
	}
	where := mb.where(f, c.SourceKey)
	ukey := "contact\x00" + string(f) + "\x00" + c.SourceKey
	if _, ok := mb.state.uncertain.Load(ukey); ok {
		ids, err := mb.findContacts(ctx, f, "ep/value eq "+odataString(stampValue(c.SourceKey, c.ContentID)), func(v string) bool {
			return v == stampValue(c.SourceKey, c.ContentID)
		}, where)
		if err != nil {
			return target.Created{}, err
		}
		if len(ids) > 0 {
			mb.state.uncertain.Delete(ukey)
			return target.Created{ID: target.ItemID(ids[0]), Notes: []string{"created by an earlier attempt whose answer was lost"}}, nil
		}
	}
	created, err := mb.putContact(ctx, f, c, where)
	var ie *target.ItemError
	switch {
	case err == nil, errors.As(err, &ie), errors.Is(err, target.ErrAuth), errors.Is(err, target.ErrNotFound):
		mb.state.uncertain.Delete(ukey)
	default:
		mb.state.uncertain.Store(ukey, struct{}{})
	}
	return created, err
}

func (mb *mailbox) putContact(ctx context.Context, f target.FolderID, c *target.Contact, where string) (target.Created, error) {
	// A pending contact of an earlier attempt goes first.
	stale, err := mb.findContacts(ctx, f, "startswith(ep/value, "+odataString(pendingPrefix+c.SourceKey)+")", func(v string) bool {
		k, _ := ParseStamp(strings.TrimPrefix(v, pendingPrefix))
		return strings.HasPrefix(v, pendingPrefix) && k == c.SourceKey
	}, where)
	if err != nil {
		return target.Created{}, err
	}
	for _, id := range stale {
		if err := mb.deleteContact(ctx, f, id, where); err != nil {
			return target.Created{}, mb.c.describe(err, where, "delete a partial contact of an earlier attempt", permContacts)
		}
	}
	final := stampValue(c.SourceKey, c.ContentID)
	stamp := final
	var photoNote []string
	if len(c.Photo) >= maxPhoto {
		photoNote = []string{fmt.Sprintf("photo of %d bytes left out: Graph takes photos under %d bytes", len(c.Photo), maxPhoto)}
		cc := *c
		cc.Photo = nil
		c = &cc
	}
	if len(c.Photo) > 0 {
		stamp = pendingPrefix + final
	}
	catNotes, err := mb.ensureCategories(ctx, c.Categories, where)
	if err != nil {
		return target.Created{}, err
	}
	body, notes := buildContact(c, stamp)
	notes = append(notes, photoNote...)
	notes = append(notes, catNotes...)
	var id string
	err = mb.c.retry(ctx, mb.pace, where, "create the contact", func(ctx context.Context) error {
		res, err := mb.postContact(ctx, f, body)
		if err != nil {
			return err
		}
		if val(res.GetId()) == "" {
			return errors.New("the created contact came back without an id")
		}
		id = *res.GetId()
		return nil
	}, func(ctx context.Context) (bool, error) {
		ids, err := mb.findContacts(ctx, f, "ep/value eq "+odataString(stamp), func(v string) bool { return v == stamp }, where)
		if err != nil || len(ids) == 0 {
			return false, err
		}
		id = ids[0]
		return true, nil
	})
	if err != nil {
		return target.Created{}, mb.c.describe(err, where, "create the contact", permContacts)
	}
	if len(c.Photo) == 0 {
		return target.Created{ID: target.ItemID(id), Notes: notes}, nil
	}
	if err := mb.putPhoto(ctx, id, c.Photo, where); err != nil {
		mb.discardContact(ctx, f, id, where)
		return target.Created{}, err
	}
	patch := models.NewContact()
	patch.SetSingleValueExtendedProperties([]models.SingleValueLegacyExtendedPropertyable{stampProperty(final)})
	err = mb.c.retry(ctx, mb.pace, where, "stamp the complete contact", func(ctx context.Context) error {
		_, err := mb.user().Contacts().ByContactId(id).Patch(ctx, patch, nil)
		return err
	}, nil)
	if err != nil {
		mb.discardContact(ctx, f, id, where)
		return target.Created{}, mb.c.describe(err, where, "stamp the complete contact", permContacts)
	}
	return target.Created{ID: target.ItemID(id), Notes: notes}, nil
}

// putPhoto sets a contact's photo: PUT .../contacts/{id}/photo/$value
// with the image's bytes (https://learn.microsoft.com/graph/api/profilephoto-update).
func (mb *mailbox) putPhoto(ctx context.Context, id string, photo []byte, where string) error {
	err := mb.c.retry(ctx, mb.pace, where, "set the contact's photo", func(ctx context.Context) error {
		ri, err := mb.user().Contacts().ByContactId(id).Photo().Content().ToPutRequestInformation(ctx, photo, nil)
		if err != nil {
			return err
		}
		// The SDK labels the bytes application/octet-stream; Graph wants
		// the image's type.
		ri.Headers.RemoveValue("Content-Type", "application/octet-stream")
		ri.SetStreamContentAndContentType(photo, "image/jpeg")
		return mb.c.adapter.SendNoContent(ctx, ri, errorMapping)
	}, nil)
	if err != nil {
		return mb.c.describe(err, where, "set the contact's photo", permContacts)
	}
	return nil
}

// deleteContact deletes a contact; one gone already is fine.
// https://learn.microsoft.com/graph/api/contact-delete
func (mb *mailbox) deleteContact(ctx context.Context, f target.FolderID, id, where string) error {
	return mb.deleteGone(ctx, where, "delete the contact", func(ctx context.Context) error {
		return mb.user().Contacts().ByContactId(id).Delete(ctx, nil)
	})
}

// discardContact deletes a partial contact after a failure, even when
// ctx is done; a failure is logged (the pending stamp stays, which the
// next PutContact of the key deletes).
func (mb *mailbox) discardContact(ctx context.Context, f target.FolderID, id, where string) {
	mb.discardPartial(ctx, where, "contact", permContacts, func(ctx context.Context) error { return mb.deleteContact(ctx, f, id, where) })
}

// stampProperty is the stamp as a single-value extended property.
func stampProperty(value string) models.SingleValueLegacyExtendedPropertyable {
	sp := models.NewSingleValueLegacyExtendedProperty()
	sp.SetId(new(StampPropertyID))
	sp.SetValue(new(value))
	return sp
}

// singleStamp returns the stamp value among an item's expanded
// single-value extended properties.
func singleStamp(props []models.SingleValueLegacyExtendedPropertyable) (string, bool) {
	for _, p := range props {
		if strings.EqualFold(val(p.GetId()), StampPropertyID) && p.GetValue() != nil {
			return *p.GetValue(), true
		}
	}
	return "", false
}

// buildContact makes the Graph contact of c, stamped with stamp, and
// says what went to the notes.
func buildContact(c *target.Contact, stamp string) (models.Contactable, []string) {
	g := models.NewContact()
	str := func(set func(*string), s string) {
		if s != "" {
			set(&s)
		}
	}
	str(g.SetDisplayName, c.DisplayName)
	str(g.SetGivenName, c.GivenName)
	str(g.SetMiddleName, c.MiddleName)
	str(g.SetSurname, c.Surname)
	str(g.SetTitle, c.Title)
	str(g.SetGeneration, c.Generation)
	str(g.SetNickName, c.Nickname)
	str(g.SetMobilePhone, c.MobilePhone)
	str(g.SetCompanyName, c.CompanyName)
	str(g.SetDepartment, c.Department)
	str(g.SetJobTitle, c.JobTitle)
	str(g.SetOfficeLocation, c.OfficeLocation)
	str(g.SetManager, c.Manager)
	str(g.SetAssistantName, c.AssistantName)
	str(g.SetProfession, c.Profession)
	str(g.SetSpouseName, c.SpouseName)
	str(g.SetBusinessHomePage, c.BusinessHomePage)
	var extra, notes []string
	emails := c.Emails
	if len(emails) > maxContactEmails {
		for _, a := range emails[maxContactEmails:] {
			extra = append(extra, "E-mail: "+formatAddress(a))
		}
		notes = append(notes, fmt.Sprintf("%d e-mail address(es) beyond Graph's %d kept in the notes", len(emails)-maxContactEmails, maxContactEmails))
		emails = emails[:maxContactEmails]
	}
	if len(emails) > 0 {
		var list []models.EmailAddressable
		for _, a := range emails {
			ea := models.NewEmailAddress()
			str(ea.SetName, a.Name)
			ea.SetAddress(new(a.Address))
			list = append(list, ea)
		}
		g.SetEmailAddresses(list)
	}
	phones := func(set func([]string), label string, ps []string) {
		if len(ps) > maxContactPhones {
			for _, p := range ps[maxContactPhones:] {
				extra = append(extra, label+": "+p)
			}
			notes = append(notes, fmt.Sprintf("%d %s number(s) beyond Graph's %d kept in the notes", len(ps)-maxContactPhones, strings.ToLower(label), maxContactPhones))
			ps = ps[:maxContactPhones]
		}
		if len(ps) > 0 {
			set(ps)
		}
	}
	phones(g.SetBusinessPhones, "Business phone", c.BusinessPhones)
	phones(g.SetHomePhones, "Home phone", c.HomePhones)
	if len(c.IMAddresses) > 0 {
		g.SetImAddresses(c.IMAddresses)
	}
	if len(c.Children) > 0 {
		g.SetChildren(c.Children)
	}
	if len(c.Categories) > 0 {
		g.SetCategories(c.Categories)
	}
	for _, a := range []struct {
		set func(models.PhysicalAddressable)
		p   target.PostalAddress
	}{{g.SetHomeAddress, c.Home}, {g.SetBusinessAddress, c.Business}, {g.SetOtherAddress, c.Other}} {
		if a.p == (target.PostalAddress{}) {
			continue
		}
		pa := models.NewPhysicalAddress()
		str(pa.SetStreet, a.p.Street)
		str(pa.SetCity, a.p.City)
		str(pa.SetState, a.p.State)
		str(pa.SetPostalCode, a.p.PostalCode)
		str(pa.SetCountryOrRegion, a.p.Country)
		a.set(pa)
	}
	if !c.Birthday.IsZero() {
		// Midnight UTC, so that the date does not drift across zones.
		b := c.Birthday.UTC().Truncate(24 * 60 * 60 * 1e9)
		g.SetBirthday(&b)
	}
	personal := c.Notes
	if len(extra) > 0 {
		if personal != "" {
			personal += "\n\n"
		}
		personal += strings.Join(extra, "\n")
	}
	str(g.SetPersonalNotes, personal)
	props := []models.SingleValueLegacyExtendedPropertyable{stampProperty(stamp)}
	if !c.Anniversary.IsZero() {
		// Midnight UTC, as the birthday.
		p := models.NewSingleValueLegacyExtendedProperty()
		p.SetId(new(propWeddingAnniversary))
		p.SetValue(new(c.Anniversary.UTC().Truncate(24 * time.Hour).Format(time.RFC3339)))
		props = append(props, p)
	}
	g.SetSingleValueExtendedProperties(props)
	return g, notes
}

// formatAddress renders a named address as "Name <address>".
func formatAddress(a target.Address) string {
	if a.Name == "" {
		return a.Address
	}
	return a.Name + " <" + a.Address + ">"
}

// findContacts returns the ids of the contacts in f whose stamp matches
// test, among those the OData condition on ep/value selects (see
// findStamped).
func (mb *mailbox) findContacts(ctx context.Context, f target.FolderID, cond string, test func(string) bool, where string) ([]string, error) {
	filter := fmt.Sprintf("singleValueExtendedProperties/Any(ep: ep/id eq %s and %s)", odataString(StampPropertyID), cond)
	var ids []string
	for c, err := range mb.listContacts(ctx, f, contactQuery{filter: &filter, top: 50}, where, "find the contact by its stamp") {
		if err != nil {
			return nil, err
		}
		if v, ok := singleStamp(c.GetSingleValueExtendedProperties()); ok && test(v) && val(c.GetId()) != "" {
			ids = append(ids, *c.GetId())
		}
	}
	return ids, nil
}

// ContactStamps implements target.ContactWriter: every complete stamped
// contact in f, paging with @odata.nextLink.
func (mb *mailbox) ContactStamps(ctx context.Context, f target.FolderID) iter.Seq2[target.Stamp, error] {
	return func(yield func(target.Stamp, error) bool) {
		for c, err := range mb.listContacts(ctx, f, contactQuery{top: mb.c.pageSize}, mb.where(f, ""), "list stamped contacts") {
			if err != nil {
				yield(target.Stamp{}, err)
				return
			}
			if s, ok := stampOfItem(c.GetSingleValueExtendedProperties(), val(c.GetId())); ok && !yield(s, nil) {
				return
			}
		}
	}
}

// stampOfItem returns the stamp of a complete stamped item.
func stampOfItem(props []models.SingleValueLegacyExtendedPropertyable, id string) (target.Stamp, bool) {
	v, ok := singleStamp(props)
	if !ok || v == "" || strings.HasPrefix(v, pendingPrefix) || id == "" {
		return target.Stamp{}, false
	}
	key, content := ParseStamp(v)
	return target.Stamp{SourceKey: key, ContentID: content, ID: target.ItemID(id)}, true
}
