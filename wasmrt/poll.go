package wasmrt

import (
	"context"
	"encoding/binary"
	"math"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// Layout of wasi_snapshot_preview1's subscription and event records.
const (
	subscriptionLen = 48
	eventLen        = 32

	eventClock   = 0
	eventFdRead  = 1
	eventFdWrite = 2

	clockAbstime = 1
)

var le = binary.LittleEndian

// subscription is one entry of a poll_oneoff call.
type subscription struct {
	userdata []byte
	kind     byte
	fd       int32         // fd events
	timeout  time.Duration // clock events
	sock     interface{ ready(write bool) (bool, int) }
	event    *event // set once ready
}

// event is the answer to one subscription.
type event struct {
	errno  wasiErrno
	nbytes uint64
}

// poll is poll_oneoff. Unlike wazero's, which reports every non-blocking
// descriptor ready at once (so an idle Go server spins a core), it sleeps
// until a socket wasmrt owns is ready, a timer fires or the process is
// killed. Descriptors that are not sockets (files, stdout) are ready at once,
// as poll(2) says of regular files; a subscription on stdin is left to
// wazero's implementation.
func (p *Process) poll(ctx context.Context, mod api.Module, stock api.GoModuleFunction, stack []uint64) wasiErrno {
	in, out, n, resultN := uint32(stack[0]), uint32(stack[1]), uint32(stack[2]), uint32(stack[3])
	if n == 0 {
		return wasiEINVAL
	}
	mem := mod.Memory()
	inBuf, ok := mem.Read(in, n*subscriptionLen)
	if !ok {
		return wasiEFAULT
	}
	outBuf, ok := mem.Read(out, n*eventLen)
	if !ok {
		return wasiEFAULT
	}
	subs, timeout, errno := p.parseSubscriptions(inBuf)
	if errno != 0 {
		return errno
	}
	if subs == nil { // stdin: wazero's poll can wait on it
		stock.Call(ctx, mod, stack)
		return wasiErrno(stack[0])
	}
	p.waitReady(subs, timeout)
	if !mem.WriteUint32Le(resultN, uint32(writeEvents(outBuf, subs))) {
		return wasiEFAULT
	}
	return 0
}

// parseSubscriptions decodes the subscriptions and the earliest timeout
// (negative: none). It returns nil subscriptions to leave the call to
// wazero.
func (p *Process) parseSubscriptions(buf []byte) ([]subscription, time.Duration, wasiErrno) {
	subs := make([]subscription, len(buf)/subscriptionLen)
	timeout := time.Duration(-1)
	for i := range subs {
		rec := buf[i*subscriptionLen : (i+1)*subscriptionLen]
		s := &subs[i]
		s.userdata, s.kind = rec[0:8], rec[8]
		switch s.kind {
		case eventClock:
			if le.Uint16(rec[40:42])&clockAbstime != 0 {
				return nil, 0, wasiENOTSUP
			}
			s.timeout = time.Duration(min(le.Uint64(rec[24:32]), math.MaxInt64))
			if timeout < 0 || s.timeout < timeout {
				timeout = s.timeout
			}
		case eventFdRead, eventFdWrite:
			s.fd = int32(le.Uint32(rec[16:20]))
			if s.fd == 0 && s.kind == eventFdRead {
				if _, mine := p.socket(0); !mine {
					return nil, 0, 0
				}
			}
			p.classify(s)
		default:
			return nil, 0, wasiEINVAL
		}
	}
	return subs, timeout, 0
}

// classify finds the socket behind an fd subscription, or answers it now.
func (p *Process) classify(s *subscription) {
	f, _ := p.fds.file(s.fd)
	switch sock := f.(type) {
	case nil:
		s.event = &event{errno: wasiEBADF}
	case *sockConn:
		s.sock = sock
	case *sockListener:
		s.sock = listenerReadiness{sock}
	default:
		s.event = &event{}
	}
}

// listenerReadiness adapts a listener to the readiness check of sockets.
type listenerReadiness struct{ l *sockListener }

func (r listenerReadiness) ready(write bool) (bool, int) { return !write && r.l.ready(), 0 }

// socket returns the socket open at fd, if wasmrt owns it.
func (p *Process) socket(fd int32) (any, bool) {
	f, _ := p.fds.file(fd)
	switch f.(type) {
	case *sockConn, *sockListener:
		return f, true
	}
	return nil, false
}

// waitReady sleeps until a subscription is ready or timeout (negative:
// none) passes. A killed process ends here.
func (p *Process) waitReady(subs []subscription, timeout time.Duration) {
	var timer <-chan time.Time
	deadline := time.Now().Add(timeout)
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	for {
		if checkReady(subs) > 0 {
			return
		}
		if timeout >= 0 && !time.Now().Before(deadline) {
			fireClocks(subs, timeout)
			return
		}
		if !p.waker.wait(timer) {
			panic(sys.NewExitError(exitKilled))
		}
	}
}

// checkReady marks the ready fd subscriptions and counts them.
func checkReady(subs []subscription) int {
	n := 0
	for i := range subs {
		s := &subs[i]
		if s.sock != nil {
			if ok, nbytes := s.sock.ready(s.kind == eventFdWrite); ok {
				s.event = &event{nbytes: uint64(nbytes)}
			}
		}
		if s.event != nil {
			n++
		}
	}
	return n
}

// fireClocks marks the clock subscriptions due after timeout as fired.
func fireClocks(subs []subscription, timeout time.Duration) {
	for i := range subs {
		if subs[i].kind == eventClock && subs[i].timeout <= timeout {
			subs[i].event = &event{}
		}
	}
}

// writeEvents writes the events of ready subscriptions and counts them.
func writeEvents(out []byte, subs []subscription) int {
	n := 0
	for _, s := range subs {
		if s.event == nil {
			continue
		}
		rec := out[n*eventLen : (n+1)*eventLen]
		clear(rec)
		copy(rec, s.userdata)
		le.PutUint16(rec[8:], uint16(s.event.errno))
		rec[10] = s.kind
		if s.kind != eventClock {
			le.PutUint64(rec[16:], s.event.nbytes)
		}
		n++
	}
	return n
}
