package graphemu

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certs is the emulator's self-signed CA and the server certificate it
// signs for 127.0.0.1, ::1 and localhost.
type certs struct {
	caPEM []byte
	ca    *x509.Certificate
	leaf  tls.Certificate
}

func (c *certs) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.ca)
	return p
}

// loadOrCreateCerts loads the CA from dataDir (so clients that trust it
// keep working across restarts) or creates one, and issues a fresh server
// certificate.
func loadOrCreateCerts(dataDir string) (*certs, error) {
	var caKey *ecdsa.PrivateKey
	var caCert *x509.Certificate
	var caPEM []byte
	if dataDir != "" {
		certPEM, err1 := os.ReadFile(filepath.Join(dataDir, "ca-cert.pem"))
		keyPEM, err2 := os.ReadFile(filepath.Join(dataDir, "ca-key.pem"))
		if err1 == nil && err2 == nil {
			cb, _ := pem.Decode(certPEM)
			kb, _ := pem.Decode(keyPEM)
			if cb == nil || kb == nil {
				return nil, errors.New("graphemu: CA files in the data directory are not PEM")
			}
			c, err := x509.ParseCertificate(cb.Bytes)
			if err != nil {
				return nil, fmt.Errorf("graphemu: parse CA: %w", err)
			}
			k, err := x509.ParseECPrivateKey(kb.Bytes)
			if err != nil {
				return nil, fmt.Errorf("graphemu: parse CA key: %w", err)
			}
			caKey, caCert, caPEM = k, c, certPEM
		}
	}
	if caCert == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("graphemu: CA key: %w", err)
		}
		tmpl := &x509.Certificate{
			SerialNumber:          serial(),
			Subject:               pkix.Name{CommonName: "migrate Graph emulator CA"},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().AddDate(5, 0, 0),
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
			BasicConstraintsValid: true,
			IsCA:                  true,
			MaxPathLenZero:        true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			return nil, fmt.Errorf("graphemu: CA certificate: %w", err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("graphemu: CA certificate: %w", err)
		}
		caKey, caCert = k, c
		caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		if dataDir != "" {
			kd, err := x509.MarshalECPrivateKey(k)
			if err != nil {
				return nil, fmt.Errorf("graphemu: CA key: %w", err)
			}
			if err := os.WriteFile(filepath.Join(dataDir, "ca-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
				return nil, fmt.Errorf("graphemu: save CA key: %w", err)
			}
			if err := os.WriteFile(filepath.Join(dataDir, "ca-cert.pem"), caPEM, 0o644); err != nil {
				return nil, fmt.Errorf("graphemu: save CA: %w", err)
			}
		}
	}
	lk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("graphemu: server key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &lk.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("graphemu: server certificate: %w", err)
	}
	return &certs{
		caPEM: caPEM,
		ca:    caCert,
		leaf:  tls.Certificate{Certificate: [][]byte{der, caCert.Raw}, PrivateKey: lk},
	}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}
