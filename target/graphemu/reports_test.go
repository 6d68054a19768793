package graphemu

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
)

// reportsApp is an app that may read the usage reports.
var reportsApp = App{ClientID: "reports", ClientSecret: "s3", Permissions: []string{PermReportsReadAll}}

// noRedirect makes c stop at a 302 so the test sees the Location.
func noRedirect(c *client) *client {
	h := *c.http
	h.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &h
	return c
}

// fetchUsage asks for the report and downloads it without a token.
func fetchUsage(t *testing.T, c *client, period string) (header []string, rows map[string]map[string]string) {
	t.Helper()
	r := c.do("GET", "/reports/getMailboxUsageDetail(period='"+period+"')", nil)
	mustStatus(t, r, http.StatusFound)
	loc := r.Header.Get("Location")
	if !strings.Contains(loc, "/data/download/") || !strings.Contains(loc, "authtoken=") {
		t.Fatalf("Location = %q, want a pre-authenticated download URL", loc)
	}
	if strings.HasPrefix(loc, c.ep.BaseURL) {
		t.Errorf("Location %q is on the Graph host %s, want the other loopback name", loc, c.ep.BaseURL)
	}
	anon := &client{t: t, ep: c.ep, http: c.http}
	d := anon.do("GET", loc, nil)
	mustStatus(t, d, http.StatusOK)
	if ct := d.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("download Content-Type = %q, want application/octet-stream", ct)
	}
	if !bytes.HasPrefix(d.Body, []byte("\ufeff")) {
		t.Errorf("report does not start with a UTF-8 byte order mark: %q", d.Body[:min(len(d.Body), 20)])
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(d.Body, []byte("\ufeff")))).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("report is not CSV: %v\n%s", err, d.Body)
	}
	rows = map[string]map[string]string{}
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, col := range recs[0] {
			row[col] = rec[i]
		}
		rows[row["User Principal Name"]] = row
	}
	return recs[0], rows
}

func TestMailboxUsageReport(t *testing.T) {
	tests := []struct {
		name   string
		opts   Options
		period string
		check  func(t *testing.T, ep *Endpoint, rows map[string]map[string]string)
	}{
		{name: "defaults", period: "D7", check: func(t *testing.T, ep *Endpoint, rows map[string]map[string]string) {
			a := rows["a@x.test"]
			if a == nil {
				t.Fatalf("no row for a@x.test in %v", rows)
			}
			want := map[string]string{"Display Name": "a", "Item Count": "1", "Issue Warning Quota (Byte)": "52613349376",
				"Prohibit Send Quota (Byte)": "53150220288", "Prohibit Send/Receive Quota (Byte)": "53687091200",
				"Deleted Item Quota (Byte)": "32212254720", "Report Period": "7", "Is Deleted": "False", "Has Archive": "False"}
			for k, v := range want {
				if a[k] != v {
					t.Errorf("a@x.test %s = %q, want %q", k, a[k], v)
				}
			}
			if a["Storage Used (Byte)"] == "0" || a["Storage Used (Byte)"] == "" {
				t.Errorf("a@x.test Storage Used = %q, want the size of its message", a["Storage Used (Byte)"])
			}
			if b := rows["b@x.test"]; b == nil || b["Storage Used (Byte)"] != "0" || b["Item Count"] != "0" {
				t.Errorf("b@x.test row = %v, want an empty mailbox", b)
			}
		}},
		{name: "quotas and unreported", period: "D30",
			opts: Options{Quotas: Quotas{ProhibitSendReceive: 2 << 30},
				Mailboxes: map[string]MailboxOptions{"A@x.test": {Quotas: Quotas{ProhibitSend: 1 << 30}}, "b@x.test": {Unreported: true}}},
			check: func(t *testing.T, ep *Endpoint, rows map[string]map[string]string) {
				a := rows["a@x.test"]
				if a["Prohibit Send/Receive Quota (Byte)"] != "2147483648" || a["Prohibit Send Quota (Byte)"] != "1073741824" || a["Report Period"] != "30" {
					t.Errorf("a@x.test = %v, want the configured quotas", a)
				}
				if _, ok := rows["b@x.test"]; ok || len(rows) != 1 {
					t.Errorf("rows %v, want b@x.test left out", rows)
				}
			}},
		{name: "concealed names", period: "D180", opts: Options{ConcealNames: true},
			check: func(t *testing.T, ep *Endpoint, rows map[string]map[string]string) {
				h := ep.Emulator.ConcealedName("a@x.test")
				a := rows[h]
				if a == nil {
					t.Fatalf("no row for the concealed name %s in %v", h, rows)
				}
				if strings.Contains(h, "@") || a["Display Name"] == "a" || a["Display Name"] != ep.Emulator.ConcealedName("a") {
					t.Errorf("concealed row %v still shows names", a)
				}
				if _, ok := rows["a@x.test"]; ok {
					t.Error("the real user name is in a concealed report")
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Apps = []App{reportsApp}
			ep, c := startMail(t, &opts)
			mustStatus(t, c.do("POST", "/users/a@x.test/messages", nonDraft("hello", "k1")), http.StatusCreated)
			rc := noRedirect(newClient(t, ep, reportsApp.ClientID, reportsApp.ClientSecret))
			header, rows := fetchUsage(t, rc, tc.period)
			if got := strings.Join(header, ","); got != strings.Join(mailboxUsageColumns, ",") {
				t.Errorf("header = %s", got)
			}
			tc.check(t, ep, rows)
		})
	}
}

func TestMailboxUsageReportRefusals(t *testing.T) {
	ep, c := startMail(t, &Options{Apps: []App{reportsApp}})
	c = noRedirect(c)
	// The main app has no Reports.Read.All by default.
	checkGraphError(t, c.do("GET", "/reports/getMailboxUsageDetail(period='D7')", nil), http.StatusForbidden, "accessDenied")
	rc := noRedirect(newClient(t, ep, reportsApp.ClientID, reportsApp.ClientSecret))
	checkGraphError(t, rc.do("GET", "/reports/getMailboxUsageDetail(period='D1')", nil), http.StatusBadRequest, "BadRequest")
	r := rc.do("GET", "/reports/getMailboxUsageDetail(period='D7')", nil)
	mustStatus(t, r, http.StatusFound)
	loc := r.Header.Get("Location")
	anon := noRedirect(&client{t: t, ep: ep, http: rc.http})
	// A wrong authtoken, and the Graph token sent along, are refused.
	bad := strings.Replace(loc, "authtoken=", "authtoken=x", 1)
	checkGraphError(t, anon.do("GET", bad, nil), http.StatusUnauthorized, "InvalidAuthenticationToken")
	checkGraphError(t, rc.do("GET", loc, nil), http.StatusUnauthorized, "InvalidAuthenticationToken")
	mustStatus(t, anon.do("GET", loc, nil), http.StatusOK)

	// The main app gets the report with Options.ReportsReadAll.
	_, c2 := startMail(t, &Options{ReportsReadAll: true})
	mustStatus(t, noRedirect(c2).do("GET", "/reports/getMailboxUsageDetail(period='D90')", nil), http.StatusFound)
}
