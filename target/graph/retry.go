package graph

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/migrate-tool/migrate/target"
)

// Permissions named in errors (application permissions of the app
// registration; https://learn.microsoft.com/graph/permissions-reference).
const (
	permMail = "Mail.ReadWrite"
	permUser = "User.Read.All"
)

// retryPolicy bounds retries. Throttling (429, 503 with Retry-After) is
// waited out as Graph asks, up to throttled times in a row; server errors
// and network failures are retried attempts-1 times with exponential
// back-off and full jitter between base and max.
type retryPolicy struct {
	attempts  int
	throttled int
	base, max time.Duration
}

func defaultRetryPolicy(scale float64) retryPolicy {
	return retryPolicy{attempts: 5, throttled: 30,
		base: time.Duration(float64(time.Second) / scale), max: time.Duration(float64(time.Minute) / scale)}
}

// backoff is the wait before retry n (1, 2, ...): a random duration in
// [d/2, d] with d = base * 2^(n-1), at most max.
func (p retryPolicy) backoff(n int) time.Duration {
	d := p.base << min(n-1, 16)
	if d > p.max || d <= 0 {
		d = p.max
	}
	return d/2 + rand.N(d/2+1)
}

// httpError is a failed Graph (or upload URL) response.
type httpError struct {
	status        int
	code, message string
	retryAfter    time.Duration
	hasRetryAfter bool
}

func (e *httpError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.status)
	if e.code != "" {
		s += " " + e.code
	}
	if e.message != "" {
		s += ": " + e.message
	}
	return s
}

// asHTTPError extracts the status, Graph's error code and message and
// Retry-After from an SDK error or an upload URL's error.
func asHTTPError(err error) (*httpError, bool) {
	var he *httpError
	if errors.As(err, &he) {
		return he, true
	}
	var ae abs.ApiErrorable
	if !errors.As(err, &ae) || ae.GetStatusCode() == 0 {
		return nil, false
	}
	out := &httpError{status: ae.GetStatusCode()}
	if h := ae.GetResponseHeaders(); h != nil {
		if v := h.Get("retry-after"); len(v) > 0 {
			out.retryAfter, out.hasRetryAfter = parseRetryAfter(v[0], time.Now())
		}
	}
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) && oe.GetErrorEscaped() != nil {
		me := oe.GetErrorEscaped()
		if me.GetCode() != nil {
			out.code = *me.GetCode()
		}
		if me.GetMessage() != nil {
			out.message = *me.GetMessage()
		}
	}
	return out, true
}

type errClass int

const (
	classFatal     errClass = iota // not retried
	classThrottled                 // 429: not processed; wait Retry-After
	classTransient                 // 5xx, network: may have been processed
)

// classify decides whether err is worth retrying and how long Graph asked
// to wait. https://learn.microsoft.com/graph/errors#http-status-codes,
// https://learn.microsoft.com/graph/best-practices-concept#handling-expected-errors.
func classify(ctx context.Context, err error) (errClass, time.Duration) {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return classFatal, 0
	}
	if he, ok := asHTTPError(err); ok {
		switch {
		case he.status == http.StatusTooManyRequests:
			d := he.retryAfter
			if !he.hasRetryAfter {
				d = 0
			}
			return classThrottled, d
		case he.status == http.StatusRequestTimeout, he.status >= 500 && he.status != http.StatusNotImplemented && he.status != 507:
			return classTransient, he.retryAfter
		}
		return classFatal, 0
	}
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) {
		if afe.RawResponse != nil && (afe.RawResponse.StatusCode >= 500 || afe.RawResponse.StatusCode == http.StatusTooManyRequests) {
			return classTransient, 0
		}
		if afe.RawResponse != nil {
			return classFatal, 0
		}
	}
	var (
		ua  x509.UnknownAuthorityError
		ci  x509.CertificateInvalidError
		hn  x509.HostnameError
		ne  net.Error
		ue  *url.Error
		oe  *net.OpError
		dns *net.DNSError
	)
	switch {
	case errors.As(err, &ua), errors.As(err, &ci), errors.As(err, &hn):
		return classFatal, 0 // TLS trust is configuration, not luck
	case errors.As(err, &dns) && dns.IsNotFound:
		return classFatal, 0
	case errors.As(err, &ne), errors.As(err, &ue), errors.As(err, &oe),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, errTruncated):
		return classTransient, 0
	}
	return classFatal, 0
}

// errTruncated is a response body that ended early.
var errTruncated = errors.New("response truncated")

// retry runs fn until it succeeds, fails for good or the retries are
// spent. Requests made with the context fn gets are paced by p (nil for
// requests that are not on a mailbox). After a failure that may have
// taken effect (a 5xx or network error on a request that is not
// idempotent), reconcile, if not nil, looks at the target: done means
// the request did take effect and must not be repeated. A 429 is never
// reconciled: Graph did not run the request.
func (c *Client) retry(ctx context.Context, p *pacer, where, what string, fn func(context.Context) error, reconcile func(context.Context) (done bool, err error)) error {
	ctx = withPacer(ctx, p)
	transient, throttled := 0, 0
	for {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		class, after := classify(ctx, err)
		switch class {
		case classThrottled:
			throttled++
			if throttled > c.policy.throttled {
				return &target.RetryError{After: after, Err: err}
			}
			if after <= 0 {
				after = c.policy.backoff(min(throttled, 6))
			}
			c.log.Info("throttled, waiting", "where", where, "op", what, "retry_after", after)
			if p != nil {
				p.pause(after)
			} else if err := sleep(ctx, after); err != nil {
				return err
			}
			continue
		case classTransient:
			transient++
			if transient >= c.policy.attempts {
				if reconcile != nil {
					// Last chance to learn that the request did take
					// effect.
					if done, rerr := reconcile(ctx); rerr == nil && done {
						return nil
					}
				}
				return &target.RetryError{After: after, Err: err}
			}
			d := c.policy.backoff(transient)
			if after > d {
				d = after
			}
			c.log.Warn("request failed, retrying", "where", where, "op", what, "attempt", transient, "wait", d, "err", err)
			if err := sleep(ctx, d); err != nil {
				return err
			}
		default:
			return err
		}
		if reconcile != nil {
			done, err := reconcile(ctx)
			if err != nil {
				return err
			}
			if done {
				return nil
			}
		}
	}
}

// describe turns an error of a Graph request into the target package's
// errors, naming where it happened (mailbox, folder, source key), what was
// being done and, for a 403, the permission the app needs. Secrets never
// appear: Graph's and the identity platform's messages do not carry them,
// and upload URLs are shown without their query.
func (c *Client) describe(err error, where, what, perm string) error {
	if err == nil {
		return nil
	}
	var ie *target.ItemError
	if errors.As(err, &ie) {
		return err // already described
	}
	if errors.Is(err, target.ErrAuth) || errors.Is(err, target.ErrNotFound) {
		return err
	}
	prefix := fmt.Sprintf("graph: %s: %s", where, what)
	var re *target.RetryError
	if errors.As(err, &re) {
		return &target.RetryError{After: re.After, Err: fmt.Errorf("%s: gave up after retries: %w", prefix, re.Err)}
	}
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) {
		return fmt.Errorf("%s: %w: the identity platform refused the credentials (%s); %s", prefix, target.ErrAuth, aadSummary(afe), credentialHint(c.cfg.Auth))
	}
	var cue *azidentity.AuthenticationRequiredError
	if errors.As(err, &cue) {
		return fmt.Errorf("%s: %w: %s", prefix, target.ErrAuth, credentialHint(c.cfg.Auth))
	}
	he, ok := asHTTPError(err)
	if !ok {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	switch {
	case he.status == http.StatusUnauthorized:
		return fmt.Errorf("%s: %w: Graph refused the access token (%v); %s", prefix, target.ErrAuth, he, credentialHint(c.cfg.Auth))
	case he.status == http.StatusForbidden:
		return fmt.Errorf("%s: %w: access denied (%v); the app registration needs the application permission %s with admin consent (and no application access policy excluding this mailbox)", prefix, target.ErrAuth, he, perm)
	case he.status == http.StatusNotFound:
		return fmt.Errorf("%s: %w (%v)", prefix, target.ErrNotFound, he)
	case he.status == http.StatusRequestEntityTooLarge, strings.EqualFold(he.code, "ErrorMessageSizeExceeded"):
		return &target.ItemError{Reason: "larger than the mailbox accepts (Exchange Online's maximum message size is 35 MB by default; an administrator can raise it to 150 MB)",
			Err: fmt.Errorf("%s: %w", prefix, he)}
	case he.status >= 400 && he.status < 500:
		return &target.ItemError{Reason: fmt.Sprintf("Graph refused it: %s %s", he.code, he.message), Err: fmt.Errorf("%s: %w", prefix, he)}
	}
	return fmt.Errorf("%s: %w", prefix, he)
}

// aadSummary is the identity platform's error code and description
// (AADSTSnnnn: ...), without the response dump azidentity's message has.
func aadSummary(e *azidentity.AuthenticationFailedError) string {
	msg := e.Error()
	if i := strings.Index(msg, "AADSTS"); i >= 0 {
		s := msg[i:]
		if j := strings.IndexAny(s, "\"\n\r"); j >= 0 {
			s = s[:j]
		}
		return strings.TrimSpace(s)
	}
	if e.RawResponse != nil {
		return fmt.Sprintf("HTTP %d", e.RawResponse.StatusCode)
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}
