package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// microsoftAuthorities are the authority hosts of Microsoft's clouds
// (global, US Government, China operated by 21Vianet), for which MSAL's
// instance discovery works. For any other host (the emulator, a private
// cloud) it is turned off, as azidentity's documentation of
// DisableInstanceDiscovery asks; the authority is then trusted as given.
// https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud
var microsoftAuthorities = []string{
	"login.microsoftonline.com", "login.microsoft.com", "login.windows.net",
	"login.microsoftonline.us", "login.chinacloudapi.cn", "login.partner.microsoftonline.cn",
}

// newCredential builds the azidentity credential for cfg.Auth. azidentity
// caches tokens and gets a new one before the cached one expires, so long
// runs keep working; a static token (AuthToken) cannot be renewed.
func newCredential(cfg *Config, authority *url.URL, hc *http.Client) (azcore.TokenCredential, error) {
	host := authority.Scheme + "://" + authority.Host + "/"
	disableDiscovery := true
	for _, h := range microsoftAuthorities {
		if strings.EqualFold(authority.Hostname(), h) {
			disableDiscovery = false
		}
	}
	opts := azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: host}, Transport: hc}
	need := func(v, key string) error {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("graph: target.auth %s needs %s", cfg.Auth, key)
		}
		return nil
	}
	switch cfg.Auth {
	case AuthClientSecret:
		if err := errors.Join(need(cfg.Tenant, "target.tenant"), need(cfg.ClientID, "target.client_id"), need(cfg.ClientSecret, "target.client_secret")); err != nil {
			return nil, err
		}
		cred, err := azidentity.NewClientSecretCredential(cfg.Tenant, cfg.ClientID, cfg.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: disableDiscovery})
		if err != nil {
			return nil, fmt.Errorf("graph: client secret credential: %w", err)
		}
		return cred, nil
	case AuthCertificate:
		if err := errors.Join(need(cfg.Tenant, "target.tenant"), need(cfg.ClientID, "target.client_id"), need(cfg.CertificateFile, "target.certificate_file")); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(cfg.CertificateFile)
		if err != nil {
			return nil, fmt.Errorf("graph: target.certificate_file: %w", err)
		}
		var pass []byte
		if cfg.CertificatePassword != "" {
			pass = []byte(cfg.CertificatePassword)
		}
		// PEM or PKCS#12, with the private key.
		certs, key, err := azidentity.ParseCertificates(data, pass)
		if err != nil {
			return nil, fmt.Errorf("graph: target.certificate_file %s: %w (want a PEM or PKCS#12 file with the certificate and its private key; set target.certificate_password if it is encrypted)", cfg.CertificateFile, err)
		}
		cred, err := azidentity.NewClientCertificateCredential(cfg.Tenant, cfg.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: disableDiscovery})
		if err != nil {
			return nil, fmt.Errorf("graph: certificate credential: %w", err)
		}
		return cred, nil
	case AuthDeviceCode:
		if err := errors.Join(need(cfg.Tenant, "target.tenant"), need(cfg.ClientID, "target.client_id")); err != nil {
			return nil, err
		}
		prompt := cfg.DeviceCodePrompt
		if prompt == nil {
			prompt = os.Stderr
		}
		cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
			ClientOptions: opts, TenantID: cfg.Tenant, ClientID: cfg.ClientID, DisableInstanceDiscovery: disableDiscovery,
			UserPrompt: func(_ context.Context, m azidentity.DeviceCodeMessage) error {
				_, err := fmt.Fprintln(prompt, m.Message)
				return err
			},
		})
		if err != nil {
			return nil, fmt.Errorf("graph: device code credential: %w", err)
		}
		return cred, nil
	case AuthToken:
		if err := need(cfg.Token, "target.token"); err != nil {
			return nil, err
		}
		return staticToken{token: strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(cfg.Token), "Bearer "))}, nil
	}
	return nil, fmt.Errorf("graph: target.auth %q: want %s, %s, %s or %s", cfg.Auth, AuthClientSecret, AuthCertificate, AuthDeviceCode, AuthToken)
}

// staticToken is a pre-issued bearer token as an azcore.TokenCredential.
// Its expiry is unknown, so it claims a day; when Graph refuses it (401)
// the run stops with target.ErrAuth naming target.token.
type staticToken struct{ token string }

// GetToken implements azcore.TokenCredential.
func (s staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: s.token, ExpiresOn: time.Now().Add(24 * time.Hour)}, nil
}

// String hides the token.
func (s staticToken) String() string { return "staticToken([REDACTED])" }

// GoString hides the token in %#v.
func (s staticToken) GoString() string { return s.String() }

// credentialHint names the settings that fix refused credentials.
func credentialHint(auth string) string {
	switch auth {
	case AuthClientSecret:
		return "check target.tenant, target.client_id and target.client_secret (the secret's value, not its ID; secrets expire)"
	case AuthCertificate:
		return "check target.tenant, target.client_id and target.certificate_file (the certificate must be uploaded to the app registration)"
	case AuthDeviceCode:
		return "check target.tenant and target.client_id, and that the signed-in user may open this mailbox"
	case AuthToken:
		return "the bearer token in target.token was refused or has expired; a static token cannot be refreshed, issue a new one or use client_secret or certificate"
	}
	return "check the target.* credentials"
}
