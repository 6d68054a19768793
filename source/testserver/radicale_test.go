package testserver

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// multistatus is the part of a WebDAV PROPFIND answer the tests read.
type multistatus struct {
	Responses []struct {
		Href     string `xml:"href"`
		Propstat []struct {
			Status string `xml:"status"`
			Prop   struct {
				DisplayName  string `xml:"displayname"`
				ResourceType struct {
					Collection  *struct{} `xml:"DAV: collection"`
					AddressBook *struct{} `xml:"urn:ietf:params:xml:ns:carddav addressbook"`
					Calendar    *struct{} `xml:"urn:ietf:params:xml:ns:caldav calendar"`
				} `xml:"resourcetype"`
				ETag string `xml:"getetag"`
			} `xml:"prop"`
		} `xml:"propstat"`
	} `xml:"response"`
}

const propfindBody = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/><D:resourcetype/><D:getetag/></D:prop></D:propfind>`

func davRequest(t *testing.T, method, target, user, password, body string, hdr map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, target, strings.NewReader(body))
	if err != nil {
		t.Fatalf("NewRequest(%s %s) = %v", method, target, err)
	}
	req.SetBasicAuth(user, password)
	if body != "" {
		req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, target, err)
	}
	return resp.StatusCode, b
}

func TestRadicale(t *testing.T) {
	t.Parallel()
	r := RadicaleForTest(t, nil)
	m := r.Manifest

	for _, u := range m.Users {
		for _, c := range u.Collections {
			t.Run(u.Name+"/"+c.Name, func(t *testing.T) {
				t.Parallel()
				status, body := davRequest(t, "PROPFIND", r.CollectionURL(u.Name, c.Name), u.Name, u.Password, propfindBody, map[string]string{"Depth": "1"})
				if status != http.StatusMultiStatus {
					t.Fatalf("PROPFIND = %d, want 207: %s", status, body)
				}
				var ms multistatus
				if err := xml.Unmarshal(body, &ms); err != nil {
					t.Fatalf("parse PROPFIND answer: %v\n%s", err, body)
				}
				var hrefs []string
				for _, resp := range ms.Responses {
					href, err := url.PathUnescape(resp.Href)
					if err != nil {
						t.Fatalf("bad href %q: %v", resp.Href, err)
					}
					if strings.HasSuffix(href, "/") {
						// The collection itself.
						p := resp.Propstat[0].Prop
						if p.DisplayName != c.DisplayName {
							t.Errorf("displayname = %q, want %q", p.DisplayName, c.DisplayName)
						}
						isBook, isCal := p.ResourceType.AddressBook != nil, p.ResourceType.Calendar != nil
						if isBook != (c.Kind == KindAddressBook) || isCal != (c.Kind == KindCalendar) {
							t.Errorf("resourcetype addressbook=%v calendar=%v, want kind %s", isBook, isCal, c.Kind)
						}
						continue
					}
					hrefs = append(hrefs, href)
				}
				var want []string
				for _, o := range c.Objects {
					want = append(want, c.Href(u.Name, o))
				}
				slices.Sort(hrefs)
				slices.Sort(want)
				if !slices.Equal(hrefs, want) {
					t.Errorf("PROPFIND hrefs = %v, want %v", hrefs, want)
				}
				for _, o := range c.Objects {
					status, got := davRequest(t, http.MethodGet, r.URL+c.Href(url.PathEscape(u.Name), o), u.Name, u.Password, "", nil)
					if status != http.StatusOK {
						t.Errorf("GET %s = %d", o.File, status)
						continue
					}
					if uid := firstProperty(got, "UID"); uid != o.UID {
						t.Errorf("GET %s: UID = %q, want %q", o.File, uid, o.UID)
					}
				}
			})
		}
	}

	t.Run("access control", func(t *testing.T) {
		t.Parallel()
		alice, bob := m.Users[0], m.Users[1]
		tests := []struct {
			name, user, password, target string
			want                         int
		}{
			{"wrong password", alice.Name, "wrong-password", r.CollectionURL(alice.Name, alice.Collections[0].Name), http.StatusUnauthorized},
			{"another user's collection", bob.Name, bob.Password, r.CollectionURL(alice.Name, alice.Collections[0].Name), http.StatusForbidden},
			{"own collection", alice.Name, alice.Password, r.CollectionURL(alice.Name, alice.Collections[0].Name), http.StatusMultiStatus},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, body := davRequest(t, "PROPFIND", tt.target, tt.user, tt.password, propfindBody, map[string]string{"Depth": "0"})
				if status != tt.want {
					t.Errorf("PROPFIND = %d, want %d: %s", status, tt.want, body)
				}
			})
		}
	})

	t.Run("calendar query", func(t *testing.T) {
		t.Parallel()
		alice := m.Users[0]
		c, _ := alice.Collection("calendar")
		// The recurring stand-up has an override on 4 March 2024: a
		// time-range query around it must find the event.
		const report = `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="20240304T090000Z" end="20240304T110000Z"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`
		status, body := davRequest(t, "REPORT", r.CollectionURL(alice.Name, c.Name), alice.Name, alice.Password, report, map[string]string{"Depth": "1"})
		if status != http.StatusMultiStatus {
			t.Fatalf("REPORT = %d, want 207: %s", status, body)
		}
		if !strings.Contains(string(body), "weekly-standup.ics") {
			t.Errorf("calendar-query for 4 March 2024 09:00-11:00 UTC lacks weekly-standup.ics:\n%s", body)
		}
	})
}

func TestRadicaleLifecycle(t *testing.T) {
	t.Parallel()
	requireBinary(t, "Radicale", RadicaleBinary, "radicale")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := StartRadicale(ctx, &RadicaleOptions{NoSeed: true})
	if err != nil {
		t.Fatalf("StartRadicale() = %v", err)
	}
	pgid := r.proc.cmd.Process.Pid
	cancel()
	select {
	case <-r.proc.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("radicale still running 10s after the context was cancelled")
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if groupAlive(pgid) {
		t.Errorf("process group %d still has live members after Close", pgid)
	}
	if _, err := os.Stat(r.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory %s still exists after Close (stat: %v)", r.Dir, err)
	}
}
