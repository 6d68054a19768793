package dav_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/dav"
	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/source/testserver"
)

// radicaleOpener opens alice's account on r at rawURL.
func radicaleOpener(r *testserver.Radicale, rawURL, user, password string) source.Opener {
	return func(ctx context.Context) (source.Account, error) {
		return dav.Dial(ctx, &dav.Options{URL: rawURL, Username: user, Password: password, AllowPlaintext: true})
	}
}

// deleteObject removes an object behind the adapter's back, as another
// client would (the test does it, never the adapter).
func deleteObject(t testing.TB, base, href, user, password string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodDelete, base+href, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("DELETE %s: %v", href, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("DELETE %s: %s", href, resp.Status)
	}
}

func TestSourcetestRadicale(t *testing.T) {
	t.Parallel()
	for _, kind := range []source.Kind{source.KindContact, source.KindEvent} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			r := testserver.RadicaleForTest(t, nil)
			u, _ := r.User("alice@example.test")
			closed, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			deadURL := "http://" + closed.Addr().String() + "/"
			closed.Close()
			sourcetest.Run(t, sourcetest.Harness{
				Open:        radicaleOpener(r, r.URL+"/", u.Name, u.Password),
				BadAuth:     radicaleOpener(r, r.URL+"/", u.Name, "wrong-password"),
				Unreachable: radicaleOpener(r, deadURL, u.Name, u.Password),
				Expunge: func(t testing.TB, f source.Folder, ref source.ItemRef) {
					deleteObject(t, r.URL, ref.Key, u.Name, u.Password)
				},
				ItemKind: kind,
			})
		})
	}
}

// TestRadicaleFolders checks discovery from the server root, from the
// principal and from one collection, against the seeded corpus.
func TestRadicaleFolders(t *testing.T) {
	t.Parallel()
	r := testserver.RadicaleForTest(t, nil)
	u, _ := r.User("alice@example.test")
	m, _ := r.Manifest.User(u.Name)
	for _, c := range []struct {
		name, url string
		want      []string // Path[0] of the folders, sorted
	}{
		{"root", r.URL, []string{"Calendar", "Contacts"}},
		{"principal", r.URL + "/alice@example.test/", []string{"Calendar", "Contacts"}},
		{"collection", r.CollectionURL(u.Name, "contacts"), []string{"Contacts"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			acct, err := dav.Dial(t.Context(), &dav.Options{URL: c.url, Username: u.Name, Password: u.Password, AllowPlaintext: true})
			if err != nil {
				t.Fatalf("Dial(%s) = %v", c.url, err)
			}
			defer acct.Close()
			folders, err := acct.Folders(t.Context())
			if err != nil {
				t.Fatalf("Folders() = %v", err)
			}
			var got []string
			for _, f := range folders {
				got = append(got, f.Path[0])
				if f.Skip != "" || f.SpecialUse != source.Default {
					t.Errorf("folder %q: Skip %q, SpecialUse %q; want migrated and the default of its kind", f.Name, f.Skip, f.SpecialUse)
				}
				col, ok := m.Collection(strings.Trim(f.Name[strings.LastIndex(strings.TrimSuffix(f.Name, "/"), "/"):], "/"))
				if !ok {
					t.Errorf("folder %q is no seeded collection", f.Name)
					continue
				}
				wantKind := map[string]source.Kind{testserver.KindAddressBook: source.KindContact, testserver.KindCalendar: source.KindEvent}[col.Kind]
				if f.Kind != wantKind {
					t.Errorf("folder %q: Kind %q, want %q", f.Name, f.Kind, wantKind)
				}
				var keys []string
				for ref, err := range acct.Items(t.Context(), f) {
					if err != nil {
						t.Fatalf("Items(%q) = %v", f.Name, err)
					}
					// Radicale writes "@" as %40; the key keeps the
					// server's spelling.
					k, err := url.PathUnescape(ref.Key)
					if err != nil {
						t.Errorf("key %q: %v", ref.Key, err)
					}
					keys = append(keys, k)
				}
				var want []string
				for _, o := range col.Objects {
					want = append(want, col.Href(u.Name, o))
				}
				slices.Sort(keys)
				slices.Sort(want)
				if !slices.Equal(keys, want) {
					t.Errorf("Items(%q) keys = %q, want %q", f.Name, keys, want)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("Folders() = %q, want %q", got, c.want)
			}
		})
	}
}

// TestRadicaleMalformedObject stores an object that does not parse as a
// vCard (Radicale takes a VCARD with a UID and a broken line) and checks
// that it is listed and opened raw, byte for byte.
func TestRadicaleMalformedObject(t *testing.T) {
	t.Parallel()
	r := testserver.RadicaleForTest(t, nil)
	u, _ := r.User("alice@example.test")
	bad := "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:malformed-1\r\nFN:Broken\r\nthis line has no colon\r\nEND:VCARD\r\n"
	href := "/" + strings.ReplaceAll(u.Name, "@", "%40") + "/contacts/malformed.vcf"
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, r.URL+href, strings.NewReader(bad))
	req.SetBasicAuth(u.Name, u.Password)
	req.Header.Set("Content-Type", "text/vcard")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Skipf("Radicale refuses the malformed vCard (%s: %s); the httptest variant covers it", resp.Status, body)
	}
	acct, err := dav.Dial(t.Context(), &dav.Options{URL: r.CollectionURL(u.Name, "contacts"), Username: u.Name, Password: u.Password, AllowPlaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	defer acct.Close()
	folders, err := acct.Folders(t.Context())
	if err != nil || len(folders) != 1 {
		t.Fatalf("Folders() = %v, %v; want the one address book", folders, err)
	}
	var found bool
	for ref, err := range acct.Items(t.Context(), folders[0]) {
		if err != nil {
			t.Fatalf("Items() = %v", err)
		}
		if ref.Key != href {
			continue
		}
		found = true
		rc, err := acct.Open(t.Context(), folders[0], ref)
		if err != nil {
			t.Fatalf("Open(%s) = %v", href, err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !strings.Contains(string(got), "this line has no colon") {
			t.Errorf("Open(%s) = %q, want the object raw with its broken line", href, got)
		}
	}
	if !found {
		t.Errorf("Items() does not list the malformed %s", href)
	}
}

func TestRadicaleMissingItem(t *testing.T) {
	t.Parallel()
	r := testserver.RadicaleForTest(t, nil)
	u, _ := r.User("alice@example.test")
	acct, err := dav.Dial(t.Context(), &dav.Options{URL: r.URL, Username: u.Name, Password: u.Password, AllowPlaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	defer acct.Close()
	f := source.Folder{Name: "/" + u.Name + "/contacts/", Kind: source.KindContact, Path: []string{"Contacts"}}
	_, err = acct.Open(t.Context(), f, source.ItemRef{Key: "/" + u.Name + "/contacts/nope.vcf"})
	if !errors.Is(err, source.ErrNotFound) {
		t.Errorf("Open(a missing object) = %v, want source.ErrNotFound", err)
	}
}
