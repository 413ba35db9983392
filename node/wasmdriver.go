package node

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/netproxy"
	"github.com/wk-project/wk/wasmrt"
)

// wasmDriver runs containers as wasm modules on wazero.
type wasmDriver struct {
	rt      *wasmrt.Runtime
	images  *imageStore
	net     func(namespace string) netproxy.PodNet // the pods' network: the node proxy's
	toolbox []byte                                 // the module exec runs

	mu     sync.Mutex
	pulled map[string]string // image -> digest, for images not named by digest

	toolboxOnce   sync.Once
	toolboxDigest string
	toolboxErr    error
}

var _ Driver = (*wasmDriver)(nil)

func (d *wasmDriver) Pull(ctx context.Context, pod *api.Pod, image string) (string, error) {
	if digest, ok := d.resolved(pod, image); ok {
		return digest, nil
	}
	digest, wasm, err := d.images.fetch(ctx, image)
	if err != nil {
		return "", err
	}
	if err := d.rt.Load(ctx, digest, wasm); err != nil {
		return "", &imageError{reason: "InvalidImage", err: fmt.Errorf("%s is not a runnable wasm module: %w", image, err)}
	}
	d.mu.Lock()
	d.pulled[image] = digest
	d.mu.Unlock()
	return digest, nil
}

// resolved is the digest of an image this node has compiled already: one pinned by digest, or one
// pulled before unless the pod's imagePullPolicy is Always. Starting a pod of a known module then
// reads and hashes nothing.
func (d *wasmDriver) resolved(pod *api.Pod, image string) (string, bool) {
	digest, _, err := parseImage(image)
	if err != nil || digest == "" {
		if pullAlways(pod, image) {
			return "", false
		}
		d.mu.Lock()
		digest = d.pulled[image]
		d.mu.Unlock()
	}
	return digest, digest != "" && d.rt.Loaded(digest)
}

func pullAlways(pod *api.Pod, image string) bool {
	for _, c := range pod.Spec.Containers {
		if c.Image == image && c.ImagePullPolicy == "Always" {
			return true
		}
	}
	return false
}

func (d *wasmDriver) NewSandbox(ctx context.Context, spec SandboxSpec) (Sandbox, error) {
	pn := d.net(spec.Pod.Namespace)
	addr := localAddr(spec.IP)
	sb, err := d.rt.NewSandbox(wasmrt.SandboxConfig{
		Name: spec.Pod.Name, Addr: addr, Volumes: spec.Volumes,
		Dialer: pn, Resolver: pn,
	})
	if err != nil {
		return nil, err
	}
	return &wasmSandbox{sb: sb, d: d, addr: addr}, nil
}

// loadToolbox compiles the exec toolbox once.
func (d *wasmDriver) loadToolbox(ctx context.Context) (string, error) {
	d.toolboxOnce.Do(func() {
		if len(d.toolbox) == 0 {
			d.toolboxErr = errors.New("this wk was built without its exec toolbox (build it with make)")
			return
		}
		d.toolboxDigest = wasmrt.Digest(d.toolbox)
		d.toolboxErr = d.rt.Load(ctx, d.toolboxDigest, d.toolbox)
	})
	return d.toolboxDigest, d.toolboxErr
}

type wasmSandbox struct {
	sb   *wasmrt.Sandbox
	d    *wasmDriver
	addr netip.Addr
}

func (s *wasmSandbox) Addr() netip.Addr { return s.addr }

// Exec runs the toolbox in the sandbox: argv is "toolbox CMD ARGS...", so the toolbox's applet is CMD.
func (s *wasmSandbox) Exec(ctx context.Context, c ContainerSpec, cmd []string) (Process, error) {
	digest, err := s.d.loadToolbox(ctx)
	if err != nil {
		return nil, err
	}
	c.Name, c.ImageID, c.Command, c.Args, c.Ports = "toolbox", digest, nil, cmd, nil
	return s.Start(ctx, c)
}

func (s *wasmSandbox) Start(ctx context.Context, c ContainerSpec) (Process, error) {
	mounts := make([]wasmrt.Mount, len(c.Mounts))
	for i, m := range c.Mounts {
		mounts[i] = wasmrt.Mount{Volume: m.Volume, Path: m.Path, ReadOnly: m.ReadOnly}
	}
	p, err := s.sb.Start(ctx, wasmrt.ContainerConfig{
		Name: c.Name, Digest: c.ImageID, Args: append(append([]string{}, c.Command...), c.Args...), Env: c.Env, Ports: c.Ports, Mounts: mounts,
		MemoryLimit: c.MemoryLimit, Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr,
	})
	if err != nil {
		return nil, err
	}
	return wasmProcess{p}, nil
}

func (s *wasmSandbox) Close() error { return s.sb.Close() }

type wasmProcess struct{ p *wasmrt.Process }

func (p wasmProcess) Wait() ExitStatus {
	st := p.p.Wait()
	return ExitStatus{Code: st.Code, Reason: st.Reason, Message: st.Message}
}
func (p wasmProcess) Done() <-chan struct{} { return p.p.Done() }
func (p wasmProcess) Kill()                 { p.p.Kill() }
func (p wasmProcess) Leave()                { p.p.Kill() } // a module cannot outlive the agent
