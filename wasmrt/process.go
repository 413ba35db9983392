package wasmrt

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// Mount places a sandbox volume in a module's file system.
type Mount struct {
	Volume   string
	Path     string // absolute guest path
	ReadOnly bool
}

// ContainerConfig describes one module to run in a sandbox.
type ContainerConfig struct {
	Name   string
	Digest string   // a digest passed to Runtime.Load
	Args   []string // argv after argv[0], which is Name
	Env    []string // "K=V"
	// Ports are the container's TCP containerPorts. Each listens on the
	// sandbox's Addr before the module starts and is announced in
	// WK_LISTEN_FDS=PORT=FD,... in this order.
	Ports  []int
	Mounts []Mount
	// MemoryLimit caps the module's linear memory in bytes; 0 means none.
	// Growing past it ends the module with reason OOMKilled.
	MemoryLimit int64
	Stdin       io.Reader
	Stdout      io.Writer
	Stderr      io.Writer
}

// Reasons a process ended, as Kubernetes names them.
const (
	ReasonCompleted = "Completed"
	ReasonError     = "Error"
	ReasonOOMKilled = "OOMKilled"
	ReasonKilled    = "Killed"
)

// exitKilled is the exit code of a killed process, as for SIGKILL.
const exitKilled = 137

// ExitStatus is how a process ended.
type ExitStatus struct {
	Code    int
	Reason  string // ReasonCompleted, ReasonError, ReasonOOMKilled or ReasonKilled
	Message string // the trap or failure, when the module did not exit by itself
}

// Process is one running module.
type Process struct {
	name   string
	ctx    context.Context
	cancel context.CancelFunc
	waker  *waker
	mem    *memoryLimit
	fds    *fdTable

	mu      sync.Mutex
	reason  string // why wasmrt ended the process, if it did
	closers []io.Closer

	done   chan struct{}
	status ExitStatus
}

// Wait blocks until the process ends and returns how it ended.
func (p *Process) Wait() ExitStatus {
	<-p.done
	return p.status
}

// Done is closed when the process has ended.
func (p *Process) Done() <-chan struct{} { return p.done }

// Kill ends the process promptly, whether it computes, sleeps or waits on a
// socket.
func (p *Process) Kill() { p.end(ReasonKilled) }

// end stops the process for reason, unless it was already stopped.
func (p *Process) end(reason string) {
	p.mu.Lock()
	if p.reason == "" {
		p.reason = reason
	}
	p.mu.Unlock()
	p.cancel()
}

// run calls the module's _start and records how it ended.
func (p *Process) run(s *Sandbox, mod api.Module, start api.Function) {
	defer close(p.done)
	defer s.forget(p)
	_, err := start.Call(p.ctx)
	p.status = p.exitStatus(err)
	s.rt.log.Debug("process ended", "sandbox", s.cfg.Name, "container", p.name,
		"code", p.status.Code, "reason", p.status.Reason, "message", p.status.Message)
	_ = mod.Close(context.WithoutCancel(p.ctx))
	p.fds.closeAll()
	p.release()
}

// release closes what the process held outside its module.
func (p *Process) release() {
	p.cancel()
	p.mu.Lock()
	closers := p.closers
	p.closers = nil
	p.mu.Unlock()
	for _, c := range closers {
		_ = c.Close()
	}
}

// hold makes release close c.
func (p *Process) hold(c io.Closer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closers = append(p.closers, c)
}

// exitStatus turns the result of _start into an ExitStatus.
func (p *Process) exitStatus(err error) ExitStatus {
	p.mu.Lock()
	reason := p.reason
	p.mu.Unlock()
	if p.mem.exceeded() {
		reason = ReasonOOMKilled
	}
	if reason != "" {
		return ExitStatus{Code: exitKilled, Reason: reason}
	}
	var exit *sys.ExitError
	switch {
	case err == nil:
		return ExitStatus{Reason: ReasonCompleted}
	case errors.As(err, &exit) && exit.ExitCode() == 0:
		return ExitStatus{Reason: ReasonCompleted}
	case errors.As(err, &exit):
		return ExitStatus{Code: int(exit.ExitCode()), Reason: ReasonError}
	default:
		return ExitStatus{Code: 1, Reason: ReasonError, Message: err.Error()}
	}
}

// exited is a process that ended before it started, e.g. because its
// minimum memory is over its limit.
func (p *Process) exited(status ExitStatus) {
	p.status = status
	close(p.done)
}
