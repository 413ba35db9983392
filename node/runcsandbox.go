package node

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/netproxy"
	"github.com/wk-project/wk/node/runc"
)

// runcSandbox is a runc pod: its network namespace, its /etc files, and its containers, each with a
// bundle in DIR/runc/NAME.
type runcSandbox struct {
	d       *runcDriver
	pod     *api.Pod
	dir     string
	ip      netip.Addr
	netns   string
	network *runc.Network
	volumes map[string]string
}

var _ Adopter = (*runcSandbox)(nil)

func (s *runcSandbox) Addr() netip.Addr { return s.ip }

// etcFiles are the files of a pod that every container of it sees at the same path.
var etcFiles = []string{"hostname", "hosts", "resolv.conf"}

// writeEtc writes the pod's /etc/hostname, /etc/hosts and /etc/resolv.conf, whose nameserver is
// the cluster DNS server and whose search list makes "svc" and "svc.ns" full names, as the
// kubelet's do.
func (s *runcSandbox) writeEtc(gateway netip.Addr) error {
	dir := filepath.Join(s.dir, "etc")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ns, domain := s.pod.Namespace, netproxy.ClusterDomain
	files := map[string]string{
		"hostname": s.pod.Name + "\n",
		"hosts": "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
			s.ip.String() + "\t" + s.pod.Name + "\n",
		"resolv.conf": "nameserver " + gateway.String() + "\n" +
			"search " + ns + ".svc." + domain + " svc." + domain + " " + domain + "\n" +
			"options ndots:5\n",
	}
	for _, name := range etcFiles {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(files[name]), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// containerID is runc's id of a container of the pod: unique on the node, stable across agent
// restarts.
func (s *runcSandbox) containerID(name string) string { return "wk-" + s.pod.UID + "-" + name }

func (s *runcSandbox) bundle(name string) string { return filepath.Join(s.dir, "runc", name) }

// grace is how long a stopping container has between SIGTERM and SIGKILL: the pod's
// terminationGracePeriodSeconds, less the drain that comes before the stop of a deleted pod.
func (s *runcSandbox) grace() time.Duration {
	g := 30 * time.Second
	if p := s.pod.Spec.TerminationGracePeriodSeconds; p != nil {
		g = time.Duration(*p) * time.Second
	}
	return max(g-drainPeriod(s.pod), 0)
}

func (s *runcSandbox) Start(ctx context.Context, c ContainerSpec) (proc Process, err error) {
	s.d.mu.Lock()
	img, ok := s.d.images[c.ImageID]
	s.d.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("image %s is not pulled", c.ImageID)
	}
	id := s.containerID(c.Name)
	s.remove(ctx, c.Name) // what is left of an earlier instance
	defer func() {
		if err != nil {
			s.remove(context.WithoutCancel(ctx), c.Name)
		}
	}()
	bundle := s.bundle(c.Name)
	rootfs, err := runc.MountOverlay(img.rootfs, bundle)
	if err != nil {
		return nil, err
	}
	spec, err := runc.Spec(runc.SpecInput{
		Rootfs: rootfs, Image: img.config,
		Command: c.Command, Args: c.Args, Env: c.Env, WorkingDir: c.WorkingDir,
		Hostname: s.pod.Name, Mounts: s.mounts(c.Mounts), NetNS: s.netns,
		MemoryBytes: c.MemoryLimit, MilliCPU: c.MilliCPU,
	})
	if err != nil {
		return nil, err
	}
	spec.Linux.CgroupsPath = runcCgroupParent + "/" + id
	if err := runc.WriteBundle(bundle, spec); err != nil {
		return nil, err
	}
	logs, err := os.OpenFile(c.LogPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	defer logs.Close()
	if err := s.d.rt.Create(ctx, id, bundle, logs, logs); err != nil {
		return nil, err
	}
	if err := s.d.rt.Start(ctx, id); err != nil {
		return nil, err
	}
	return s.watch(id), nil
}

// mounts are the container's volumes and the pod's /etc files.
func (s *runcSandbox) mounts(ms []Mount) []runc.Mount {
	var out []runc.Mount
	for _, m := range ms {
		out = append(out, runc.Mount{Source: s.volumes[m.Volume], Destination: m.Path, ReadOnly: m.ReadOnly})
	}
	for _, name := range etcFiles {
		out = append(out, runc.Mount{Source: filepath.Join(s.dir, "etc", name), Destination: "/etc/" + name})
	}
	return out
}

// Adopt finds container c from before the agent restarted: running, it is followed as it is; ended
// while no agent ran, it is an exit whose code is lost, for the pod's restart policy to judge.
func (s *runcSandbox) Adopt(ctx context.Context, c ContainerSpec) (Process, time.Time, bool) {
	id := s.containerID(c.Name)
	st, err := s.d.rt.State(ctx, id)
	if err != nil {
		return nil, time.Time{}, false
	}
	switch st.Status {
	case runc.StatusRunning:
		return s.watch(id), st.Created, true
	case runc.StatusStopped:
		return s.watch(id), st.Created, true // Wait finds it stopped at once
	}
	return nil, time.Time{}, false
}

// remove deletes container name and its rootfs overlay, whatever state they are in.
func (s *runcSandbox) remove(ctx context.Context, name string) {
	id := s.containerID(name)
	if err := s.d.rt.Delete(ctx, id, true); err != nil { // runc delete --force of none is no error
		s.d.log.Warn("container not deleted", "id", id, "err", err)
	}
	if err := runc.RemoveOverlay(s.bundle(name)); err != nil {
		s.d.log.Warn("container rootfs not removed", "id", id, "err", err)
	}
}

// Exec runs cmd in container c with runc exec.
func (s *runcSandbox) Exec(ctx context.Context, c ContainerSpec, cmd []string) (Process, error) {
	id := s.containerID(c.Name)
	if st, err := s.d.rt.State(ctx, id); err != nil || st.Status != runc.StatusRunning {
		return nil, fmt.Errorf("container %s is not running", c.Name)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p := &execProcess{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(p.done)
		code, err := s.d.rt.Exec(ctx, id, cmd, c.Stdin, c.Stdout, c.Stderr)
		if err != nil {
			if c.Stderr != nil {
				fmt.Fprintln(c.Stderr, err)
			}
			code = 126
		}
		p.code = code
	}()
	return p, nil
}

// Close deletes the pod's containers and its network.
func (s *runcSandbox) Close() error {
	ctx := context.Background()
	for _, c := range s.pod.Spec.Containers {
		s.remove(ctx, c.Name)
	}
	s.d.proxy.SetDirectPod(s.ip, false)
	return s.network.Teardown(ctx, s.pod.UID)
}
