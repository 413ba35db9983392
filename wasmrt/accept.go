package wasmrt

import (
	"context"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental/sys"
	wzsys "github.com/tetratelabs/wazero/sys"
)

// fdflagNonblock is wasi_snapshot_preview1's FDFLAGS_NONBLOCK.
const fdflagNonblock = 4

// accept is sock_accept: it takes a connection from a listener wasmrt owns
// and places it in the module's descriptor table. Other descriptors go to
// wazero's sock_accept.
func (p *Process) accept(ctx context.Context, mod api.Module, stock api.GoModuleFunction, stack []uint64) wasiErrno {
	fd, flags, resultFD := int32(stack[0]), uint32(stack[1]), uint32(stack[2])
	f, _ := p.fds.file(fd)
	l, ok := f.(*sockListener)
	if !ok {
		stock.Call(ctx, mod, stack)
		return wasiErrno(stack[0])
	}
	conn, errno := l.accept()
	if errno == sys.EINTR && p.waker.killed() {
		panic(wzsys.NewExitError(exitKilled))
	}
	if errno != 0 {
		return toWASI(errno)
	}
	sc := newSockConn(conn, p.waker, flags&fdflagNonblock != 0)
	newFD, errno := p.fds.insert(sc)
	if errno != 0 {
		sc.Close()
		return toWASI(errno)
	}
	if !mod.Memory().WriteUint32Le(resultFD, uint32(newFD)) {
		return wasiEFAULT
	}
	return 0
}
