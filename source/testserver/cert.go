package testserver

import (
	"crypto/tls"
	"fmt"

	"github.com/migrate-tool/migrate/migrate/selfsigned"
)

// certFiles are the PEM files of a throw-away certificate authority and a
// server certificate it signed for 127.0.0.1, ::1 and localhost.
type certFiles struct {
	selfsigned.Files // CAFile, CertFile (server then CA), KeyFile (PKCS #8)
	certs            *selfsigned.Certs
}

// writeCerts generates a CA and a server certificate signed by it, valid
// for two days from now (selfsigned.DefaultLifetime), and writes them
// into dir.
func writeCerts(dir string) (*certFiles, error) {
	c, err := selfsigned.New(selfsigned.Options{Name: "migrate testserver"})
	if err != nil {
		return nil, fmt.Errorf("testserver certificates: %w", err)
	}
	f, err := c.WriteFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("testserver certificates: %w", err)
	}
	return &certFiles{Files: *f, certs: c}, nil
}

// clientTLSConfig returns a TLS client configuration that trusts only the
// generated CA and expects the server to be 127.0.0.1.
func (cf *certFiles) clientTLSConfig() *tls.Config { return cf.certs.ClientTLS("127.0.0.1") }

// serverTLSConfig returns the configuration of an in-process server.
func (cf *certFiles) serverTLSConfig() *tls.Config { return cf.certs.ServerTLS() }
