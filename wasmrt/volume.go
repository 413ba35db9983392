package wasmrt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	wzsys "github.com/tetratelabs/wazero/sys"
)

// volume is one mount of a sandbox volume. Every path is resolved inside an
// os.Root, so "..", absolute symbolic links and links the guest makes with
// path_symlink cannot reach outside the volume's directory (wazero's
// WithDirMount follows guest-made links out of the mount).
type volume struct {
	root     *os.Root
	readOnly bool
}

func openVolume(dir string, readOnly bool) (*volume, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open volume: %w", err)
	}
	return &volume{root: root, readOnly: readOnly}, nil
}

// fs is the volume as wazero mounts it; a read-only volume refuses writes
// with EROFS.
func (v *volume) fs() sys.FS {
	var f sys.FS = &rootFS{root: v.root}
	if v.readOnly {
		f = readOnlyFS{&sysfs.ReadFS{FS: f}}
	}
	return f
}

// readOnlyFS is wazero's ReadFS, which answers ENOSYS to opening for
// writing and passes O_CREAT and O_TRUNC through when opening read-only. It
// refuses all three with EROFS, as a read-only mount does.
type readOnlyFS struct{ *sysfs.ReadFS }

// OpenFile implements sys.FS.
func (r readOnlyFS) OpenFile(p string, flag sys.Oflag, perm fs.FileMode) (sys.File, sys.Errno) {
	if flag&(sys.O_WRONLY|sys.O_RDWR|sys.O_CREAT|sys.O_TRUNC) != 0 {
		return nil, sys.EROFS
	}
	return r.ReadFS.OpenFile(p, flag, perm)
}

func (v *volume) Close() error { return v.root.Close() }

// rootFS is sys.FS over an os.Root. wazero hands it cleaned relative paths.
type rootFS struct {
	sys.UnimplementedFS
	root *os.Root
}

var _ sys.FS = (*rootFS)(nil)

// name turns a path from wazero into one os.Root accepts.
func rootName(p string) string {
	if p == "" || p == "/" {
		return "."
	}
	return strings.TrimPrefix(p, "/")
}

// OpenFile implements sys.FS.
func (r *rootFS) OpenFile(p string, flag sys.Oflag, perm fs.FileMode) (sys.File, sys.Errno) {
	name := rootName(p)
	if flag&sys.O_NOFOLLOW != 0 && flag&(sys.O_CREAT|sys.O_EXCL) != sys.O_CREAT|sys.O_EXCL {
		// os.Root follows a final symbolic link (inside the root); refuse it
		// as O_NOFOLLOW asks.
		if st, err := r.root.Lstat(strings.TrimSuffix(name, "/")); err == nil && st.Mode()&fs.ModeSymlink != 0 {
			return nil, sys.ELOOP
		}
	}
	f, err := r.root.OpenFile(name, osFlag(flag), perm)
	if err != nil {
		return nil, volErrno(err)
	}
	return &volumeFile{root: r.root, name: name, flag: flag, file: f}, 0
}

// osFlag maps wazero's open flags to os.OpenFile's.
func osFlag(flag sys.Oflag) int {
	var f int
	switch flag & (sys.O_RDONLY | sys.O_RDWR | sys.O_WRONLY) {
	case sys.O_RDWR:
		f = os.O_RDWR
	case sys.O_WRONLY:
		f = os.O_WRONLY
	}
	for _, m := range []struct {
		wz sys.Oflag
		os int
	}{
		{sys.O_APPEND, os.O_APPEND}, {sys.O_CREAT, os.O_CREATE}, {sys.O_EXCL, os.O_EXCL},
		{sys.O_SYNC, os.O_SYNC}, {sys.O_TRUNC, os.O_TRUNC},
		{sys.O_DIRECTORY, syscall.O_DIRECTORY}, {sys.O_DSYNC, syscall.O_DSYNC},
	} {
		if flag&m.wz != 0 {
			f |= m.os
		}
	}
	return f
}

// Lstat implements sys.FS.
func (r *rootFS) Lstat(p string) (wzsys.Stat_t, sys.Errno) {
	st, err := r.root.Lstat(rootName(p))
	if err != nil {
		return wzsys.Stat_t{}, volErrno(err)
	}
	return wzsys.NewStat_t(st), 0
}

// Stat implements sys.FS.
func (r *rootFS) Stat(p string) (wzsys.Stat_t, sys.Errno) {
	st, err := r.root.Stat(rootName(p))
	if err != nil {
		return wzsys.Stat_t{}, volErrno(err)
	}
	return wzsys.NewStat_t(st), 0
}

// Mkdir implements sys.FS.
func (r *rootFS) Mkdir(p string, perm fs.FileMode) sys.Errno {
	errno := volErrno(r.root.Mkdir(rootName(p), perm))
	if errno == sys.ENOTDIR {
		errno = sys.ENOENT
	}
	return errno
}

// Chmod implements sys.FS.
func (r *rootFS) Chmod(p string, perm fs.FileMode) sys.Errno {
	return volErrno(r.root.Chmod(rootName(p), perm))
}

// Rename implements sys.FS.
func (r *rootFS) Rename(from, to string) sys.Errno {
	return volErrno(r.root.Rename(rootName(from), rootName(to)))
}

// Rmdir implements sys.FS.
func (r *rootFS) Rmdir(p string) sys.Errno {
	name := rootName(p)
	st, err := r.root.Lstat(name)
	if err != nil {
		return volErrno(err)
	}
	if !st.IsDir() {
		return sys.ENOTDIR
	}
	return volErrno(r.root.Remove(name))
}

// Unlink implements sys.FS.
func (r *rootFS) Unlink(p string) sys.Errno {
	name := rootName(p)
	st, err := r.root.Lstat(name)
	if err != nil {
		return volErrno(err)
	}
	if st.IsDir() {
		return sys.EISDIR
	}
	return volErrno(r.root.Remove(name))
}

// Link implements sys.FS.
func (r *rootFS) Link(oldPath, newPath string) sys.Errno {
	return volErrno(r.root.Link(rootName(oldPath), rootName(newPath)))
}

// Symlink implements sys.FS. Absolute targets are refused: following them
// would fail inside the root anyway, and they would mislead the host.
func (r *rootFS) Symlink(oldPath, linkName string) sys.Errno {
	if path.IsAbs(oldPath) {
		return sys.EPERM
	}
	return volErrno(r.root.Symlink(oldPath, rootName(linkName)))
}

// Readlink implements sys.FS.
func (r *rootFS) Readlink(p string) (string, sys.Errno) {
	dst, err := r.root.Readlink(rootName(p))
	if err != nil {
		return "", volErrno(err)
	}
	return dst, 0
}

// Utimens implements sys.FS.
func (r *rootFS) Utimens(p string, atim, mtim int64) sys.Errno {
	return volErrno(r.root.Chtimes(rootName(p), utime(atim), utime(mtim)))
}

// utime turns a wazero timestamp into what Chtimes takes; the zero time
// leaves the time unchanged.
func utime(nanos int64) time.Time {
	if nanos == sys.UTIME_OMIT {
		return time.Time{}
	}
	return time.Unix(0, nanos)
}

// volErrno maps an error of an os.Root operation. An attempt to leave the
// root is EPERM, as wazero answers a path that escapes its mount.
func volErrno(err error) sys.Errno {
	if err == nil {
		return 0
	}
	var errno syscall.Errno
	for _, known := range []error{fs.ErrNotExist, fs.ErrExist, fs.ErrPermission, fs.ErrClosed, fs.ErrInvalid} {
		if errors.Is(err, known) {
			return sys.UnwrapOSError(err)
		}
	}
	if errors.As(err, &errno) {
		return sys.UnwrapOSError(errno)
	}
	return sys.EPERM
}
