package wasmrt

import (
	"io/fs"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/tetratelabs/wazero/experimental/sys"
	wzsys "github.com/tetratelabs/wazero/sys"
)

const (
	// connBuffer bounds the bytes a socket holds in each direction.
	connBuffer = 256 << 10
	// connLinger bounds how long Close keeps sending buffered bytes.
	connLinger = 5 * time.Second
)

// sockConn is a connected stream socket as the guest sees it: a file over a
// net.Conn. Two goroutines move bytes between the connection and buffers,
// so reads and writes never block the guest unless it asked for blocking
// I/O, and poll_oneoff knows exactly when the socket is ready.
//
// Having Recvfrom and Shutdown makes wazero report the file as a stream
// socket (FILETYPE_SOCKET_STREAM) and serve sock_recv, sock_send and
// sock_shutdown on it, so Go's net.FileConn works in the guest.
type sockConn struct {
	sys.UnimplementedFile
	conn net.Conn
	w    *waker

	mu       sync.Mutex
	pump     *sync.Cond // wakes the receive and send goroutines
	in       []byte     // received, not yet read by the guest
	inErr    error      // why receiving stopped, once in drains
	out      []byte     // written by the guest, not yet sent
	outErr   error      // why sending stopped
	rdShut   bool
	wrShut   bool
	wrDone   bool // CloseWrite was called
	nonblock bool
	closed   bool
}

var _ sys.PollableFile = (*sockConn)(nil)

func newSockConn(c net.Conn, w *waker, nonblock bool) *sockConn {
	s := &sockConn{conn: c, w: w, nonblock: nonblock}
	s.pump = sync.NewCond(&s.mu)
	go s.receive()
	go s.send()
	return s
}

// receive reads the connection into in.
func (s *sockConn) receive() {
	buf := make([]byte, 32<<10)
	for {
		s.mu.Lock()
		for len(s.in) >= connBuffer && !s.closed {
			s.pump.Wait()
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return
		}
		n, err := s.conn.Read(buf)
		s.mu.Lock()
		s.in = append(s.in, buf[:n]...)
		if err != nil {
			s.inErr = err
		}
		s.mu.Unlock()
		s.w.wake()
		if err != nil {
			return
		}
	}
}

// send writes out to the connection, half-closes it after Shutdown and
// closes it after Close.
func (s *sockConn) send() {
	var chunk []byte
	for {
		s.mu.Lock()
		for len(s.out) == 0 && !s.closed && (!s.wrShut || s.wrDone) {
			s.pump.Wait()
		}
		switch {
		case len(s.out) > 0:
			chunk = append(chunk[:0], s.out...)
			s.mu.Unlock()
			n, err := s.conn.Write(chunk)
			s.mu.Lock()
			s.out = s.out[n:]
			if err != nil {
				s.outErr, s.out = err, nil
			}
			s.mu.Unlock()
			s.w.wake()
		case s.closed:
			s.mu.Unlock()
			_ = s.conn.Close()
			return
		default: // shut down for writing
			s.wrDone = true
			s.mu.Unlock()
			if cw, ok := s.conn.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
		}
	}
}

// Read implements sys.File.
func (s *sockConn) Read(p []byte) (int, sys.Errno) { return s.recv(p, false) }

// Recvfrom implements the socket file wazero looks for; it only peeks.
func (s *sockConn) Recvfrom(p []byte, flags int) (int, sys.Errno) {
	if flags != syscall.MSG_PEEK {
		return 0, sys.EINVAL
	}
	return s.recv(p, true)
}

func (s *sockConn) recv(p []byte, peek bool) (int, sys.Errno) {
	if len(p) == 0 {
		return 0, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		switch {
		case s.closed:
			return 0, sys.EBADF
		case len(s.in) > 0:
			n := copy(p, s.in)
			if !peek {
				s.in = s.in[n:]
				s.pump.Broadcast()
			}
			return n, 0
		case s.rdShut:
			return 0, 0
		case s.inErr != nil:
			return 0, netErrno(s.inErr)
		case s.nonblock:
			return 0, sys.EAGAIN
		}
		if !s.block() {
			return 0, sys.EINTR
		}
	}
}

// block waits, unlocked, for the socket to change.
func (s *sockConn) block() bool {
	s.mu.Unlock()
	defer s.mu.Lock()
	return s.w.wait(nil)
}

// Write implements sys.File.
func (s *sockConn) Write(p []byte) (int, sys.Errno) {
	s.mu.Lock()
	defer s.mu.Unlock()
	written := 0
	for {
		switch {
		case s.closed:
			return written, sys.EBADF
		case s.outErr != nil || s.wrShut:
			if written > 0 {
				return written, 0
			}
			return 0, sys.EIO
		}
		if room := connBuffer - len(s.out); room > 0 {
			n := min(room, len(p)-written)
			s.out = append(s.out, p[written:written+n]...)
			written += n
			s.pump.Broadcast()
		}
		switch {
		case written == len(p):
			return written, 0
		case s.nonblock && written > 0:
			return written, 0
		case s.nonblock:
			return 0, sys.EAGAIN
		}
		if !s.block() {
			return written, sys.EINTR
		}
	}
}

// Shutdown implements the socket file wazero looks for.
func (s *sockConn) Shutdown(how int) sys.Errno {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return sys.EBADF
	}
	switch how {
	case syscall.SHUT_RD:
		s.rdShut = true
	case syscall.SHUT_WR:
		s.wrShut = true
	case syscall.SHUT_RDWR:
		s.rdShut, s.wrShut = true, true
	default:
		return sys.EINVAL
	}
	s.pump.Broadcast()
	return 0
}

// ready reports whether a read (or write) would not block, and how many
// bytes a read would return.
func (s *sockConn) ready(write bool) (bool, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if write {
		return s.closed || s.outErr != nil || s.wrShut || len(s.out) < connBuffer, 0
	}
	return s.closed || len(s.in) > 0 || s.inErr != nil || s.rdShut, len(s.in)
}

// Poll implements sys.Pollable.
func (s *sockConn) Poll(flag sys.Pflag, timeoutMillis int32) (bool, sys.Errno) {
	return pollFile(s.w, timeoutMillis, func() bool {
		ok, _ := s.ready(flag == sys.POLLOUT)
		return ok
	})
}

// IsNonblock implements sys.PollableFile.
func (s *sockConn) IsNonblock() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nonblock
}

// SetNonblock implements sys.PollableFile.
func (s *sockConn) SetNonblock(enable bool) sys.Errno {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nonblock = enable
	return 0
}

// Stat implements sys.File.
func (s *sockConn) Stat() (wzsys.Stat_t, sys.Errno) {
	return wzsys.Stat_t{Mode: fs.ModeSocket | 0o600, Nlink: 1}, 0
}

// Close implements sys.File. Bytes already written are still sent, for at
// most connLinger.
func (s *sockConn) Close() sys.Errno {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0
	}
	s.closed = true
	if len(s.out) > 0 {
		_ = s.conn.SetWriteDeadline(time.Now().Add(connLinger))
	}
	s.pump.Broadcast()
	return 0
}

// pollFile is Pollable.Poll over a readiness check.
func pollFile(w *waker, timeoutMillis int32, ready func() bool) (bool, sys.Errno) {
	var timer <-chan time.Time
	timeout := time.Duration(timeoutMillis) * time.Millisecond
	deadline := time.Now().Add(timeout)
	if timeoutMillis > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	for {
		if ready() {
			return true, 0
		}
		if timeoutMillis >= 0 && !time.Now().Before(deadline) {
			return false, 0
		}
		if !w.wait(timer) {
			return false, sys.EINTR
		}
	}
}
