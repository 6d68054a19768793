package graphemu

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/migrate-tool/migrate/target/graphemu/internal/ids"
	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// category is an outlookCategory of a mailbox's master list.
// https://learn.microsoft.com/graph/api/resources/outlookcategory
type category struct {
	ID          string `json:"id"`
	Mailbox     string `json:"mailbox"`
	DisplayName string `json:"displayName"`
	Color       string `json:"color"`
	Seq         int64  `json:"seq"`
}

func (c *category) seqNo() int64 { return c.Seq }

func sortedCategories(m map[string]*category) []*category {
	return bySeq(slices.Collect(maps.Values(m)))
}

var categoryProps = setOf("id", "displayName", "color")

// categoryColor tells whether s is a categoryColor: none or preset0 to
// preset24 ("You can map up to 25 different colors to categories",
// https://learn.microsoft.com/graph/api/resources/outlookcategory).
func categoryColor(s string) bool {
	if s == "none" {
		return true
	}
	n, err := strconv.Atoi(strings.TrimPrefix(s, "preset"))
	return strings.HasPrefix(s, "preset") && err == nil && n >= 0 && n <= 24 && strconv.Itoa(n) == strings.TrimPrefix(s, "preset")
}

// routeOutlook serves /users/{id}/outlook/masterCategories[/{id}]: the
// master category list (GET, POST) and one category (GET).
// https://learn.microsoft.com/graph/api/outlookuser-list-mastercategories,
// https://learn.microsoft.com/graph/api/outlookuser-post-mastercategories,
// https://learn.microsoft.com/graph/api/outlookcategory-get.
func (e *Emulator) routeOutlook(rq *req, rest []string) {
	if len(rest) == 0 || !segIs(rest[0], "masterCategories") || len(rest) > 2 {
		seg := "outlook"
		if len(rest) > 0 {
			seg = rest[len(rest)-1]
		}
		rq.fail(segmentNotFound(seg))
		return
	}
	if len(rest) == 2 {
		if rq.r.Method != http.MethodGet {
			rq.fail(methodNotAllowed())
			return
		}
		var c *category
		e.store.read(func() {
			if x := e.store.categories[rest[1]]; x != nil && x.Mailbox == rq.mb.ID {
				c = x
			}
		})
		if c == nil {
			rq.fail(notFoundItem())
			return
		}
		v := categoryView(c)
		v["@odata.context"] = rq.base + "/v1.0/$metadata#users('" + rq.mb.ID + "')/outlook/masterCategories/$entity"
		rq.json(http.StatusOK, v)
		return
	}
	switch rq.r.Method {
	case http.MethodGet:
		var views []map[string]any
		e.store.read(func() {
			for _, c := range sortedCategories(e.store.categories) {
				if c.Mailbox == rq.mb.ID {
					views = append(views, categoryView(c))
				}
			}
		})
		e.writeList(rq, rq.base+"/v1.0/$metadata#users('"+rq.mb.ID+"')/outlook/masterCategories", views, nil, categoryProps, "outlookCategory")
	case http.MethodPost:
		e.createCategory(rq)
	default:
		rq.fail(methodNotAllowed())
	}
}

func categoryView(c *category) map[string]any {
	return map[string]any{"id": c.ID, "displayName": c.DisplayName, "color": c.Color}
}

// createCategory serves POST .../masterCategories: 201 and the category.
// "The displayName value must be unique in a user's master list"
// (https://learn.microsoft.com/graph/api/resources/outlookcategory),
// compared as Outlook compares category names, ignoring case; Microsoft
// does not document the answer to a duplicate, so the emulator gives
// Graph's generic one for it, 409 nameAlreadyExists ("The specified item
// name already exists", https://learn.microsoft.com/graph/errors).
func (e *Emulator) createCategory(rq *req) {
	raw, aerr := readKnownObject(rq, categoryProps, "outlookCategory")
	if aerr != nil {
		rq.fail(aerr)
		return
	}
	name := strings.TrimSpace(rawString(raw, "displayName"))
	if name == "" {
		rq.fail(odata.BadRequest("ErrorInvalidRequest", "The category's displayName is required."))
		return
	}
	color := "none"
	if b, ok := raw["color"]; ok && string(b) != "null" {
		if err := json.Unmarshal(b, &color); err != nil || !categoryColor(color) {
			rq.fail(odata.BadRequest("RequestBodyRead", "Cannot convert the literal '%s' to the expected type 'microsoft.graph.categoryColor'.", strings.Trim(string(b), `"`)))
			return
		}
	}
	c := &category{ID: ids.StableGUID("category", rq.mb.ID, strings.ToLower(name)), Mailbox: rq.mb.ID, DisplayName: name, Color: color}
	if p := e.store.write(func() *odata.Problem {
		for _, x := range e.store.categories {
			if x.Mailbox == rq.mb.ID && strings.EqualFold(x.DisplayName, name) {
				return odata.NewProblem(http.StatusConflict, "nameAlreadyExists", "A category with the name '"+name+"' already exists in the master category list.")
			}
		}
		c.Seq = e.store.nextSeq()
		if err := e.store.commit(&record{Op: "category", Category: c}); err != nil {
			return errSave("save the category")
		}
		return nil
	}); p != nil {
		rq.fail(p)
		return
	}
	v := categoryView(c)
	v["@odata.context"] = rq.base + "/v1.0/$metadata#users('" + rq.mb.ID + "')/outlook/masterCategories/$entity"
	rq.json(http.StatusCreated, v)
}

// MasterCategories returns the names in the master category list of
// mailbox mbID (by id or UPN), in the order they were created.
func (e *Emulator) MasterCategories(mbID string) []string {
	mb := e.store.mailbox(mbID)
	if mb == nil {
		return nil
	}
	var out []string
	e.store.read(func() {
		for _, c := range sortedCategories(e.store.categories) {
			if c.Mailbox == mb.ID {
				out = append(out, c.DisplayName)
			}
		}
	})
	return out
}
