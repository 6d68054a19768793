package testserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certFiles are the PEM files of a throw-away certificate authority and a
// server certificate it signed for 127.0.0.1 and localhost.
type certFiles struct {
	CAFile   string // CA certificate (PEM)
	CertFile string // server certificate followed by the CA (PEM)
	KeyFile  string // server private key (PEM, PKCS#8)
	pool     *x509.CertPool
}

// writeCerts generates an ECDSA P-256 CA and a server certificate signed by
// it, valid for a day around now, and writes them into dir.
func writeCerts(dir string) (*certFiles, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "migrate testserver CA", Organization: []string{"migrate tests"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(48 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate server key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: "localhost", Organization: []string{"migrate tests"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(48 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("create server certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal server key: %w", err)
	}

	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})

	cf := &certFiles{
		CAFile:   filepath.Join(dir, "ca.pem"),
		CertFile: filepath.Join(dir, "cert.pem"),
		KeyFile:  filepath.Join(dir, "key.pem"),
		pool:     x509.NewCertPool(),
	}
	cf.pool.AddCert(caCert)
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{cf.CAFile, caPEM, 0o644},
		{cf.CertFile, append(append([]byte{}, certPEM...), caPEM...), 0o644},
		{cf.KeyFile, keyPEM, 0o600},
	} {
		if err := os.WriteFile(f.name, f.data, f.mode); err != nil {
			return nil, fmt.Errorf("write %s: %w", filepath.Base(f.name), err)
		}
	}
	return cf, nil
}

// clientTLSConfig returns a TLS client configuration that trusts only the
// generated CA and expects the server to be 127.0.0.1.
func (cf *certFiles) clientTLSConfig() *tls.Config {
	return &tls.Config{RootCAs: cf.pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// serverTLSConfig loads the server key pair for an in-process server.
func (cf *certFiles) serverTLSConfig() (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(cf.CertFile, cf.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load server key pair: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		// crypto/rand does not fail on supported platforms (Go 1.24+).
		panic(err)
	}
	return n
}
