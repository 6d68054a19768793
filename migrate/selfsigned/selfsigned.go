// Package selfsigned makes a throw-away certificate authority and a server
// certificate it signs, for local TLS servers: the test servers of
// source/testserver and the Graph emulator (`migrate emulator`).
//
// Both certificates use ECDSA P-256 keys. The CA can be kept in a directory
// so that clients which trust it keep working across restarts; the server
// certificate is always fresh.
package selfsigned

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// DefaultLifetime is how long certificates are valid when Options leaves
// the lifetime unset: long enough for a test run or a demo, short enough
// that a leaked key is soon worthless.
const DefaultLifetime = 48 * time.Hour

// Names of the files Options.CADir holds.
const (
	CACertFile = "ca-cert.pem" // the CA certificate (PEM)
	CAKeyFile  = "ca-key.pem"  // the CA's private key (PEM, SEC 1 "EC PRIVATE KEY")
)

// Options says what differs between uses. The zero value is a CA and a
// server certificate for 127.0.0.1, ::1 and localhost, valid for
// DefaultLifetime, kept in memory only.
type Options struct {
	// Name names the CA ("<Name> CA") and is the subject's organization;
	// default "migrate".
	Name string
	// CALifetime is the CA's validity from now; default Lifetime.
	CALifetime time.Duration
	// Lifetime is the server certificate's validity from now; default
	// DefaultLifetime. Both certificates are also valid from an hour ago,
	// for clocks that differ slightly.
	Lifetime time.Duration
	// Hosts are the IP addresses and DNS names the server certificate is
	// for; default 127.0.0.1, ::1 and localhost.
	Hosts []string
	// CADir, when set, keeps the CA: it is read from CADir/ca-cert.pem and
	// CADir/ca-key.pem when both exist, else created and written there.
	CADir string
}

// Certs are a CA and a server certificate it signed.
type Certs struct {
	// CA is the CA certificate.
	CA *x509.Certificate
	// CAPEM is the CA certificate as PEM, for clients to trust.
	CAPEM []byte
	// Server is the server certificate with its key; its chain holds the
	// server certificate, then the CA.
	Server tls.Certificate
}

// New returns a CA (read from or kept in opts.CADir when set) and a fresh
// server certificate it signed.
func New(opts Options) (*Certs, error) {
	if opts.Name == "" {
		opts.Name = "migrate"
	}
	if opts.Lifetime <= 0 {
		opts.Lifetime = DefaultLifetime
	}
	if opts.CALifetime <= 0 {
		opts.CALifetime = opts.Lifetime
	}
	if len(opts.Hosts) == 0 {
		opts.Hosts = []string{"127.0.0.1", "::1", "localhost"}
	}
	caCert, caKey, caPEM, err := loadCA(opts.CADir)
	if err != nil {
		return nil, err
	}
	if caCert == nil {
		if caCert, caKey, caPEM, err = createCA(&opts); err != nil {
			return nil, err
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("selfsigned: server key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: opts.Hosts[0], Organization: []string{opts.Name}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(opts.Lifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range opts.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("selfsigned: server certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("selfsigned: server certificate: %w", err)
	}
	return &Certs{
		CA:     caCert,
		CAPEM:  caPEM,
		Server: tls.Certificate{Certificate: [][]byte{der, caCert.Raw}, PrivateKey: key, Leaf: leaf},
	}, nil
}

// createCA makes a CA and, when opts.CADir is set, writes it there.
func createCA(opts *Options) (*x509.Certificate, crypto.Signer, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("selfsigned: CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: opts.Name + " CA", Organization: []string{opts.Name}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(opts.CALifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("selfsigned: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("selfsigned: CA certificate: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if opts.CADir != "" {
		kd, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("selfsigned: CA key: %w", err)
		}
		keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
		if err := os.WriteFile(filepath.Join(opts.CADir, CAKeyFile), keyPEM, 0o600); err != nil {
			return nil, nil, nil, fmt.Errorf("selfsigned: save CA key: %w", err)
		}
		if err := os.WriteFile(filepath.Join(opts.CADir, CACertFile), certPEM, 0o644); err != nil {
			return nil, nil, nil, fmt.Errorf("selfsigned: save CA: %w", err)
		}
	}
	return cert, key, certPEM, nil
}

// loadCA reads the CA kept in dir; all results are nil when dir is "" or
// does not hold both files.
func loadCA(dir string) (*x509.Certificate, crypto.Signer, []byte, error) {
	if dir == "" {
		return nil, nil, nil, nil
	}
	certPEM, err1 := os.ReadFile(filepath.Join(dir, CACertFile))
	keyPEM, err2 := os.ReadFile(filepath.Join(dir, CAKeyFile))
	if errors.Is(err1, fs.ErrNotExist) || errors.Is(err2, fs.ErrNotExist) {
		return nil, nil, nil, nil
	}
	if err := errors.Join(err1, err2); err != nil {
		return nil, nil, nil, fmt.Errorf("selfsigned: read CA: %w", err)
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, nil, fmt.Errorf("selfsigned: %s or %s in %s is not PEM", CACertFile, CAKeyFile, dir)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("selfsigned: parse CA %s: %w", filepath.Join(dir, CACertFile), err)
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("selfsigned: parse CA key %s: %w", filepath.Join(dir, CAKeyFile), err)
	}
	return cert, key, certPEM, nil
}

// Pool returns a certificate pool holding only the CA.
func (c *Certs) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.CA)
	return p
}

// ServerTLS returns a server configuration presenting the server
// certificate (TLS 1.2 or later).
func (c *Certs) ServerTLS() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.Server}, MinVersion: tls.VersionTLS12}
}

// ClientTLS returns a client configuration that trusts only the CA and
// expects the server to be serverName ("" = the host dialled).
func (c *Certs) ClientTLS(serverName string) *tls.Config {
	return &tls.Config{RootCAs: c.Pool(), ServerName: serverName, MinVersion: tls.VersionTLS12}
}

// Files are the PEM files WriteFiles writes.
type Files struct {
	CAFile   string // the CA certificate
	CertFile string // the server certificate followed by the CA
	KeyFile  string // the server's private key (PKCS #8), mode 0600
}

// WriteFiles writes the CA (ca.pem), the server chain (cert.pem) and the
// server key (key.pem) into dir, for servers that read PEM files such as
// Dovecot.
func (c *Certs) WriteFiles(dir string) (*Files, error) {
	keyDER, err := x509.MarshalPKCS8PrivateKey(c.Server.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("selfsigned: marshal server key: %w", err)
	}
	var chain []byte
	for _, der := range c.Server.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	f := &Files{
		CAFile:   filepath.Join(dir, "ca.pem"),
		CertFile: filepath.Join(dir, "cert.pem"),
		KeyFile:  filepath.Join(dir, "key.pem"),
	}
	for _, w := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{f.CAFile, c.CAPEM, 0o644},
		{f.CertFile, chain, 0o644},
		{f.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600},
	} {
		if err := os.WriteFile(w.name, w.data, w.mode); err != nil {
			return nil, fmt.Errorf("selfsigned: write %s: %w", w.name, err)
		}
	}
	return f, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		// crypto/rand does not fail on supported platforms (Go 1.24+).
		panic(err)
	}
	return n
}
