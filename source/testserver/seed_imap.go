package testserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// DialIMAPS connects to an IMAP-over-TLS server and waits for its
// greeting. The connection is closed when ctx ends before the client is.
func DialIMAPS(ctx context.Context, addr string, cfg *tls.Config) (*imapclient.Client, error) {
	conn, err := dialContext(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("dial imaps %s: %w", addr, err)
	}
	tconn := tls.Client(conn, cfg)
	if err := tconn.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("tls handshake with %s: %w", addr, err)
	}
	c := imapclient.New(tconn, nil)
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	go func() {
		<-c.Closed()
		stop()
	}()
	if err := c.WaitGreeting(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("imap greeting from %s: %w", addr, err)
	}
	return c, nil
}

// seedIMAP logs in as every user of m, one connection per user at once,
// and creates, subscribes and fills their folders. With noSeed only the
// logins happen (which creates each INBOX).
func seedIMAP(ctx context.Context, addr string, cfg *tls.Config, m *Manifest, noSeed bool, extras []ExtraMessage, log *slog.Logger) error {
	// A stalled server must not hang a test run for ever; 10 minutes is
	// far more than a gigabyte over loopback takes.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(m.Users))
	for i := range m.Users {
		u := &m.Users[i]
		var mine []ExtraMessage
		for _, x := range extras {
			if x.User == u.Name {
				mine = append(mine, x)
			}
		}
		wg.Go(func() {
			if err := seedUser(ctx, addr, cfg, u, noSeed, mine, log); err != nil {
				errs[i] = fmt.Errorf("user %s: %w", u.Name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func seedUser(ctx context.Context, addr string, cfg *tls.Config, u *ManifestUser, noSeed bool, extras []ExtraMessage, log *slog.Logger) error {
	c, err := DialIMAPS(ctx, addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(u.Name, u.Password).Wait(); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	n := 0
	if !noSeed {
		for _, f := range u.Folders {
			if err := ensureFolder(c, f.Name, !f.Unsubscribed); err != nil {
				return err
			}
			for i := range f.Messages {
				if err := appendMessage(c, f.Name, &f.Messages[i]); err != nil {
					return err
				}
				n++
			}
		}
	}
	for _, x := range extras {
		if _, ok := u.Folder(x.Folder); !ok || noSeed {
			if err := ensureFolder(c, x.Folder, true); err != nil {
				return err
			}
		}
		if err := appendMessage(c, x.Folder, &x.Message); err != nil {
			return err
		}
		n++
	}
	if err := c.Logout().Wait(); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	log.Debug("seeded account", "user", u.Name, "messages", n)
	return nil
}

// ensureFolder creates and optionally subscribes a folder; INBOX and
// folders that already exist are left as they are.
func ensureFolder(c *imapclient.Client, name string, subscribe bool) error {
	if name != "INBOX" {
		err := c.Create(name, nil).Wait()
		var ierr *imap.Error
		if err != nil && !(errors.As(err, &ierr) && ierr.Code == imap.ResponseCodeAlreadyExists) {
			return fmt.Errorf("create folder %q: %w", name, err)
		}
	}
	if subscribe {
		if err := c.Subscribe(name).Wait(); err != nil {
			return fmt.Errorf("subscribe folder %q: %w", name, err)
		}
	}
	return nil
}

// openForAppend opens msg for an APPEND: its content and size, and its
// flags and internal date as the APPEND's options.
func openForAppend(msg *ManifestMessage) (io.ReadCloser, int64, *imap.AppendOptions, error) {
	size, err := msg.Size()
	if err != nil {
		return nil, 0, nil, err
	}
	r, err := msg.Open()
	if err != nil {
		return nil, 0, nil, err
	}
	flags := make([]imap.Flag, len(msg.Flags))
	for i, f := range msg.Flags {
		flags[i] = imap.Flag(f)
	}
	return r, size, &imap.AppendOptions{Flags: flags, Time: msg.Date}, nil
}

// appendMessage APPENDs msg with its flags and internal date, streaming it.
func appendMessage(c *imapclient.Client, folder string, msg *ManifestMessage) error {
	r, size, opts, err := openForAppend(msg)
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := c.Append(folder, size, opts)
	if _, err := io.Copy(cmd, r); err != nil {
		_ = cmd.Close()
		return fmt.Errorf("append %s to %q: %w", msg.Name(), folder, err)
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("append %s to %q: %w", msg.Name(), folder, err)
	}
	if _, err := cmd.Wait(); err != nil {
		return fmt.Errorf("append %s to %q: %w", msg.Name(), folder, err)
	}
	return nil
}
