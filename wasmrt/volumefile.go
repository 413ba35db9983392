package wasmrt

import (
	"os"
	"syscall"

	"github.com/tetratelabs/wazero/experimental/sys"
	wzsys "github.com/tetratelabs/wazero/sys"
)

// fileOffset is int64. Naming it keeps go vet from reading the Seek methods
// of sys.File, which return a sys.Errno, as a mistaken io.Seeker.
type fileOffset = int64

// volumeFile is a file or directory opened in a volume.
type volumeFile struct {
	sys.UnimplementedFile
	root *os.Root
	name string // inside root, for Utimens
	flag sys.Oflag
	file *os.File
	st   *wzsys.Stat_t // cached by Stat
}

var _ sys.File = (*volumeFile)(nil)

func (f *volumeFile) cached() (wzsys.Stat_t, sys.Errno) {
	if f.st != nil {
		return *f.st, 0
	}
	return f.Stat()
}

// Dev implements sys.File.
func (f *volumeFile) Dev() (uint64, sys.Errno) {
	st, errno := f.cached()
	return st.Dev, errno
}

// Ino implements sys.File.
func (f *volumeFile) Ino() (wzsys.Inode, sys.Errno) {
	st, errno := f.cached()
	return st.Ino, errno
}

// IsDir implements sys.File.
func (f *volumeFile) IsDir() (bool, sys.Errno) {
	st, errno := f.cached()
	return st.Mode.IsDir(), errno
}

// IsAppend implements sys.File.
func (f *volumeFile) IsAppend() bool { return f.flag&sys.O_APPEND != 0 }

// SetAppend implements sys.File, with fcntl(F_SETFL).
func (f *volumeFile) SetAppend(enable bool) sys.Errno {
	rc, err := f.file.SyscallConn()
	if err != nil {
		return sys.UnwrapOSError(err)
	}
	var errno syscall.Errno
	cerr := rc.Control(func(fd uintptr) {
		fl, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		if e != 0 {
			errno = e
			return
		}
		if enable {
			fl |= syscall.O_APPEND
		} else {
			fl &^= syscall.O_APPEND
		}
		_, _, errno = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETFL, fl)
	})
	if cerr != nil {
		return sys.UnwrapOSError(cerr)
	}
	if errno != 0 {
		return sys.UnwrapOSError(errno)
	}
	if enable {
		f.flag |= sys.O_APPEND
	} else {
		f.flag &^= sys.O_APPEND
	}
	return 0
}

// Stat implements sys.File.
func (f *volumeFile) Stat() (wzsys.Stat_t, sys.Errno) {
	info, err := f.file.Stat()
	if err != nil {
		return wzsys.Stat_t{}, sys.UnwrapOSError(err)
	}
	st := wzsys.NewStat_t(info)
	f.st = &st
	return st, 0
}

// Read implements sys.File.
func (f *volumeFile) Read(buf []byte) (int, sys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	n, err := f.file.Read(buf)
	return n, fileErrno(err)
}

// Pread implements sys.File.
func (f *volumeFile) Pread(buf []byte, off int64) (int, sys.Errno) {
	n, err := f.file.ReadAt(buf, off)
	return n, fileErrno(err)
}

// Seek implements sys.File. Seeking a directory to 0 rewinds Readdir.
func (f *volumeFile) Seek(offset fileOffset, whence int) (int64, sys.Errno) {
	n, err := f.file.Seek(offset, whence)
	return n, fileErrno(err)
}

// Readdir implements sys.File.
func (f *volumeFile) Readdir(n int) ([]sys.Dirent, sys.Errno) {
	infos, err := f.file.Readdir(n)
	if errno := fileErrno(err); errno != 0 {
		return nil, errno
	}
	dirents := make([]sys.Dirent, 0, len(infos))
	for _, info := range infos {
		st := wzsys.NewStat_t(info)
		dirents = append(dirents, sys.Dirent{Name: info.Name(), Ino: st.Ino, Type: info.Mode().Type()})
	}
	return dirents, 0
}

// Write implements sys.File.
func (f *volumeFile) Write(buf []byte) (int, sys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	n, err := f.file.Write(buf)
	return n, fileErrno(err)
}

// Pwrite implements sys.File.
func (f *volumeFile) Pwrite(buf []byte, off int64) (int, sys.Errno) {
	n, err := f.file.WriteAt(buf, off)
	return n, fileErrno(err)
}

// Truncate implements sys.File.
func (f *volumeFile) Truncate(size int64) sys.Errno {
	if size < 0 {
		return sys.EINVAL
	}
	return fileErrno(f.file.Truncate(size))
}

// Sync implements sys.File.
func (f *volumeFile) Sync() sys.Errno { return fileErrno(f.file.Sync()) }

// Datasync implements sys.File.
func (f *volumeFile) Datasync() sys.Errno { return fileErrno(f.file.Sync()) }

// Utimens implements sys.File.
func (f *volumeFile) Utimens(atim, mtim int64) sys.Errno {
	return volErrno(f.root.Chtimes(f.name, utime(atim), utime(mtim)))
}

// Close implements sys.File.
func (f *volumeFile) Close() sys.Errno { return fileErrno(f.file.Close()) }

// fileErrno maps an error of an open file; io.EOF is no error.
func fileErrno(err error) sys.Errno { return sys.UnwrapOSError(err) }
