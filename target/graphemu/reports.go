package graphemu

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/target/graphemu/identity"
	"github.com/migrate-tool/migrate/target/graphemu/internal/ids"
	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// PermReportsReadAll is the application permission of the usage reports.
// https://learn.microsoft.com/graph/api/reportroot-getmailboxusagedetail
// ("Permissions").
const PermReportsReadAll = "Reports.Read.All"

// Exchange Online's default mailbox quotas of a 50 GB mailbox (Exchange
// Online Plan 1, Microsoft 365 Business plans): a warning at 49 GB, no
// sending at 49.5 GB, no sending or receiving at 50 GB; the Recoverable
// Items folder holds 30 GB.
// https://learn.microsoft.com/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits
// ("Mailbox storage limits").
const (
	DefaultIssueWarningQuota        = 49 << 30
	DefaultProhibitSendQuota        = 49<<30 + 512<<20
	DefaultProhibitSendReceiveQuota = 50 << 30
	DefaultDeletedItemQuota         = 30 << 30
)

// Quotas are a mailbox's storage quotas in bytes, as the mailbox usage
// report gives them. A zero field means the default (Options.Quotas, then
// the Default... constants).
type Quotas struct {
	IssueWarning        int64
	ProhibitSend        int64
	ProhibitSendReceive int64
	DeletedItems        int64
}

// or fills the zero fields of q from d.
func (q Quotas) or(d Quotas) Quotas {
	pick := func(a, b int64) int64 {
		if a > 0 {
			return a
		}
		return b
	}
	return Quotas{pick(q.IssueWarning, d.IssueWarning), pick(q.ProhibitSend, d.ProhibitSend),
		pick(q.ProhibitSendReceive, d.ProhibitSendReceive), pick(q.DeletedItems, d.DeletedItems)}
}

// quotas returns m's quotas: its MailboxOptions, then Options.Quotas, then
// Exchange Online's defaults.
func (e *Emulator) quotas(m *mailbox) Quotas {
	var own Quotas
	if mo, ok := e.mailboxOpts(m); ok {
		own = mo.Quotas
	}
	return own.or(e.opts.Quotas).or(Quotas{DefaultIssueWarningQuota, DefaultProhibitSendQuota, DefaultProhibitSendReceiveQuota, DefaultDeletedItemQuota})
}

// mailboxUsageColumns are the columns of the mailbox usage detail report,
// in Microsoft's order.
// https://learn.microsoft.com/graph/api/reportroot-getmailboxusagedetail
// ("Response").
var mailboxUsageColumns = []string{
	"Report Refresh Date", "User Principal Name", "Display Name", "Is Deleted", "Deleted Date", "Created Date",
	"Last Activity Date", "Item Count", "Storage Used (Byte)", "Issue Warning Quota (Byte)", "Prohibit Send Quota (Byte)",
	"Prohibit Send/Receive Quota (Byte)", "Deleted Item Count", "Deleted Item Size (Byte)", "Deleted Item Quota (Byte)",
	"Has Archive", "Report Period",
}

// reportPeriods are the periods the usage reports take, in days.
var reportPeriods = map[string]int{"D7": 7, "D30": 30, "D90": 90, "D180": 180}

// downloadLife is how long a report's download URL is valid: "a few
// minutes".
const downloadLife = 5 * time.Minute

// reportDownload is a generated report waiting at its download URL.
type reportDownload struct {
	token   string
	expires time.Time
	body    []byte
}

var mailboxUsagePathRE = regexp.MustCompile(`(?i)^/v1\.0/reports/getMailboxUsageDetail\(period='([^']*)'\)$`)

// serveReports serves GET /reports/getMailboxUsageDetail(period='{D7 |
// D30 | D90 | D180}'): with Reports.Read.All, 302 Found to a
// pre-authenticated download URL of the CSV report (see serveDownload).
// Other reports are not modelled.
// https://learn.microsoft.com/graph/api/reportroot-getmailboxusagedetail
func (e *Emulator) serveReports(rq *req) {
	path, err := url.PathUnescape(rq.r.URL.EscapedPath())
	if err != nil {
		rq.fail(odata.BadRequest("BadRequest", "Invalid request URL."))
		return
	}
	m := mailboxUsagePathRE.FindStringSubmatch(path)
	if m == nil {
		rq.fail(segmentNotFound(strings.TrimPrefix(path, "/v1.0/")))
		return
	}
	if rq.r.Method != http.MethodGet {
		rq.fail(methodNotAllowed())
		return
	}
	days, ok := reportPeriods[strings.ToUpper(m[1])]
	if !ok {
		rq.fail(odata.BadRequest("BadRequest", "Invalid value for period: '%s'. The supported values are D7, D30, D90 and D180.", m[1]))
		return
	}
	if !identity.HasAnyRole(rq.r, PermReportsReadAll) {
		// Graph's generic answer to a caller without the permission.
		// https://learn.microsoft.com/graph/errors ("accessDenied").
		rq.fail(odata.NewProblem(403, "accessDenied", "The caller doesn't have permission to perform the action: the usage reports need Reports.Read.All."))
		return
	}
	body := e.mailboxUsageCSV(days, time.Now().UTC())
	id, tok := ids.RandomHex(16), ids.RandomHex(24)
	now := time.Now()
	e.dlMu.Lock()
	for k, d := range e.downloads {
		if now.After(d.expires) {
			delete(e.downloads, k)
		}
	}
	e.downloads[id] = &reportDownload{token: tok, expires: now.Add(downloadLife), body: body}
	e.dlMu.Unlock()
	scheme, host := otherLoopbackHost(rq.r)
	rq.w.Header().Set("Location", fmt.Sprintf("%s://%s/data/download/%s?authtoken=%s", scheme, host, id, tok))
	rq.w.Header().Set("Content-Type", "text/plain")
	rq.w.WriteHeader(http.StatusFound)
}

// mailboxUsageCSV renders the mailbox usage detail report: one row per
// mailbox except those with MailboxOptions.Unreported (the report lags up
// to 48 hours behind new mailboxes), sizes computed from what the store
// holds, quotas from the options. With Options.ConcealNames, user
// principal names and display names are replaced by ConcealedName. The
// emulator does not model the Recoverable Items folder or archives: the
// deleted item count and size are 0 and Has Archive is False.
func (e *Emulator) mailboxUsageCSV(days int, now time.Time) []byte {
	type usage struct {
		items, bytes int64
		last         time.Time
	}
	var rows [][]string
	e.store.read(func() {
		use := map[string]*usage{}
		for _, it := range e.store.items {
			u := use[it.Mailbox]
			if u == nil {
				u = &usage{}
				use[it.Mailbox] = u
			}
			u.items++
			u.bytes += messageSize(it)
			if it.Modified.After(u.last) {
				u.last = it.Modified
			}
		}
		for _, m := range e.store.byUPN {
			if mo, ok := e.mailboxOpts(m); ok && mo.Unreported {
				continue
			}
			u := use[m.ID]
			if u == nil {
				u = &usage{}
			}
			q := e.quotas(m)
			upn, name := m.UPN, m.DisplayName
			if e.opts.ConcealNames {
				upn, name = e.ConcealedName(upn), e.ConcealedName(name)
			}
			last := ""
			if !u.last.IsZero() {
				last = u.last.UTC().Format(time.DateOnly)
			}
			i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
			rows = append(rows, []string{now.Format(time.DateOnly), upn, name, "False", "", "", last,
				i64(u.items), i64(u.bytes), i64(q.IssueWarning), i64(q.ProhibitSend), i64(q.ProhibitSendReceive),
				"0", "0", i64(q.DeletedItems), "False", strconv.Itoa(days)})
		}
	})
	sort.Slice(rows, func(i, j int) bool { return rows[i][1] < rows[j][1] })
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // UTF-8 with a byte order mark, as the reports are served
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write(mailboxUsageColumns)
	_ = w.WriteAll(rows)
	return buf.Bytes()
}

// ConcealedName is what the usage reports show instead of a user name
// (principal or display name) when the tenant conceals them (the admin
// center's "Display concealed user, group, and site names in all reports",
// Options.ConcealNames): a stable hexadecimal hash.
// https://learn.microsoft.com/graph/api/resources/adminreportsettings
// (displayConcealedNames).
func (e *Emulator) ConcealedName(name string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(e.opts.Tenant) + "\x00" + strings.ToLower(name)))
	return strings.ToUpper(hex.EncodeToString(sum[:16]))
}

var downloadPathRE = regexp.MustCompile(`^/data/download/([0-9a-f]+)$`)

// serveDownload serves a report's pre-authenticated download URL: 200
// with the CSV as application/octet-stream (Microsoft's example response).
// The URL needs no Authorization header; the emulator refuses one, as it
// does on upload URLs, so that a client that works here never sends its
// Graph token to the download host. A wrong or expired authtoken is 401.
// https://learn.microsoft.com/graph/api/reportroot-getmailboxusagedetail
// ("Preauthenticated download URLs are only valid for a short period of
// time (a few minutes) and do not require an Authorization header").
func (e *Emulator) serveDownload(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, msg string) { odata.WriteError(w, r, status, code, msg) }
	m := downloadPathRE.FindStringSubmatch(r.URL.Path)
	if m == nil {
		fail(http.StatusNotFound, "itemNotFound", "The report was not found.")
		return
	}
	if r.Method != http.MethodGet {
		fail(http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
		return
	}
	e.dlMu.Lock()
	d := e.downloads[m[1]]
	e.dlMu.Unlock()
	switch {
	case d == nil:
		fail(http.StatusNotFound, "itemNotFound", "The report was not found.")
		return
	case subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("authtoken")), []byte(d.token)) != 1:
		fail(http.StatusUnauthorized, "InvalidAuthenticationToken", "The authtoken of the download URL is not valid.")
		return
	case time.Now().After(d.expires):
		fail(http.StatusUnauthorized, "InvalidAuthenticationToken", "The download URL has expired.")
		return
	case r.Header.Get("Authorization") != "":
		fail(http.StatusUnauthorized, "InvalidAuthenticationToken", "The download URL is pre-authenticated; do not send an Authorization header.")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(d.body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(d.body)
}
