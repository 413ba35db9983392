package wasmrt

import (
	"errors"
	"io/fs"
	"strings"

	"github.com/tetratelabs/wazero/experimental/sys"
	wzsys "github.com/tetratelabs/wazero/sys"
)

// netFS is the /net mount: opening tcp/HOST:PORT read-write dials HOST:PORT
// through the sandbox and yields the connected socket; opening dns/NAME
// read-only yields the addresses NAME resolves to.
type netFS struct {
	sys.UnimplementedFS
	sandbox *Sandbox
	p       *Process
}

var _ sys.FS = (*netFS)(nil)

// netDirs are the directories of /net, with their inode numbers.
var netDirs = map[string]netDir{"": {ino: 1, names: []string{"dns", "tcp"}}, "tcp": {ino: 2}, "dns": {ino: 3}}

// OpenFile implements sys.FS.
func (n *netFS) OpenFile(p string, flag sys.Oflag, _ fs.FileMode) (sys.File, sys.Errno) {
	p = strings.Trim(p, "/")
	if p == "." {
		p = ""
	}
	if d, ok := netDirs[p]; ok {
		return &d, 0
	}
	proto, target, _ := strings.Cut(p, "/")
	switch {
	case target == "" || strings.Contains(target, "/"):
		return nil, sys.ENOENT
	case proto == "dns":
		return n.openDNS(target, flag)
	case proto != "tcp":
		return nil, sys.ENOENT
	case flag&sys.O_DIRECTORY != 0:
		return nil, sys.ENOTDIR
	case flag&(sys.O_RDONLY|sys.O_RDWR|sys.O_WRONLY) != sys.O_RDWR:
		return nil, sys.EACCES
	}
	conn, err := n.sandbox.dial(n.p.ctx, target)
	if err != nil {
		return nil, dialErrno(err)
	}
	return newSockConn(conn, n.p.waker, flag&sys.O_NONBLOCK != 0), 0
}

// dialErrno maps a dial error into wazero's errno set, which has no
// ECONNREFUSED: refused and unreachable are EIO.
func dialErrno(err error) sys.Errno {
	switch {
	case errors.Is(err, errEgressDenied):
		return sys.EACCES
	case errors.Is(err, errBadTarget):
		return sys.EINVAL
	}
	return lookupErrno(err)
}

// Stat implements sys.FS.
func (n *netFS) Stat(p string) (wzsys.Stat_t, sys.Errno) { return n.Lstat(p) }

// Lstat implements sys.FS.
func (n *netFS) Lstat(p string) (wzsys.Stat_t, sys.Errno) {
	p = strings.Trim(p, "/")
	if p == "." {
		p = ""
	}
	if d, ok := netDirs[p]; ok {
		return d.Stat()
	}
	return wzsys.Stat_t{}, sys.ENOENT
}

// netDir is a directory of /net.
type netDir struct {
	sys.UnimplementedFile
	ino   wzsys.Inode
	names []string
	read  bool
}

// Stat implements sys.File.
func (d *netDir) Stat() (wzsys.Stat_t, sys.Errno) {
	return wzsys.Stat_t{Ino: d.ino, Mode: fs.ModeDir | 0o555, Nlink: 2}, 0
}

// IsDir implements sys.File.
func (d *netDir) IsDir() (bool, sys.Errno) { return true, 0 }

// Ino implements sys.File.
func (d *netDir) Ino() (wzsys.Inode, sys.Errno) { return d.ino, 0 }

// Seek implements sys.File; seeking to 0 rewinds Readdir.
func (d *netDir) Seek(offset fileOffset, whence int) (int64, sys.Errno) {
	if offset != 0 || whence != 0 {
		return 0, sys.EINVAL
	}
	d.read = false
	return 0, 0
}

// Readdir implements sys.File.
func (d *netDir) Readdir(int) ([]sys.Dirent, sys.Errno) {
	if d.read {
		return nil, 0
	}
	d.read = true
	var out []sys.Dirent
	for _, name := range d.names {
		out = append(out, sys.Dirent{Name: name, Ino: netDirs[name].ino, Type: fs.ModeDir})
	}
	return out, 0
}
