package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/netproxy"
	"github.com/wk-project/wk/node/runc"
)

// runcDriver runs the containers of Linux OCI images with runc: a rootfs per image in a cache, an
// overlay of it per container, a network namespace per pod on the node's bridge (CNI), and the
// containers' stdout and stderr straight into their log files, so that they outlive the agent.
type runcDriver struct {
	rt       *runc.Runtime
	dir      string // DATA/runc: images (the rootfs cache)
	keychain authn.Keychain
	proxy    *netproxy.Proxy
	log      *slog.Logger
	ctx      context.Context // the agent's: the DNS server lives as long

	mu      sync.Mutex
	network *runc.Network        // set once the node has its pod CIDR
	images  map[string]runcImage // image id (config digest) -> its rootfs and config
	pulled  map[string]string    // image -> id, for images pulled before

	dnsOnce sync.Once
}

type runcImage struct {
	rootfs string
	config runc.ImageConfig
}

var _ Driver = (*runcDriver)(nil)

// runcCgroupParent holds the cgroups of wk's containers: /sys/fs/cgroup[/CONTROLLER]/wk/ID.
const runcCgroupParent = "/wk"

// useNetwork gives the driver the node's pod CIDR: its bridge is named after it, so that the
// nodes of a local multi-node cluster each have their own.
func (d *runcDriver) useNetwork(cidr netip.Prefix, pluginDir string) {
	b := cidr.Addr().As4()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.network = &runc.Network{
		Name:      "wk",
		Bridge:    fmt.Sprintf("wkbr-%d-%d", b[1], b[2]),
		Subnet:    cidr,
		PluginDir: pluginDir,
		StateDir:  filepath.Join(d.dir, "cni"),
	}
}

func (d *runcDriver) Pull(ctx context.Context, pod *api.Pod, image string) (string, error) {
	d.mu.Lock()
	id, ok := d.pulled[image]
	d.mu.Unlock()
	if ok && !pullAlways(pod, image) {
		return id, nil
	}
	r, err := parseOCIRef(image)
	if err != nil {
		return "", &imageError{reason: "InvalidImageName", err: err}
	}
	img, cleanup, err := r.open(ctx, d.keychain)
	if err != nil {
		return "", &imageError{reason: "ErrImagePull", err: fmt.Errorf("pull %s: %w", image, err)}
	}
	defer cleanup()
	cf, err := img.ConfigFile()
	if err != nil {
		return "", &imageError{reason: "ErrImagePull", err: fmt.Errorf("pull %s: config: %w", image, err)}
	}
	name, err := img.ConfigName()
	if err != nil {
		return "", &imageError{reason: "ErrImagePull", err: fmt.Errorf("pull %s: %w", image, err)}
	}
	rootfs, err := runc.RootfsFor(filepath.Join(d.dir, "images"), img)
	if err != nil {
		return "", &imageError{reason: "ErrImagePull", err: fmt.Errorf("pull %s: %w", image, err)}
	}
	id = name.String()
	d.mu.Lock()
	d.images[id] = runcImage{rootfs: rootfs, config: runc.ImageConfigFrom(cf.Config)}
	d.pulled[image] = id
	d.mu.Unlock()
	return id, nil
}

func (d *runcDriver) NewSandbox(ctx context.Context, spec SandboxSpec) (Sandbox, error) {
	d.mu.Lock()
	network := d.network
	d.mu.Unlock()
	if network == nil {
		return nil, errors.New("the node has no pod network yet")
	}
	netns, err := network.Setup(ctx, spec.Pod.UID, spec.IP)
	if err != nil {
		return nil, err
	}
	d.serveDNS(network.Gateway())
	s := &runcSandbox{d: d, pod: spec.Pod, dir: spec.Dir, ip: spec.IP, netns: netns, network: network, volumes: spec.Volumes}
	if err := s.writeEtc(network.Gateway()); err != nil {
		network.Teardown(context.WithoutCancel(ctx), spec.Pod.UID)
		return nil, err
	}
	d.proxy.SetDirectPod(spec.IP, true)
	return s, nil
}

// serveDNS starts the cluster DNS server at the bridge's gateway, the runc pods' nameserver, once
// the first pod has made the bridge.
func (d *runcDriver) serveDNS(gateway netip.Addr) {
	d.dnsOnce.Do(func() {
		addr := netip.AddrPortFrom(gateway, 53).String()
		srv := netproxy.NewDNSServer(d.proxy.LookupService, d.log)
		go func() {
			if err := srv.Run(d.ctx, addr); err != nil {
				d.log.Warn("cluster DNS server stopped", "addr", addr, "err", err)
			}
		}()
		d.log.Info("cluster DNS server listening", "addr", addr)
	})
}

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
	ns := s.pod.Namespace
	files := map[string]string{
		"hostname": s.pod.Name + "\n",
		"hosts": "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
			s.ip.String() + "\t" + s.pod.Name + "\n",
		"resolv.conf": "nameserver " + gateway.String() + "\n" +
			"search " + ns + ".svc." + netproxy.ClusterDomain + " svc." + netproxy.ClusterDomain + " " + netproxy.ClusterDomain + "\n" +
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

// grace is how long a stopping container has between SIGTERM and SIGKILL.
func (s *runcSandbox) grace() time.Duration {
	if g := s.pod.Spec.TerminationGracePeriodSeconds; g != nil {
		return time.Duration(*g) * time.Second
	}
	return 30 * time.Second
}

func (s *runcSandbox) Start(ctx context.Context, c ContainerSpec) (Process, error) {
	s.d.mu.Lock()
	img, ok := s.d.images[c.ImageID]
	s.d.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("image %s is not pulled", c.ImageID)
	}
	id := s.containerID(c.Name)
	s.remove(ctx, c.Name) // what is left of an earlier instance
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
		s.remove(context.WithoutCancel(ctx), c.Name)
		return nil, err
	}
	if err := s.d.rt.Start(ctx, id); err != nil {
		s.remove(context.WithoutCancel(ctx), c.Name)
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

// Adopt finds container c still running from before the agent restarted.
func (s *runcSandbox) Adopt(ctx context.Context, c ContainerSpec) (Process, time.Time, bool) {
	id := s.containerID(c.Name)
	st, err := s.d.rt.State(ctx, id)
	if err != nil || st.Status != runc.StatusRunning {
		return nil, time.Time{}, false
	}
	return s.watch(id), st.Created, true
}

// watch follows container id until it stops. An adopted container's init is not a child of this
// agent, so its exit code is lost; it is reported as 255, with the reason.
func (s *runcSandbox) watch(id string) *runcProcess {
	p := &runcProcess{s: s, id: id, done: make(chan struct{}), left: make(chan struct{})}
	go func() {
		defer close(p.done)
		code, err := s.d.rt.Wait(waitCtx(p.left), id)
		select {
		case <-p.left:
			return
		default:
		}
		switch {
		case errors.Is(err, runc.ErrExitUnknown):
			p.status = ExitStatus{Code: 255, Reason: "Error", Message: "the exit code was lost: the container's init is not a child of this agent (adopted after an agent restart)"}
		case err != nil:
			p.status = ExitStatus{Code: 255, Reason: "Error", Message: err.Error()}
		case code == 0:
			p.status = ExitStatus{Code: 0, Reason: "Completed"}
		default:
			p.status = ExitStatus{Code: code, Reason: "Error"}
		}
		if p.status.Code != 0 && oomKilled(id) {
			p.status.Reason, p.status.Message = "OOMKilled", "the container went over its memory limit"
		}
		if err := s.d.rt.Delete(context.Background(), id, true); err != nil {
			s.d.log.Warn("container not deleted", "id", id, "err", err)
		}
	}()
	return p
}

// waitCtx ends when left is closed.
func waitCtx(left <-chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-left
		cancel()
	}()
	return ctx
}

// remove deletes container name and its rootfs overlay, whatever state they are in.
func (s *runcSandbox) remove(ctx context.Context, name string) {
	id := s.containerID(name)
	if _, err := s.d.rt.State(ctx, id); err == nil {
		if err := s.d.rt.Delete(ctx, id, true); err != nil {
			s.d.log.Warn("container not deleted", "id", id, "err", err)
		}
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

// Leave keeps the pod's containers and network for the next agent.
func (s *runcSandbox) Leave() {}

// runcProcess is a container's init.
type runcProcess struct {
	s      *runcSandbox
	id     string
	done   chan struct{}
	left   chan struct{}
	status ExitStatus // once done

	kill, leave sync.Once
}

func (p *runcProcess) Wait() ExitStatus {
	<-p.done
	return p.status
}

func (p *runcProcess) Done() <-chan struct{} { return p.done }

// Kill sends SIGTERM, and SIGKILL after the pod's grace period if the container is still there.
func (p *runcProcess) Kill() {
	p.kill.Do(func() {
		go func() {
			ctx := context.Background()
			if err := p.s.d.rt.Kill(ctx, p.id, syscall.SIGTERM); err != nil {
				p.s.d.log.Debug("SIGTERM", "id", p.id, "err", err)
			}
			t := time.NewTimer(p.s.grace())
			defer t.Stop()
			select {
			case <-p.done:
			case <-t.C:
				if err := p.s.d.rt.Kill(ctx, p.id, syscall.SIGKILL); err != nil {
					p.s.d.log.Debug("SIGKILL", "id", p.id, "err", err)
				}
			}
		}()
	})
}

// Leave stops following the container and leaves it running.
func (p *runcProcess) Leave() { p.leave.Do(func() { close(p.left) }) }

// execProcess is a process run by runc exec.
type execProcess struct {
	done   chan struct{}
	cancel context.CancelFunc
	code   int
}

func (p *execProcess) Wait() ExitStatus {
	<-p.done
	return ExitStatus{Code: p.code}
}
func (p *execProcess) Done() <-chan struct{} { return p.done }
func (p *execProcess) Kill()                 { p.cancel() }
func (p *execProcess) Leave()                { p.cancel() }

// oomKilled reports whether the kernel's OOM killer killed a process of container id's cgroup:
// memory.events (cgroup v2) or memory.oom_control (v1) count oom_kill.
func oomKilled(id string) bool {
	for _, f := range []string{
		filepath.Join("/sys/fs/cgroup", runcCgroupParent, id, "memory.events"),
		filepath.Join("/sys/fs/cgroup/memory", runcCgroupParent, id, "memory.oom_control"),
	} {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if n, ok := strings.CutPrefix(line, "oom_kill "); ok {
				return strings.TrimSpace(n) != "0"
			}
		}
	}
	return false
}
