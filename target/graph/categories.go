package graph

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"sync"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/migrate-tool/migrate/target"
)

// permCategories is the permission the master category list needs
// (https://learn.microsoft.com/graph/api/outlookuser-post-mastercategories).
const permCategories = "MailboxSettings.ReadWrite"

// categoryColors is how many preset colors a category may have: preset0
// to preset24 ("You can map up to 25 different colors to categories",
// https://learn.microsoft.com/graph/api/resources/outlookcategory).
const categoryColors = 25

// categoryList is what a Client knows of one mailbox's master category
// list, shared by every handle of the mailbox: listed once, then kept
// current with the categories the writers create.
type categoryList struct {
	mu sync.Mutex
	// known holds the lower-case names in the list; nil until listed.
	known map[string]bool
	// refused is why the mailbox refused the list (a missing
	// permission): nothing more is tried, and items keep their
	// categories without a master entry.
	refused error
}

// ensureCategories adds to the mailbox's master category list the names
// it lacks, so that an item created with them shows them as Outlook
// does, with a color: an item's categories are names from that list
// ("You can apply a category to an item by assigning the displayName
// property of the category to the categories collection of the item",
// https://learn.microsoft.com/graph/api/resources/outlookcategory). The
// list is fetched once per mailbox
// (https://learn.microsoft.com/graph/api/outlookuser-list-mastercategories)
// and names compared ignoring case, as the list's names are unique; a
// name created meanwhile (409) counts as there. A mailbox that refuses
// the list (no MailboxSettings.ReadWrite) or a name does not stop the
// item: it keeps the name, and the returned notes say so. Only a failure
// that may pass (throttling, an outage) is an error.
func (mb *mailbox) ensureCategories(ctx context.Context, names []string, where string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	cl := &mb.state.categories
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.refused != nil {
		return []string{fmt.Sprintf("categories %s kept on the item but not added to the mailbox's master category list: %v", quoteList(names), cl.refused)}, nil
	}
	if cl.known == nil {
		known, err := mb.listCategories(ctx, where)
		if errors.Is(err, target.ErrAuth) {
			mb.c.log.Warn("the mailbox refused its master category list; items keep their categories without colors", "where", where, "err", err)
			cl.refused = err
			return []string{fmt.Sprintf("categories %s kept on the item but not added to the mailbox's master category list: %v", quoteList(names), err)}, nil
		}
		if err != nil {
			return nil, err
		}
		cl.known = known
	}
	var notes []string
	for _, name := range names {
		name = strings.TrimSpace(name)
		key := strings.ToLower(name)
		if name == "" || cl.known[key] {
			continue
		}
		err := mb.createCategory(ctx, name, where)
		var ie *target.ItemError
		switch {
		case err == nil:
			cl.known[key] = true
		case errors.Is(err, target.ErrAuth):
			mb.c.log.Warn("the mailbox refused a new master category; items keep their categories without colors", "where", where, "err", err)
			cl.refused = err
			return append(notes, fmt.Sprintf("categories %s kept on the item but not added to the mailbox's master category list: %v", quoteList(names), err)), nil
		case errors.As(err, &ie):
			notes = append(notes, fmt.Sprintf("category %q kept on the item but not added to the mailbox's master category list: %v", name, err))
		default:
			return nil, err
		}
	}
	return notes, nil
}

// listCategories returns the lower-case names of the mailbox's master
// category list.
func (mb *mailbox) listCategories(ctx context.Context, where string) (map[string]bool, error) {
	b := mb.user().Outlook().MasterCategories()
	cfg := &users.ItemOutlookMasterCategoriesRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemOutlookMasterCategoriesRequestBuilderGetQueryParameters{Select: []string{"id", "displayName"}},
	}
	known := map[string]bool{}
	for c, err := range permPages(ctx, mb, permCategories, where, "list the master categories",
		func(ctx context.Context) (models.OutlookCategoryCollectionResponseable, error) {
			return b.Get(ctx, cfg)
		},
		func(ctx context.Context, link string) (models.OutlookCategoryCollectionResponseable, error) {
			return b.WithUrl(link).Get(ctx, nil)
		}) {
		if err != nil {
			return nil, err
		}
		known[strings.ToLower(strings.TrimSpace(val(c.GetDisplayName())))] = true
	}
	return known, nil
}

// createCategory adds name to the master category list with a preset
// color derived from the name (the same name gets the same color in
// every mailbox); a 409 is a name that is there already.
// https://learn.microsoft.com/graph/api/outlookuser-post-mastercategories
func (mb *mailbox) createCategory(ctx context.Context, name, where string) error {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(name)))
	color, err := models.ParseCategoryColor(fmt.Sprintf("preset%d", h.Sum32()%categoryColors))
	if err != nil || color == nil {
		return fmt.Errorf("graph: %s: category %q: no preset color: %v", where, name, err)
	}
	body := models.NewOutlookCategory()
	body.SetDisplayName(&name)
	body.SetColor(color.(*models.CategoryColor))
	what := fmt.Sprintf("create the master category %q", name)
	err = mb.c.retry(ctx, mb.pace, where, what, func(ctx context.Context) error {
		_, err := mb.user().Outlook().MasterCategories().Post(ctx, body, nil)
		return err
	}, nil)
	if he, ok := asHTTPError(err); ok && he.status == http.StatusConflict {
		return nil
	}
	return mb.c.describe(err, where, what, permCategories)
}

// quoteList renders names as "a", "b".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
