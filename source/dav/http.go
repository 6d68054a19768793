package dav

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
)

// maxRedirects bounds the redirects one request follows.
const maxRedirects = 10

// httpClient sends the adapter's requests. It follows redirects itself
// (301, 302, 307 and 308, keeping the method and body, since PROPFIND must
// stay PROPFIND, which net/http's 301/302 handling turns into GET), refuses
// http:// without AllowPlaintext, sends basic authentication only to the
// first host or over https, and maps statuses to the error vocabulary.
// It implements webdav.HTTPClient.
type httpClient struct {
	hc         *http.Client
	user, pass string
	// authHost is the host of the URL the account starts from; basic
	// authentication goes to it and to any https:// URL, never to another
	// host in plain http.
	authHost   string
	allowPlain bool
	log        *slog.Logger
}

func (c *httpClient) checkScheme(u *url.URL) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if c.allowPlain {
			return nil
		}
		return fmt.Errorf("dav: %s: %w", u.Redacted(), ErrPlaintextNotAllowed)
	}
	return fmt.Errorf("dav: %s: unsupported URL scheme %q", u.Redacted(), u.Scheme)
}

// sendAuth says whether basic authentication goes with a request to u.
func (c *httpClient) sendAuth(u *url.URL) bool {
	return u.Scheme == "https" || u.Host == c.authHost
}

// Do sends req, following redirects, and returns the final response; a
// 401, 404, 410, 502, 503 or 504 answer is an error (ErrAuth, ErrNotFound,
// ErrConnect) and its body is closed. Other statuses come back as they are.
func (c *httpClient) Do(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("dav: %s %s: read request body: %w", req.Method, req.URL.Redacted(), err)
		}
		body = b
	}
	ctx := req.Context()
	u := req.URL
	for n := 0; ; n++ {
		if err := c.checkScheme(u); err != nil {
			return nil, err
		}
		r := req.Clone(ctx)
		r.URL, r.Host = u, ""
		r.Body, r.ContentLength = http.NoBody, 0
		if body != nil {
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		}
		r.Header.Del("Authorization")
		withheld := false
		if c.user != "" || c.pass != "" {
			if c.sendAuth(u) {
				r.SetBasicAuth(c.user, c.pass)
			} else {
				withheld = true
			}
		}
		resp, err := c.hc.Do(r)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("dav: %s %s: %w", r.Method, u.Redacted(), ctx.Err())
			}
			return nil, fmt.Errorf("dav: %s %s: %w: %w", r.Method, u.Redacted(), ErrConnect, unwrapURLError(err))
		}
		switch resp.StatusCode {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			loc := resp.Header.Get("Location")
			discard(resp)
			if loc == "" {
				return nil, fmt.Errorf("dav: %s %s: %s without a Location", r.Method, u.Redacted(), resp.Status)
			}
			if n >= maxRedirects {
				return nil, fmt.Errorf("dav: %s %s: %w (more than %d)", r.Method, req.URL.Redacted(), ErrTooManyRedirects, maxRedirects)
			}
			next, err := u.Parse(loc)
			if err != nil {
				return nil, fmt.Errorf("dav: %s %s: bad redirect Location: %w", r.Method, u.Redacted(), err)
			}
			next.User = nil
			c.log.DebugContext(ctx, "redirected", "method", r.Method, "from", u.Redacted(), "to", next.Redacted(), "status", resp.StatusCode)
			u = next
			continue
		case http.StatusUnauthorized:
			discard(resp)
			if withheld {
				return nil, fmt.Errorf("dav: %s %s: %w (HTTP 401; the credentials were not sent: %s is another host than %s over plain http)",
					r.Method, u.Redacted(), ErrAuth, u.Host, c.authHost)
			}
			return nil, fmt.Errorf("dav: %s %s: %w (HTTP 401)", r.Method, u.Redacted(), ErrAuth)
		case http.StatusNotFound, http.StatusGone:
			discard(resp)
			return nil, fmt.Errorf("dav: %s %s: %w (%s)", r.Method, u.Redacted(), ErrNotFound, resp.Status)
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			discard(resp)
			return nil, fmt.Errorf("dav: %s %s: %w (%s)", r.Method, u.Redacted(), ErrConnect, resp.Status)
		}
		return resp, nil
	}
}

// unwrapURLError drops the *url.Error layer, whose text repeats the method
// and URL that the caller's message already names.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// newRequest builds a request; body is nil for none.
func newRequest(ctx context.Context, method string, u *url.URL, body []byte, hdr map[string]string) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("dav: %s %s: %w", method, u.Redacted(), err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return req, nil
}
