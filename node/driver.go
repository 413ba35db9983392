package node

import (
	"context"
	"io"
	"net/netip"
	"time"

	"github.com/wk-project/wk/control/api"
)

// Driver runs the containers of pods: the wasm driver on wazero, the runc driver as Linux
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
	IP      netip.Addr        // the pod's IP, from the node's pod CIDR
	Dir     string            // the pod's folder on the node
	Volumes map[string]string // volume name -> host folder
}

// Sandbox is a running pod's shared environment.
type Sandbox interface {
	// Addr is where the pod's ports listen, as the node reaches them (probes, port-forward).
	Addr() netip.Addr
	Start(ctx context.Context, c ContainerSpec) (Process, error)
	// Exec runs cmd beside container c, with c's environment and mounts and the given streams.
	Exec(ctx context.Context, c ContainerSpec, cmd []string) (Process, error)
	// Close stops what is left of the pod and frees its network.
	Close() error
}

// Adopter is a Sandbox whose containers outlive the agent (runc's). When the agent stops, the
// sandbox is not closed; the next agent's sandbox of that pod adopts a container still running
// instead of starting it again.
type Adopter interface {
	// Adopt returns container c's running process and when it started, if there is one.
	Adopt(ctx context.Context, c ContainerSpec) (Process, time.Time, bool)
}

// ContainerSpec is one container ready to start.
type ContainerSpec struct {
	Name    string
	ImageID string // from Pull
	// Command and Args as in Kubernetes: Command replaces the image's entrypoint, Args its cmd. A
	// wasm module's argv is Command followed by Args.
	Command     []string
	Args        []string
	WorkingDir  string
	Env         []string // "K=V"
	Ports       []int
	Mounts      []Mount
	MemoryLimit int64 // bytes; 0 is none
	MilliCPU    int64 // the cpu limit; 0 is none
	Stdin       io.Reader
	Stdout      io.Writer
	Stderr      io.Writer
	LogPath     string // the file Stdout and Stderr write to, for a driver that hands it to the container
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
	// Kill stops the process: at once for a wasm module, for a Linux container SIGTERM and, after
	// the pod's termination grace period, SIGKILL. It does not wait.
	Kill()
	// Leave lets go of the process without stopping it, when it can outlive the agent.
	Leave()
}

// ExitStatus is how a container ended.
type ExitStatus struct {
	Code    int
	Reason  string // Completed, Error, OOMKilled, Killed
	Message string
}
