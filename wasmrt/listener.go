package wasmrt

import (
	"errors"
	"io/fs"
	"net"
	"sync"
	"time"

	"github.com/tetratelabs/wazero/experimental/sys"
	wzsys "github.com/tetratelabs/wazero/sys"
)

// acceptBacklog is how many connections a listener accepts ahead of the
// guest; beyond it they wait in the kernel's backlog.
const acceptBacklog = 64

// sockListener is a listening socket as the guest sees it: a file over a
// net.Listener that wasmrt opened. A goroutine accepts ahead of the guest,
// so poll_oneoff knows when accept will succeed; wasmrt's sock_accept takes
// from the queue.
type sockListener struct {
	sys.UnimplementedFile
	ln net.Listener
	w  *waker

	mu       sync.Mutex
	room     *sync.Cond // wakes the accepting goroutine
	queue    []net.Conn
	err      error
	nonblock bool
	closed   bool
}

var _ sys.PollableFile = (*sockListener)(nil)

func newSockListener(ln net.Listener, w *waker) *sockListener {
	l := &sockListener{ln: ln, w: w}
	l.room = sync.NewCond(&l.mu)
	go l.run()
	return l
}

func (l *sockListener) run() {
	for backoff := time.Millisecond; ; {
		l.mu.Lock()
		for len(l.queue) >= acceptBacklog && !l.closed {
			l.room.Wait()
		}
		closed := l.closed
		l.mu.Unlock()
		if closed {
			return
		}
		c, err := l.ln.Accept()
		if err != nil && !errors.Is(err, net.ErrClosed) {
			time.Sleep(backoff) // e.g. out of descriptors: try again
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = time.Millisecond
		l.mu.Lock()
		if err != nil {
			l.err = err
		} else if l.closed {
			_ = c.Close()
		} else {
			l.queue = append(l.queue, c)
		}
		l.mu.Unlock()
		l.w.wake()
		if err != nil {
			return
		}
	}
}

// accept takes the next connection, waiting for one unless non-blocking.
func (l *sockListener) accept() (net.Conn, sys.Errno) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		switch {
		case l.closed:
			return nil, sys.EBADF
		case len(l.queue) > 0:
			c := l.queue[0]
			l.queue = l.queue[1:]
			l.room.Signal()
			return c, 0
		case l.err != nil:
			return nil, netErrno(l.err)
		case l.nonblock:
			return nil, sys.EAGAIN
		}
		l.mu.Unlock()
		alive := l.w.wait(nil)
		l.mu.Lock()
		if !alive {
			return nil, sys.EINTR
		}
	}
}

// ready reports whether accept would not block.
func (l *sockListener) ready() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed || len(l.queue) > 0 || l.err != nil
}

// Recvfrom makes wazero report the listener as a stream socket.
func (l *sockListener) Recvfrom([]byte, int) (int, sys.Errno) { return 0, sys.ENOTSUP }

// Shutdown makes wazero report the listener as a stream socket.
func (l *sockListener) Shutdown(int) sys.Errno { return sys.ENOTSUP }

// Poll implements sys.Pollable.
func (l *sockListener) Poll(flag sys.Pflag, timeoutMillis int32) (bool, sys.Errno) {
	if flag != sys.POLLIN {
		return false, sys.ENOTSUP
	}
	return pollFile(l.w, timeoutMillis, l.ready)
}

// IsNonblock implements sys.PollableFile.
func (l *sockListener) IsNonblock() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nonblock
}

// SetNonblock implements sys.PollableFile.
func (l *sockListener) SetNonblock(enable bool) sys.Errno {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nonblock = enable
	return 0
}

// Stat implements sys.File.
func (l *sockListener) Stat() (wzsys.Stat_t, sys.Errno) {
	return wzsys.Stat_t{Mode: fs.ModeSocket | 0o600, Nlink: 1}, 0
}

// Close implements sys.File; connections not yet accepted are dropped.
func (l *sockListener) Close() sys.Errno {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0
	}
	l.closed = true
	for _, c := range l.queue {
		_ = c.Close()
	}
	l.queue = nil
	l.room.Broadcast()
	return netErrno(l.ln.Close())
}
