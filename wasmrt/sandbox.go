package wasmrt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
)

// Dialer opens outbound connections for a sandbox. The node proxy fills it
// to reach service names, ClusterIPs and remote pod IPs.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Resolver looks up host names; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// SandboxConfig describes a pod.
type SandboxConfig struct {
	// Name is the pod's name, the guests' HOSTNAME.
	Name string
	// Addr is the pod's node-local loopback address, e.g. 127.77.0.5. All its
	// containerPorts listen here; localhost in /net means it.
	Addr netip.Addr
	// Volumes maps a volume name to the host directory that holds it.
	Volumes map[string]string
	// Dialer opens outbound connections. Nil means a net.Dialer.
	Dialer Dialer
	// DenyEgress refuses outbound connections except to loopback addresses
	// and to Internal. With it set, host names are resolved with Resolver
	// before the check and the Dialer receives an address.
	DenyEgress bool
	// Internal lists the addresses DenyEgress still allows, such as the
	// cluster and service CIDRs.
	Internal []netip.Prefix
	// Resolver answers the guests' /net/dns lookups and resolves names
	// before the DenyEgress check. It reports a name that does not exist as
	// a *net.DNSError with IsNotFound set, or an error with an IsNotFound()
	// bool method that returns true. Nil means net.DefaultResolver.
	Resolver Resolver
}

// ErrSandboxClosed is returned by Start after Close.
var ErrSandboxClosed = errors.New("sandbox closed")

// Sandbox is a pod: its modules share volumes, the pod's address and ports.
type Sandbox struct {
	rt  *Runtime
	cfg SandboxConfig

	mu     sync.Mutex
	procs  map[*Process]struct{}
	closed bool
}

// NewSandbox makes a sandbox. It checks that every volume is a directory.
func (r *Runtime) NewSandbox(cfg SandboxConfig) (*Sandbox, error) {
	for name, dir := range cfg.Volumes {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("sandbox %s: volume %s: %w", cfg.Name, name, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("sandbox %s: volume %s: %s is not a directory", cfg.Name, name, dir)
		}
	}
	if cfg.Dialer == nil {
		cfg.Dialer = &net.Dialer{}
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	return &Sandbox{rt: r, cfg: cfg, procs: map[*Process]struct{}{}}, nil
}

// Close kills every process of the sandbox and waits for them to end.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	s.closed = true
	procs := make([]*Process, 0, len(s.procs))
	for p := range s.procs {
		procs = append(procs, p)
	}
	s.mu.Unlock()
	for _, p := range procs {
		p.Kill()
	}
	for _, p := range procs {
		p.Wait()
	}
	return nil
}

// track records a started process, unless the sandbox is closed.
func (s *Sandbox) track(p *Process) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("start %s in %s: %w", p.name, s.cfg.Name, ErrSandboxClosed)
	}
	s.procs[p] = struct{}{}
	return nil
}

func (s *Sandbox) forget(p *Process) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.procs, p)
}
