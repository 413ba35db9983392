package wasmrt

import (
	"fmt"
	"io"
	"net"
	"net/netip"

	"github.com/tetratelabs/wazero/api"
)

// listenFDsEnv announces a module's listeners: PORT=FD[,PORT=FD...].
const listenFDsEnv = "WK_LISTEN_FDS"

// listen opens the container's ports on the sandbox's address.
func (s *Sandbox) listen(p *Process, ports []int) ([]*sockListener, error) {
	if len(ports) > 0 && !s.cfg.Addr.IsValid() {
		return nil, fmt.Errorf("listen: sandbox has no address")
	}
	var out []*sockListener
	for _, port := range ports {
		if port <= 0 || port > 65535 {
			return nil, fmt.Errorf("listen: port %d out of range", port)
		}
		ln, err := net.Listen("tcp", netip.AddrPortFrom(s.cfg.Addr, uint16(port)).String())
		if err != nil {
			return nil, fmt.Errorf("listen: %w", err)
		}
		l := newSockListener(ln, p.waker)
		p.hold(closerFunc(func() error { l.Close(); return nil }))
		out = append(out, l)
	}
	return out, nil
}

// place finds the module's descriptor table and puts the listeners in it,
// from firstFD, as WK_LISTEN_FDS announced them.
func (p *Process) place(mod api.Module, listeners []*sockListener, firstFD int) error {
	fds, err := newFDTable(mod)
	if err != nil {
		return err
	}
	p.fds = fds
	for i, l := range listeners {
		fd, errno := fds.insert(l)
		if errno != 0 {
			return fmt.Errorf("place listener: %w", errno)
		}
		if int(fd) != firstFD+i {
			return fmt.Errorf("place listener: got descriptor %d, announced %d", fd, firstFD+i)
		}
	}
	return nil
}

// closerFunc is an io.Closer.
type closerFunc func() error

var _ io.Closer = closerFunc(nil)

func (f closerFunc) Close() error { return f() }
