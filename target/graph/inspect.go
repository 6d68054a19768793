package graph

import (
	"context"
	"fmt"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/migrate-tool/migrate/target"
)

var _ target.Inspector = (*mailbox)(nil)

// Folders lists every mail folder of the mailbox: the root
// (msgfolderroot), then its descendants breadth first through childFolders
// with their totalItemCount and sizeInBytes
// (https://learn.microsoft.com/graph/api/mailfolder-list-childfolders). The
// well-known folders are found by name to mark them. It only reads.
func (mb *mailbox) Folders(ctx context.Context) ([]target.FolderInfo, error) {
	where := "mailbox " + mb.address
	folders := mb.user().MailFolders()
	get := func(name string) (models.MailFolderable, error) {
		var f models.MailFolderable
		err := mb.c.retry(ctx, mb.pace, where, "get the folder "+name, func(ctx context.Context) error {
			var err error
			f, err = folders.ByMailFolderId(name).Get(ctx, &users.ItemMailFoldersMailFolderItemRequestBuilderGetRequestConfiguration{
				QueryParameters: &users.ItemMailFoldersMailFolderItemRequestBuilderGetQueryParameters{Select: []string{"id", "displayName", "totalItemCount"}},
			})
			return err
		}, nil)
		return f, err
	}
	root, err := get(target.Root)
	if err != nil {
		return nil, mb.c.describe(err, where, "get the mailbox root", permMail)
	}
	wellKnown := map[string]string{val(root.GetId()): target.Root}
	for _, name := range target.WellKnownMail() {
		f, err := get(name)
		if err != nil {
			if he, ok := asHTTPError(err); ok && he.status == 404 {
				continue // a mailbox without an archive folder, say
			}
			return nil, mb.c.describe(err, where, "get the folder "+name, permMail)
		}
		wellKnown[val(f.GetId())] = name
	}
	out := []target.FolderInfo{{ID: target.FolderID(val(root.GetId())), Name: val(root.GetDisplayName()), WellKnown: target.Root, Items: count(root.GetTotalItemCount()), Bytes: -1}}
	queue := []target.FolderID{out[0].ID}
	top := int32(250)
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		builder := folders.ByMailFolderId(string(parent)).ChildFolders()
		cfg := &users.ItemMailFoldersItemChildFoldersRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.ItemMailFoldersItemChildFoldersRequestBuilderGetQueryParameters{
				Select: []string{"id", "displayName", "parentFolderId", "totalItemCount", "childFolderCount"}, Top: &top},
		}
		for f, err := range pages(ctx, mb, where, fmt.Sprintf("list the folders under %s", parent),
			func(ctx context.Context) (models.MailFolderCollectionResponseable, error) {
				return builder.Get(ctx, cfg)
			},
			func(ctx context.Context, link string) (models.MailFolderCollectionResponseable, error) {
				return builder.WithUrl(link).Get(ctx, nil)
			}) {
			if err != nil {
				return nil, err
			}
			id := target.FolderID(val(f.GetId()))
			out = append(out, target.FolderInfo{ID: id, ParentID: parent, Name: val(f.GetDisplayName()), WellKnown: wellKnown[string(id)], Items: count(f.GetTotalItemCount()), Bytes: -1})
			if c := f.GetChildFolderCount(); c == nil || *c > 0 {
				queue = append(queue, id)
			}
		}
	}
	return out, nil
}

// Quota reads the mailbox's Prohibit Send/Receive quota and storage used
// from the tenant's mailbox usage report (see usageReport), which needs
// Reports.Read.All: without it, when the tenant conceals user names in
// reports, or when the mailbox is not in the report yet, the quota is
// unknown with the reason in Quota.Unknown.
// https://learn.microsoft.com/graph/api/reportroot-getmailboxusagedetail
func (mb *mailbox) Quota(ctx context.Context) (target.Quota, error) {
	u, err := mb.c.usageReport(ctx)
	if err != nil {
		return target.Quota{}, err
	}
	upn := mb.upn
	if upn == "" {
		upn = mb.address
	}
	return u.quota(upn), nil
}

func count(n *int32) int64 {
	if n == nil {
		return -1
	}
	return int64(*n)
}
