package imap

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
)

// Mechanism names.
const (
	mechPlain       = "PLAIN"
	mechXOAuth2     = "XOAUTH2"
	mechOAuthBearer = "OAUTHBEARER"
	mechLogin       = "LOGIN" // the IMAP LOGIN command, not SASL LOGIN
)

// saslClient is a SASL client whose initial response is known in advance,
// so the tracer can redact its encoded form, and which remembers the error
// a server reports in a challenge (XOAUTH2, OAUTHBEARER).
type saslClient struct {
	mech     string
	ir       []byte
	fail     []byte // response to an error challenge
	errorMsg string
}

// Start implements sasl.Client.
func (c *saslClient) Start() (string, []byte, error) { return c.mech, c.ir, nil }

// Next implements sasl.Client. PLAIN expects no challenge. For the bearer
// mechanisms a challenge is the server's JSON error report: it is kept for
// the error message and answered as the mechanism requires, after which the
// server fails the command.
func (c *saslClient) Next(challenge []byte) ([]byte, error) {
	if c.mech == mechPlain {
		return nil, sasl.ErrUnexpectedServerChallenge
	}
	var report struct {
		Status string `json:"status"`
		Scope  string `json:"scope"`
	}
	if json.Unmarshal(challenge, &report) == nil && report.Status != "" {
		c.errorMsg = "server reports status " + report.Status
		if report.Scope != "" {
			c.errorMsg += ", scope " + report.Scope
		}
	}
	return c.fail, nil
}

func plainClient(authzid, user, pass string) *saslClient {
	return &saslClient{mech: mechPlain, ir: []byte(authzid + "\x00" + user + "\x00" + pass)}
}

// xoauth2Client implements Google's and Microsoft's XOAUTH2.
func xoauth2Client(user, token string) *saslClient {
	return &saslClient{
		mech: mechXOAuth2,
		ir:   []byte("user=" + user + "\x01auth=Bearer " + token + "\x01\x01"),
		fail: []byte{},
	}
}

// oauthBearerClient implements RFC 7628 OAUTHBEARER.
func oauthBearerClient(user, token, host string, port int) *saslClient {
	ir := "n,a=" + user + ",\x01host=" + host + "\x01port=" + strconv.Itoa(port) + "\x01auth=Bearer " + token + "\x01\x01"
	return &saslClient{mech: mechOAuthBearer, ir: []byte(ir), fail: []byte{0x01}}
}

// traceSecrets lists every form in which the credentials of cfg can appear
// on the wire.
func traceSecrets(cfg *config) []string {
	var out []string
	for _, s := range []string{cfg.Password, cfg.OAuth2Token} {
		out = append(out, secretForms(s)...)
	}
	for _, c := range saslClients(cfg) {
		out = append(out, base64.StdEncoding.EncodeToString(c.ir))
	}
	return out
}

// saslClients returns the SASL clients cfg could use, preferred first.
func saslClients(cfg *config) []*saslClient {
	if cfg.OAuth2Token != "" {
		return []*saslClient{
			xoauth2Client(cfg.Username, cfg.OAuth2Token),
			oauthBearerClient(cfg.Username, cfg.OAuth2Token, cfg.Host, cfg.Port),
		}
	}
	return []*saslClient{plainClient(cfg.AuthzID, cfg.Username, cfg.Password)}
}

// login authenticates c as cfg says and returns the mechanism used. Its
// errors wrap ErrAuth when the server refused the credentials and
// ErrConnect when the connection failed.
//
//   - OAuth2Token: SASL XOAUTH2, or OAUTHBEARER if only that is offered
//     (and Auth is not AuthXOAuth2).
//   - AuthzID: SASL PLAIN with the authorization identity (admin login).
//   - Auth AuthPlain: SASL PLAIN; AuthLogin: the LOGIN command.
//   - otherwise: SASL PLAIN when offered, else the LOGIN command.
func login(c *imapclient.Client, cfg *config) (string, error) {
	caps := c.Caps()
	if caps == nil {
		return "", fmt.Errorf("%w: no capabilities received", ErrConnect)
	}
	offered := func(mech string) bool {
		return slices.ContainsFunc(caps.AuthMechanisms(), func(m string) bool { return strings.EqualFold(m, mech) })
	}
	var sc *saslClient
	switch {
	case cfg.OAuth2Token != "":
		cands := saslClients(cfg)
		if cfg.Auth == AuthXOAuth2 {
			cands = cands[:1]
		}
		for _, cand := range cands {
			if offered(cand.mech) {
				sc = cand
				break
			}
		}
		if sc == nil {
			return "", fmt.Errorf("%w: an OAuth2 token needs SASL XOAUTH2 or OAUTHBEARER, and the server offers neither (it offers %s)", ErrAuth, mechList(caps))
		}
	case cfg.AuthzID != "":
		if !offered(mechPlain) {
			return "", fmt.Errorf("%w: admin login needs SASL PLAIN with an authorization identity, and the server does not offer PLAIN (it offers %s)", ErrAuth, mechList(caps))
		}
		sc = plainClient(cfg.AuthzID, cfg.Username, cfg.Password)
	case cfg.Auth == AuthPlain:
		if !offered(mechPlain) {
			return "", fmt.Errorf("%w: auth \"plain\" needs SASL PLAIN, which the server does not offer (it offers %s)", ErrAuth, mechList(caps))
		}
		sc = plainClient("", cfg.Username, cfg.Password)
	case caps.Has(imap.CapLoginDisabled):
		return "", fmt.Errorf("%w: the server disables LOGIN and offers no usable SASL mechanism (it offers %s)", ErrAuth, mechList(caps))
	case cfg.Auth == AuthAuto && offered(mechPlain):
		sc = plainClient("", cfg.Username, cfg.Password)
	}

	var err error
	mech := mechLogin
	if sc != nil {
		mech = sc.mech
		err = c.Authenticate(sc)
	} else {
		err = c.Login(cfg.Username, cfg.Password).Wait()
	}
	if err == nil {
		return mech, nil
	}
	var ierr *imap.Error
	if errors.As(err, &ierr) {
		if ierr.Code == imap.ResponseCodeUnavailable {
			return "", fmt.Errorf("%w: %s: server temporarily unavailable: %s", ErrConnect, mech, ierr.Text)
		}
		detail := ierr.Text
		if sc != nil && sc.errorMsg != "" {
			detail += " (" + sc.errorMsg + ")"
		}
		return "", fmt.Errorf("%w: %s: %s", ErrAuth, mech, detail)
	}
	if errors.Is(err, sasl.ErrUnexpectedServerChallenge) {
		return "", fmt.Errorf("%w: %s: %v", ErrAuth, mech, err)
	}
	return "", fmt.Errorf("%w: during %s: %w", ErrConnect, mech, err)
}

func mechList(caps imap.CapSet) string {
	mechs := caps.AuthMechanisms()
	if len(mechs) == 0 {
		return "no SASL mechanism"
	}
	slices.Sort(mechs)
	return strings.Join(mechs, ", ")
}
