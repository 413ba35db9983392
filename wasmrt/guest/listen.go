//go:build wasip1

package guest

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
)

// Listen returns the listener wk opened for port, set non-blocking so that
// accepting does not stall the other goroutines.
func Listen(port int) (net.Listener, error) {
	fd, err := listenFD(os.Getenv(ListenFDsEnv), port)
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		return nil, fmt.Errorf("listen on %d: set non-blocking: %w", port, err)
	}
	f := os.NewFile(uintptr(fd), "listener:"+strconv.Itoa(port))
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("listen on %d: %w", port, err)
	}
	return ln, nil
}
