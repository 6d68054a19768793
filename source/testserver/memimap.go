package testserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// MemIMAPOptions configure [StartMemIMAP]. A nil *MemIMAPOptions means the
// zero value.
type MemIMAPOptions struct {
	// SeedDir is the mail corpus directory holding accounts.yaml. Empty
	// means the corpus embedded in package seed.
	SeedDir string
	// NoTLS serves plain IMAP only; by default STARTTLS is offered with a
	// certificate from a generated CA written to MemIMAP.CAFile.
	NoTLS bool
	// ExtraMessages are appended after the corpus.
	ExtraMessages []ExtraMessage
	// Logger receives progress and the server's error messages; nil
	// discards them.
	Logger *slog.Logger
}

// MemIMAP is an in-process IMAP server (go-imap's imapmemserver) on
// 127.0.0.1, seeded from the same corpus as [Dovecot]. It is the fallback
// for demos where Dovecot is not installed: it has no POP3, no SPECIAL-USE
// attributes and no master user, keeps everything in memory, accepts LOGIN
// without TLS, and reports keywords in lower case.
type MemIMAP struct {
	// Host is "127.0.0.1".
	Host string
	// Port is the IMAP port (STARTTLS offered unless NoTLS).
	Port int
	// CAFile is the PEM file of the CA that signed the server certificate,
	// or "" with NoTLS.
	CAFile string
	// Users are the seeded accounts, in manifest order.
	Users []User
	// Manifest is the corpus that was seeded (without ExtraMessages).
	Manifest *Manifest

	srv     *imapserver.Server
	ln      net.Listener
	dir     string
	served  chan error
	once    sync.Once
	closeEr error
	unwatch func() bool
}

// StartMemIMAP starts the in-memory IMAP server on a free 127.0.0.1 port,
// seeded directly (not over the wire) from the corpus. Cancelling ctx
// stops it; call Close to stop it and clean up.
func StartMemIMAP(ctx context.Context, opts *MemIMAPOptions) (_ *MemIMAP, err error) {
	if opts == nil {
		opts = &MemIMAPOptions{}
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	lg = lg.With("component", "memimap")
	m, err := LoadManifest(opts.SeedDir)
	if err != nil {
		return nil, fmt.Errorf("start in-memory IMAP: %w", err)
	}
	s := &MemIMAP{Host: "127.0.0.1", Manifest: m, served: make(chan error, 1)}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()

	mem := imapmemserver.New()
	for _, u := range m.Users {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("start in-memory IMAP: %w", err)
		}
		mu := imapmemserver.NewUser(u.Name, u.Password)
		for _, f := range u.Folders {
			if err := mu.Create(f.Name, nil); err != nil {
				return nil, fmt.Errorf("start in-memory IMAP: user %s: create %q: %w", u.Name, f.Name, err)
			}
			if !f.Unsubscribed {
				if err := mu.Subscribe(f.Name); err != nil {
					return nil, fmt.Errorf("start in-memory IMAP: user %s: subscribe %q: %w", u.Name, f.Name, err)
				}
			}
			for i := range f.Messages {
				if err := memAppend(mu, f.Name, &f.Messages[i]); err != nil {
					return nil, fmt.Errorf("start in-memory IMAP: user %s: %w", u.Name, err)
				}
			}
		}
		for _, x := range opts.ExtraMessages {
			if x.User != u.Name {
				continue
			}
			if _, ok := u.Folder(x.Folder); !ok {
				_ = mu.Create(x.Folder, nil) // may exist from an earlier extra message
			}
			if err := memAppend(mu, x.Folder, &x.Message); err != nil {
				return nil, fmt.Errorf("start in-memory IMAP: user %s: %w", u.Name, err)
			}
		}
		mem.AddUser(mu)
		s.Users = append(s.Users, User{Name: u.Name, Password: u.Password})
	}

	srvOpts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps: imap.CapSet{
			imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {},
			imap.CapNamespace: {}, imap.CapUIDPlus: {}, imap.CapESearch: {},
			imap.CapListExtended: {}, imap.CapListStatus: {}, imap.CapMove: {},
			imap.CapStatusSize: {}, imap.CapLiteralPlus: {},
		},
		InsecureAuth: true,
		Logger:       log.New(slogWriter{lg}, "", 0),
	}
	if !opts.NoTLS {
		if s.dir, err = os.MkdirTemp("", "memimap-"); err != nil {
			return nil, fmt.Errorf("start in-memory IMAP: %w", err)
		}
		certs, err := writeCerts(s.dir)
		if err != nil {
			return nil, fmt.Errorf("start in-memory IMAP: %w", err)
		}
		srvOpts.TLSConfig = certs.serverTLSConfig()
		s.CAFile = certs.CAFile
	}
	s.srv = imapserver.New(srvOpts)
	var lc net.ListenConfig
	if s.ln, err = lc.Listen(ctx, "tcp", "127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start in-memory IMAP: %w", err)
	}
	s.Port = s.ln.Addr().(*net.TCPAddr).Port
	go func() { s.served <- s.srv.Serve(s.ln) }()
	s.unwatch = context.AfterFunc(ctx, func() { _ = s.close() })
	lg.Info("in-memory IMAP ready", "addr", s.Addr())
	return s, nil
}

func memAppend(u *imapmemserver.User, folder string, msg *ManifestMessage) error {
	size, err := msg.Size()
	if err != nil {
		return err
	}
	r, err := msg.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	flags := make([]imap.Flag, len(msg.Flags))
	for i, f := range msg.Flags {
		flags[i] = imap.Flag(f)
	}
	lit := literalReader{Reader: io.LimitReader(r, size), size: size}
	if _, err := u.Append(folder, lit, &imap.AppendOptions{Flags: flags, Time: msg.Date}); err != nil {
		return fmt.Errorf("append %s to %q: %w", msg.Name(), folder, err)
	}
	return nil
}

type literalReader struct {
	io.Reader
	size int64
}

func (l literalReader) Size() int64 { return l.size }

// slogWriter forwards the server's log lines to slog.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Warn(string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}

// Addr returns host:port of the server.
func (s *MemIMAP) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Close stops the server, closing open connections, and removes its
// certificate directory. It is safe to call more than once.
func (s *MemIMAP) Close() error {
	if s.unwatch != nil {
		s.unwatch()
	}
	return s.close()
}

func (s *MemIMAP) close() error {
	s.once.Do(func() {
		var errs []error
		if s.srv != nil {
			if err := s.srv.Close(); err != nil {
				errs = append(errs, fmt.Errorf("stop in-memory IMAP: %w", err))
			}
		}
		if s.ln != nil {
			// Serve may not have registered the listener yet.
			_ = s.ln.Close()
			<-s.served
		}
		if s.dir != "" {
			if err := os.RemoveAll(s.dir); err != nil {
				errs = append(errs, fmt.Errorf("remove in-memory IMAP directory: %w", err))
			}
		}
		s.closeEr = errors.Join(errs...)
	})
	return s.closeEr
}
