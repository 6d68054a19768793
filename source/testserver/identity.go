package testserver

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
)

// serverIdentity is who a server's processes run as.
type serverIdentity struct {
	root bool
	// internalUser and loginUser are Dovecot's default_internal_user and
	// default_login_user.
	internalUser, loginUser string
	// internalGroup is default_internal_group; "" keeps Dovecot's default.
	internalGroup            string
	internalUID, internalGID int
	// mailUID and mailGID own the mailboxes; never 0 (Dovecot refuses it).
	mailUID, mailGID int
}

// lookupIdentity picks the users Dovecot runs as. As root: the mail user
// is "nobody" and the internal and login users are Debian's "dovecot" and
// "dovenull" (or "nobody" when absent). Otherwise everything runs as the
// current user, which Dovecot supports as a rootless installation.
func lookupIdentity() (*serverIdentity, error) {
	if os.Geteuid() != 0 {
		cur, err := user.Current()
		if err != nil {
			return nil, fmt.Errorf("look up the current user: %w", err)
		}
		uid, gid := os.Getuid(), os.Getgid()
		grp, err := user.LookupGroupId(strconv.Itoa(gid))
		if err != nil {
			return nil, fmt.Errorf("look up the current group: %w", err)
		}
		return &serverIdentity{
			internalUser: cur.Username, loginUser: cur.Username, internalGroup: grp.Name,
			internalUID: uid, internalGID: gid,
			mailUID: uid, mailGID: gid,
		}, nil
	}
	id := &serverIdentity{root: true}
	nobody, err := lookupIDs("nobody")
	if err != nil {
		return nil, fmt.Errorf("running as root needs an unprivileged mail user: %w", err)
	}
	id.mailUID, id.mailGID = nobody[0], nobody[1]
	id.internalUser, id.loginUser = "nobody", "nobody"
	id.internalUID, id.internalGID = nobody[0], nobody[1]
	if ids, err := lookupIDs("dovecot"); err == nil {
		id.internalUser = "dovecot"
		id.internalUID, id.internalGID = ids[0], ids[1]
	} else if g, err := user.LookupGroupId(strconv.Itoa(nobody[1])); err == nil {
		// Without Debian's dovecot user there is no dovecot group either,
		// which is Dovecot's default_internal_group.
		id.internalGroup = g.Name
	}
	if _, err := lookupIDs("dovenull"); err == nil {
		id.loginUser = "dovenull"
	}
	if id.mailUID == 0 {
		return nil, fmt.Errorf("user nobody has uid 0, which Dovecot refuses for mail")
	}
	return id, nil
}

func lookupIDs(name string) ([2]int, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return [2]int{}, fmt.Errorf("look up user %s: %w", name, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return [2]int{}, fmt.Errorf("user %s has uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return [2]int{}, fmt.Errorf("user %s has gid %q: %w", name, u.Gid, err)
	}
	return [2]int{uid, gid}, nil
}

// chown changes the owner of name when running as root, and does nothing
// otherwise (the files already belong to the current user).
func (id *serverIdentity) chown(name string, uid, gid int) error {
	if !id.root {
		return nil
	}
	if err := os.Lchown(name, uid, gid); err != nil {
		return fmt.Errorf("chown %s: %w", name, err)
	}
	return nil
}

// chownTree changes the owner of dir and everything under it when
// running as root.
func (id *serverIdentity) chownTree(dir string, uid, gid int) error {
	if !id.root {
		return nil
	}
	return filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return id.chown(p, uid, gid)
	})
}

// checkTraversable fails when, running as root, some directory from dir up
// to / cannot be entered by other users: Dovecot's unprivileged processes
// would then fail with confusing permission errors.
func (id *serverIdentity) checkTraversable(dir string) error {
	if !id.root {
		return nil
	}
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("check %s: %w", d, err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("directory %s cannot be entered by Dovecot's unprivileged users (mode %v); leave Dir empty or use one under a world-searchable directory such as /tmp", d, st.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// safePath matches paths that need no quoting or escaping in a Dovecot or
// Radicale configuration file (no spaces, quotes, '%' or '$').
var safePath = regexp.MustCompile(`^[A-Za-z0-9/._+@,=-]+$`)

// shortTempRoot returns a directory for temporary server directories whose
// paths stay short: Unix socket paths are limited to about 100 bytes.
func shortTempRoot() string {
	if d := os.TempDir(); len(d) <= 24 && safePath.MatchString(d) {
		return d
	}
	return "/tmp"
}
