package graph

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/graphemu"
	"github.com/migrate-tool/migrate/target/targettest"
)

// TestConformance runs the target conformance suite against the Graph
// client and the emulator. The emulator fails upload-session PUTs after
// the first, five times in a row (more than the client retries), so the
// atomicity check's message, whose 3.5 MB attachment goes by upload
// session, fails part-way once and then succeeds.
func TestConformance(t *testing.T) {
	t.Parallel()
	e := newEnv(t, &graphemu.Options{AttachmentsOnNonDraft: true, Faults: "PUT /api/* seq:pass,500,500,500,500,500"}, nil)
	e.c.pageSize = 100 // 1,001 items span eleven pages
	targettest.Run(t, targettest.Harness{
		Open: func(ctx context.Context) (target.Mailbox, error) { return e.c.Mailbox(ctx, testUser) },
		BadAuth: func(ctx context.Context) (target.Mailbox, error) {
			c, err := New(ctx, &Config{Endpoint: e.ep.GraphURL, Authority: e.ep.AuthorityHost, Tenant: testTenant,
				Auth: AuthClientSecret, ClientID: testApp, ClientSecret: "not-the-secret", CAFile: e.ep.CAFile, TimeScale: 100})
			if err != nil {
				return nil, err
			}
			return c.Mailbox(ctx, testUser)
		},
		Kept: func(ctx context.Context, f target.FolderID, id target.ItemID) (targettest.Kept, error) {
			for _, df := range e.dump(t).Folders {
				for _, it := range df.Items {
					if it.ID != string(id) {
						continue
					}
					var k targettest.Kept
					cs, _ := it.Graph["categories"].([]any)
					for _, c := range cs {
						s, _ := c.(string)
						k.Categories = append(k.Categories, s)
					}
					if v, ok := extValue(it, propWeddingAnniversary); ok {
						a, err := time.Parse(time.RFC3339, v)
						if err != nil {
							return k, fmt.Errorf("anniversary %q: %w", v, err)
						}
						k.Anniversary = a
					}
					for _, a := range it.Attachments {
						k.Attachments = append(k.Attachments, targettest.KeptFile{Name: a.Name, ContentType: a.ContentType, Size: a.Size})
					}
					return k, nil
				}
			}
			return targettest.Kept{}, fmt.Errorf("item %s: %w", id, target.ErrNotFound)
		},
		// Well-formed (base64, like Exchange's ids) but naming no folder.
		MissingFolder: target.FolderID(base64.URLEncoding.EncodeToString([]byte("targettest: a folder deleted since"))),
		Breaking: func(t testing.TB, key string) *target.Message {
			m := testMessage(t.(*testing.T), key, mime("Breaking", logo, clip))
			m.ContentID = "sha256:0123456789abcdef"
			return m
		},
	})
}
