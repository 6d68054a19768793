package graph

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	abs "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"

	"github.com/migrate-tool/migrate/target"
)

// permReports is the permission of the usage reports.
const permReports = "Reports.Read.All"

// Why a quota is unknown (target.Quota.Unknown).
const (
	quotaNoPermission = "the app lacks Reports.Read.All, which Graph needs to give mailbox quotas through the mailbox usage report"
	quotaConcealed    = "the tenant conceals user names in usage reports; to show them, turn off \"Display concealed user, group, and site names in all reports\" in the Microsoft 365 admin center > Settings > Org settings > Reports"
	quotaNotReported  = "the mailbox is not in the mailbox usage report yet (the report lags up to 48 hours behind new mailboxes)"
)

// maxReportSize bounds the download of a usage report: a row is about
// 200 bytes, so this is room for a few hundred thousand mailboxes.
const maxReportSize = 256 << 20

// usageRow is what Quota reads of a mailbox usage report row.
type usageRow struct {
	used, prohibitSendReceive int64
}

// mailboxUsage is the tenant's mailbox usage report as Quota uses it.
type mailboxUsage struct {
	// denied is true when Graph refused the report (403).
	denied bool
	// concealed is true when the report shows hashes instead of user
	// principal names.
	concealed bool
	// rows are by lower-case user principal name.
	rows map[string]usageRow
}

// quota answers target.Inspector.Quota for the mailbox with the given user
// principal name from the report.
func (u *mailboxUsage) quota(upn string) target.Quota {
	if u.denied {
		return target.Quota{Unknown: quotaNoPermission}
	}
	if r, ok := u.rows[strings.ToLower(upn)]; ok {
		return target.Quota{Known: true, Total: r.prohibitSendReceive, Used: r.used}
	}
	if u.concealed {
		return target.Quota{Unknown: quotaConcealed}
	}
	return target.Quota{Unknown: quotaNotReported}
}

// usageReport returns the tenant's mailbox usage report, fetched once per
// Client: GET /reports/getMailboxUsageDetail(period='D7') answers 302
// Found with a pre-authenticated download URL of the CSV, which is fetched
// without the Authorization header (uploadHTTP never sends it). A 403
// (no Reports.Read.All) is a report that is denied, not an error.
// https://learn.microsoft.com/graph/api/reportroot-getmailboxusagedetail
func (c *Client) usageReport(ctx context.Context) (*mailboxUsage, error) {
	c.reportMu.Lock()
	defer c.reportMu.Unlock()
	if c.report != nil {
		return c.report, nil
	}
	const where = "the tenant"
	var location string
	err := c.retry(ctx, nil, where, "request the mailbox usage report", func(ctx context.Context) error {
		var err error
		location, err = c.reportLocation(ctx)
		return err
	}, nil)
	if he, ok := asHTTPError(err); ok && he.status == http.StatusForbidden {
		c.log.Info("the mailbox usage report is refused: quotas are unknown", "err", he)
		c.report = &mailboxUsage{denied: true}
		return c.report, nil
	}
	if err != nil {
		return nil, c.describe(err, where, "request the mailbox usage report", permReports)
	}
	var u *mailboxUsage
	err = c.retry(ctx, nil, where, "download the mailbox usage report", func(ctx context.Context) error {
		var err error
		u, err = c.downloadUsage(ctx, location)
		return err
	}, nil)
	if err != nil {
		return nil, c.describe(err, where, "download the mailbox usage report", permReports)
	}
	c.report = u
	return u, nil
}

// reportLocation asks Graph for the report and returns the Location of
// its 302. The SDK's redirect handler is told not to follow it: the
// download goes through downloadUsage.
func (c *Client) reportLocation(ctx context.Context) (string, error) {
	u, err := url.Parse(c.adapter.GetBaseUrl() + "/reports/getMailboxUsageDetail(period='D7')")
	if err != nil {
		return "", fmt.Errorf("the Graph endpoint does not make a report URL: %w", err)
	}
	ri := abs.NewRequestInformation()
	ri.Method = abs.GET
	ri.SetUri(*u)
	var location string
	handler := abs.NewRequestHandlerOption()
	handler.SetResponseHandler(func(response any, _ abs.ErrorMappings) (any, error) {
		resp, ok := response.(*http.Response)
		if !ok || resp == nil {
			return nil, errors.New("no response")
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 400 {
			return nil, readHTTPError(resp)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		location = resp.Header.Get("Location")
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusTemporaryRedirect || location == "" {
			return nil, fmt.Errorf("the report request answered HTTP %d without a download location", resp.StatusCode)
		}
		return nil, nil
	})
	ri.AddRequestOptions([]abs.RequestOption{handler, &khttp.RedirectHandlerOptions{
		MaxRedirects:   1,
		ShouldRedirect: func(*http.Request, *http.Response) bool { return false },
	}})
	if err := c.adapter.SendNoContent(ctx, ri, errorMapping); err != nil {
		return "", err
	}
	loc, err := u.Parse(location)
	if err != nil || (loc.Scheme != "https" && loc.Scheme != "http") {
		return "", errors.New("the report's download location is not an http(s) URL")
	}
	return loc.String(), nil
}

// downloadUsage downloads and parses the report at its pre-authenticated
// URL, without an Authorization header.
func (c *Client) downloadUsage(ctx context.Context, location string) (*mailboxUsage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, location, nil)
	if err != nil {
		return nil, errors.New("the report's download location is not a valid URL")
	}
	resp, err := c.uploadHTTP.Do(req)
	if err != nil {
		return nil, redactURLError(err, req.URL)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, readHTTPError(resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReportSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: mailbox usage report: %v", errTruncated, err)
	}
	if len(data) > maxReportSize {
		return nil, fmt.Errorf("the mailbox usage report is larger than %d MB", maxReportSize>>20)
	}
	return parseMailboxUsage(data)
}

// parseMailboxUsage reads the report's CSV (UTF-8, perhaps with a byte
// order mark) by its column names: User Principal Name, Storage Used
// (Byte) and Prohibit Send/Receive Quota (Byte). Rows whose principal
// names have no @ are concealed names (hashes).
func parseMailboxUsage(data []byte) (*mailboxUsage, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("the mailbox usage report is not CSV: %w", err)
	}
	if len(recs) == 0 {
		return nil, errors.New("the mailbox usage report is empty, without its header")
	}
	col := map[string]int{}
	for i, name := range recs[0] {
		col[strings.TrimSpace(name)] = i
	}
	iUPN, ok1 := col["User Principal Name"]
	iUsed, ok2 := col["Storage Used (Byte)"]
	iQuota, ok3 := col["Prohibit Send/Receive Quota (Byte)"]
	if !ok1 || !ok2 || !ok3 {
		return nil, errors.New("the mailbox usage report lacks the columns User Principal Name, Storage Used (Byte) or Prohibit Send/Receive Quota (Byte)")
	}
	u := &mailboxUsage{rows: map[string]usageRow{}}
	for _, rec := range recs[1:] {
		if len(rec) <= max(iUPN, iUsed, iQuota) {
			continue
		}
		upn := strings.TrimSpace(rec[iUPN])
		if upn == "" {
			continue
		}
		if !strings.Contains(upn, "@") {
			u.concealed = true
			continue
		}
		used, err1 := strconv.ParseInt(strings.TrimSpace(rec[iUsed]), 10, 64)
		quota, err2 := strconv.ParseInt(strings.TrimSpace(rec[iQuota]), 10, 64)
		if err1 != nil || err2 != nil || quota <= 0 {
			continue // an unlimited or unreadable quota tells nothing
		}
		u.rows[strings.ToLower(upn)] = usageRow{used: used, prohibitSendReceive: quota}
	}
	return u, nil
}
