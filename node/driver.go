package node

import (
	"context"
	"io"
	"net/netip"

	"github.com/wk-project/wk/control/api"
)

// Driver runs the containers of pods: the wasm driver on wazero, the runc driver (later) as Linux
// containers. The agent owns the life cycle (restarts, probes, status); a driver only starts and
// stops.
type Driver interface {
	// Pull makes the container's image runnable on this node and returns its resolved id (a digest).
	Pull(ctx context.Context, pod *api.Pod, image string) (string, error)
	// NewSandbox makes the pod's shared environment: its address, volumes and network.
	NewSandbox(ctx context.Context, spec SandboxSpec) (Sandbox, error)
}

// SandboxSpec describes a pod's sandbox.
type SandboxSpec struct {
	Pod     *api.Pod
	Addr    netip.Addr        // the pod's node-local address; its ports listen here
	Volumes map[string]string // volume name -> host folder
}

// Sandbox is a running pod's shared environment.
type Sandbox interface {
	Start(ctx context.Context, c ContainerSpec) (Process, error)
	// Exec runs cmd beside container c, with c's environment and mounts and the given streams.
	Exec(ctx context.Context, c ContainerSpec, cmd []string) (Process, error)
	Close() error
}

// ContainerSpec is one container ready to start.
type ContainerSpec struct {
	Name        string
	ImageID     string // from Pull
	Args        []string
	Env         []string // "K=V"
	Ports       []int
	Mounts      []Mount
	MemoryLimit int64
	Stdin       io.Reader
	Stdout      io.Writer
	Stderr      io.Writer
}

// Mount places a pod volume in a container.
type Mount struct {
	Volume   string
	Path     string
	ReadOnly bool
}

// Process is a running container.
type Process interface {
	Wait() ExitStatus
	Done() <-chan struct{}
	Kill()
}

// ExitStatus is how a container ended.
type ExitStatus struct {
	Code    int
	Reason  string // Completed, Error, OOMKilled, Killed
	Message string
}
