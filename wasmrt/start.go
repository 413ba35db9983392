package wasmrt

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
)

// firstPreopen is the first descriptor after stdio: the volumes, then /net,
// then the listeners.
const firstPreopen = 3

// Start instantiates a loaded module in the sandbox and runs it. ctx carries
// values only: the process lives until it exits or is killed.
func (s *Sandbox) Start(ctx context.Context, c ContainerConfig) (*Process, error) {
	compiled, err := s.rt.module(c.Digest)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", c.Name, err)
	}
	p := &Process{name: c.Name, done: make(chan struct{})}
	p.ctx, p.cancel = context.WithCancel(context.WithoutCancel(ctx))
	p.ctx = withProcess(p.ctx, p)
	p.waker = newWaker(p.ctx.Done())
	p.mem = &memoryLimit{limit: uint64(max(c.MemoryLimit, 0)), onOOM: func() { p.end(ReasonOOMKilled) }}
	if err := s.start(p, compiled, c); err != nil {
		p.release()
		return nil, fmt.Errorf("start %s in %s: %w", c.Name, s.cfg.Name, err)
	}
	return p, nil
}

// start prepares the process's files, sockets and environment, instantiates
// the module and runs it.
func (s *Sandbox) start(p *Process, compiled wazero.CompiledModule, c ContainerConfig) error {
	fsConfig, err := s.mount(p, c.Mounts)
	if err != nil {
		return err
	}
	listeners, err := s.listen(p, c.Ports)
	if err != nil {
		return err
	}
	firstListener := firstPreopen + len(c.Mounts) + 1
	env, err := s.environ(c, firstListener)
	if err != nil {
		return err
	}
	if err := s.track(p); err != nil {
		return err
	}
	ctx := experimental.WithMemoryAllocator(p.ctx, p.mem)
	mod, err := s.rt.wz.InstantiateModule(ctx, compiled, moduleConfig(p, c, env).WithFSConfig(fsConfig))
	if err != nil {
		s.forget(p)
		if p.mem.exceeded() { // its minimum memory is over the limit
			p.release()
			p.exited(ExitStatus{Code: exitKilled, Reason: ReasonOOMKilled})
			return nil
		}
		return fmt.Errorf("instantiate: %w", err)
	}
	entry := mod.ExportedFunction("_start")
	if entry == nil {
		err = fmt.Errorf("module exports no _start")
	} else {
		err = p.place(mod, listeners, firstListener)
	}
	if err != nil {
		_ = mod.Close(p.ctx)
		s.forget(p)
		return err
	}
	go p.run(s, mod, entry)
	return nil
}
