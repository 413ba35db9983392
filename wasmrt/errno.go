package wasmrt

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/tetratelabs/wazero/experimental/sys"
)

// wasiErrno is an errno as wasi_snapshot_preview1 numbers it.
type wasiErrno uint16

const (
	wasiESUCCESS wasiErrno = 0
	wasiEAGAIN   wasiErrno = 6
	wasiEBADF    wasiErrno = 8
	wasiEFAULT   wasiErrno = 21
	wasiEINTR    wasiErrno = 27
	wasiEINVAL   wasiErrno = 28
	wasiEIO      wasiErrno = 29
	wasiENOTSUP  wasiErrno = 58
)

// toWASI numbers the errnos wasmrt's own host functions return.
func toWASI(e sys.Errno) wasiErrno {
	switch e {
	case 0:
		return wasiESUCCESS
	case sys.EAGAIN:
		return wasiEAGAIN
	case sys.EBADF:
		return wasiEBADF
	case sys.EFAULT:
		return wasiEFAULT
	case sys.EINTR:
		return wasiEINTR
	case sys.EINVAL:
		return wasiEINVAL
	case sys.ENOTSUP:
		return wasiENOTSUP
	default:
		return wasiEIO
	}
}

// netErrno maps an error of a net.Conn or net.Listener to what a socket file
// returns. wazero's errno set has no ECONNRESET or EPIPE: those become EIO.
func netErrno(err error) sys.Errno {
	var errno syscall.Errno
	switch {
	case err == nil:
		return 0
	case errors.Is(err, net.ErrClosed):
		return sys.EBADF
	case errors.Is(err, os.ErrDeadlineExceeded):
		return sys.EAGAIN
	case errors.As(err, &errno):
		return sys.UnwrapOSError(errno)
	case errors.Is(err, io.EOF):
		return 0
	default:
		return sys.EIO
	}
}
